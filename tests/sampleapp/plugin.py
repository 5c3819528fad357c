from django.db import models

from carecircle.core.plugins import AppPlugin, Card, NavItem
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    NOTE_CREATE = "sampleapp.note_create"


def workbench(user):
    from .selectors import notes_for

    if not has_capability(user, "sampleapp.view"):
        return []
    return [Card(900, "sample_notes", "Sample notes", notes_for(user=user).count(), "sampleapp:list")]


plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: {"sampleapp.view", "sampleapp.change"},
        Role.STREET_STAFF: {"sampleapp.view", "sampleapp.change"},
        Role.COMMUNITY_WORKER: {"sampleapp.view"},
    },
    navigation=[NavItem(900, "Sample notes", "sampleapp:list", "sampleapp.view")],
    audit_actions=AuditAction,
    workbench=workbench,
    url_prefix="sample/",
    api=True,
)
