"""Shows a stored policy value the way an administrator reads it: tables as "key: value" pairs."""
from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


def _scalar(value) -> str:
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return str(value)


@register.filter
def policy_value_display(value) -> str:
    if isinstance(value, dict):
        return " · ".join(f"{key}: {_scalar(item)}" for key, item in value.items())
    if isinstance(value, list):
        return pgettext("list separator", "、").join(_scalar(item) for item in value)
    return _scalar(value)
