"""What the allowances do when other apps' events arrive (outbox events, see carecircle/core/events.py)."""
import datetime as dt

from carecircle.core.events import handles


@handles("elders.status_changed", handler="benefits.follow_elder_status")
def follow_elder_status(event):
    """A death or a move away stops the allowance from the following month (and cancels a valid card);
    a record set back to active resumes it."""
    from carecircle.elders.models import Elder

    from .services import enrolment_resume, enrolment_stop

    payload = event.payload
    elder = Elder.objects.filter(pk=payload["elder"]).first()
    if elder is None:
        return
    change = payload["change"]
    if change in ("deceased", "moved_out"):
        enrolment_stop(actor=event.actor, elder=elder, on=dt.date.fromisoformat(payload["on"]),
                       reason=payload.get("reason", ""), change=change)
    elif change == "active":
        enrolment_resume(actor=event.actor, elder=elder, reason=payload.get("reason", ""))
