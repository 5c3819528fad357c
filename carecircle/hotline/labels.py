"""Words for device codes and risk tiers (people see words, never codes)."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Units of this app's policy parameters (policy_parameters.json), marked so that they are translated.
UNITS = (gettext_noop("秒"), gettext_noop("次"))

CODE_LABELS = {
    "heartbeat": _("心跳"),
    "sos": _("SOS 一键呼叫"),
    "pull_cord": _("紧急拉绳"),
    "fall": _("跌倒报警"),
    "smoke": _("烟感报警"),
    "gas": _("燃气泄漏报警"),
    "breathing": _("呼吸异常"),
    "heart_rate": _("心率异常"),
    "heart_rate_high": _("心率过高"),
    "heart_rate_low": _("心率过低"),
    "blood_pressure": _("血压异常"),
    "water": _("水浸报警"),
    "no_movement": _("长时间无活动"),
    "left_bed": _("夜间离床未归"),
    "removed": _("设备脱落"),
    "cut_off": _("腕带剪断"),
    "wear_reminder": _("未佩戴提醒"),
    "low_battery": _("电量低"),
    "call": _("来电求助"),
}

TIER_LABELS = {"high_risk": _("高风险"), "key": _("重点"), "general": _("一般")}

SILENCE_LABELS = {
    "no_heartbeat": _("设备长时间未上报心跳"),
    "unanswered_calls": _("关爱电话连续未接通"),
    "no_contact": _("长时间无接通电话、无探访"),
}


def code_label(code: str):
    return CODE_LABELS.get(code, _("其他报警"))


def tier_label(tier: str):
    return TIER_LABELS.get(tier, _("一般"))
