"""Test utilities shared by every app's tests: what a page shows a person must be words, not internals.

`find_internal_tokens(html)` reads the text a person sees on a rendered page (text nodes, and the
`placeholder`, `title`, `aria-label` and `value` of buttons and inputs a person reads; never scripts, styles,
URLs or hidden fields) and returns the pieces that look like the program's insides:

* policy keys and dotted names (`catalog.price.item[gb-cleaning]`, `intake.public_notice.working_days`),
  model labels and action names (`elders.elder`, `intake.accept`);
* code values in snake_case (`registered_nurse`, `gbt42195_2022`, `per_clause`);
* raw setting text (`single＝2`, `fall=2`);
* Python dictionaries and lists (`{'state': …}`, `['a', 'b']`) and object reprs (`<… object at 0x…>`,
  `Decimal('1.00')`, `datetime.date(…)`).

`assert_no_internals(html_or_response, allow=...)` fails with the offending pieces and their surroundings.
`allow` lists strings a page may show on purpose (a user name typed by a person, an ID shown as code).
"""
from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

# Each pattern: (name, regex). Order matters only for the report.
PATTERNS: list[tuple[str, re.Pattern]] = [
    ("policy key", re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+\[[^\]\s]*\]")),
    ("dotted key", re.compile(r"(?<![\w./@-])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){2,}(?![\w./@-])")),
    # "elders.elder", "intake.accept": a model label or an action name (three letters or more on each side,
    # so "e.g." is prose).
    ("model or action name", re.compile(r"(?<![\w./@-])[a-z]{3,}\.[a-z][a-z0-9_]{2,}(?![\w./@-])")),
    ("python dict", re.compile(r"\{\s*['\"][^'\"]*['\"]\s*:")),
    ("python list", re.compile(r"\[\s*'[^']*'\s*(?:,|\])")),
    ("object repr", re.compile(r"object at 0x[0-9a-f]+|<bound method|\bDecimal\('|\bdatetime\.(?:date|datetime)\(")),
    # "fall=2", "single＝…": a code glued to its value (English prose may say "a = b" with spaces).
    ("setting text", re.compile(r"\b[a-z][a-z0-9_]*(?:=|\s*＝\s*)[\w\-.]")),
    ("snake_case code", re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")),
]

# Host names and file names look like dotted keys but are meant to be read.
_HOSTLIKE = re.compile(r"\.(?:com|cn|org|net|gov|edu|io|csv|pdf|xlsx|json|html|png|jpg|txt|py|local)$")

_VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
# Scripts and styles are not read; a textarea holds what a person is editing (a policy table is typed as JSON).
_SKIPPED_ELEMENTS = {"script", "style", "template", "noscript", "textarea"}


# Elements that never have an end tag: they cannot open a quotation.
_VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

# Elements whose end tag may be left out: the next one of the same kind ends them.
_IMPLIED_END = {"li", "p", "td", "th", "tr", "option", "dt", "dd"}


class _VisibleText(HTMLParser):
    def __init__(self, *, without_lang: str = ""):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        # Text marked as another language (`<cite lang="zh-Hans">` around a document's title as published) is a
        # quotation: when `without_lang` names that language, the text inside is left out.
        self._without_lang = without_lang
        self._open: list[str] = []
        self._quote_at: int | None = None

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth += 1
            return
        attributes = dict(attrs)
        if tag in _IMPLIED_END and tag in self._open:
            self.handle_endtag(tag)  # a new <li> ends the one before it
        if tag not in _VOID_ELEMENTS:
            self._open.append(tag)
            lang = (attributes.get("lang") or "").lower()
            if self._without_lang and self._quote_at is None and lang.startswith(self._without_lang):
                self._quote_at = len(self._open)
        if self._quote_at is not None:
            return
        for name in _VISIBLE_ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(attributes[name])
        kind = (attributes.get("type") or "").lower()
        if tag == "input" and kind in {"submit", "button"} and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_startendtag(self, tag, attrs):
        if tag not in _SKIPPED_ELEMENTS:
            self.handle_starttag(tag, attrs)
            if tag in _SKIPPED_ELEMENTS:
                self._skip_depth -= 1

    def handle_endtag(self, tag):
        if tag in _SKIPPED_ELEMENTS and self._skip_depth:
            self._skip_depth -= 1
            return
        if tag in self._open:
            # Close up to the matching tag (browsers forgive a missing end tag; so does this).
            while self._open:
                closed = self._open.pop()
                if self._quote_at is not None and len(self._open) < self._quote_at:
                    self._quote_at = None
                if closed == tag:
                    break

    def handle_data(self, data):
        if not self._skip_depth and self._quote_at is None and data.strip():
            self.parts.append(data)


def visible_text(html: str, *, without_lang: str = "") -> str:
    """The text a person reads on the page, one piece per line; `without_lang="zh"` leaves out the text marked
    as Chinese (quotations such as a regulation's title or a standard's own wording)."""
    parser = _VisibleText(without_lang=without_lang)
    parser.feed(html)
    parser.close()
    return "\n".join(part.strip() for part in parser.parts)


def find_internal_tokens(html, *, allow=()) -> list[tuple[str, str, str]]:
    """[(kind, token, context)] for every piece of visible text that looks like a key, code or dict."""
    if not isinstance(html, str):
        html = html.content.decode() if hasattr(html, "content") else str(html)
    allowed = {str(a) for a in allow if a}
    found = []
    for line in visible_text(html).splitlines():
        cleaned = line
        for item in sorted(allowed, key=len, reverse=True):
            cleaned = cleaned.replace(item, " ")
        for kind, pattern in PATTERNS:
            for match in pattern.finditer(cleaned):
                token = match.group(0)
                if kind in {"dotted key", "model or action name"} and _HOSTLIKE.search(token):
                    continue
                start = max(match.start() - 30, 0)
                found.append((kind, token, cleaned[start:match.end() + 30]))
    return found


def assert_no_internals(html, *, allow=(), where: str = "") -> None:
    """Fail when the page shows a policy key, a code, raw setting text or a Python structure."""
    found = find_internal_tokens(html, allow=allow)
    if found:
        lines = "\n".join(f"  {kind}: {token!r} in …{context}…" for kind, token, context in found[:20])
        raise AssertionError(f"the page {where} shows internals to a person:\n{lines}")


class OneRequestAtATime:
    """Test settings on SQLite only: the browser tests' live server shares the in-memory test database's one
    connection between its request threads, and two requests at once (a page and the fetch it starts) can
    deadlock inside sqlite3. The live server answers them one after the other instead. Requests of Django's test
    client (server name "testserver") pass as they are: the race tests send them at once on purpose, each thread
    with its own connection to a file copy of the database."""

    _lock = threading.Lock()

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("SERVER_NAME") == "testserver":
            return self.get_response(request)
        with self._lock:
            return self.get_response(request)
