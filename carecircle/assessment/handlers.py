"""What assessment does when other apps' events arrive (outbox events, see carecircle/core/events.py)."""
import datetime as dt

from carecircle.core.events import handles


@handles("elders.status_changed", handler="assessment.close_orders_for_elder")
def close_orders_for_elder(event):
    """An elder who died or moved away is not assessed; after a death the care levels in force end."""
    from carecircle.elders.models import Elder

    from .services import assessment_orders_close_for_elder

    payload = event.payload
    elder = Elder.objects.filter(pk=payload["elder"]).first()
    if elder is None:
        return
    assessment_orders_close_for_elder(elder=elder, change=payload["change"], on=dt.date.fromisoformat(payload["on"]),
                                      actor=event.actor)
