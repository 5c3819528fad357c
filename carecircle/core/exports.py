"""What every export shares: one writer that neutralises spreadsheet formulas, and one audit record of who
took which rows out of the platform, with which filters.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by spreadsheet programs as a
formula (`=HYPERLINK(...)` in an elder's name becomes a link that sends data away when clicked), so such
text is written with a leading apostrophe. Numbers, including negative amounts, are left as they are.
"""
from __future__ import annotations

import csv
import re

from . import audit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
# Filter values that look like an ID or phone number are kept masked in the trail as everywhere else.
_LONG_DIGITS = re.compile(r"\d{7,}[\dXx]*")
_NOT_FILTERS = {"page", "page_size", "csrfmiddlewaretoken"}


def neutralise(value):
    """The value as a spreadsheet shows it as text, never as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_row(row) -> list:
    return [neutralise(value) for value in row]


class SafeCsvWriter:
    """csv.writer whose rows are neutralised; `writerow` returns what it wrote (for streaming)."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def append_xlsx_row(sheet, row) -> None:
    """openpyxl's sheet.append with every text cell neutralised."""
    sheet.append(safe_row(row))


def _masked(value: str) -> str:
    return _LONG_DIGITS.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 5) + m.group(0)[-2:], value)


def filters_of(request) -> dict:
    """The query a list was narrowed with, as recorded: paging left out, long numbers masked."""
    if request is None:
        return {}
    result = {}
    for key in sorted(request.GET.keys()):
        if key in _NOT_FILTERS:
            continue
        values = [_masked(v)[:200] for v in request.GET.getlist(key) if v != ""]
        if values:
            result[key[:50]] = values[0] if len(values) == 1 else values
    return result


def record_export(*, actor, what: str, rows: int, fmt: str, request=None, filters: dict | None = None,
                  subject=None, columns: list | None = None):
    """The audit event of one export. `what` names the data (e.g. the model label), `fmt` csv/xlsx/pdf/print."""
    changes = {"what": what, "format": fmt, "rows": int(rows),
               "filters": filters if filters is not None else filters_of(request)}
    if columns:
        changes["columns"] = [str(c) for c in columns]
    if request is not None:
        changes["path"] = request.path[:200]
    if subject is not None:
        return audit.record(actor=actor, action="export", subject=subject, changes=changes)
    return audit.record(actor=actor, action="export", subject_type=what, subject_repr=what, changes=changes)

