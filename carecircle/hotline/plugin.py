"""Hotline and call devices: operators answer alarms and calls, make proactive care calls; community workers
make welfare visits; the district and streets watch silent elders, visit rates and statistics."""
from django.db import models
from django.utils.translation import pgettext_lazy

from carecircle.core.plugins import AppPlugin, NavItem
from carecircle.core.roles import Role


class AuditAction(models.TextChoices):
    DEVICE_REGISTER = "hotline.device_register"
    DEVICE_UNBIND = "hotline.device_unbind"
    ALARM_RAISE = "hotline.alarm_raise"
    ALARM_ACKNOWLEDGE = "hotline.alarm_acknowledge"
    ALARM_ACT = "hotline.alarm_act"
    ALARM_ESCALATE = "hotline.alarm_escalate"
    ALARM_CLOSE = "hotline.alarm_close"
    ALARM_CALLBACK = "hotline.alarm_callback"
    CALL_RECORD = "hotline.call_record"
    CALL_CLASSIFY = "hotline.call_classify"
    CARE_CALLS_GENERATE = "hotline.care_calls_generate"
    CARE_CALL_ATTEMPT = "hotline.care_call_attempt"
    TASK_RAISE = "hotline.task_raise"
    VISIT_RECORD = "hotline.visit_record"
    NUMBERS_REVEAL = "hotline.numbers_reveal"


VIEW = {"hotline.view"}
OPERATE = {"hotline.view", "hotline.operate", "hotline.devices"}

plugin_capabilities = {
    Role.DISTRICT_ADMIN: OPERATE | {"hotline.visit"},
    Role.OPERATOR: OPERATE,
    Role.STREET_STAFF: VIEW | {"hotline.devices", "hotline.visit"},
    Role.COMMUNITY_WORKER: VIEW | {"hotline.visit"},
    Role.INSPECTOR: VIEW,
}


def workbench(user):
    from .selectors import workbench_cards

    return workbench_cards(user)


def timeline(user, elder, limit):
    from .selectors import elder_timeline

    return elder_timeline(user, elder, limit)


def trends(user, months):
    from django.utils.translation import gettext_lazy

    from carecircle.core.isolation import visible_to
    from carecircle.core.plugins import TrendSeries, monthly_counts

    from .models import Alarm, WelfareVisit

    return [
        TrendSeries("hotline_alarms", gettext_lazy("紧急呼叫"),
                    monthly_counts(visible_to(user, Alarm), "raised_at", months)),
        TrendSeries("welfare_visits", gettext_lazy("探访关爱"),
                    monthly_counts(visible_to(user, WelfareVisit), "visited_at", months)),
    ]


plugin = AppPlugin(
    capabilities=plugin_capabilities,
    navigation=[
        NavItem(231, pgettext_lazy("menu", "热线坐席"), "hotline:console", "hotline.operate"),
        NavItem(232, pgettext_lazy("menu", "探访关爱"), "hotline:welfare", "hotline.visit"),
        NavItem(233, pgettext_lazy("menu", "热线统计"), "hotline:stats", "hotline.view"),
    ],
    audit_actions=AuditAction,
    workbench=workbench,
    timeline=timeline,
    trends=trends,
    url_prefix="hotline/",
    api=True,
)
