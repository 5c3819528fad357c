"""Routing engine: plans caregivers' days (home health care routing and scheduling).

Pure Python, no Django. The dispatch app builds a `Problem` and calls:

    solve(problem, *, seconds=None, iterations=None, seed=0, backend="auto") -> Solution
        Plans every visit it can. Visits that fit nowhere come back in
        `solution.unscheduled` with a reason (lowest priority ones are dropped first).
        With `iterations` (and no `seconds`) a run is reproducible from `seed`.
        Plain VRPTW problems go to PyVRP; everything else (qualifications, two-caregiver
        visits, breaks, ...) to the built-in large neighbourhood search.

    time_route(problem, caregiver_id, visit_ids) -> Route
        The visits in this order at their earliest times, as a dispatcher's manual move
        arranges them; `check` says whether that breaks a rule. Every solve and re-plan ends
        with a repair pass (`manual.place_unscheduled`) that tries each visit left out at
        every position of every caregiver's day this way, so no visit stays unscheduled
        that a legal manual move could place.

    check(problem, solution) -> list[Violation]
        Independent of the solvers: every broken hard constraint, empty if feasible.

    evaluate(problem, solution) -> Evaluation
        Objective figures (vehicles, distance, travel time, tardiness, unscheduled).

    replan(problem, solution, *, now, unavailable_caregivers=(), seconds=None,
           iterations=None, seed=0) -> Solution
        Keeps services that started before `now`, takes nothing new from unavailable
        caregivers (someone off sick at 10:00) and re-plans the rest of the day. Moving a
        visit away from the caregiver the old plan gave it to costs as much as breaking
        continuity of care, so other caregivers' days change only where that pays.

Times are numbers on one clock (the dispatch app uses seconds since local midnight);
distances are metres when the matrix comes from `travel.StraightLineProvider` (haversine
times a detour factor) or `travel.OsrmTableProvider` (an OSRM-compatible `/table/v1/` server).
Build the matrix with `travel.build_matrix(visits, caregivers, provider)`.

Benchmark readers live in `formats` (Solomon, Mankowska HHCRSP); the command line is
`python -m carecircle.engines.routing solve FILE --format solomon|hhcrsp --seconds N --seed S`.
"""

from .checker import Evaluation, check, evaluate
from .model import (
    Caregiver,
    Location,
    LunchBreak,
    Objective,
    Problem,
    Route,
    Service,
    Solution,
    Stop,
    TimeWindow,
    TravelMatrix,
    TravelMode,
    Unscheduled,
    Violation,
    Visit,
)
from .manual import place_unscheduled, solution_with, time_route
from .solver import replan, solve

__all__ = [
    "Caregiver", "Evaluation", "Location", "LunchBreak", "Objective", "Problem", "Route", "Service",
    "Solution", "Stop", "TimeWindow", "TravelMatrix", "TravelMode", "Unscheduled", "Violation", "Visit",
    "check", "evaluate", "place_unscheduled", "replan", "solution_with", "solve", "time_route",
]
