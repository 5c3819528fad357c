from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkordersConfig(AppConfig):
    name = "carecircle.workorders"
    label = "workorders"
    verbose_name = _("工单")

    def ready(self):
        from . import tasks  # noqa: F401  (registers the nightly generation with the beat)
