"""Reads of the catalogue, prices and entitlements. Lists take the acting user and go through visible_to."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from carecircle.core.isolation import visible_to
from carecircle.engines.funding import LevelPolicy, compute_entitlement

from . import pricing
from .models import ContractPrice, ServiceItem, ServicePackage
from .pricing import read as read_policy  # noqa: F401  (other apps read the funding policy as the quote does)
from .rules import describe, describe_record, percent, rule_record  # noqa: F401  (the rule sentences, for settlement)

LTCI = "ltci"


# ---------------------------------------------------------------------------------------------- catalogue

def programme_tag_q(tag: str) -> Q:
    """Rows whose comma-separated `programme` holds exactly this tag."""
    return (Q(programme=tag) | Q(programme__startswith=f"{tag},") | Q(programme__endswith=f",{tag}")
            | Q(programme__contains=f",{tag},"))


def service_items(user, *, q: str = "", category: str = "", help_kind: str = "", programme: str = "",
                  active: str = "1"):
    """The catalogue as `user` may read it, searched and filtered (active="1" active only, "0" inactive, "" all)."""
    queryset = visible_to(user, ServiceItem)
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q))
    if category:
        queryset = queryset.filter(category=category)
    if help_kind:
        queryset = queryset.filter(help_kind=help_kind)
    if programme:
        queryset = queryset.filter(programme_tag_q(programme))
    if active in {"0", "1"}:
        queryset = queryset.filter(is_active=active == "1")
    return queryset


def service_packages(user, *, q: str = "", active: str = "1"):
    queryset = visible_to(user, ServicePackage).prefetch_related("lines__item")
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q))
    if active in {"0", "1"}:
        queryset = queryset.filter(is_active=active == "1")
    return queryset


def contract_prices(user, *, organisation_id: int | None = None, item_code: str = "", on: dt.date | None = None):
    queryset = visible_to(user, ContractPrice).select_related("organisation", "item", "contract")
    if organisation_id:
        queryset = queryset.filter(organisation_id=organisation_id)
    if item_code:
        queryset = queryset.filter(item__code=item_code)
    if on:
        queryset = queryset.filter(effective_from__lte=on).filter(
            Q(effective_until__isnull=True) | Q(effective_until__gte=on))
    return queryset


def contract_price_in_force(*, organisation, item, on: dt.date) -> ContractPrice | None:
    """Internal lookup (no user): the newest contract price of this provider for this item on `on`."""
    return (ContractPrice.objects.filter(organisation=organisation, item=item, effective_from__lte=on)
            .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=on))
            .order_by("-effective_from", "-created_at", "-id").first())


# ---------------------------------------------------------------------------------------------- entitlement

@dataclass
class Entitlement:
    """What an elder's care level entitles them to on a date (LTCI home care), with the rules behind it."""

    programme: str
    on: dt.date
    care_level: int
    visits_per_week: int
    minutes_per_visit: int
    weekly_minutes_cap: int
    continuity_bonus_minutes_per_month: int
    continuity_bonus_cash_per_month: Decimal
    continuity_tier: str
    continuous_since: dt.date | None
    level_valid_from: dt.date | None
    level_valid_until: dt.date | None
    rules: list[str] = field(default_factory=list)


def _care_level(elder, *, programme: str, on: dt.date):
    if not apps.is_installed("carecircle.assessment"):
        return None
    from carecircle.assessment.selectors import current_care_level

    return current_care_level(elder, programme=programme, on=on)


def _continuous_since(elder, current, *, programme: str, bonus_levels) -> dt.date | None:
    """First day of unbroken care at a bonus level, following earlier level records back without a gap."""
    from carecircle.assessment.models import CareLevel

    if current.level not in bonus_levels:
        return None
    since = current.valid_from
    earlier = list(CareLevel.objects.filter(elder=elder, programme=programme, valid_from__lt=since)
                   .exclude(pk=current.pk).order_by("-valid_from", "-id"))
    for record in earlier:
        if record.level not in bonus_levels:
            break
        if record.valid_until is not None and record.valid_until < since - dt.timedelta(days=1):
            break  # a gap: the continuity starts again
        since = record.valid_from
    return since


def level_policy(*, region, on: dt.date) -> LevelPolicy:
    def value(key):
        return pricing.read(key, region=region, on=on).value

    return LevelPolicy(
        eligible_levels=tuple(value("ltci.eligible_levels")),
        visits_per_week=value("ltci.home.visits_per_week"),
        hours_per_visit=Decimal(str(value("ltci.home.hours_per_visit"))),
        weekly_hours_cap=value("ltci.home.weekly_hours_cap"),
        bonus_levels=tuple(value("ltci.home.continuity_bonus.levels")),
        bonus_first_tier_months=value("ltci.home.continuity_bonus.first_tier_months"),
        bonus_hours_per_month=value("ltci.home.continuity_bonus.hours_per_month"),
        bonus_cash_per_month=value("ltci.home.continuity_bonus.cash_per_month"),
    )


def entitlement_for(elder, *, programme: str = LTCI, on: dt.date | None = None) -> Entitlement | None:
    """The LTCI home-care entitlement in force on `on` (internal lookup, no user), or None when the elder
    has no level in force, the level is not eligible, or the elder is no longer an active record."""
    on = on or timezone.localdate()
    if programme != LTCI or elder.status != "active":
        return None
    current = _care_level(elder, programme=programme, on=on)
    if current is None:
        return None
    policy = level_policy(region=elder.community, on=on)
    since = _continuous_since(elder, current, programme=programme, bonus_levels=policy.bonus_levels)
    result = compute_entitlement(current.level, policy, on=on, continuous_since=since)
    if result is None:
        return None
    return Entitlement(
        programme=programme, on=on, care_level=result.care_level, visits_per_week=result.visits_per_week,
        minutes_per_visit=result.minutes_per_visit, weekly_minutes_cap=result.weekly_minutes_cap,
        continuity_bonus_minutes_per_month=result.continuity_bonus_minutes_per_month,
        continuity_bonus_cash_per_month=result.continuity_bonus_cash_per_month,
        continuity_tier=result.continuity_tier, continuous_since=since,
        level_valid_from=current.valid_from, level_valid_until=current.valid_until,
        rules=[describe(rule) for rule in result.rules],
    )


@dataclass
class EntitlementSegment:
    start: dt.date
    end: dt.date
    entitlement: Entitlement | None


def entitlement_segments(elder, *, start: dt.date, end: dt.date, programme: str = LTCI) -> list[EntitlementSegment]:
    """The entitlement over a period (a month for settlement, a week for a plan), split where the care level
    changes: each segment carries the entitlement in force on its first day (None where there is none)."""
    if end < start:
        raise ValueError("end before start")
    boundaries = {start}
    if apps.is_installed("carecircle.assessment"):
        from carecircle.assessment.models import CareLevel

        for valid_from, valid_until in CareLevel.objects.filter(elder=elder, programme=programme).values_list(
                "valid_from", "valid_until"):
            if start < valid_from <= end:
                boundaries.add(valid_from)
            if valid_until is not None and start <= valid_until < end:
                boundaries.add(valid_until + dt.timedelta(days=1))
    days = sorted(boundaries)
    segments = []
    for index, first in enumerate(days):
        last = days[index + 1] - dt.timedelta(days=1) if index + 1 < len(days) else end
        entitlement = entitlement_for(elder, programme=programme, on=first)
        if segments and _same(segments[-1].entitlement, entitlement):
            segments[-1].end = last
        else:
            segments.append(EntitlementSegment(first, last, entitlement))
    return segments


def _same(a: Entitlement | None, b: Entitlement | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.care_level, a.visits_per_week, a.weekly_minutes_cap) == (b.care_level, b.visits_per_week,
                                                                        b.weekly_minutes_cap)


def entitlement_table(*, region, on: dt.date) -> list[dict]:
    """One row per care level 1–6 with its weekly entitlement under the policy in force (for the policy page)."""
    policy = level_policy(region=region, on=on)
    rows = []
    for level in range(1, 7):
        result = compute_entitlement(level, policy, on=on)
        rows.append({"level": level, "eligible": result is not None, "result": result,
                     "bonus": level in policy.bonus_levels})
    return rows


def rule_sentences(records) -> list[str]:
    """Stored pricing rules (code and values) in the reader's language."""
    from .rules import describe_record

    return [describe_record(record) for record in records or []]
