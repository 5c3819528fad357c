from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "carecircle.hotline"
    label = "hotline"
    verbose_name = _("热线与一键通")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import tasks  # noqa: F401  (registers escalation and the silence sweep with the beat)
