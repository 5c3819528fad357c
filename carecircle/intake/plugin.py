"""Applications: capabilities, menu entries, audit actions and workbench cards of the intake app."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, Card, NavItem, PortalBlock
from carecircle.core.roles import Role, has_capability

from .workflow import STEPS

# Every workflow step is recorded as "intake.<step>"; the steps the services take on their own (an assessment
# result arrives, an objection is answered) and the other writes are named here.
_OTHER_ACTIONS = {
    "assessed": _("申请：收到评估结果"), "objection_answered": _("申请：答复异议"),
    "objection_lodged": _("申请：收到异议"), "application_registered": _("申请：登记"),
    "application_merged": _("申请：合并重复申请"), "type_created": _("申请：新增申请类型"),
}
AuditAction = models.TextChoices("AuditAction", [
    *((step.action.upper(), (f"intake.{step.action}", step.label)) for step in STEPS),
    *((name.upper(), (f"intake.{name}", label)) for name, label in _OTHER_ACTIONS.items()
      if name not in {step.action for step in STEPS}),
])


def workbench(user):
    from .selectors import open_application_count, overdue_count

    if not has_capability(user, "intake.queue"):
        return []
    from .selectors import workbench_queues

    return [
        *workbench_queues(user),
        Card(60, "applications_open", _("办理中的申请"), open_application_count(user), "intake:queue", "view=all"),
        Card(70, "applications_overdue", _("超期未办的申请"), overdue_count(user), "intake:queue",
             "view=all&overdue=on"),
    ]


def portal(user):
    if not has_capability(user, "intake.apply"):
        return []
    return [PortalBlock(20, "intake/_portal_link.html")]


def trends(user, months):
    from django.utils.translation import gettext_lazy

    from carecircle.core.isolation import visible_to
    from carecircle.core.plugins import TrendSeries, monthly_counts

    from .models import Application

    applications = visible_to(user, Application)
    return [TrendSeries("applications", gettext_lazy("收到的申请"), monthly_counts(applications, "created_at", months))]


def timeline(user, elder, limit):
    from .selectors import elder_timeline

    return elder_timeline(user, elder, limit)


def _application_type(code: str):
    """An application type's name, by its code (the policy tables of deadlines are keyed by it)."""
    from django.utils.translation import gettext

    from .models import ApplicationType

    name = ApplicationType.objects.filter(code=code).values_list("name", flat=True).first()
    return gettext(name) if name else None


def _choices():
    from .models import Channel, Programme

    return [Programme, Channel]

plugin = AppPlugin(
    labels=[_application_type, *_choices()],
    capabilities={
        Role.DISTRICT_ADMIN: {"intake.admit", "intake.district", "intake.queue", "intake.submit", "intake.view"},
        Role.STREET_STAFF: {"intake.admit", "intake.queue", "intake.street", "intake.submit", "intake.view"},
        Role.COMMUNITY_WORKER: {"intake.queue", "intake.submit", "intake.view"},
        Role.OPERATOR: {"intake.queue", "intake.submit", "intake.view"},
        Role.INSPECTOR: {"intake.queue", "intake.view"},
        Role.ELDER: {"intake.apply", "intake.submit", "intake.view"},
        Role.FAMILY: {"intake.apply", "intake.submit", "intake.view"},
    },
    navigation=[
        NavItem(20, pgettext_lazy("menu", "申请受理"), "intake:queue", "intake.queue"),
        NavItem(30, pgettext_lazy("menu", "我的申请"), "intake:portal", "intake.apply"),
    ],
    audit_actions=AuditAction,
    timeline=timeline,
    trends=trends,
    workbench=workbench,
    portal=portal,
    url_prefix="intake/",
    api=True,
)
