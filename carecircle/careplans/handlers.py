"""What care plans do when other apps' events arrive (outbox events, see carecircle/core/events.py).

Thin: load what the payload names and call this app's public services with the actor who made the change.
"""
import datetime as dt

from carecircle.core.events import handles


def _elder(pk):
    from carecircle.elders.models import Elder

    return Elder.objects.filter(pk=pk).first()


@handles("elders.status_changed", handler="careplans.stop_plans_for_elder")
def stop_plans_for_elder(event):
    """A death, a move away or an admission stops the elder's plans and cancels open orders and visits."""
    from carecircle.careplans.services import care_plans_stop_for_elder

    payload = event.payload
    elder = _elder(payload["elder"])
    if elder is None:
        return
    care_plans_stop_for_elder(elder=elder, change=payload["change"], on=dt.date.fromisoformat(payload["on"]),
                              reason=payload.get("reason", ""), actor=event.actor)


@handles("assessment.care_level_changed", handler="careplans.follow_care_level")
def follow_care_level(event):
    """A new care level replaces the active plan by one on the new entitlement (or stops it)."""
    from carecircle.careplans.services import care_plan_level_change

    payload = event.payload
    elder = _elder(payload["elder"])
    if elder is None:
        return
    care_plan_level_change(elder=elder, programme=payload["programme"], old_level=payload["old_level"],
                           new_level=payload["new_level"], effective=dt.date.fromisoformat(payload["effective"]),
                           actor=event.actor)
