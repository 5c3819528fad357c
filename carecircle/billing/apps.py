from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "carecircle.billing"
    label = "billing"
    verbose_name = _("结算")
    default_auto_field = "django.db.models.BigAutoField"
