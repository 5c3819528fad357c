"""Users, roles, scopes, login and tokens."""
from django.db import models

from carecircle.core.plugins import AppPlugin


class AuditAction(models.TextChoices):
    TWO_FACTOR_ENABLED = "accounts.2fa_enabled"
    TWO_FACTOR_DISABLED = "accounts.2fa_disabled"
    TOKEN_ISSUED = "accounts.token_issued"
    TOKEN_REFRESHED = "accounts.token_refreshed"
    TOKEN_REVOKED = "accounts.token_revoked"
    # Every token of a person at once: password changed, second factor reset, account deactivated.
    TOKENS_REVOKED = "accounts.tokens_revoked"


plugin = AppPlugin(audit_actions=AuditAction, url_prefix="", api=True)
