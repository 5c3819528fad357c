"""Thin receivers: other apps' events, handed straight to a service."""
from carecircle.elders.signals import elder_status_changed


def on_elder_status_changed(sender, elder=None, change=None, on=None, actor=None, **kwargs):
    from .services import assessment_orders_close_for_elder

    assessment_orders_close_for_elder(elder=elder, change=change, on=on, actor=actor)


elder_status_changed.connect(on_elder_status_changed, dispatch_uid="assessment.on_elder_status_changed")
