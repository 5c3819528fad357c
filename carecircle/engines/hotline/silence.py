"""Elders who have gone silent: nothing has been heard from them for longer than policy allows, before
anyone has had to raise an alarm. Each reason is returned so that the operator sees why."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

NO_HEARTBEAT = "no_heartbeat"          # the device has not reported for `heartbeat_hours`
UNANSWERED_CALLS = "unanswered_calls"  # `max_unanswered` care calls in a row without an answer
NO_CONTACT = "no_contact"              # no answered call, no visit (no meal, where recorded) for `silent_days`


@dataclass(frozen=True)
class SilenceFacts:
    has_device: bool
    last_heartbeat: dt.datetime | None
    last_answered_call: dt.datetime | None
    last_visit: dt.datetime | None
    unanswered_in_a_row: int = 0
    last_meal: dt.datetime | None = None
    has_meals: bool = False  # whether meals are recorded for the elder at all


def silence_reasons(facts: SilenceFacts, *, now: dt.datetime, heartbeat_hours: int, silent_days: int,
                    max_unanswered: int) -> list[str]:
    """The reasons the elder counts as silent (empty: not silent).

    A device that has not reported for `heartbeat_hours` is one reason; `max_unanswered` care calls in a row
    with no answer is another; neither an answered call, nor a visit (nor a meal, where meals are recorded) in
    `silent_days` is the third — unless a device is still reporting, which is a sign of life."""
    reasons = []
    device_quiet = facts.has_device and (facts.last_heartbeat is None
                                         or now - facts.last_heartbeat >= dt.timedelta(hours=heartbeat_hours))
    if device_quiet:
        reasons.append(NO_HEARTBEAT)
    if max_unanswered > 0 and facts.unanswered_in_a_row >= max_unanswered:
        reasons.append(UNANSWERED_CALLS)
    limit = now - dt.timedelta(days=silent_days)

    def quiet(moment):
        return moment is None or moment < limit

    device_alive = facts.has_device and not device_quiet
    if (not device_alive and quiet(facts.last_answered_call) and quiet(facts.last_visit)
            and (not facts.has_meals or quiet(facts.last_meal))):
        reasons.append(NO_CONTACT)
    return reasons
