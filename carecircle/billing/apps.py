from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class BillingConfig(AppConfig):
    name = "carecircle.billing"
    label = "billing"
    verbose_name = pgettext_lazy("app", "结算")
    default_auto_field = "django.db.models.BigAutoField"
