"""Pages show an elder's birth date or age through elders.disclosure, like the API and the exports."""
from django import template
from django.utils.translation import ngettext

from carecircle.elders.disclosure import identity_shown, shows_birth_date

register = template.Library()


def _reader(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def may_see_birth_date(context) -> bool:
    return shows_birth_date(_reader(context))


@register.simple_tag(takes_context=True)
def birth_or_age(context, elder, with_age: bool = False) -> str:
    """"1940-05-06" (with_age: "1940-05-06（85 岁）") for readers who may see it, else "85 岁"."""
    shown = identity_shown(_reader(context), elder)
    if shown.birth_date is None:
        return ngettext("%(age)d 岁", "%(age)d 岁", shown.age) % {"age": shown.age}
    date = shown.birth_date.isoformat()
    return date + ngettext("（%(age)s 岁）", "（%(age)s 岁）", shown.age) % {"age": shown.age} if with_age else date
