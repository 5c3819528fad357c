"""The repair pass: after a solve or a re-plan, no visit stays unscheduled that a manual move could place.

A manual move is judged by `time_route` (the visits in the dispatcher's order at their earliest times)
and the independent checker; the property is tested on generated days with breaks, windows, shifts,
working-hour limits, qualifications and exclusions, where the search alone leaves visits out.
"""

import random

import pytest

from carecircle.engines.routing import check, place_unscheduled, replan, solve, time_route
from carecircle.engines.routing.manual import NO_CAREGIVER_MAY, NO_PLACE_PINNED
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


# --- inserting into a published day: pinned visits keep their caregiver and start time --------------

def _published_day():
    # c0 works 8–17 with lunch 11–13 (60 min); published: p1 at 9:00, p2 at 14:00 (grid unit = 1 minute).
    problem = grid_problem(
        {"home": (0, 0), "P1": (10, 0), "P2": (0, 10), "N": (10, 10), "FAR": (400, 0)},
        [visit("p1", "P1", 60, (9 * HOUR, 9 * HOUR)), visit("p2", "P2", 60, (14 * HOUR, 14 * HOUR)),
         visit("n", "N", 30, (10 * HOUR, 16 * HOUR)), visit("late", "N", 30, (13 * HOUR + 40, 13 * HOUR + 40)),
         visit("far", "FAR", 30, (9 * HOUR, 12 * HOUR)), visit("nurse", "N", 30, (9 * HOUR, 16 * HOUR),
                                                              qualification="nurse")],
        [caregiver("c0", shift=(8 * HOUR, 17 * HOUR), lunch_break=LunchBreak(11 * HOUR, 13 * HOUR, 60))],
    )
    published = time_route(problem, "c0", ["p1", "p2"], kept={"p1": 9 * HOUR, "p2": 14 * HOUR})
    pinned = {s.visit_id: s.start for s in published.stops}
    return problem, published, pinned


def test_a_new_visit_goes_into_a_gap_and_published_visits_keep_their_times():
    problem, published, pinned = _published_day()
    day = Solution([published], [Unscheduled("n", "new")])
    placed = place_unscheduled(problem, day, pinned=pinned)
    assert placed.unscheduled == []
    route = placed.routes[0]
    starts = {s.visit_id: s.start for s in route.stops}
    assert starts["p1"] == 9 * HOUR and starts["p2"] == 14 * HOUR
    assert "n" in starts
    others = [Unscheduled(v, "x") for v in ("late", "far", "nurse")]
    assert check(problem, Solution(placed.routes, others)) == []


def test_a_visit_that_fits_only_by_moving_a_published_one_stays_unplaced_with_the_reason():
    problem, published, pinned = _published_day()
    # 13:40 fixed, 30 minutes, 14 minutes from P2: it would end 14:10 and make p2 late.
    day = Solution([published], [Unscheduled("late", "new")])
    placed = place_unscheduled(problem, day, pinned=pinned)
    assert [u.visit_id for u in placed.unscheduled] == ["late"]
    assert placed.unscheduled[0].reason == NO_PLACE_PINNED
    assert {s.visit_id: s.start for s in placed.routes[0].stops} == pinned
    # Without pins the same visit fits (p2 would simply not be fixed): the pin is what refused it.
    free = grid_problem({"home": (0, 0), "N": (10, 10)}, [problem.visit_by_id["late"]],
                        [problem.caregiver_by_id["c0"]])
    assert place_unscheduled(free, Solution([Route("c0", [])], [Unscheduled("late", "new")])).unscheduled == []


def test_too_far_and_not_qualified_are_told_apart():
    problem, published, pinned = _published_day()
    day = Solution([published], [Unscheduled("far", "new"), Unscheduled("nurse", "new")])
    placed = place_unscheduled(problem, day, pinned=pinned)
    reasons = {u.visit_id: u.reason for u in placed.unscheduled}
    assert reasons == {"far": NO_PLACE_PINNED, "nurse": NO_CAREGIVER_MAY}


def test_the_lunch_break_may_fall_in_the_gap_before_a_visit_that_keeps_its_time():
    problem, _published, _pinned = _published_day()
    route = time_route(problem, "c0", ["p1", "n", "p2"], kept={"p1": 9 * HOUR, "p2": 14 * HOUR})
    assert check(problem, Solution([route], [Unscheduled(v, "x") for v in ("late", "far", "nurse")])) == []
    assert 11 * HOUR <= route.break_start <= 13 * HOUR
