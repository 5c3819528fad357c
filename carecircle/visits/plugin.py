"""Visits: the caregiver's check-in and check-out of a work order, the supervision rules that judge them,
the exceptions queue and the verified visits the settlement pays."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    CHECK_IN = "visits.visit_check_in", _("上门签到")
    NOT_HOME = "visits.visit_not_home", _("登记老人不在家")
    ITEMS = "visits.visit_items", _("记录服务项目")
    CONFIRM = "visits.visit_confirm", _("老人或家属确认")
    CHECK_OUT = "visits.visit_check_out", _("上门签退")
    HOLD = "visits.visit_hold", _("上门服务转入异常待处理")
    VERIFY = "visits.visit_verify", _("上门服务核验")
    CORRECT = "visits.visit_correct", _("更正上门记录")
    PIN_SET = "visits.elder_pin_set", _("设置老人确认码")
    EXCEPTION_OPEN = "visits.exception_open", _("发现上门异常")
    EXCEPTION_RESOLVE = "visits.exception_resolve", _("处理上门异常")
    EXCEPTION_APPROVE = "visits.exception_approve", _("复核上门异常")
    EXCEPTION_RETURN = "visits.exception_return", _("退回上门异常")


def workbench(user):
    from .selectors import workbench_queues

    return workbench_queues(user)


def timeline(user, elder, limit):
    from .selectors import elder_timeline

    return elder_timeline(user, elder, limit)


def portal(user):
    from carecircle.core.plugins import PortalBlock
    from carecircle.core.roles import has_capability

    from .selectors import portal_today

    if not has_capability(user, "visits.pin"):
        return []
    rows = portal_today(user)
    return [PortalBlock(12, "visits/_portal_block.html", {"rows": rows})] if rows else []


def trends(user, months):
    from .selectors import trend_series

    return trend_series(user, months)


def labels():
    from . import models as m

    return [m.VisitStatus, m.EventKind, m.ConfirmMethod, m.RuleAction, m.Rule, m.ReasonCode, m.ResolutionCode,
            m.ExceptionStatus, m.Datum]


plugin = AppPlugin(
    capabilities={
        # visits.board: the live board (views_board.py); visits.app: the caregiver's phone app (views_app.py);
        # visits.pin: set an elder's confirmation PIN (views_pin.py), visits.pin_window: find the elder at the window.
        Role.DISTRICT_ADMIN: {"visits.view", "visits.resolve", "visits.approve", "visits.board", "visits.pin",
                              "visits.pin_window"},
        Role.STREET_STAFF: {"visits.view", "visits.resolve", "visits.approve", "visits.board", "visits.pin",
                            "visits.pin_window"},
        Role.COMMUNITY_WORKER: {"visits.pin", "visits.pin_window"},
        Role.ELDER: {"visits.pin"},
        Role.FAMILY: {"visits.pin"},
        Role.INSPECTOR: {"visits.view", "visits.board"},
        Role.PROVIDER_ADMIN: {"visits.view", "visits.resolve", "visits.approve", "visits.board"},
        Role.CAREGIVER: {"visits.record", "visits.app"},
    },
    navigation=[
        NavItem(126, pgettext_lazy("menu", "上门实时看板"), "visits:board", "visits.board"),
        NavItem(131, pgettext_lazy("menu", "上门服务"), "visits:app", "visits.app"),
        NavItem(132, pgettext_lazy("menu", "上门异常"), "visits:exceptions", "visits.view"),
        NavItem(133, pgettext_lazy("menu", "老人确认码"), "visits:pin-search", "visits.pin_window"),
    ],
    audit_actions=AuditAction,
    workbench=workbench,
    timeline=timeline,
    trends=trends,
    portal=portal,
    labels=labels(),
    url_prefix="visits/",
    api=True,
)
