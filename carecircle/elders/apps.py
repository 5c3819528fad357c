from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldersConfig(AppConfig):
    name = "carecircle.elders"
    label = "elders"
    verbose_name = _("老人档案")

    def ready(self):
        from . import tasks  # noqa: F401  (registers the background job handlers)
