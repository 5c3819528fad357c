"""A realistic district day planned by the routing engine, against a greedy dispatcher.

    python benchmarks/routing_district_day.py [--seed 1] [--seconds 50] [--replan-seconds 8] [--repeat 2] [--no-doc]

The day: four home-care providers of the demo district (徐汇区, its streets and communities from
`carecircle/demo/geography.py`), 60 caregivers, 500 visits to elders placed inside their communities
the way the demo data places them. Caregivers walk or ride an e-bike, start and end at home or at
their provider's centre, work early, day, late or part-time shifts with a lunch break and a limit
on working hours; a minority are registered nurses, and only they may do the clinical items of the
Shanghai LTCI catalogue. Visits come from care plans: 30-90 minutes, time windows (some with two
windows), fixed times (insulin, tube feeding, help with a meal), a few two-caregiver baths, a
regular caregiver for most elders (continuity), excluded caregivers and gender preferences.

In one run:
  1. the engine (`solve`) plans the day within `--seconds`;
  2. a greedy "nearest free caregiver" dispatcher, what manual dispatch approximates, plans it too;
  3. both plans go through a checker written here, independently of the engine: it re-computes
     every route's times from this script's own travel matrix;
  4. the day is executed until 10:00, one caregiver goes off sick, and `replan` re-plans the
     rest within `--replan-seconds`, again checked here.
Steps 1, 3 and 4 are repeated `--repeat` times (the budgets are wall-clock, so runs differ).
The figures are written to docs/benchmarks-routing.md (section "district-day").
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import random
import shlex
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carecircle.demo import geography  # noqa: E402
from carecircle.demo.population import point_inside  # noqa: E402
from carecircle.engines.routing import (  # noqa: E402
    Caregiver,
    Location,
    LunchBreak,
    Problem,
    Service,
    TimeWindow,
    TravelMatrix,
    Visit,
    replan,
    solve,
)
from carecircle.engines.routing.report import machine, now_utc, replace_section  # noqa: E402

DOC = ROOT / "docs" / "benchmarks-routing.md"
H = 3600
M = 60


def hm(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // H:02d}:{seconds % H // M:02d}"


# ----------------------------------------------------------------------------- the day's data

# Four home-care providers, each serving neighbouring streets of the demo district.
PROVIDERS = (
    ("P1", "上海福寿居家养老服务有限公司", ("310104004", "310104003")),  # 湖南路, 天平路
    ("P2", "上海安康养老服务社", ("310104011", "310104014")),  # 田林, 徐家汇
    ("P3", "上海乐龄社区助老服务中心", ("310104007", "310104008")),  # 斜土路, 枫林路
    ("P4", "上海颐和居家养老服务有限公司", ("310104015", "310104016")),  # 凌云路, 龙华
)
CAREGIVERS_PER_PROVIDER = 15
VISITS = 500

# Shifts: (name, start, end, lunch (earliest, latest, minutes) or None, maximum working hours).
SHIFTS = {
    "early": (7 * H, 15 * H, (11 * H, 12 * H + 30 * M, 30), 7.5),
    "day": (8 * H, 17 * H, (11 * H + 30 * M, 13 * H, 45), 8.0),
    "late": (10 * H, 19 * H, (12 * H + 30 * M, 14 * H, 45), 8.0),
    "morning": (8 * H, 12 * H + 30 * M, None, 4.5),
}
# Per provider: shifts of the nurses and of the care workers.
NURSE_SHIFTS = ("early", "day", "late")
CARE_WORKER_SHIFTS = ("early", "early", "day", "day", "day", "day", "day", "day", "day", "day", "late", "morning")

# Travel: a walking caregiver carrying supplies ~4 km/h, an e-bike in mixed traffic ~15 km/h, over
# straight-line distance times 1.3; each leg also costs a few minutes to park, find the building
# and climb the stairs of an old walk-up.
SPEED = {"walking": 4000 / H, "ebike": 15000 / H}
DETOUR = 1.3
LEG_OVERHEAD = {"walking": 2 * M, "ebike": 4 * M}
WALKING_SHARE = 0.35
# A caregiver's regular elders fill at most this share of each half of the working day (the rest
# is travel and covering for colleagues).
REGULAR_SHARE = 0.5
FEMALE_SHARE = 0.85

NURSE = "registered_nurse"
# Items of the Shanghai LTCI catalogue that only a registered nurse may do (常用临床护理).
CLINICAL_ITEMS = frozenset({
    "血糖监测", "皮下注射", "压疮伤口换药", "生命体征监测", "鼻饲", "造口护理",
    "经外周静脉置入中心静脉导管（PICC）维护", "肌肉注射",
})


@dataclass(frozen=True)
class Kind:
    name: str
    items: tuple[str, ...]
    minutes: tuple[int, ...]
    # list of windows (start, end) for the START of the visit, or None when fixed
    windows: tuple[tuple[int, int], ...] | None
    fixed: tuple[int, ...] = ()
    part: str = "any"  # morning / afternoon / any: where a second visit of the same elder may go
    weight: float = 1.0
    priority: int = 2
    two_share: float = 0.0  # share of these visits that need two caregivers at once
    intimate: bool = False  # a gender preference applies


def _w(a, b):
    return (int(a * H), int(b * H))


KINDS = (
    Kind("晨间护理", ("晨间护理", "协助更衣", "口腔清洁"), (30,), (_w(7.5, 10.5),), part="morning", weight=12, intimate=True),
    Kind("排泄护理", ("排泄护理", "会阴护理"), (30,), (_w(8.5, 10.5), _w(14, 16)), weight=9, intimate=True),
    Kind("协助进食", ("协助进食/水", "药物管理"), (30,), None, fixed=(int(10.75 * H), 11 * H, int(11.25 * H)), part="morning", weight=5, priority=3),
    Kind("助浴", ("沐浴", "协助更衣", "皮肤外用药涂擦"), (45, 60, 90), (_w(9, 15.5),), weight=5, two_share=0.4, intimate=True),
    Kind("温水擦浴", ("温水擦浴", "头面部清洁、梳理", "指/趾甲护理"), (30,), (_w(8.5, 11), _w(13.5, 16)), weight=8, intimate=True),
    Kind("翻身叩背", ("协助翻身叩背排痰", "压疮预防护理", "整理床单位"), (30,), (_w(13, 16.5),), part="afternoon", weight=8),
    Kind("自理能力训练", ("生活自理能力训练", "借助器具移动"), (30, 45), (_w(8.5, 15.5),), weight=9, priority=1),
    Kind("助行陪同", ("协助床上移动", "安全护理"), (45, 60), (_w(9, 15),), weight=3, priority=1),
    # clinical items: registered nurses only
    Kind("胰岛素注射(早)", ("血糖监测", "皮下注射"), (30,), None, fixed=(int(7.5 * H), int(8.5 * H), int(9.5 * H), 8 * H, 9 * H), part="morning", weight=1.0, priority=3),
    Kind("胰岛素注射(晚)", ("血糖监测", "皮下注射"), (30,), None, fixed=(16 * H, 17 * H, 18 * H, int(16.5 * H), int(17.5 * H)), part="afternoon", weight=0.6, priority=3),
    Kind("鼻饲", ("鼻饲", "口腔清洁"), (30,), None, fixed=(int(10.5 * H),), part="morning", weight=0.4, priority=3),
    Kind("生命体征监测", ("生命体征监测", "药物管理"), (30,), (_w(8.5, 11),), part="morning", weight=1.5, priority=3),
    Kind("伤口换药", ("压疮伤口换药",), (45,), (_w(9, 15),), weight=1.2, priority=3),
    Kind("造口护理", ("造口护理",), (45,), (_w(13.5, 16),), part="afternoon", weight=0.6, priority=3),
    Kind("PICC维护", ("经外周静脉置入中心静脉导管（PICC）维护",), (60,), (_w(9, 11),), part="morning", weight=0.4, priority=3),
)


@dataclass(frozen=True)
class Place:
    key: str
    lat: float
    lon: float


@dataclass
class Carer:
    id: str
    provider: str
    gender: str
    nurse: bool
    mode: str
    shift: str
    start: Place
    end: Place

    @property
    def shift_start(self):
        return SHIFTS[self.shift][0]

    @property
    def shift_end(self):
        return SHIFTS[self.shift][1]

    @property
    def lunch(self):
        lunch = SHIFTS[self.shift][2]
        return None if lunch is None else (lunch[0], lunch[1], lunch[2] * M)

    @property
    def max_work(self):
        return SHIFTS[self.shift][3] * H


@dataclass
class Job:
    id: str
    provider: str
    elder: str
    elder_gender: str
    place: Place
    kind: str
    items: tuple[str, ...]
    minutes: int
    windows: tuple[tuple[int, int], ...]
    fixed: int | None
    carers_needed: int
    priority: int
    regular: str | None = None  # the elder's regular caregiver (continuity)
    excluded: frozenset[str] = frozenset()
    female_only: bool = False

    @property
    def duration(self) -> int:
        return self.minutes * M


@dataclass
class Day:
    seed: int
    carers: list[Carer]
    jobs: list[Job]
    places: dict[str, Place]
    providers: dict[str, tuple[str, tuple[str, ...]]]

    def __post_init__(self):
        self.carer = {c.id: c for c in self.carers}
        self.job = {j.id: j for j in self.jobs}
        keys = list(self.places)
        self.index = {k: i for i, k in enumerate(keys)}
        coords = [(self.places[k].lat, self.places[k].lon) for k in keys]
        self.metres = [[_haversine(a, b) * DETOUR for b in coords] for a in coords]
        self.seconds = {
            mode: [[(d / SPEED[mode] + LEG_OVERHEAD[mode]) if i != j else 0.0 for j, d in enumerate(row)]
                   for i, row in enumerate(self.metres)]
            for mode in SPEED
        }

    def travel(self, carer: Carer, a: Place, b: Place) -> float:
        return self.seconds[carer.mode][self.index[a.key]][self.index[b.key]]

    def metres_between(self, a: Place, b: Place) -> float:
        return self.metres[self.index[a.key]][self.index[b.key]]


def _haversine(a, b) -> float:
    (la1, lo1), (la2, lo2) = a, b
    p1, p2 = math.radians(la1), math.radians(la2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lo2 - lo1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def _needs_nurse(items) -> bool:
    return any(item in CLINICAL_ITEMS for item in items)


def build_day(seed: int) -> Day:
    rng = random.Random(seed)
    communities = {c.code: c for c in geography.all_communities()}
    by_street = defaultdict(list)
    for c in communities.values():
        by_street[c.street_code].append(c)
    places: dict[str, Place] = {}

    def place(key, community) -> Place:
        lat, lon = point_inside(rng, community)
        p = Place(key, float(lat), float(lon))
        places[key] = p
        return p

    providers = {pid: (name, streets) for pid, name, streets in PROVIDERS}
    carers: list[Carer] = []
    for pid, _name, streets in PROVIDERS:
        home_street = by_street[streets[0]]
        centre = place(f"{pid}-centre", home_street[len(home_street) // 2])
        roles = [(True, s) for s in NURSE_SHIFTS] + [(False, s) for s in CARE_WORKER_SHIFTS]
        for k, (nurse, shift) in enumerate(roles, start=1):
            cid = f"{pid}-{'N' if nurse else 'C'}{k:02d}"
            mode = "ebike" if nurse or rng.random() >= WALKING_SHARE else "walking"
            gender = "F" if rng.random() < FEMALE_SHARE else "M"
            # Caregivers live in or near the streets they serve; half start from home.
            if rng.random() < 0.5:
                home = place(f"{cid}-home", rng.choice(by_street[rng.choice(streets)]))
                start, end = home, (home if rng.random() < 0.8 else centre)
            else:
                start = end = centre
            carers.append(Carer(cid, pid, gender, nurse, mode, shift, start, end))
    carers_of = defaultdict(list)
    for c in carers:
        carers_of[c.provider].append(c)

    jobs: list[Job] = []
    weights = [k.weight for k in KINDS]
    morning = [k for k in KINDS if k.part == "morning"]
    afternoon = [k for k in KINDS if k.part == "afternoon"]
    elder_no = 0
    regulars = Counter()
    slots = Counter()
    provider_ids = [pid for pid, _n, _s in PROVIDERS]
    while len(jobs) < VISITS:
        pid = provider_ids[elder_no % len(provider_ids)]
        elder_no += 1
        streets = providers[pid][1]
        community = rng.choice(by_street[rng.choice(streets)])
        eid = f"E{elder_no:04d}"
        home = place(eid, community)
        gender = "F" if rng.random() < 0.58 else "M"
        # About one elder in four gets two visits: one in the morning, one in the afternoon.
        if rng.random() < 0.2 and VISITS - len(jobs) >= 2:
            kinds = [rng.choices(morning, [k.weight for k in morning])[0], rng.choices(afternoon, [k.weight for k in afternoon])[0]]
        else:
            kinds = [rng.choices(KINDS, weights)[0]]
        female_only = gender == "F" and rng.random() < 0.15
        staff = carers_of[pid]
        excluded = frozenset({rng.choice(staff).id}) if rng.random() < 0.05 else frozenset()
        elder_jobs = []
        for kind in kinds:
            minutes = rng.choice(kind.minutes)
            # Fixed times are agreed with each elder; a provider spreads them over the slots.
            fixed = None
            if kind.windows is None:
                fixed = kind.fixed[slots[(pid, kind.name)] % len(kind.fixed)]
                slots[(pid, kind.name)] += 1
            windows = ((fixed, fixed),) if fixed is not None else kind.windows
            needed = 2 if kind.two_share and rng.random() < kind.two_share else 1
            job = Job(f"{eid}-{len(elder_jobs) + 1}", pid, eid, gender, home, kind.name, kind.items, minutes,
                      windows, fixed, needed, kind.priority, excluded=excluded,
                      female_only=female_only and kind.intimate)
            elder_jobs.append(job)
        # Continuity: most elders have a regular caregiver who could do their visits.
        if rng.random() < 0.75:
            able = [c for c in staff if all(_may_do(c, j) and _shift_fits(c, j) for j in elder_jobs)]
            able = [c for c in able if all(_band_room(c, j, regulars) for j in elder_jobs)]
            if able:
                able.sort(key=lambda c: _haversine((c.start.lat, c.start.lon), (home.lat, home.lon)))
                regular = rng.choice(able[:3])
                for job in elder_jobs:
                    job.regular = regular.id
                    regulars[(regular.id, _band(job))] += job.duration
        jobs += elder_jobs
    return Day(seed, carers, jobs[:VISITS], places, providers)


def _may_do(carer: Carer, job: Job, part: int = 0) -> bool:
    """Hard eligibility, from the day's own data (the checker's rule, also used by the generator)."""
    if carer.provider != job.provider or carer.id in job.excluded:
        return False
    if job.female_only and carer.gender != "F":
        return False
    # the clinical items are the first caregiver's; the second one of a pair assists
    if part == 0 and _needs_nurse(job.items) and not carer.nurse:
        return False
    return True


def _band(job: Job) -> str:
    return "am" if job.windows[0][0] < 12 * H else "pm"


def _band_room(carer: Carer, job: Job, booked: Counter) -> bool:
    """Whether a caregiver's regular visits in the job's half of the day still leave room."""
    lo, hi = (0, 12 * H) if _band(job) == "am" else (12 * H, 24 * H)
    on_duty = max(0, min(hi, carer.shift_end) - max(lo, carer.shift_start))
    return booked[(carer.id, _band(job))] + job.duration <= REGULAR_SHARE * on_duty


def _shift_fits(carer: Carer, job: Job) -> bool:
    return carer.shift_start + 20 * M <= job.windows[-1][1] and job.windows[0][0] + job.duration + 20 * M <= carer.shift_end


# ----------------------------------------------------------------------------- plans

@dataclass
class PlanRoute:
    carer: str
    stops: list[tuple[str, int, float]]  # (job id, part, start)
    departure: float | None = None
    arrival: float | None = None
    break_start: float | None = None


@dataclass
class Plan:
    routes: list[PlanRoute]
    unscheduled: dict[str, str]
    seconds: float = 0.0


# ----------------------------------------------------------------------------- engine

def to_problem(day: Day) -> Problem:
    locations = [Location(p.key, p.lat, p.lon) for p in day.places.values()]
    loc = {l.key: l for l in locations}
    keys = list(day.places)
    matrix = TravelMatrix(locations, day.metres, {mode: day.seconds[mode] for mode in SPEED})
    assert [l.key for l in locations] == keys
    caregivers = []
    for c in day.carers:
        lunch = c.lunch
        caregivers.append(Caregiver(
            c.id, loc[c.start.key], loc[c.end.key], TimeWindow(c.shift_start, c.shift_end),
            frozenset({NURSE}) if c.nurse else frozenset(), c.mode, max_working_time=c.max_work,
            lunch_break=LunchBreak(*lunch) if lunch else None,
        ))
    visits = []
    for j in day.jobs:
        qualification = NURSE if _needs_nurse(j.items) else None
        services = (Service(j.duration, qualification),) + ((Service(j.duration),) if j.carers_needed == 2 else ())
        # Providers plan only their own staff; gender preference and exclusions rule out the rest.
        excluded = frozenset(
            c.id for c in day.carers
            if c.provider != j.provider or c.id in j.excluded or (j.female_only and c.gender != "F")
        )
        visits.append(Visit(
            j.id, loc[j.place.key], services,
            time_windows=tuple(TimeWindow(a, b) for a, b in j.windows),
            fixed_start=j.fixed,
            preferred_caregivers=frozenset({j.regular}) if j.regular else frozenset(),
            excluded_caregivers=excluded,
            priority=j.priority,
        ))
    return Problem(visits, caregivers, matrix, name=f"district-day-{day.seed}")


def from_solution(solution, seconds: float) -> Plan:
    routes = [
        PlanRoute(r.caregiver_id, [(s.visit_id, s.service, s.start) for s in r.stops], r.departure, r.arrival, r.break_start)
        for r in solution.routes
    ]
    return Plan(routes, {u.visit_id: u.reason for u in solution.unscheduled}, seconds)


# ----------------------------------------------------------------------------- independent checker

TOL = 1e-6


def audit(day: Day, plan: Plan, *, before: Plan | None = None, now: float | None = None,
          sick: str | None = None) -> list[str]:
    """Every broken hard rule of the day, re-computed from the day's own data and travel matrix.

    With `before`, `now` and `sick` also the re-planning rules: what started before `now` stays
    as it was, nothing new starts before `now`, and the sick caregiver starts nothing at or
    after `now`.
    """
    problems: list[str] = []
    served: dict[tuple[str, int], list[tuple[str, float]]] = defaultdict(list)
    seen = set()
    for route in plan.routes:
        carer = day.carer.get(route.carer)
        if carer is None:
            problems.append(f"unknown caregiver {route.carer}")
            continue
        if carer.id in seen:
            problems.append(f"{carer.id} has two routes")
        seen.add(carer.id)
        if not route.stops:
            continue
        if route.departure is None or route.arrival is None:
            problems.append(f"{carer.id}: route without departure or arrival time")
            continue
        if route.departure < carer.shift_start - TOL:
            problems.append(f"{carer.id} leaves at {hm(route.departure)}, before the shift starts")
        gaps = []  # (free from, travel, next start)
        here, free = carer.start, route.departure
        for job_id, part, start in route.stops:
            job = day.job.get(job_id)
            if job is None or part not in range(job.carers_needed):
                problems.append(f"{carer.id}: unknown visit {job_id}/{part}")
                continue
            served[(job_id, part)].append((carer.id, start))
            if not _may_do(carer, job, part):
                problems.append(f"{carer.id} may not do {job_id} ({job.kind}): provider, nurse, gender or exclusion")
            leg = day.travel(carer, here, job.place)
            if free + leg > start + TOL:
                problems.append(f"{carer.id} cannot reach {job_id} by {hm(start)} (free {hm(free)}, travel {leg / M:.1f} min)")
            if job.fixed is not None:
                if abs(start - job.fixed) > TOL:
                    problems.append(f"{job_id} is fixed at {hm(job.fixed)} but starts at {hm(start)}")
            elif not any(a - TOL <= start <= b + TOL for a, b in job.windows):
                problems.append(f"{job_id} starts at {hm(start)}, outside its windows")
            gaps.append((free, leg, start))
            free = start + job.duration
            here = job.place
        back = day.travel(carer, here, carer.end)
        gaps.append((free, back, route.arrival))
        if free + back > route.arrival + TOL:
            problems.append(f"{carer.id} cannot be back by {hm(route.arrival)}")
        if route.arrival > carer.shift_end + TOL:
            problems.append(f"{carer.id} is back at {hm(route.arrival)}, after the shift ends at {hm(carer.shift_end)}")
        if route.arrival - route.departure > carer.max_work + TOL:
            problems.append(f"{carer.id} works {(route.arrival - route.departure) / H:.2f} h, more than {carer.max_work / H:g} h")
        lunch = carer.lunch
        if lunch is not None:
            earliest, latest, length = lunch
            owed = route.departure <= earliest and route.arrival >= latest + length
            b = route.break_start
            if b is None:
                if owed:
                    problems.append(f"{carer.id} works through lunch without a break")
            else:
                if owed and not (earliest - TOL <= b <= latest + TOL):
                    problems.append(f"{carer.id}'s break at {hm(b)} is outside {hm(earliest)}-{hm(latest)}")
                if not any(f - TOL <= b and b + length <= n + TOL and n - f - length >= leg - TOL for f, leg, n in gaps):
                    problems.append(f"{carer.id}'s break at {hm(b)} overlaps a visit or leaves no time to travel")

    listed = set(plan.unscheduled)
    for job in day.jobs:
        parts = [served.get((job.id, p), []) for p in range(job.carers_needed)]
        if job.id in listed:
            if any(parts):
                problems.append(f"{job.id} is both served and listed as unscheduled")
            continue
        if not all(parts):
            problems.append(f"{job.id} is neither fully served nor listed as unscheduled")
            continue
        if any(len(p) > 1 for p in parts):
            problems.append(f"{job.id} is served more than once")
        if job.carers_needed == 2:
            (c0, s0), (c1, s1) = parts[0][0], parts[1][0]
            if c0 == c1:
                problems.append(f"{job.id} needs two different caregivers")
            if abs(s0 - s1) > TOL:
                problems.append(f"{job.id}: the two caregivers start at {hm(s0)} and {hm(s1)}, not together")
    for job_id in listed - set(day.job):
        problems.append(f"unknown unscheduled visit {job_id}")

    # An elder is never visited twice at the same time.
    by_elder = defaultdict(list)
    for (job_id, part), who in served.items():
        if part == 0 and job_id in day.job:
            job = day.job[job_id]
            by_elder[job.elder].append((who[0][1], who[0][1] + job.duration, job_id))
    for visits in by_elder.values():
        visits.sort()
        for (a0, a1, ja), (b0, _b1, jb) in zip(visits, visits[1:]):
            if b0 < a1 - TOL:
                problems.append(f"{ja} and {jb} overlap at the same elder's home")

    if before is not None:
        old = {(j, p): (r.carer, s) for r in before.routes for j, p, s in r.stops}
        new = {(j, p): (r.carer, s) for r in plan.routes for j, p, s in r.stops}
        for key, (cid, start) in old.items():
            if start < now and new.get(key) != (cid, start):
                problems.append(f"{key[0]} had started at {hm(start)} with {cid} but was changed")
        for key, (cid, start) in new.items():
            began = key in old and old[key][1] < now
            if not began and start < now - TOL:
                problems.append(f"{key[0]} is planned at {hm(start)}, before the re-plan at {hm(now)}")
            if cid == sick and not began:
                problems.append(f"{key[0]} is given to {sick}, who is off sick")
    return problems


def checker_self_test(day: Day, plan: Plan) -> list[tuple[str, bool]]:
    """Break a feasible plan in known ways; the checker must object to every one."""
    busy = [r for r in plan.routes if len(r.stops) >= 2]
    results = []

    def attempt(name, mutate, expected):
        broken = copy.deepcopy(plan)
        if mutate(broken) is not False:
            results.append((name, any(expected in message for message in audit(day, broken))))

    def earlier(p):
        # the second visit starts a minute before the caregiver could be there
        r = next(r for r in p.routes if r.carer == busy[0].carer)
        (first, _p0, start0), (job, part, _start) = r.stops[0], r.stops[1]
        free = start0 + day.job[first].duration
        r.stops[1] = (job, part, free + day.travel(day.carer[r.carer], day.job[first].place, day.job[job].place) - 60)

    def dropped(p):
        r = next(r for r in p.routes if r.carer == busy[0].carer)
        r.stops.pop()

    def twice(p):
        r0 = next(r for r in p.routes if r.carer == busy[0].carer)
        r1 = next(r for r in p.routes if r.carer == busy[1].carer)
        r1.stops.append(r0.stops[-1])

    def fixed_moved(p):
        for r in p.routes:
            for k, (job, part, start) in enumerate(r.stops):
                if day.job[job].fixed is not None and k == len(r.stops) - 1:
                    r.stops[k] = (job, part, start + 60)
                    r.arrival += 60
                    return None
        return False

    def late_home(p):
        r = next(r for r in p.routes if r.carer == busy[0].carer)
        r.arrival = day.carer[r.carer].shift_end + 60

    def no_lunch(p):
        for r in p.routes:
            lunch = day.carer[r.carer].lunch
            if r.break_start is not None and r.departure <= lunch[0] and r.arrival >= lunch[1] + lunch[2]:
                r.break_start = None
                return None
        return False

    def not_a_nurse(p):
        for r in p.routes:
            if day.carer[r.carer].nurse and any(_needs_nurse(day.job[j].items) for j, _p, _s in r.stops):
                # swap days with a care worker of the same provider
                other = next(q for q in p.routes if not day.carer[q.carer].nurse
                             and day.carer[q.carer].provider == day.carer[r.carer].provider)
                other.carer, r.carer = r.carer, other.carer
                return None
        return False

    def out_of_sync(p):
        for r in p.routes:
            for k, (job, part, start) in enumerate(r.stops):
                if part == 1:
                    r.stops[k] = (job, part, start + 60)
                    return None
        return False

    for name, mutate, expected in (
        ("a visit reached faster than the travel time", earlier, "cannot reach"),
        ("a visit dropped silently", dropped, "neither fully served"),
        ("a visit served twice", twice, "more than once"),
        ("a fixed-time visit a minute late", fixed_moved, "is fixed at"),
        ("back after the shift", late_home, "after the shift ends"),
        ("no lunch break", no_lunch, "without a break"),
        ("clinical items without a nurse", not_a_nurse, "may not do"),
        ("two caregivers a minute apart", out_of_sync, "not together"),
    ):
        attempt(name, mutate, expected)
    return results


# ----------------------------------------------------------------------------- greedy dispatcher

@dataclass
class _Track:
    carer: Carer
    stops: list = field(default_factory=list)
    here: Place | None = None
    free: float = 0.0
    departure: float | None = None
    break_start: float | None = None


def _try(day: Day, t: _Track, job: Job, not_before: float = -math.inf):
    """Earliest start of `job` appended to `t`'s day, or None if that breaks a rule.

    Returns (start, travel, break_start, departure)."""
    c = t.carer
    here = t.here or c.start
    free = t.free if t.stops else c.shift_start
    leg = day.travel(c, here, job.place)
    lunch = c.lunch
    brk = t.break_start

    def start_after(arrive):
        s = max(arrive, not_before)
        for a, b in job.windows:
            if s <= b + TOL:
                return max(s, a)
        return None

    start = start_after(free + leg)
    if start is None:
        return None
    departure = t.departure if t.stops else max(c.shift_start, start - leg)
    if lunch is not None and brk is None and departure <= lunch[0]:
        earliest, latest, length = lunch
        # break in the waiting time before this visit, if there is room
        b = max(free, earliest)
        if b <= latest and b + length + leg <= start:
            brk = b
        elif max(start + job.duration, earliest) > latest:
            # no later gap could hold the break: take it now, before travelling
            if b > latest or not t.stops:
                return None
            brk = b
            start = start_after(b + length + leg)
            if start is None:
                return None
    end = start + job.duration
    back = end + day.travel(c, job.place, c.end)
    if lunch is not None and brk is None and departure <= lunch[0] and back >= lunch[1] + lunch[2]:
        back = max(end, lunch[0]) + lunch[2] + day.travel(c, job.place, c.end)
    if back > c.shift_end or back - departure > c.max_work:
        return None
    return start, leg, brk, departure


def greedy(day: Day) -> Plan:
    """Visits in time order, each to the caregiver who can start it earliest (then the nearest);
    the elder's regular caregiver first when they are free. Feasibility-aware: a caregiver is
    only chosen when the visit, the way home, the shift, the working hours and the lunch break
    all still fit."""
    began = time.monotonic()
    tracks = {c.id: _Track(c) for c in day.carers}
    order = sorted(day.jobs, key=lambda j: (j.fixed if j.fixed is not None else j.windows[0][0], -j.priority, j.id))
    unscheduled = {}

    def commit(t, job, part, option):
        start, _leg, brk, departure = option
        t.stops.append((job.id, part, start))
        t.here, t.free, t.break_start, t.departure = job.place, start + job.duration, brk, departure

    for job in order:
        if job.carers_needed == 1:
            options = []
            for t in tracks.values():
                if not _may_do(t.carer, job):
                    continue
                option = _try(day, t, job)
                if option:
                    options.append((t.carer.id != job.regular, option[0], option[1], t.carer.id, option))
            if not options:
                unscheduled[job.id] = "no free qualified caregiver can fit it in"
                continue
            best = min(options)
            commit(tracks[best[3]], job, 0, best[4])
            continue
        # two caregivers at once: the pair that can both be there earliest
        firsts = [t for t in tracks.values() if _may_do(t.carer, job, 0)]
        seconds = [t for t in tracks.values() if _may_do(t.carer, job, 1)]
        best = None
        for a in firsts:
            oa = _try(day, a, job)
            if not oa:
                continue
            for b in seconds:
                if b is a:
                    continue
                ob = _try(day, b, job)
                if not ob:
                    continue
                together = max(oa[0], ob[0])
                oa2, ob2 = _try(day, a, job, together), _try(day, b, job, together)
                if oa2 and ob2 and oa2[0] == ob2[0] == together:
                    key = (together, oa2[1] + ob2[1], a.carer.id, b.carer.id)
                    if best is None or key < best[0]:
                        best = (key, a, oa2, b, ob2)
        if best is None:
            unscheduled[job.id] = "no two free caregivers can be there together"
            continue
        _key, a, oa, b, ob = best
        commit(a, job, 0, oa)
        commit(b, job, 1, ob)

    routes = []
    for t in tracks.values():
        c = t.carer
        if not t.stops:
            routes.append(PlanRoute(c.id, []))
            continue
        arrival = t.free + day.travel(c, t.here, c.end)
        brk = t.break_start
        if c.lunch and brk is None and t.departure <= c.lunch[0] and arrival >= c.lunch[1] + c.lunch[2]:
            brk = max(t.free, c.lunch[0])
            arrival = brk + c.lunch[2] + day.travel(c, t.here, c.end)
        routes.append(PlanRoute(c.id, t.stops, t.departure, arrival, brk))
    return Plan(routes, unscheduled, time.monotonic() - began)


# ----------------------------------------------------------------------------- figures

def figures(day: Day, plan: Plan) -> dict:
    travel = distance = 0.0
    used = 0
    regular_total = regular_kept = 0
    served_by = defaultdict(set)
    for r in plan.routes:
        if not r.stops:
            continue
        used += 1
        c = day.carer[r.carer]
        here = c.start
        for job_id, _part, _start in r.stops:
            job = day.job[job_id]
            travel += day.travel(c, here, job.place)
            distance += day.metres_between(here, job.place)
            served_by[job_id].add(c.id)
            here = job.place
        travel += day.travel(c, here, c.end)
        distance += day.metres_between(here, c.end)
    for job in day.jobs:
        if job.regular and job.id in served_by:
            regular_total += 1
            regular_kept += job.regular in served_by[job.id]
    scheduled = [j for j in day.jobs if j.id in served_by]
    return {
        "scheduled": len(scheduled),
        "unscheduled": len(plan.unscheduled),
        "priority_kept": sum(j.priority for j in scheduled),
        "priority_total": sum(j.priority for j in day.jobs),
        "travel_h": travel / H,
        "distance_km": distance / 1000,
        "caregivers": used,
        "continuity": (regular_kept, regular_total),
        "reasons": Counter(_reason_group(r) for r in plan.unscheduled.values()),
        "unscheduled_kinds": Counter(day.job[j].kind for j in plan.unscheduled),
        "seconds": plan.seconds,
    }


def _reason_group(reason: str) -> str:
    return reason.split(" (")[0]


def describe(day: Day) -> dict:
    jobs = day.jobs
    return {
        "visits": len(jobs),
        "elders": len({j.elder for j in jobs}),
        "caregivers": len(day.carers),
        "nurses": sum(c.nurse for c in day.carers),
        "walking": sum(c.mode == "walking" for c in day.carers),
        "from_home": sum(c.start.key.endswith("-home") for c in day.carers),
        "nurse_visits": sum(_needs_nurse(j.items) for j in jobs),
        "fixed": sum(j.fixed is not None for j in jobs),
        "two_windows": sum(len(j.windows) == 2 for j in jobs),
        "pairs": sum(j.carers_needed == 2 for j in jobs),
        "regular": sum(j.regular is not None for j in jobs),
        "excluded": sum(bool(j.excluded) for j in jobs),
        "female_only": sum(j.female_only for j in jobs),
        "service_h": sum(j.duration * j.carers_needed for j in jobs) / H,
        "shift_h": sum((c.max_work - (c.lunch[2] if c.lunch else 0)) for c in day.carers) / H,
        "shifts": Counter(c.shift for c in day.carers),
    }


# ----------------------------------------------------------------------------- re-planning

def sick_caregiver(day: Day, plan: Plan, now: float) -> str:
    """Of the caregivers already out on their rounds at `now`, the one with the most visits
    still to come (ties: the first id)."""
    later, out = Counter(), set()
    for r in plan.routes:
        for _job, _part, start in r.stops:
            if start >= now:
                later[r.carer] += 1
            else:
                out.add(r.carer)
    return min((cid for cid in later if cid in out), key=lambda cid: (-later[cid], cid))


def run_replan(day, problem, solution, plan, *, now, seconds, seed):
    sick = sick_caregiver(day, plan, now)
    began = time.monotonic()
    new_solution = replan(problem, solution, now=now, unavailable_caregivers=[sick], seconds=seconds, seed=seed)
    elapsed = time.monotonic() - began
    new = from_solution(new_solution, elapsed)
    orphaned = [(j, p) for r in plan.routes if r.carer == sick for j, p, s in r.stops if s >= now]
    where = {(j, p): r.carer for r in new.routes for j, p, _s in r.stops}
    reassigned = [key for key in orphaned if key in where]
    old = {(j, p): r.carer for r in plan.routes for j, p, _s in r.stops}
    moved_others = sum(1 for key, cid in where.items() if key in old and old[key] != cid and old[key] != sick)
    return {
        "sick": sick,
        "orphaned": len(orphaned),
        "reassigned": len(reassigned),
        "left": sorted({j for j, _p in orphaned if j in new.unscheduled}),
        "moved_others": moved_others,
        "violations": audit(day, new, before=plan, now=now, sick=sick),
        "seconds": elapsed,
        "unscheduled_before": len(plan.unscheduled),
        "unscheduled_after": len(new.unscheduled),
        "figures": figures(day, new),
        "iterations": new_solution.stats.get("iterations"),
    }


# ----------------------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated day and of the solver")
    parser.add_argument("--seconds", type=float, default=50.0, help="engine budget for the day (must stay under 60)")
    parser.add_argument("--replan-seconds", type=float, default=8.0, help="engine budget for the re-plan (under 10)")
    parser.add_argument("--replan-at", default="10:00", help="when the caregiver goes off sick (HH:MM)")
    parser.add_argument("--repeat", type=int, default=2, help="engine runs on the same day (budgets are wall-clock)")
    parser.add_argument("--no-doc", action="store_true", help="print only; do not write the report")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    hours, minutes = (int(x) for x in args.replan_at.split(":"))
    now = hours * H + minutes * M

    day = build_day(args.seed)
    shape = describe(day)
    print(f"day: {shape['visits']} visits for {shape['elders']} elders, {shape['caregivers']} caregivers "
          f"({shape['nurses']} nurses, {shape['walking']} walking); service {shape['service_h']:.0f} h, "
          f"working time {shape['shift_h']:.0f} h", flush=True)

    greedy_plan = greedy(day)
    greedy_violations = audit(day, greedy_plan)
    greedy_fig = figures(day, greedy_plan)
    print(f"greedy: {_line(greedy_fig)}; violations {len(greedy_violations)}; {greedy_plan.seconds:.2f} s", flush=True)
    for v in greedy_violations[:10]:
        print("  ", v)

    runs = []
    for number in range(1, args.repeat + 1):
        load_before = os.getloadavg()
        began, cpu = time.monotonic(), time.process_time()
        problem = to_problem(day)
        solution = solve(problem, seconds=args.seconds, seed=args.seed)
        ours_seconds = time.monotonic() - began
        ours_cpu = time.process_time() - cpu
        ours = from_solution(solution, ours_seconds)
        violations = audit(day, ours)
        fig = figures(day, ours)
        print(f"run {number}: engine: {_line(fig)}; violations {len(violations)}; "
              f"{solution.stats.get('iterations')} iterations, {ours_seconds:.1f} s ({ours_cpu:.1f} s CPU)", flush=True)
        for v in violations[:10]:
            print("  ", v)
        self_test = checker_self_test(day, ours)
        print("  checker self-test: " + ", ".join(f"{name}: {'caught' if ok else 'MISSED'}" for name, ok in self_test), flush=True)
        cpu = time.process_time()
        re = run_replan(day, problem, solution, ours, now=now, seconds=args.replan_seconds, seed=args.seed)
        re["cpu"] = time.process_time() - cpu
        print(f"  re-plan at {hm(now)}: {re['sick']} off sick with {re['orphaned']} visits to come; "
              f"{re['reassigned']} reassigned, {len(re['left'])} left unscheduled; {re['moved_others']} other visits moved; "
              f"violations {len(re['violations'])}; {re['seconds']:.1f} s ({re['cpu']:.1f} s CPU)", flush=True)
        for v in re["violations"][:10]:
            print("  ", v)
        runs.append({"fig": fig, "violations": violations, "iterations": solution.stats.get("iterations"),
                     "cpu": ours_cpu, "self_test": self_test, "replan": re, "load_before": load_before,
                     "load_after": os.getloadavg()})

    if not args.no_doc:
        body = _report(args, now, shape, runs, greedy_fig, greedy_violations)
        replace_section(args.doc, "district-day", body, "Routing engine benchmarks")
    ok = all(not r["violations"] and not r["replan"]["violations"] and all(t for _n, t in r["self_test"]) for r in runs)
    return 0 if ok else 1


def _line(f):
    kept, total = f["continuity"]
    return (f"{f['scheduled']} scheduled, {f['unscheduled']} unscheduled; travel {f['travel_h']:.1f} h, "
            f"{f['distance_km']:.1f} km; {f['caregivers']} caregivers; continuity {kept}/{total}")


def _report(args, now, shape, runs, greedy_fig, greedy_violations):
    command = "python benchmarks/routing_district_day.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    def pct(a, b):
        return f"{100 * a / b:.1f} %" if b else "–"

    def row(name, f, violations, cpu="", load=""):
        kept, total = f["continuity"]
        return (f"| {name} | {f['scheduled']} | {f['unscheduled']} | {pct(f['priority_kept'], f['priority_total'])} | "
                f"{f['travel_h']:.1f} | {60 * f['travel_h'] / max(1, f['scheduled']):.1f} | {f['distance_km']:.1f} | "
                f"{f['caregivers']} | {kept}/{total} ({pct(kept, total)}) | {len(violations)} | {f['seconds']:.1f} | {cpu} | {load} |")

    def reasons(f):
        if not f["unscheduled"]:
            return "none"
        parts = [f"{n} × {reason}" for reason, n in f["reasons"].most_common()]
        kinds = ", ".join(f"{k} {n}" for k, n in f["unscheduled_kinds"].most_common())
        return "; ".join(parts) + f" (by kind: {kinds})"

    shifts = ", ".join(f"{n} {name}" for name, n in sorted(shape["shifts"].items()))
    self_test = runs[0]["self_test"]
    lines = [
        "## District day (500 visits, 60 caregivers)",
        "",
        f"- Command: `{command.strip()}`",
        f"- Date: {now_utc()}; machine: {machine()}",
        f"- The day (seed {args.seed}): {shape['visits']} visits to {shape['elders']} elders of four home-care providers "
        f"in eight streets of the demo district; {shape['caregivers']} caregivers ({shape['nurses']} registered nurses, "
        f"{shape['walking']} walking at 4 km/h, the rest on e-bikes at 15 km/h; {shape['from_home']} start from home, "
        f"the others from their provider's centre; shifts: {shifts}, each with a lunch break window and a "
        f"limit on working hours). {shape['nurse_visits']} visits have clinical items only nurses may do, "
        f"{shape['fixed']} have a fixed time, {shape['two_windows']} two time windows, {shape['pairs']} need two "
        f"caregivers at once; {shape['regular']} have a regular caregiver, {shape['excluded']} an excluded "
        f"caregiver, {shape['female_only']} ask for a woman. Service time {shape['service_h']:.0f} h against "
        f"{shape['shift_h']:.0f} h of working time net of breaks. Travel: straight line × 1.3, plus 2 min "
        "(walking) or 4 min (e-bike) per leg to park, find the building and climb the stairs.",
        f"- Engine: `solve(problem, seconds={args.seconds:g}, seed={args.seed})` (ALNS backend), run {len(runs)} "
        "times on the same day; the budget is wall-clock, so runs differ with the CPU time they got on the shared machine.",
        "- Greedy: visits in time order (fixed time or window opening), each to the caregiver of the elder's "
        "provider who can start it earliest — the regular caregiver first if free — checking that the visit, the "
        "way back, shift end, working hours and the lunch break still fit; two-caregiver visits to the pair that "
        "can be there together earliest.",
        "- Both plans are judged by a checker written in the benchmark, not the engine's: it re-computes every "
        "route's times from the benchmark's own travel matrix and checks windows, fixed times, the nurse rule, "
        "provider, gender and exclusions, shifts, working hours, lunch breaks, each visit at most once, "
        "two-caregiver synchrony and that no elder has two visits at once.",
        f"- Checker self-test in every run: the engine's plan broken on purpose in {len(self_test)} ways "
        f"({', '.join(name for name, _ok in self_test)}); caught "
        + ", ".join(f"{sum(ok for _n, ok in r['self_test'])} of {len(r['self_test'])}" for r in runs) + ".",
        "",
        "| plan | scheduled | unscheduled | priority kept | travel h | travel min per visit | distance km | caregivers used | regular caregiver kept | violations | seconds | CPU s | load before/after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(runs, start=1):
        lines.append(row(f"engine, run {number} ({r['iterations']} iterations)", r["fig"], r["violations"],
                         f"{r['cpu']:.1f}", f"{r['load_before'][0]:.1f} / {r['load_after'][0]:.1f}"))
    lines.append(row("greedy nearest free caregiver", greedy_fig, greedy_violations))
    lines.append("")
    for number, r in enumerate(runs, start=1):
        lines.append(f"- Unscheduled, engine run {number}: {reasons(r['fig'])}.")
    lines.append(f"- Unscheduled, greedy: {reasons(greedy_fig)}.")
    for number, r in enumerate(runs, start=1):
        f = r["fig"]
        saved = greedy_fig["travel_h"] - f["travel_h"]
        lines.append(
            f"- Run {number}: engine under 60 s — {'met' if f['seconds'] < 60 else 'missed'} ({f['seconds']:.1f} s); "
            f"zero violations — {'met' if not r['violations'] else 'missed'}; {f['scheduled'] - greedy_fig['scheduled']:+d} "
            f"visits scheduled and {saved:.1f} h ({pct(saved, greedy_fig['travel_h'])}) less travel than the greedy plan.")
    lines += [
        "",
        f"### Re-planning: a caregiver goes off sick at {hm(now)}",
        "",
        f"The engine's plan of each run is executed until {hm(now)}: every visit started by then is done or under way and "
        "stays as it is. Of the caregivers already out on their rounds, the one with the most visits still to come goes "
        f"home sick; `replan(problem, plan, now={int(now)}, unavailable_caregivers=[...], seconds={args.replan_seconds:g}, "
        f"seed={args.seed})` re-plans the rest. The re-plan prices moving a visit someone has already been told about "
        "like breaking continuity of care, so other caregivers' days change only where that keeps a visit or saves "
        "enough travel. The independent checker adds the re-planning rules: started visits unchanged, nothing new "
        f"before {hm(now)}, nothing new for the sick caregiver.",
        "",
        "| run | sick caregiver | visits to come | reassigned | left unscheduled (with reason) | other visits moved | unscheduled before → after | travel h after | violations | seconds | CPU s | iterations |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(runs, start=1):
        re = r["replan"]
        left = f"{len(re['left'])}" + (f" ({', '.join(re['left'])})" if re["left"] else "")
        lines.append(
            f"| {number} | {re['sick']} | {re['orphaned']} | **{re['reassigned']}** | {left} | {re['moved_others']} | "
            f"{re['unscheduled_before']} → {re['unscheduled_after']} | {re['figures']['travel_h']:.1f} | "
            f"{len(re['violations'])} | {re['seconds']:.1f} | {re['cpu']:.1f} | {re['iterations']} |")
    lines.append("")
    lines.append("Re-plan under 10 s: " + ", ".join(
        f"run {n} {'met' if r['replan']['seconds'] < 10 else 'missed'}" for n, r in enumerate(runs, start=1)) + ".")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
