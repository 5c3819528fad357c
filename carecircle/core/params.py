"""Whole numbers read from a query string: record ids, page numbers, page sizes.

One rule for every page and every API: a value that is not a whole number, or lies outside the range the
database can hold (ids are 64-bit: 1 … 2^63 − 1), is refused with 400 and a sentence in the reader's language
before it reaches a query. Passed on, such a number makes the database driver fail (an error page instead of
an answer). Blank means "not given".

Raise sites: the selectors and views that read an id or a number from `request.GET` / `query_params` call
`parse_id` / `query_id` / `query_int`; the API's page and page size go through `core.pagination.Pagination`,
the pages' through `core.views.ScopedListView`. `InvalidParameter` is a `BadRequest`: Django answers it with
the 400 page (`templates/400.html`), the API with `{"<parameter>": ["…"]}` (`core.errors`).
"""
from __future__ import annotations

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

MAX_ID = 2**63 - 1  # the largest value of a 64-bit signed integer, the type of every primary key
_SHOWN = 24  # characters of a refused value repeated in the message


class InvalidParameter(BadRequest):
    """A query parameter that cannot be used; `name` is the parameter, `message` says what is wrong."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def _shown(raw: str) -> str:
    return raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "…"


def parse_int(raw, *, name: str, minimum: int, maximum: int) -> int | None:
    """`raw` as an int within [minimum, maximum]; None when blank; InvalidParameter otherwise."""
    if raw is None:
        return None
    text = str(raw).strip()
    if text == "":
        return None
    digits = text[1:] if text[:1] in "+-" else text
    # ASCII digits only: str.isdigit() also accepts "²" and other characters int() refuses.
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 40:
        raise InvalidParameter(name, _("“%(value)s”不是整数，请检查链接或查询条件") % {"value": _shown(text)})
    value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidParameter(name, _("“%(value)s”超出允许的范围（%(minimum)s 至 %(maximum)s），请检查链接或查询条件")
                               % {"value": _shown(text), "minimum": minimum, "maximum": maximum})
    return value


def parse_id(raw, *, name: str) -> int | None:
    """A record id from a query string (1 … 2^63 − 1); None when blank."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    try:
        return parse_int(text, name=name, minimum=1, maximum=MAX_ID)
    except InvalidParameter:
        raise InvalidParameter(name, _("编号“%(value)s”无效，请检查链接或查询条件")
                               % {"value": _shown(text)}) from None


def query_id(params, name: str) -> int | None:
    """`params[name]` (a QueryDict or dict) as a record id; None when absent or blank."""
    return parse_id(params.get(name), name=name)


def query_int(params, name: str, *, minimum: int = 1, maximum: int = MAX_ID, default: int | None = None) -> int | None:
    value = parse_int(params.get(name), name=name, minimum=minimum, maximum=maximum)
    return default if value is None else value
