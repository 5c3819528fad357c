"""Codes in words: the one place a page turns a stored code into the reader's language.

A policy table is keyed by codes (application types, economic categories, qualifications, service items), a
setting names its choice by a code, an instrument has a code. Each app declares how its codes read in its
`plugin.py` (`AppPlugin(labels=[...])`: TextChoices classes, mappings, or functions code → label or None);
`code_label(code)` asks them in turn. The kernel adds the words every table uses ("default", "start", …).
Nothing here imports a domain app.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Keys and values the kernel's own tables and settings use, whatever the app.
COMMON = {
    "default": _("其他（默认）"),
    "others": _("其他"),
    "first": _("第一档"),
    "second": _("第二档"),
    "start": _("开始"),
    "end": _("结束"),
    "key": _("关键项"),
    "priority": _("优先类别"),
    "level": _("评估等级"),
    "applied": _("申请日期"),
    "warn": pgettext_lazy("setting value", "提示"),
    "block": pgettext_lazy("setting value", "阻止"),
    "single": _("多条同时满足只提高一级"),
    "per_clause": _("每条各提高一级"),
    "sum": _("各类事件合计"),
    "per_kind": _("同一类事件达到次数"),
    "general": _("一般老人"),
    "hardship": _("困难老人"),
    "age_60_79": _("60–79 周岁"),
    "age_80_plus": _("80 周岁及以上"),
    "alone_80_plus_hardship": _("80 周岁及以上独居困难老人"),
    "basic_service_targets": _("基本养老服务对象"),
    "care_subsidy": _("养老服务补贴"),
    "new_estate": _("新建小区"),
    "old_estate": _("老旧小区"),
}


def _sources():
    from .plugins import registry

    for plugin in registry:
        yield from plugin.labels


def code_label(code, *, default=None) -> str | None:
    """The words for a code, in the reader's language; `default` when no app knows it."""
    if code is None:
        return default
    text = str(code)
    for source in _sources():
        label = None
        if callable(source) and not hasattr(source, "choices"):
            label = source(text)
        else:
            mapping = dict(source.choices) if hasattr(source, "choices") else source
            label = mapping.get(text)
        if label:
            return str(label)
    if text in COMMON:
        return str(COMMON[text])
    return default


def looks_like_code(text: str) -> bool:
    """True for identifiers a person should not be shown (snake_case, dotted or hyphenated lower-case codes)."""
    import re

    return bool(re.fullmatch(r"[a-z][a-z0-9]*(?:[._\-][a-z0-9]+)+", str(text)))


def words_for(code) -> str:
    """A code in words; a value that is already words (names, numbers, Chinese text) stays as it is; an unknown
    code reads as "(unnamed item)" rather than itself."""
    label = code_label(code)
    if label is not None:
        return label
    if looks_like_code(code):
        return str(_("（未命名项）"))
    return str(code)
