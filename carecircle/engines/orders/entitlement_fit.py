"""Which visits of a weekly plan the entitlement covers and which are beyond it (self-pay).

The entitlement allows `visits_per_week` visits of up to `minutes_per_visit` minutes each and at most
`weekly_minutes_cap` minutes a week. Visits are taken in week order (Monday first, then by start time):
the first ones that fit are covered; a visit that would exceed the count or the weekly minutes is beyond
the entitlement as a whole, and so is a visit longer than `minutes_per_visit`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VisitSlot:
    key: object  # the caller's identifier (an index, a primary key)
    weekday: int  # 0 = Monday
    start_minute: int  # minutes after midnight
    duration_minutes: int


@dataclass(frozen=True)
class FitResult:
    covered: list  # keys, in week order
    beyond: list  # (key, reason) with reason one of "count", "weekly_minutes", "visit_minutes"
    covered_minutes: int
    beyond_minutes: int


def fit_visits(slots: list[VisitSlot], *, visits_per_week: int, minutes_per_visit: int,
               weekly_minutes_cap: int) -> FitResult:
    covered, beyond = [], []
    covered_minutes = beyond_minutes = 0
    for slot in sorted(slots, key=lambda s: (s.weekday, s.start_minute, str(s.key))):
        if slot.duration_minutes > minutes_per_visit:
            reason = "visit_minutes"
        elif len(covered) >= visits_per_week:
            reason = "count"
        elif covered_minutes + slot.duration_minutes > weekly_minutes_cap:
            reason = "weekly_minutes"
        else:
            covered.append(slot.key)
            covered_minutes += slot.duration_minutes
            continue
        beyond.append((slot.key, reason))
        beyond_minutes += slot.duration_minutes
    return FitResult(covered, beyond, covered_minutes, beyond_minutes)
