"""Input limits shared by every model, form, serializer and service: names and lists of short texts.

* **Names** of people and organisations (an elder, a contact, a staff member, an organisation or facility,
  an objector, an applicant) may not hold characters that are invisible or change how the text around them
  is shown: bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), zero-width and direction
  marks (U+200B–U+200F, U+2060–U+2064, U+FEFF, U+061C), any other Unicode "format" character, control
  characters and line breaks. Such a name looks like another on a page, in a spreadsheet and in a printed
  notice ("张三" and "张\u200b三" are two records that read the same; U+202E turns the rest of a line round).
* **Lists of short texts** (an elder's chronic conditions, documents received, diagnoses) have an explicit
  number of entries and a length per entry; the API's schema shows both (maxItems, maxLength).

Services call `clean_name` / `clean_text_list`; the API declares its fields with `NameField` /
`TextListField`, pages with `NameFormField`. docs/security.md ("Robustness") lists the limits.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

# Any list the API takes (visits of a week, service lines, …): at most this many entries.
LIST_MAX_ITEMS = 50
# Lists of short texts (chronic conditions, documents, diagnoses): at most this many entries of this length.
TEXT_LIST_MAX_ITEMS = LIST_MAX_ITEMS
TEXT_LIST_ITEM_MAX_LENGTH = 100

# Named here (besides the general rule on format and control characters) so that the rule is readable.
BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C])
ZERO_WIDTH = frozenset(chr(c) for c in [*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF])


def hidden_characters(value: str) -> list[str]:
    """The characters of `value` that are invisible or steer the text direction (as U+XXXX codes)."""
    found = []
    for char in value:
        if char in BIDI_CONTROLS or char in ZERO_WIDTH or unicodedata.category(char) in {"Cf", "Cc", "Zl", "Zp"}:
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


def validate_name(value) -> None:
    """Refuses a name holding invisible or direction-changing characters (see the module docstring)."""
    if value is None:
        return
    hidden = hidden_characters(str(value))
    if hidden:
        raise ValidationError(
            _("名称中含有看不见的字符或改变文字方向的控制符（%(codes)s），请删除后重新输入；"
              "从其他文件复制的文字常带有这类字符。") % {"codes": "、".join(hidden[:5])},
            code="hidden_characters")


def clean_name(value, *, field: str, label: str, max_length: int, errors: dict, required: bool = True) -> str:
    """A service's check of one name: stripped, required, at most `max_length` characters, nothing hidden.
    Adds the problem to `errors[field]` (a list) and returns the stripped value."""
    text = str(value or "").strip()
    problem = None
    if not text:
        problem = _("请填写%(label)s") % {"label": label} if required else None
    elif len(text) > max_length:
        problem = _("%(label)s不能超过 %(n)s 个字") % {"label": label, "n": max_length}
    else:
        try:
            validate_name(text)
        except ValidationError as exc:
            problem = exc.messages[0]
    if problem:
        errors.setdefault(field, []).append(problem)
    return text


def validate_text_list(value, *, max_items: int = TEXT_LIST_MAX_ITEMS,
                       max_length: int = TEXT_LIST_ITEM_MAX_LENGTH) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("请填写为文字列表"), code="not_a_list")
    if len(value) > max_items:
        raise ValidationError(_("最多填写 %(n)s 项，现有 %(count)s 项") % {"n": max_items, "count": len(value)},
                              code="too_many")
    for item in value:
        if len(item) > max_length:
            raise ValidationError(_("每项不能超过 %(n)s 个字：“%(start)s…”有 %(count)s 个字")
                                  % {"n": max_length, "start": item[:10], "count": len(item)}, code="too_long")
        hidden = hidden_characters(item)
        if hidden:
            raise ValidationError(_("“%(start)s”中含有看不见的字符或改变文字方向的控制符（%(codes)s），请删除后重新输入")
                                  % {"start": item[:10], "codes": "、".join(hidden[:5])}, code="hidden_characters")


def clean_text_list(value, *, field: str, errors: dict, max_items: int = TEXT_LIST_MAX_ITEMS,
                    max_length: int = TEXT_LIST_ITEM_MAX_LENGTH) -> list[str]:
    """A service's check of a list of short texts; the stripped, non-empty entries (or [] with the problem in
    `errors[field]`)."""
    if isinstance(value, list):
        value = [item.strip() if isinstance(item, str) else item for item in value]
        value = [item for item in value if item != ""]
    try:
        validate_text_list(value, max_items=max_items, max_length=max_length)
    except ValidationError as exc:
        errors.setdefault(field, []).append(exc.messages[0])
        return []
    return value


# --- declarations for the API and the pages ------------------------------------------------------------

class NameField(serializers.CharField):
    """A person's or an organisation's name in the API: length from the model, hidden characters refused."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_name)


def TextListField(*, max_items: int = TEXT_LIST_MAX_ITEMS, max_length: int = TEXT_LIST_ITEM_MAX_LENGTH,
                  **kwargs) -> serializers.ListField:
    """A list of short texts in the API; the schema shows maxItems and each entry's maxLength."""
    def check(value):
        validate_text_list(value, max_items=max_items, max_length=max_length)

    return serializers.ListField(child=serializers.CharField(max_length=max_length), max_length=max_items,
                                 validators=[check], **kwargs)


def IdField(**kwargs) -> serializers.IntegerField:
    """A record id in an API request body: 1 … 2^63 − 1 (a larger number would make the database driver fail)."""
    from .params import MAX_ID

    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def ListOf(child: serializers.Field, *, max_items: int = LIST_MAX_ITEMS, **kwargs) -> serializers.ListField:
    """A list of objects in an API request (visits, service lines): at most `max_items`, shown as maxItems."""
    return serializers.ListField(child=child, max_length=max_items, **kwargs)


class NameFormField(forms.CharField):
    default_validators = [validate_name]


# --- months ---------------------------------------------------------------------------------------------------

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
MONTH_YEARS = (2000, 2100)  # a month outside these years is a typing mistake, not a month anyone settles or pays


def month_message() -> str:
    return _("月份须为 YYYY-MM 格式，如 2026-12")


def parse_month(value, *, field: str = "month") -> dt.date:
    """"2026-11" (or any date in it) → 1 November 2026; anything else a ValidationError on `field` in the
    reader's language. The one reading of a month for every form, API parameter, command and service."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        month = value.replace(day=1)
    else:
        # Full-width digits and dash (typed with a Chinese input method) read as the ASCII ones.
        match = _MONTH.fullmatch(unicodedata.normalize("NFKC", str(value if value is not None else "")).strip())
        try:
            month = dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None
        except ValueError:
            month = None
    if month is None or not MONTH_YEARS[0] <= month.year <= MONTH_YEARS[1]:
        raise ValidationError({field: [month_message()]})
    return month


def month_or_none(value) -> dt.date | None:
    """A list filter's month: None when blank or not a month (the list is then not narrowed by month)."""
    if not value:
        return None
    try:
        return parse_month(value)
    except ValidationError:
        return None


class MonthField(forms.CharField):
    """A month typed as YYYY-MM; cleaned to its first day, and shown as YYYY-MM (a month input's format)."""

    def prepare_value(self, value):
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValidationError:
            raise ValidationError(month_message(), code="invalid") from None
