"""Shows a stored policy value the way an administrator reads it: tables as "item: value" pairs, in words."""
from django import template
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from carecircle.core.labels import words_for
from carecircle.core.policy import policy_label

register = template.Library()


def _scalar(value) -> str:
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if isinstance(value, str):
        return words_for(value)
    return str(value)


def _display(value) -> str:
    if isinstance(value, dict):
        return pgettext("table separator", "；").join(
            _("%(key)s：%(value)s") % {"key": words_for(key), "value": _display(item)} for key, item in value.items())
    if isinstance(value, list):
        return pgettext("list separator", "、").join(_display(item) for item in value)
    return _scalar(value)


@register.filter
def policy_value_display(value) -> str:
    """A stored value as words: table keys and code values by their labels (core/labels.py)."""
    return _display(value)


@register.filter
def policy_key_label(key) -> str:
    """A policy key as its label (`key[item]` with the item's words)."""
    return policy_label(key)


@register.filter
def code_words(code) -> str:
    """A stored code (an instrument, a category, a qualification…) in words."""
    return words_for(code)
