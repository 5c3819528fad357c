"""What the kernel itself brings: policy parameters, the working-day calendar, the audit trail, jobs."""
from django.db import models
from django.utils.translation import pgettext_lazy

from .plugins import AppPlugin, NavItem
from .roles import Role


class AuditAction(models.TextChoices):
    POLICY_SET = "policy.set"
    CALENDAR_DAY_SET = "calendar.day_set"
    CALENDAR_DAY_DELETE = "calendar.day_delete"
    SENSITIVE_ROTATE_KEYS = "sensitive.rotate_keys"
    SYSTEM_WORKER_CHECK = "system.worker_check"
    # Every export (CSV, XLSX, PDF, print) with its filters and row count; the subject type names what.
    DATA_EXPORT = "data.export"
    # A district admin asks for a failed cross-app event to be delivered again now.
    CORE_OUTBOX_RETRY = "core.outbox_retry"
    # Writes made in the Django admin; the subject type names the model.
    ADMIN_OBJECT_CREATE = "admin.object_create"
    ADMIN_OBJECT_CHANGE = "admin.object_change"
    ADMIN_OBJECT_DELETE = "admin.object_delete"


plugin = AppPlugin(
    capabilities={
        Role.DISTRICT_ADMIN: {"audit.view", "calendar.change", "calendar.view", "policy.change", "policy.view"},
        Role.STREET_STAFF: {"calendar.view", "policy.view"},
        Role.COMMUNITY_WORKER: {"calendar.view"},
        Role.OPERATOR: {"calendar.view"},
        Role.INSPECTOR: {"audit.view", "calendar.view", "policy.view"},
    },
    navigation=[
        NavItem(160, pgettext_lazy("menu", "政策参数"), "core:policy-list", "policy.view"),
        NavItem(170, pgettext_lazy("menu", "审计日志"), "core:audit-list", "audit.view"),
    ],
    audit_actions=AuditAction,
    url_prefix="system/",
    api=True,
)
