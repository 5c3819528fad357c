from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "carecircle.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self):
        from . import checks  # noqa: F401 - registers the start-up checks
        from django.db.models.signals import post_delete, post_save

        from .events import collect_handlers
        from .models import PolicyParameter
        from .plugins import registry
        from .policy import forget_snapshot

        # Every app's models are loaded by now: collect what each one declares in its plugin.py.
        registry.collect(apps.get_app_configs())
        # Every app's handlers.py registers what it does when another app's event arrives.
        collect_handlers()
        # Policy values are read from a per-process snapshot; a row written here refreshes it at once.
        post_save.connect(forget_snapshot, sender=PolicyParameter, dispatch_uid="policy_snapshot_save")
        post_delete.connect(forget_snapshot, sender=PolicyParameter, dispatch_uid="policy_snapshot_delete")
