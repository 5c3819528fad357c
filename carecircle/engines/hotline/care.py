"""Who gets proactive care and how often.

Risk tiers follow the tiered visiting rule: "high" — aged `old_age`+ living alone, or living alone with an
economic hardship or a disability; "key" — every other elder in special difficulty (living alone or only with
other elders, economic hardship, disability, or aged `old_age`+); "general" — everyone else. The frequencies
per tier are policy values handed in by the caller."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

HIGH, KEY, GENERAL = "high_risk", "key", "general"
TIERS = (HIGH, KEY, GENERAL)


@dataclass(frozen=True)
class CareFacts:
    age: int
    lives_alone: bool
    elderly_only: bool = False
    hardship: bool = False
    disabled: bool = False


def special_difficulty(facts: CareFacts, *, old_age: int = 80) -> bool:
    return (facts.lives_alone or facts.elderly_only or facts.hardship or facts.disabled
            or facts.age >= old_age)


def risk_tier(facts: CareFacts, *, old_age: int = 80) -> str:
    if facts.lives_alone and (facts.age >= old_age or facts.hardship or facts.disabled):
        return HIGH
    if special_difficulty(facts, old_age=old_age):
        return KEY
    return GENERAL


def care_call_due(*, per_week: int, last_call: dt.date | None, today: dt.date) -> bool:
    """Whether a care call is due today: `per_week` calls spread over the week (every 7 // per_week days,
    at least daily), counted from the last answered call; never called before → due now; 0 → never."""
    if per_week <= 0:
        return False
    if last_call is None:
        return True
    interval = max(1, 7 // per_week)
    return (today - last_call).days >= interval


def visit_due(*, interval_days: int, last_visit: dt.date | None, today: dt.date) -> dt.date | None:
    """The date the next welfare visit is due (today or earlier when late), or None when none is expected."""
    if interval_days <= 0:
        return None
    if last_visit is None:
        return today
    return last_visit + dt.timedelta(days=interval_days)


def visit_rate(eligible: int, visited: int) -> float | None:
    """Visited / eligible as a fraction, None when nobody is eligible."""
    if eligible <= 0:
        return None
    return min(visited, eligible) / eligible
