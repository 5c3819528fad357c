from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "carecircle.visits"
    label = "visits"
    verbose_name = _("上门服务监管")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the missing check-out sweep with the beat)
