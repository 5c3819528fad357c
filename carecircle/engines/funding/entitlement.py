"""Entitlement by care level, and the continuity bonus for long, unbroken home care."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .split import Rule, money


@dataclass(frozen=True)
class LevelPolicy:
    """The policy values in force (read by the caller from the dated parameters)."""

    eligible_levels: tuple[int, ...]
    visits_per_week: dict  # level (str) -> int
    hours_per_visit: Decimal
    weekly_hours_cap: dict  # level (str) -> number
    bonus_levels: tuple[int, ...] = ()
    bonus_first_tier_months: int = 6
    bonus_hours_per_month: dict = field(default_factory=dict)  # "first"/"second" -> hours
    bonus_cash_per_month: dict = field(default_factory=dict)  # "first"/"second" -> Decimal


@dataclass
class EntitlementResult:
    care_level: int
    visits_per_week: int
    minutes_per_visit: int
    weekly_minutes_cap: int
    continuity_bonus_minutes_per_month: int
    continuity_bonus_cash_per_month: Decimal
    continuity_tier: str  # "" | "first" | "second"
    continuous_months: int
    rules: list[Rule]


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_completed(since: dt.date, on: dt.date) -> int:
    """Whole months from `since` to `on` (2026-01-15 → 2026-02-14 is 0, → 2026-02-15 is 1)."""
    if on < since:
        return 0
    months = (on.year - since.year) * 12 + (on.month - since.month)
    while months > 0 and add_months(since, months) > on:
        months -= 1
    return months


def continuity_tier(since: dt.date | None, on: dt.date, first_tier_months: int) -> tuple[str, int]:
    """("", n) before a full month; ("first", n) for 1..first_tier_months months (inclusive);
    ("second", n) beyond."""
    if since is None:
        return "", 0
    months = months_completed(since, on)
    if months < 1:
        return "", months
    if add_months(since, first_tier_months) >= on:
        return "first", months
    return "second", months


def _minutes(hours) -> int:
    return int((Decimal(str(hours)) * 60).to_integral_value())


def compute_entitlement(level: int, policy: LevelPolicy, *, on: dt.date,
                        continuous_since: dt.date | None = None) -> EntitlementResult | None:
    """The weekly visits and minutes for `level`, or None when the level is not eligible.

    `continuous_since`: the first day of unbroken home care at a bonus level (None if not at one)."""
    if level not in policy.eligible_levels:
        return None
    key = str(level)
    if key not in policy.visits_per_week or key not in policy.weekly_hours_cap:
        raise ValueError(f"no entitlement values for level {level}")
    visits = int(policy.visits_per_week[key])
    per_visit = _minutes(policy.hours_per_visit)
    cap = _minutes(policy.weekly_hours_cap[key])
    rules = [
        Rule("entitlement.visits", {"level": level, "visits": visits}),
        Rule("entitlement.hours_per_visit", {"hours": policy.hours_per_visit}),
        Rule("entitlement.weekly_cap", {"level": level, "hours": policy.weekly_hours_cap[key]}),
    ]
    tier, months = "", 0
    bonus_minutes, bonus_cash = 0, money(0)
    if level in policy.bonus_levels:
        tier, months = continuity_tier(continuous_since, on, policy.bonus_first_tier_months)
        if tier:
            bonus_minutes = _minutes(policy.bonus_hours_per_month[tier])
            bonus_cash = money(policy.bonus_cash_per_month[tier])
            rules.append(Rule("entitlement.bonus", {
                "tier": tier, "months": months, "since": continuous_since,
                "hours": policy.bonus_hours_per_month[tier], "cash": bonus_cash,
                "first_tier_months": policy.bonus_first_tier_months,
            }))
        else:
            rules.append(Rule("entitlement.bonus_not_yet", {"since": continuous_since}))
    return EntitlementResult(level, visits, per_visit, cap, bonus_minutes, bonus_cash, tier, months, rules)
