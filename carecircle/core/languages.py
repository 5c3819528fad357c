"""Sentences the platform writes once and people read later, in whichever language they read.

A sentence built from a message and its values at the moment of a change ("照护等级由 2 级变为 3 级……") cannot be
translated afterwards: the values are gone. `in_every_language` builds it once per language the site speaks and
keeps all of them; `for_reader` picks the reader's, or the first one written when the reader's language came later.
Names and text people typed stay as they were written, in every version.
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation


def in_every_language(build: Callable[[], str]) -> dict[str, str]:
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(build())
    return texts


def for_reader(texts, fallback: str = "") -> str:
    if not isinstance(texts, dict) or not texts:
        return fallback
    language = (translation.get_language() or settings.LANGUAGE_CODE).lower()
    for code, text in texts.items():
        if code.lower() == language:
            return text
    primary = language.split("-")[0]
    for code, text in texts.items():
        if code.lower().split("-")[0] == primary:
            return text
    return fallback or next(iter(texts.values()))
