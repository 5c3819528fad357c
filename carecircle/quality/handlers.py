"""What service quality does when the visits report (outbox events, see carecircle/core/events.py).

Thin: load what the payload names and call this app's services with the actor who made the change. A visit
that became verified is called back when it falls in its month's sample; a visit with an exception always."""
from carecircle.core.events import handles


@handles("visits.visit_verified", handler="quality.sample_verified_visit")
def sample_verified_visit(event):
    from .models import ReturnVisitReason
    from .services import return_visit_for_visit

    payload = event.payload
    return_visit_for_visit(actor=event.actor, visit_id=int(payload["visit"]), work_order_id=int(payload["work_order"]),
                           reason=ReturnVisitReason.SAMPLED)


@handles("visits.exception_opened", handler="quality.call_back_exception")
def call_back_exception(event):
    from .models import ReturnVisitReason
    from .services import return_visit_for_visit

    payload = event.payload
    return_visit_for_visit(actor=event.actor, visit_id=int(payload["visit"]), work_order_id=int(payload["work_order"]),
                           reason=ReturnVisitReason.EXCEPTION)
