"""Reads for plans, orders and absences. Every function takes the acting user and starts
from visible_to."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.core.params import MAX_ID, parse_id, parse_int

from .models import (
    CarePlan,
    ElderAbsence,
    OfferOutcome,
    OrderOffer,
    OrderStatus,
    PlanChange,
    PlanStatus,
    ServiceOrder,
)


def _search_elder(queryset, q: str):
    """The rows whose elder the registry's own search finds for `q` (name, pinyin, initials, ID, phone)."""
    from carecircle.elders.selectors import elders_matching

    return queryset.filter(elder__in=elders_matching(q)) if (q or "").strip() else queryset


def plan_list(user, *, q: str = "", status: str = "", organisation_id: str = "", level: str = ""):
    qs = visible_to(user, CarePlan).select_related("elder__community", "organisation")
    qs = _search_elder(qs, q)
    if status in PlanStatus.values:
        qs = qs.filter(status=status)
    organisation_id = parse_id(organisation_id, name="organisation")
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    level = parse_int(level, name="level", minimum=0, maximum=MAX_ID)
    if level is not None:
        qs = qs.filter(care_level=level)
    return qs.order_by("elder__name", "-valid_from", "id")


def plan_detail_queryset(user):
    return visible_to(user, CarePlan).select_related("elder__community", "organisation", "preferred_caregiver",
                                                     "replaces")


def plan_visits(plan):
    return plan.visits.prefetch_related("lines__item").order_by("weekday", "window_start", "id")


def plan_changes(user, *, plan=None, elder=None):
    qs = visible_to(user, PlanChange).select_related("plan__organisation", "plan__elder")
    if plan is not None:
        qs = qs.filter(plan=plan)
    if elder is not None:
        qs = qs.filter(plan__elder=elder)
    return qs.order_by("-created_at", "-id")


def active_plan(user, elder, programme: str = "ltci"):
    return (visible_to(user, CarePlan).filter(elder=elder, programme=programme, status=PlanStatus.ACTIVE)
            .select_related("organisation").first())


def order_list(user, *, q: str = "", status: str = "", service_date: dt.date | None = None):
    qs = visible_to(user, ServiceOrder).select_related("elder__community", "organisation")
    qs = _search_elder(qs, q)
    if status in OrderStatus.values:
        qs = qs.filter(status=status)
    if service_date is not None:
        qs = qs.filter(service_date=service_date)
    return qs.order_by("-created_at", "-id")


def provider_inbox(user):
    """Offers waiting for the user's organisation to answer, the most urgent first."""
    return (visible_to(user, OrderOffer).filter(outcome=OfferOutcome.PENDING, order__status=OrderStatus.OFFERED)
            .select_related("order__elder__community").order_by("deadline", "id"))


def order_offers(user, order):
    return visible_to(user, OrderOffer).filter(order=order).select_related("organisation").order_by("offered_at", "id")


def absence_list(user, *, elder=None, current_only: bool = False):
    qs = visible_to(user, ElderAbsence).select_related("elder")
    if elder is not None:
        qs = qs.filter(elder=elder)
    if current_only:
        qs = qs.filter(cancelled=False, ends_on__gte=timezone.localdate())
    return qs.order_by("-starts_on", "-id")


def elders_awaiting_plan(user, *, on: dt.date | None = None, limit: int = 20):
    """Elders the user may see who hold an LTCI level of 2 or more in force and have no active plan yet."""
    from carecircle.assessment.models import CareLevel
    from carecircle.elders.models import Elder

    on = on or timezone.localdate()
    levelled = (CareLevel.objects.filter(programme="ltci", level__gte=2, valid_from__lte=on)
                .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on)).values("elder_id"))
    planned = CarePlan.objects.filter(status=PlanStatus.ACTIVE).values("elder_id")
    return (visible_to(user, Elder).filter(pk__in=levelled, status="active").exclude(pk__in=planned)
            .select_related("community").order_by("name", "id")[:limit])


def elders_to_order_for(user, q: str, limit: int = 20):
    """The elders an operator or community worker may order for, found by the registry's own search."""
    from carecircle.elders.selectors import elder_search

    q = (q or "").strip()
    if not q:
        return []
    return list(elder_search(user, q)[:limit])
