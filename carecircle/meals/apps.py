from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MealsConfig(AppConfig):
    name = "carecircle.meals"
    label = "meals"
    verbose_name = _("老年助餐")
    default_auto_field = "django.db.models.BigAutoField"
