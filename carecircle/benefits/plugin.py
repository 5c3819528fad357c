from django.db import models
from django.utils.translation import gettext_lazy as _

from carecircle.core.plugins import AppPlugin, Card, NavItem, PortalBlock, TimelineEntry
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    ENROL = "benefits.enrol", _("纳入津贴发放")
    BAND_MOVE = "benefits.band_move", _("津贴升档")
    STOP = "benefits.stop", _("津贴停发")
    RUN_MAKE = "benefits.run_make", _("生成月度发放批次")
    RUN_STEP = "benefits.run_step", _("发放批次流转")
    RUN_ADJUST = "benefits.run_adjust", _("增加调整明细")
    RUN_RETURN = "benefits.run_return", _("导入银行回盘")
    APPLICATION_SUBMIT = "benefits.application_submit", _("提交津贴优待申请")
    APPLICATION_DECIDE = "benefits.application_decide", _("审核津贴优待申请")
    CARD_ISSUE = "benefits.card_issue", _("发放老年优待证")
    CARD_LOSS = "benefits.card_loss", _("优待证挂失")
    CARD_PRINT = "benefits.card_print", _("打印优待证")
    CHECK_IMPORT = "benefits.check_import", _("导入比对数据")
    CHECK_PREVIEW = "benefits.check_preview", _("预检比对数据")
    CHECK_DISCARD = "benefits.check_discard", _("放弃比对数据")
    FINDING_RESOLVE = "benefits.finding_resolve", _("处理比对差异")


def workbench(user):
    from . import selectors

    if not has_capability(user, "benefits.view"):
        return []
    cards = [
        Card(610, "benefit_applications", _("待审核的津贴优待申请"),
             selectors.applications_for(user).filter(status="submitted").count(), "benefits:applications",
             "status=submitted"),
        Card(611, "registry_findings", _("待处理的比对差异"),
             selectors.findings_for(user).filter(resolved=False).count(), "benefits:findings"),
    ]
    return cards


def portal(user):
    from . import selectors

    if not has_capability(user, "benefits.apply"):
        return []
    return [PortalBlock(60, "benefits/portal_block.html", {"benefit_summary": selectors.portal_summary(user)})]


def timeline(user, elder, limit):
    from django.urls import reverse

    from . import selectors

    if not (has_capability(user, "benefits.view") or has_capability(user, "benefits.apply")):
        return []
    entries = []
    for notice in selectors.notices_for(user).filter(elder=elder)[:limit]:
        entries.append(TimelineEntry(notice.created_at, _("津贴与优待"), notice.get_kind_display(),
                                     reverse("benefits:notice", args=[notice.pk]), notice.body[:80]))
    for application in selectors.applications_for(user).filter(elder=elder)[:limit]:
        url = reverse("benefits:application", args=[application.pk]) if has_capability(user, "benefits.view") else ""
        entries.append(TimelineEntry(application.submitted_at, _("津贴与优待"),
                                     f"{application.get_programme_display()} · {application.get_status_display()}",
                                     url, application.get_channel_display()))
    return entries


plugin = AppPlugin(
    capabilities={
        # benefits.submit: apply (online for elders and family, at the window for staff);
        # benefits.card: open a card or a letter; benefits.card_loss: report a card lost.
        Role.DISTRICT_ADMIN: {"benefits.view", "benefits.change", "benefits.run", "benefits.approve",
                              "benefits.submit", "benefits.card", "benefits.card_loss"},
        Role.STREET_STAFF: {"benefits.view", "benefits.change", "benefits.submit", "benefits.card",
                            "benefits.card_loss"},
        Role.COMMUNITY_WORKER: {"benefits.view", "benefits.card"},
        Role.INSPECTOR: {"benefits.view", "benefits.card"},
        Role.ELDER: {"benefits.apply", "benefits.submit", "benefits.card", "benefits.card_loss"},
        Role.FAMILY: {"benefits.apply", "benefits.submit", "benefits.card", "benefits.card_loss"},
    },
    navigation=[NavItem(610, _("津贴与优待"), "benefits:home", "benefits.view")],
    audit_actions=AuditAction,
    workbench=workbench,
    portal=portal,
    timeline=timeline,
    url_prefix="benefits/",
    api=True,
)
