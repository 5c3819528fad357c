"""Demo data: seeding and resetting a demonstration district."""
from django.db import models

from carecircle.core.plugins import AppPlugin


class AuditAction(models.TextChoices):
    SEEDED = "demo.seeded"
    RESET = "demo.reset"


plugin = AppPlugin(audit_actions=AuditAction)
