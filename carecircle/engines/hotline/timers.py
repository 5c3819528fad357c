"""The timers of an emergency case against their targets: answer (acknowledged), first action, arrival on site.

Each timer is running (no end yet), met or missed; a running timer past its target is overdue, which is
what escalation acts on."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ANSWER, FIRST_ACTION, ARRIVAL = "answer", "first_action", "arrival"


@dataclass(frozen=True)
class Timer:
    name: str
    target_seconds: int
    elapsed_seconds: int
    done: bool

    @property
    def overdue(self) -> bool:
        return self.elapsed_seconds > self.target_seconds

    @property
    def state(self) -> str:
        if self.done:
            return "missed" if self.overdue else "met"
        return "overdue" if self.overdue else "running"


def case_timers(*, raised: dt.datetime, now: dt.datetime, acknowledged: dt.datetime | None,
                first_action: dt.datetime | None, arrived: dt.datetime | None, answer_target: int,
                action_target: int, arrival_target: int, needs_arrival: bool) -> list[Timer]:
    def timer(name, end, target):
        elapsed = int(((end or now) - raised).total_seconds())
        return Timer(name, target, max(0, elapsed), end is not None)

    timers = [timer(ANSWER, acknowledged, answer_target), timer(FIRST_ACTION, first_action, action_target)]
    if needs_arrival or arrived is not None:
        timers.append(timer(ARRIVAL, arrived, arrival_target))
    return timers
