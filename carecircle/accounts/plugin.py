"""Users, roles, scopes, login and tokens."""
from django.db import models

from carecircle.core.plugins import AppPlugin


class AuditAction(models.TextChoices):
    TWO_FACTOR_ENABLED = "accounts.2fa_enabled"
    TWO_FACTOR_DISABLED = "accounts.2fa_disabled"
    TOKEN_ISSUED = "accounts.token_issued"


plugin = AppPlugin(audit_actions=AuditAction, url_prefix="", api=True)
