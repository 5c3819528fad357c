"""What a user's workbench shows: every app's cards (declared in its plugin.py), in their order."""
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from carecircle.core.plugins import registry


def workbench_for(*, user) -> dict:
    return {"cards": registry.workbench_cards(user), "scope_label": user.scope_label}


def portal_for(*, user, request=None) -> dict:
    """An elder's or family member's own page: the blocks each app contributes, rendered in order."""
    blocks = [mark_safe(render_to_string(block.template_name, block.context, request=request))
              for block in registry.portal_blocks(user)]
    return {"blocks": blocks}
