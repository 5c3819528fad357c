"""Service quality: complaints (filed from any channel, accepted by the street or the hotline, answered by the
provider, escalated to the district when overdue, closed and reopened), return visits by telephone, and the
provider scorecard. Elders and family file and follow their own complaints on big-type pages."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem, PortalBlock
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    COMPLAINT_FILE = "quality.complaint_file"
    COMPLAINT_ACCEPT = "quality.complaint_accept"
    COMPLAINT_ANSWER = "quality.complaint_answer"
    COMPLAINT_ESCALATE = "quality.complaint_escalate"
    COMPLAINT_CLOSE = "quality.complaint_close"
    COMPLAINT_REOPEN = "quality.complaint_reopen"
    RETURN_VISIT_CREATE = "quality.return_visit_create"
    RETURN_VISIT_CALL = "quality.return_visit_call"


REGION_STAFF = {"quality.view", "quality.list", "quality.handle", "quality.file", "quality.call", "quality.scorecard"}

CAPABILITIES = {
    Role.DISTRICT_ADMIN: REGION_STAFF | {"quality.respond", "quality.district"},
    Role.STREET_STAFF: REGION_STAFF,
    Role.COMMUNITY_WORKER: REGION_STAFF - {"quality.scorecard"},
    Role.OPERATOR: REGION_STAFF - {"quality.scorecard"},
    Role.INSPECTOR: {"quality.view", "quality.list", "quality.scorecard"},
    Role.PROVIDER_ADMIN: {"quality.view", "quality.list", "quality.respond", "quality.scorecard"},
    Role.ELDER: {"quality.view", "quality.file", "quality.portal"},
    Role.FAMILY: {"quality.view", "quality.file", "quality.portal"},
}


def workbench(user):
    from .selectors import workbench_queues

    return workbench_queues(user)


def portal(user):
    from .selectors import portal_rows

    if not has_capability(user, "quality.portal"):
        return []
    return [PortalBlock(40, "quality/_portal_block.html", {"rows": portal_rows(user)})]


def timeline(user, elder, limit):
    from .selectors import elder_timeline

    return elder_timeline(user, elder, limit)


def trends(user, months):
    from django.utils.translation import gettext_lazy

    from carecircle.core.isolation import visible_to
    from carecircle.core.plugins import TrendSeries, monthly_counts

    from .models import Complaint, ReturnVisit, ReturnVisitStatus

    if not has_capability(user, "quality.list"):
        return []
    complaints = visible_to(user, Complaint)
    made = visible_to(user, ReturnVisit).filter(status=ReturnVisitStatus.DONE)
    return [TrendSeries("complaints", gettext_lazy("投诉"), monthly_counts(complaints, "received_on", months)),
            TrendSeries("return_visits", gettext_lazy("完成的回访"), monthly_counts(made, "completed_at", months))]


plugin = AppPlugin(
    capabilities=CAPABILITIES,
    navigation=[
        NavItem(136, pgettext_lazy("menu", "投诉"), "quality:complaint-list", "quality.list"),
        NavItem(137, pgettext_lazy("menu", "回访"), "quality:return-visit-list", "quality.call"),
        NavItem(138, pgettext_lazy("menu", "服务机构评分"), "quality:scorecard", "quality.scorecard"),
        NavItem(139, pgettext_lazy("menu", "我的投诉"), "quality:portal", "quality.portal"),
    ],
    audit_actions=AuditAction,
    workbench=workbench,
    portal=portal,
    timeline=timeline,
    trends=trends,
    url_prefix="quality/",
    api=True,
)
