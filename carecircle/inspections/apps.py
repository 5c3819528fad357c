from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "carecircle.inspections"
    label = "inspections"
    verbose_name = _("质量监管")
    default_auto_field = "django.db.models.BigAutoField"
