"""Reads of work orders. Every function takes the acting user and starts from visible_to."""
from __future__ import annotations

import datetime as dt

from carecircle.core.isolation import visible_to
from carecircle.core.params import parse_id
from carecircle.elders.selectors import elders_matching

from .models import WorkOrder, WorkOrderRun, WorkOrderSource, WorkOrderStatus


def work_order_list(user, *, date: dt.date | None = None, status: str = "", q: str = "", organisation_id: str = "",
                    source: str = ""):
    qs = visible_to(user, WorkOrder).select_related("elder__community", "organisation", "caregiver",
                                                    "preferred_caregiver")
    if date is not None:
        qs = qs.filter(date=date)
    if status in WorkOrderStatus.values:
        qs = qs.filter(status=status)
    if source in WorkOrderSource.values:
        qs = qs.filter(source=source)
    organisation_id = parse_id(organisation_id, name="organisation")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if (q or "").strip():
        qs = qs.filter(elder__in=elders_matching(q))
    return qs.order_by("date", "window_start", "elder__name", "id")


def last_runs(user, limit: int = 5):
    return visible_to(user, WorkOrderRun).select_related("organisation")[:limit]
