"""Text quoted as it was published (a regulation's title, a standard's own wording) keeps its language, and the
page says so: `<small{{ source|written_lang }}>` marks Chinese text with `lang="zh-Hans"` on every page, so that
screen readers read it as Chinese and an English page shows it as a quotation, not as a missing translation."""
import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@register.filter
def written_lang(text) -> str:
    return mark_safe(' lang="zh-Hans"') if _HAN.search(str(text or "")) else ""
