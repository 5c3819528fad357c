"""The adapter between the database and the routing engine.

`build_problem` turns a provider's work orders and shifts for one day into the engine's `Problem`;
`time_route` times one caregiver's visits in a given order (used by manual moves, whose result the
engine's independent `check` then judges); the `*_text` helpers put the engine's English reasons and
violation kinds into the reader's language.

The engine runs on one clock: seconds since local midnight (Asia/Shanghai) of the plan's day.

A work order's window is the period the visit takes place in: it starts at or after `window_start` and
ends by `window_end`, so the engine's start window is [window_start, window_end − duration]. A fixed-time
visit starts exactly at `window_start`. Gender preference is a hard rule (caregivers of the other gender
are excluded); a dialect is a soft preference (caregivers who speak it are preferred).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from carecircle.core.policy import policy_value
from carecircle.engines.routing import solution_with as routing_solution_with
from carecircle.engines.routing import time_route as routing_time_route
from carecircle.engines.routing import (
    Caregiver,
    Location,
    LunchBreak,
    Problem,
    Route,
    Service,
    Solution,
    Stop,
    TimeWindow,
    TravelMode,
    Unscheduled,
    Visit,
)
from carecircle.engines.routing.travel import StraightLineProvider, build_matrix

# Care-worker grades, highest first: a grade covers every item that asks for the same or a lower one.
CARE_WORKER_LADDER = ["care_worker_1", "care_worker_2", "care_worker_3", "care_worker_4", "care_worker_5"]


def seconds_of(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def at_seconds(day: dt.date, seconds: float) -> dt.datetime:
    """The aware local datetime `seconds` after midnight of `day` (to the microsecond, so that a stored plan
    read back satisfies the same travel-time checks as the engine's own figures)."""
    midnight = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return midnight + dt.timedelta(seconds=seconds)


def seconds_from(day: dt.date, moment: dt.datetime) -> float:
    midnight = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return (timezone.localtime(moment) - midnight).total_seconds()


def visit_id(work_order) -> str:
    return f"wo{work_order.pk}"


def caregiver_id(shift) -> str:
    return f"sh{shift.pk}"


def pk_of(engine_id: str) -> int:
    return int(engine_id[2:])


def qualifications_on(staff, day: dt.date) -> frozenset[str]:
    """What a caregiver may do on `day`: certificates valid that day, with the care-worker ladder applied."""
    held = {
        c.qualification for c in staff.certificates.all()
        if c.issued_on <= day and (c.expires_on is None or c.expires_on >= day)
    }
    covered = set(held)
    for grade in held & set(CARE_WORKER_LADDER):
        covered.update(CARE_WORKER_LADDER[CARE_WORKER_LADDER.index(grade):])
    return frozenset(covered)


@dataclass
class Settings:
    """Dated policy values the adapter needs, read for the provider's region on the plan's day."""

    speeds: dict[str, float]  # metres per second by travel mode
    detour_factor: float
    max_daily_hours: float

    @classmethod
    def load(cls, *, region, on: dt.date) -> "Settings":
        def number(key):
            return float(Decimal(str(policy_value(key, region=region, on=on))))

        return cls(
            speeds={
                TravelMode.WALKING: number("dispatch.speed.walking_m_per_min") / 60,
                TravelMode.EBIKE: number("dispatch.speed.ebike_m_per_min") / 60,
            },
            detour_factor=number("dispatch.detour_factor"),
            max_daily_hours=number("dispatch.max_daily_hours"),
        )


@dataclass
class Built:
    problem: Problem
    orders: dict[str, object]  # engine visit id → WorkOrder
    shifts: dict[str, object]  # engine caregiver id → Shift
    # Work orders the engine cannot even be asked about (no place known), with the reason.
    excluded: dict[int, str] = field(default_factory=dict)


def _visit(order, shifts) -> Visit:
    start, end = seconds_of(order.window_start), seconds_of(order.window_end)
    duration = order.duration_minutes * 60
    latest = max(start, end - duration)
    excluded = {caregiver_id(s) for s in shifts if s.caregiver_id in order.excluded_ids}
    if order.preferred_gender:
        excluded |= {caregiver_id(s) for s in shifts if s.caregiver.gender != order.preferred_gender}
    preferred: set[str] = set()
    if order.preferred_caregiver_id:
        preferred = {caregiver_id(s) for s in shifts if s.caregiver_id == order.preferred_caregiver_id}
    elif order.dialect:
        preferred = {caregiver_id(s) for s in shifts if order.dialect in (s.caregiver.dialects or "")}
    return Visit(
        id=visit_id(order),
        location=Location(f"elder{order.elder_id}", float(order.elder.lat), float(order.elder.lng)),
        services=(Service(duration=duration, qualification=order.required_qualification or None),),
        time_windows=(TimeWindow(start, latest),),
        fixed_start=start if order.fixed_time else None,
        preferred_caregivers=frozenset(preferred),
        excluded_caregivers=frozenset(excluded),
        priority=max(1, order.priority + 1),
    )


def _caregiver(shift, day: dt.date, settings: Settings) -> Caregiver:
    start, end = seconds_of(shift.start_time), seconds_of(shift.end_time)
    if shift.off_from is not None:
        end = min(end, seconds_of(shift.off_from))
    lunch = None
    if shift.lunch_minutes and shift.lunch_earliest and shift.lunch_latest:
        lunch = LunchBreak(seconds_of(shift.lunch_earliest), seconds_of(shift.lunch_latest), shift.lunch_minutes * 60)
    hours = min(float(shift.max_hours), settings.max_daily_hours)
    return Caregiver(
        id=caregiver_id(shift),
        start=Location(f"sh{shift.pk}-start", float(shift.start_lat), float(shift.start_lng)),
        end=Location(f"sh{shift.pk}-end", float(shift.end_lat), float(shift.end_lng)),
        shift=TimeWindow(start, max(start, end)),
        qualifications=qualifications_on(shift.caregiver, day),
        travel_mode=shift.travel_mode,
        max_working_time=hours * 3600,
        lunch_break=lunch,
    )


def build_problem(*, day: dt.date, work_orders, shifts, settings: Settings) -> Built:
    """`work_orders` need `elder` and their excluded caregivers' ids prefetched as `excluded_ids` (a set);
    `shifts` need `caregiver` with its certificates prefetched."""
    shifts = list(shifts)
    caregivers = [_caregiver(s, day, settings) for s in shifts]
    visits, orders, excluded = [], {}, {}
    for order in work_orders:
        if order.elder.lat is None or order.elder.lng is None:
            excluded[order.pk] = gettext_noop("老人档案没有坐标，无法计算路程；请先补全居住地址的经纬度")
            continue
        visit = _visit(order, shifts)
        visits.append(visit)
        orders[visit.id] = order
    matrix = build_matrix(visits, caregivers, StraightLineProvider(settings.detour_factor, settings.speeds))
    problem = Problem(visits=visits, caregivers=caregivers, matrix=matrix)
    return Built(problem=problem, orders=orders, shifts={caregiver_id(s): s for s in shifts}, excluded=excluded)


# --- timing one caregiver's visits in a given order ----------------------------------------------------
# A manual move is judged exactly as the engine's repair pass judges a place: `time_route` and `check`.
time_route = routing_time_route
solution_with = routing_solution_with


# --- the engine's words in the reader's language ------------------------------------------------------

def reason_text(reason: str) -> str:
    """The engine's reason as a message in the source language, stored as such and translated when shown."""
    if reason.startswith("no available caregiver may do it"):
        return gettext_noop("没有可承接的护理员：所需资质无人具备，或具备资质者被排除（性别要求、排除名单）")
    if reason.startswith("needs two caregivers"):
        return gettext_noop("需要两名护理员，但只有一人可以承接")
    if reason.startswith("no caregiver can fit it in without moving"):
        return gettext_noop("不改动已发布上门的时间，排不进任何护理员的一天（时间窗、路程、班次、工作时长或午休冲突）；"
                            "可勾选“允许调整已发布的上门”后再安排，或手工指派")
    if reason.startswith("no caregiver can fit it in"):
        return gettext_noop("排不进任何护理员的一天：时间窗、班次、工作时长或午休冲突")
    return reason


def violation_text(violation, *, orders: dict, shifts: dict) -> str:
    order = orders.get(violation.visit_id) if violation.visit_id else None
    shift = shifts.get(violation.caregiver_id) if violation.caregiver_id else None
    names = {
        "visit": f"{order.elder.name} {order.window_start:%H:%M}" if order else "",
        "caregiver": shift.caregiver.name if shift else "",
    }
    texts = {
        "qualification": _("%(caregiver)s 不具备 %(visit)s 所需的资质"),
        "excluded_caregiver": _("%(caregiver)s 不能承接 %(visit)s（在排除名单中，或不符合性别要求）"),
        "travel_time": _("%(caregiver)s 来不及赶到 %(visit)s（路程时间不够）"),
        "time_window": _("%(visit)s 的开始时间不在服务时间窗内（定时服务须准点开始）"),
        "shift": _("%(caregiver)s 的安排超出了班次时间"),
        "max_hours": _("%(caregiver)s 的工作时长超过上限"),
        "lunch_break": _("%(caregiver)s 无法在午休时段安排午休"),
        "served_twice": _("%(visit)s 被重复安排"),
        "not_served": _("%(visit)s 既未安排也未列为未排"),
    }
    if violation.kind == "travel_time" and order is None:
        texts["travel_time"] = _("%(caregiver)s 来不及回到收工地点（路程时间不够）")
    template = texts.get(violation.kind)
    if template is None:
        return _("违反约束：%(message)s") % {"message": violation.message}
    return template % names
