from django import template

from carecircle.core.roles import has_capability

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """{% if request.user|can:"billing.simulate" %}: the user's role grants the capability."""
    return has_capability(user, capability)
