from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareplansConfig(AppConfig):
    name = "carecircle.careplans"
    label = "careplans"
    verbose_name = _("照护计划与工单")

    def ready(self):
        from . import tasks  # noqa: F401  (registers job handlers; handlers.py is collected by core)
