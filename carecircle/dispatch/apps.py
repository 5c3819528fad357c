from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "carecircle.dispatch"
    label = "dispatch"
    verbose_name = _("派单与排班")

    def ready(self):
        from . import tasks  # noqa: F401  (registers the background job handler)
