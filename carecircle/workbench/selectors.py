"""What a user's workbench shows: every app's queues and cards (declared in its plugin.py), in their order, and
the district's monthly trends."""
import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from carecircle.core.plugins import registry

TREND_MONTHS = 12


def workbench_for(*, user) -> dict:
    """Queues (what waits for the user, overdue first) lead; the plain counters follow."""
    everything = registry.workbench_cards(user)
    queues = [card for card in everything if getattr(card, "is_queue", False)]
    cards = [card for card in everything if not getattr(card, "is_queue", False)]
    return {"queues": queues, "cards": cards, "scope_label": user.scope_label}


def trend_months(*, today: dt.date | None = None, months: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the last `months` months, oldest first, this month last."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    firsts = []
    for _ in range(months):
        firsts.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return firsts[::-1]


def trends_for(*, user, today: dt.date | None = None) -> dict:
    """The district's trend chart: one series per app that declares trends, counted within the user's scope."""
    months = trend_months(today=today)
    return {"months": [month.strftime("%Y-%m") for month in months],
            "series": [{"key": series.key, "label": str(series.label), "values": list(series.values)}
                       for series in registry.trends(user, months)]}


def portal_for(*, user, request=None) -> dict:
    """An elder's or family member's own page: the blocks each app contributes, rendered in order."""
    blocks = [mark_safe(render_to_string(block.template_name, block.context, request=request))
              for block in registry.portal_blocks(user)]
    return {"blocks": blocks}
