"""Intake's stored codes in the reader's language (see intake/texts.py)."""
from django import template

from carecircle.intake import texts

register = template.Library()


@register.filter
def event_reason(event) -> str:
    return texts.event_reason(event)


@register.filter
def notice_result(notice) -> str:
    return texts.notice_result(notice)
