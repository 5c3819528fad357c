"""The repair pass: after a solve or a re-plan, no visit stays unscheduled that a manual move could place.

A manual move is judged by `time_route` (the visits in the dispatcher's order at their earliest times)
and the independent checker; the property is tested on generated days with breaks, windows, shifts,
working-hour limits, qualifications and exclusions, where the search alone leaves visits out.
"""

import random

import pytest

from carecircle.engines.routing import check, place_unscheduled, replan, solve, time_route
from carecircle.engines.routing.model import LunchBreak, Route, Solution, TimeWindow, Unscheduled

from .helpers import caregiver, grid_problem, visit

HOUR = 60


def generated_day(seed: int, n_visits: int = 26, n_caregivers: int = 4):
    rng = random.Random(seed)
    points = {"home": (0, 0)}
    visits = []
    for k in range(n_visits):
        key = f"p{k}"
        points[key] = (rng.uniform(-25, 25), rng.uniform(-25, 25))
        duration = rng.choice([20, 30, 45, 60])
        if rng.random() < 0.3:  # a fixed-time visit
            start = rng.randrange(8 * HOUR, 16 * HOUR, 15)
            window = (start, start)
        else:
            start = rng.randrange(8 * HOUR, 15 * HOUR, 30)
            window = (start, start + rng.choice([60, 120, 180, 240]))
        qualification = "nurse" if rng.random() < 0.15 else None
        excluded = frozenset({f"c{rng.randrange(n_caregivers)}"}) if rng.random() < 0.1 else frozenset()
        visits.append(visit(f"v{k}", key, duration, window, qualification, excluded_caregivers=excluded,
                            priority=rng.choice([1, 1, 2])))
    caregivers = []
    for c in range(n_caregivers):
        start = rng.choice([7 * HOUR + 30, 8 * HOUR, 9 * HOUR])
        caregivers.append(caregiver(
            f"c{c}", shift=(start, start + rng.choice([6, 8, 9]) * HOUR),
            qualifications=frozenset({"nurse"}) if c == 0 else frozenset(),
            max_working_time=rng.choice([6, 8]) * HOUR,
            lunch_break=LunchBreak(11 * HOUR + 30, 13 * HOUR, 30) if rng.random() < 0.7 else None,
        ))
    return grid_problem(points, visits, caregivers)


def manual_places(problem, solution, visit_id):
    """Every (caregiver, position) where a dispatcher could legally put `visit_id` by hand."""
    places = []
    for route in solution.routes:
        ids = [s.visit_id for s in route.stops]
        for position in range(len(ids) + 1):
            trial = time_route(problem, route.caregiver_id, ids[:position] + [visit_id] + ids[position:])
            others = [r for r in solution.routes if r.caregiver_id != route.caregiver_id]
            candidate = Solution(others + [trial], [u for u in solution.unscheduled if u.visit_id != visit_id])
            if not check(problem, candidate):
                places.append((route.caregiver_id, position))
    return places


@pytest.mark.parametrize("seed", range(8))
def test_after_solving_no_unscheduled_visit_fits_by_a_manual_move(seed):
    problem = generated_day(seed)
    solution = solve(problem, iterations=60, seed=seed)
    assert check(problem, solution) == []
    for left in solution.unscheduled:
        assert manual_places(problem, solution, left.visit_id) == [], left.visit_id


@pytest.mark.parametrize("seed", range(4))
def test_after_a_replan_no_unscheduled_visit_fits_by_a_manual_move(seed):
    problem = generated_day(100 + seed)
    solution = solve(problem, iterations=40, seed=seed)
    result = replan(problem, solution, now=11 * HOUR, unavailable_caregivers=["c1"], iterations=40, seed=seed)
    assert check(problem, result) == []
    before = {s.visit_id: s.start for r in solution.routes for s in r.stops if s.start < 11 * HOUR}
    after = {s.visit_id: s.start for r in result.routes for s in r.stops}
    # Visits already under way keep their times; nothing new starts before the re-plan time.
    assert all(after[v] == start for v, start in before.items())
    assert all(start >= 11 * HOUR for v, start in after.items() if v not in before)
    assert not any(s.visit_id not in before for r in result.routes if r.caregiver_id == "c1" for s in r.stops)
    for left in result.unscheduled:
        for cid, position in manual_places(problem, result, left.visit_id):
            route = next(r for r in result.routes if r.caregiver_id == cid)
            # The only places a manual move finds are the ones a re-plan may not use: the caregiver who
            # dropped out, or before a visit that is already under way.
            assert cid == "c1" or position < sum(1 for s in route.stops if s.visit_id in before)


def test_the_repair_pass_places_what_the_search_left_out():
    # A day the search never saw: everything unscheduled, two caregivers, room for all three visits.
    problem = grid_problem(
        {"home": (0, 0), "A": (5, 0), "B": (0, 5), "C": (5, 5)},
        [visit("a", "A", 20, (14 * HOUR, 17 * HOUR)), visit("b", "B", 30, (9 * HOUR, 9 * HOUR)),
         visit("c", "C", 60, (8 * HOUR, 12 * HOUR), qualification="nurse")],
        [caregiver("c0", shift=(8 * HOUR, 17 * HOUR), lunch_break=LunchBreak(11 * HOUR, 13 * HOUR, 60)),
         caregiver("c1", shift=(8 * HOUR, 12 * HOUR), qualifications=frozenset({"nurse"}))],
    )
    empty = Solution([Route("c0", []), Route("c1", [])], [Unscheduled(v, "left") for v in ("a", "b", "c")])
    repaired = place_unscheduled(problem, empty)
    assert repaired.unscheduled == []
    assert check(problem, repaired) == []
    nurse = next(r for r in repaired.routes if r.caregiver_id == "c1")
    assert "c" in [s.visit_id for s in nurse.stops]


def test_a_visit_nobody_may_do_stays_unscheduled_with_its_reason():
    problem = grid_problem(
        {"home": (0, 0), "A": (5, 0)},
        [visit("a", "A", 20, (9 * HOUR, 10 * HOUR), qualification="nurse")],
        [caregiver("c0", shift=(8 * HOUR, 17 * HOUR))],
    )
    empty = Solution([Route("c0", [])], [Unscheduled("a", "no nurse")])
    assert place_unscheduled(problem, empty) is empty
