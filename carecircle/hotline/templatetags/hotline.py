from django import template
from django.utils.translation import gettext as _

from ..labels import tier_label

register = template.Library()


@register.filter
def tier(value):
    return tier_label(value)


@register.filter
def timer_name(value):
    return {"answer": _("接警响应"), "first_action": _("首次处置"), "arrival": _("人员到场")}.get(value, "")


@register.filter
def timer_state(value):
    return {"met": _("达标"), "missed": _("超时完成"), "running": _("计时中"), "overdue": _("已超时")}.get(value, "")


@register.filter
def duration(seconds):
    """Seconds as words: 45 秒, 3 分 05 秒, 1 小时 02 分."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return "—"
    if seconds < 60:
        return _("%(s)d 秒") % {"s": seconds}
    if seconds < 3600:
        return _("%(m)d 分 %(s)02d 秒") % {"m": seconds // 60, "s": seconds % 60}
    return _("%(h)d 小时 %(m)02d 分") % {"h": seconds // 3600, "m": seconds % 3600 // 60}


@register.filter
def percent(value):
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def share(part, whole):
    """part / whole as a percentage with one decimal (Wuhan's breakdown), "—" when there is nothing."""
    try:
        return f"{int(part) * 100 / int(whole):.1f}%"
    except (TypeError, ValueError, ZeroDivisionError):
        return "—"
