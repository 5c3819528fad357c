"""Thin receivers: other apps' signals call the careplans services (no rules here)."""
from django.dispatch import receiver

from carecircle.elders.signals import elder_status_changed


@receiver(elder_status_changed, dispatch_uid="careplans.elder_status_changed")
def on_elder_status_changed(sender, *, elder, change, on, reason="", actor=None, **kwargs):
    from .services import care_plans_stop_for_elder

    care_plans_stop_for_elder(elder=elder, change=change, on=on, reason=reason, actor=actor)


try:
    from carecircle.assessment.signals import care_level_changed
except ImportError:  # the assessment app is optional for this app's own tests
    care_level_changed = None

if care_level_changed is not None:
    @receiver(care_level_changed, dispatch_uid="careplans.care_level_changed")
    def on_care_level_changed(sender, *, elder, programme, old_level, new_level, effective, **kwargs):
        from .services import care_plan_level_change

        care_plan_level_change(elder=elder, programme=programme, old_level=old_level, new_level=new_level,
                               effective=effective)
