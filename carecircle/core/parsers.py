"""The API's JSON parser: bounded body size and nesting depth, checked before anything is decoded.

Python's decoder recurses once per `[` or `{`: a body of 100,000 nested brackets exhausts the interpreter's
stack (RecursionError, an error page instead of an answer), and a body of any size would be read into memory
whole. This parser, the API's default (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]), refuses

* a body longer than CARECIRCLE_API_MAX_JSON_BYTES (default 1 MiB) → 413, without reading past the limit;
* brackets nested deeper than CARECIRCLE_API_MAX_JSON_DEPTH (default 32; the deepest body the API takes is a
  GeoJSON multipolygon inside an object, depth 6) → 400, counted on the raw text without recursion;
* text that is not UTF-8 or not JSON → 400 (DRF's ParseError),
* a JSON document that is not an object (a list, a string, a number, null) → 400: every operation of the API
  takes an object, as its schema says, and views read the body as a mapping,

each with a sentence in the reader's language. Brackets inside strings are not counted.
"""
from __future__ import annotations

import io
import re
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 32

# A JSON string (with its escapes): its brackets are text, not structure. The closing quote is optional so
# that an unterminated string ends the scan instead of being retried from every later quote (linear time).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class RequestBodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def max_bytes() -> int:
    return int(getattr(settings, "CARECIRCLE_API_MAX_JSON_BYTES", DEFAULT_MAX_BYTES))


def max_depth() -> int:
    return int(getattr(settings, "CARECIRCLE_API_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH))


def nesting_depth(body: bytes) -> int:
    """How deep `[` and `{` nest in a JSON text, without decoding it (linear time, no recursion)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    return max(0, max(accumulate(_STEP[b] for b in brackets)))


def read_bounded(stream, limit: int) -> bytes:
    """At most `limit` bytes of `stream`; RequestBodyTooLarge when there are more."""
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise RequestBodyTooLarge(
            _("请求内容过大：超过 %(kb)s KB 的上限。请分批提交，或减少内容后重试。") % {"kb": limit // 1024})
    return body


def check_depth(body: bytes, limit: int) -> None:
    if nesting_depth(body) > limit:
        raise exceptions.ParseError(
            _("请求内容的括号嵌套超过 %(limit)s 层，无法处理。请检查提交的 JSON 数据。") % {"limit": limit})


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        request = parser_context.get("request")
        limit = max_bytes()
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise RequestBodyTooLarge(
                _("请求内容过大：超过 %(kb)s KB 的上限。请分批提交，或减少内容后重试。") % {"kb": limit // 1024})
        body = read_bounded(stream, limit)
        check_depth(body, max_depth())
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("请求体应为一个 JSON 对象（{…}），而不是列表、字符串、数字或 null。"))
        return data
