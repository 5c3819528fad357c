from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "carecircle.assessment"
    label = "assessment"
    verbose_name = _("能力评估")

    def ready(self):
        from . import receivers  # noqa: F401  (connects to the elders' status signal)
