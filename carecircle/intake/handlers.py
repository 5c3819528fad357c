"""What intake does when other apps' events arrive (outbox events, see carecircle/core/events.py)."""
from carecircle.core.events import handles


@handles("assessment.finalised", handler="intake.record_assessment_result")
def record_assessment_result(event):
    """A final assessment result moves the application it was ordered for to "assessed"."""
    from carecircle.assessment.models import Assessment

    from .services import assessment_result_received

    assessment = Assessment.objects.select_related("order", "order__agency").filter(
        pk=event.payload["assessment"]).first()
    if assessment is None:
        return
    assessment_result_received(order=assessment.order, assessment=assessment, actor=event.actor)
