from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, Card, NavItem, PortalBlock
from carecircle.core.roles import Role, has_capability


class AuditAction(models.TextChoices):
    SETTLE = "billing.settle", _("月度结算关账")
    REOPEN = "billing.reopen", _("月度结算重新开账")
    CLAIM_STEP = "billing.claim_step", _("结算申报流转")
    LINE_REJECT = "billing.line_reject", _("驳回结算明细")
    LINE_CORRECT = "billing.line_correct", _("更正结算明细")
    ADJUST = "billing.adjust", _("增加结算调整")
    PAYMENT = "billing.payment", _("登记结算到账")
    COMPLETION = "billing.completion", _("登记设施竣工验收")
    EXPORT = "billing.export", _("导出结算报表")
    SIMULATE = "billing.simulate", _("政策测算")


def workbench(user):
    from . import selectors

    cards = []
    if has_capability(user, "billing.review"):
        cards.append(Card(700, "claims_to_review", _("待审核的结算申报"),
                          selectors.claims_for(user).filter(status="submitted").count(), "billing:claims",
                          "status=submitted"))
    if has_capability(user, "billing.approve"):
        cards.append(Card(701, "claims_to_approve", _("待审批的结算申报"),
                          selectors.claims_for(user).filter(status="reviewed").count(), "billing:claims",
                          "status=reviewed"))
    if has_capability(user, "billing.submit"):
        cards.append(Card(702, "claims_to_submit", _("待提交或待更正的结算申报"),
                          selectors.claims_for(user).filter(status__in=("draft", "returned")).count(),
                          "billing:claims", "status=draft"))
    return cards


def portal(user):
    from . import selectors

    if not has_capability(user, "billing.bill"):
        return []
    bills = selectors.portal_bills(user)
    if not bills:
        return []
    return [PortalBlock(55, "billing/portal_block.html", {"bills": bills})]


plugin = AppPlugin(
    capabilities={
        # billing.view: read claims and lines in scope; billing.settle: close a month; billing.review: reject
        # lines, finish a review, add adjustments; billing.approve: approve, record payments, reopen a month;
        # billing.submit: a provider submits and corrects its claims; billing.bill: the elder's monthly bill.
        Role.DISTRICT_ADMIN: {"billing.view", "billing.settle", "billing.review", "billing.approve",
                              "billing.simulate", "billing.export", "billing.completion"},
        Role.STREET_STAFF: {"billing.view", "billing.export"},
        Role.PROVIDER_ADMIN: {"billing.view", "billing.submit", "billing.export"},
        Role.ELDER: {"billing.bill"},
        Role.FAMILY: {"billing.bill"},
    },
    navigation=[NavItem(650, pgettext_lazy("app", "结算"), "billing:home", "billing.view")],
    audit_actions=AuditAction,
    workbench=workbench,
    portal=portal,
    url_prefix="billing/",
    api=True,
)
