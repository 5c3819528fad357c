"""Domain model of a caregivers' day: visits, caregivers, travel, and a plan.

Times are plain numbers on one clock chosen by the caller (the dispatch app uses seconds since
local midnight, Asia/Shanghai; benchmark instances use their own unit). Keeping the engine on a
single numeric clock avoids timezone arithmetic inside the search, where it would be both slow
and a source of off-by-an-hour bugs; the caller converts once at the boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

INFINITY = math.inf

# Seconds of travel the care objective will spend to send an elder's preferred caregiver:
# continuity of care is worth half an hour of extra travel, not a whole day's.
PREFERENCE_WEIGHT = 1800.0


@dataclass(frozen=True)
class Location:
    """A place. `key` identifies it to a matrix provider; lat/lon are WGS84 when known."""

    key: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class TimeWindow:
    """Service must START inside [start, end] (waiting before `start` is allowed)."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class Service:
    """One caregiver's part of a visit."""

    duration: float
    qualification: str | None = None
    # Some benchmark families give a caregiver-specific duration; most visits leave this empty.
    duration_by_caregiver: Mapping[str, float] | None = None

    def duration_for(self, caregiver_id: str) -> float:
        if self.duration_by_caregiver and caregiver_id in self.duration_by_caregiver:
            return self.duration_by_caregiver[caregiver_id]
        return self.duration


@dataclass(frozen=True)
class Visit:
    """A visit at an elder's home.

    `services` has one entry, or two when the visit needs two caregivers. With two, the second
    service starts between `min_gap` and `max_gap` after the first (both 0 = simultaneous, e.g.
    a two-person transfer from bed).
    """

    id: str
    location: Location
    services: tuple[Service, ...]
    time_windows: tuple[TimeWindow, ...] = (TimeWindow(-INFINITY, INFINITY),)
    fixed_start: float | None = None
    min_gap: float = 0.0
    max_gap: float = 0.0
    preferred_caregivers: frozenset[str] = frozenset()
    excluded_caregivers: frozenset[str] = frozenset()
    # Higher priority visits are kept when a day is over-full.
    priority: int = 1
    demand: float = 0.0

    def __post_init__(self) -> None:
        if len(self.services) not in (1, 2):
            raise ValueError(f"visit {self.id}: one or two services, got {len(self.services)}")
        if not self.time_windows:
            raise ValueError(f"visit {self.id}: at least one time window")
        if self.min_gap > self.max_gap:
            raise ValueError(f"visit {self.id}: min_gap {self.min_gap} > max_gap {self.max_gap}")
        if self.fixed_start is not None and not any(
            w.start <= self.fixed_start <= w.end for w in self.time_windows
        ):
            raise ValueError(f"visit {self.id}: fixed start outside every time window")

    @property
    def needs_two(self) -> bool:
        return len(self.services) == 2

    def windows(self) -> tuple[TimeWindow, ...]:
        if self.fixed_start is not None:
            return (TimeWindow(self.fixed_start, self.fixed_start),)
        return tuple(sorted(self.time_windows, key=lambda w: w.start))


class TravelMode:
    WALKING = "walking"
    EBIKE = "ebike"
    CAR = "car"
    # Benchmarks define travel time directly; their matrices are stored under this mode.
    MATRIX = "matrix"


@dataclass(frozen=True)
class LunchBreak:
    """A break of `duration` that must start within [earliest, latest]."""

    earliest: float
    latest: float
    duration: float


@dataclass(frozen=True)
class Caregiver:
    id: str
    start: Location
    end: Location
    shift: TimeWindow = TimeWindow(-INFINITY, INFINITY)
    qualifications: frozenset[str] = frozenset()
    travel_mode: str = TravelMode.EBIKE
    # metres per second; None means "use the matrix provider's default for the mode".
    speed: float | None = None
    # Limit on time from leaving the start place to arriving at the end place.
    max_working_time: float = INFINITY
    lunch_break: LunchBreak | None = None
    capacity: float = INFINITY

    def can_do(self, service: Service) -> bool:
        return service.qualification is None or service.qualification in self.qualifications


class Objective:
    """How plans are compared."""

    # Home care: keep as many (and as important) visits as possible, then least travel time,
    # then honour preferred caregivers.
    CARE = "care"
    # Solomon VRPTW: fewest vehicles, then least distance.
    VRPTW = "vrptw"
    # Mankowska et al. 2014: windows are soft, (distance + total + max tardiness) / 3.
    HHCRSP = "hhcrsp"


@dataclass
class Problem:
    visits: list[Visit]
    caregivers: list[Caregiver]
    matrix: "TravelMatrix"
    objective: str = Objective.CARE
    name: str = ""

    def __post_init__(self) -> None:
        ids = [v.id for v in self.visits]
        if len(set(ids)) != len(ids):
            raise ValueError("visit ids must be unique")
        cids = [c.id for c in self.caregivers]
        if len(set(cids)) != len(cids):
            raise ValueError("caregiver ids must be unique")
        self.visit_by_id = {v.id: v for v in self.visits}
        self.caregiver_by_id = {c.id: c for c in self.caregivers}

    @property
    def soft_time_windows(self) -> bool:
        return self.objective == Objective.HHCRSP


@dataclass(frozen=True)
class Stop:
    """Service `service` (0 or 1) of visit `visit_id`, starting at `start`."""

    visit_id: str
    service: int
    start: float


@dataclass
class Route:
    caregiver_id: str
    stops: list[Stop]
    # Leaving the start place and arriving back at the end place.
    departure: float | None = None
    arrival: float | None = None
    break_start: float | None = None


@dataclass(frozen=True)
class Unscheduled:
    visit_id: str
    reason: str


@dataclass
class Solution:
    routes: list[Route]
    unscheduled: list[Unscheduled] = field(default_factory=list)
    # Filled by solvers for information only; the checker recomputes everything it judges.
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str
    visit_id: str | None = None
    caregiver_id: str | None = None


class TravelMatrix:
    """Distances and travel times between every pair of a fixed list of locations."""

    def __init__(
        self,
        locations: Sequence[Location],
        distances: Sequence[Sequence[float]],
        durations_by_mode: Mapping[str, Sequence[Sequence[float]]],
    ) -> None:
        self.locations = list(locations)
        self.index = {loc.key: i for i, loc in enumerate(self.locations)}
        if len(self.index) != len(self.locations):
            raise ValueError("location keys must be unique")
        n = len(self.locations)
        if len(distances) != n or any(len(row) != n for row in distances):
            raise ValueError("distance matrix must be square and match the locations")
        self.distances = [list(map(float, row)) for row in distances]
        self.durations_by_mode = {
            mode: [list(map(float, row)) for row in rows] for mode, rows in durations_by_mode.items()
        }

    def distance(self, a: Location, b: Location) -> float:
        return self.distances[self.index[a.key]][self.index[b.key]]

    def durations(self, caregiver: Caregiver) -> list[list[float]]:
        if caregiver.speed is not None:
            # A caregiver's own speed (a slow walker, a fast e-bike) overrides the mode's
            # default; distances are already road distances, so time is simply distance/speed.
            key = f"speed:{caregiver.speed!r}"
            if key not in self.durations_by_mode:
                self.durations_by_mode[key] = [
                    [d / caregiver.speed for d in row] for row in self.distances
                ]
            return self.durations_by_mode[key]
        if caregiver.travel_mode in self.durations_by_mode:
            return self.durations_by_mode[caregiver.travel_mode]
        if TravelMode.MATRIX in self.durations_by_mode:
            return self.durations_by_mode[TravelMode.MATRIX]
        raise KeyError(f"no travel times for mode {caregiver.travel_mode!r}")

    def duration(self, caregiver: Caregiver, a: Location, b: Location) -> float:
        return self.durations(caregiver)[self.index[a.key]][self.index[b.key]]
