"""Request bodies of the API: JSON documents must be objects.

Every operation of the API takes an object (`{"field": value, ...}`), as its OpenAPI schema says. A body that
is valid JSON but a list, a string, a number or null would reach views and serializers that read it as a
mapping (`request.data.get(...)`) and fail there with a server error; it is refused here instead, for every
endpoint at once, with a 400 in the reader's language.
"""
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("请求体应为一个 JSON 对象（{…}），而不是列表、字符串、数字或 null。"))
        return data
