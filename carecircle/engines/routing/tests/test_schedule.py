"""Timing of plans with synchronised services (the fixed point the search relies on)."""

import random

import pytest

from carecircle.engines.routing.checker import check
from carecircle.engines.routing.formats import read_mankowska, read_solomon
from carecircle.engines.routing.model import LunchBreak
from carecircle.engines.routing.schedule import Compiled

from carecircle.engines.routing.search import Search

from .helpers import DATA, caregiver, double_visit, grid_problem, visit

POINTS = {"home": (0, 0), "A": (10, 0), "B": (0, 30), "C": (40, 0)}


def test_gap_delays_the_second_service_and_max_gap_delays_the_first():
    problem = grid_problem(
        POINTS,
        [double_visit("d", "A", min_gap=20, max_gap=25), visit("far", "C")],
        [caregiver("c1"), caregiver("c2")],
    )
    cp = Compiled(problem)
    first, second = cp.visit_tasks[0]
    far = cp.visit_tasks[1][0]
    # c1 serves the first service at A (arrives 10); c2 goes to C first (40 + 10 + 30 back) so
    # reaches A at 80: the first service must wait until 80 - 25 = 55.
    timings, deadlock = cp.time_plan([[first], [far, second]])
    assert not deadlock
    assert timings[0].starts == [55]
    assert timings[1].starts == [40, 80]
    assert check(problem, cp.to_solution([[first], [far, second]], {}, timings)) == []
    # the other way round only the second service waits
    timings, _ = cp.time_plan([[second], [first]])
    assert timings[1].starts == [10] and timings[0].starts == [30]


def test_crossed_simultaneous_visits_are_a_deadlock():
    problem = grid_problem(
        POINTS,
        [double_visit("x", "A"), double_visit("y", "B")],
        [caregiver("c1"), caregiver("c2")],
    )
    cp = Compiled(problem)
    x0, x1 = cp.visit_tasks[0]
    y0, y1 = cp.visit_tasks[1]
    _, deadlock = cp.time_plan([[x0, y0], [x1, y1]])
    assert not deadlock
    _, deadlock = cp.time_plan([[x0, y0], [y1, x1]])
    assert deadlock


def test_lunch_break_is_planned_where_the_checker_accepts_it():
    lunch = LunchBreak(earliest=60, latest=90, duration=30)
    problem = grid_problem(
        POINTS,
        [visit("a", "A", duration=50), visit("b", "B", duration=40, window=(0, 200))],
        [caregiver("c1", lunch_break=lunch)],
    )
    cp = Compiled(problem)
    routes = [[0, 1]]
    timings, _ = cp.time_plan(routes)
    assert timings[0].break_start == 60 and timings[0].hard == 0
    assert check(problem, cp.to_solution(routes, {}, timings)) == []


def _screen_matches_full_timing(problem, rng_seed):
    cp = Compiled(problem)
    search = Search(cp, seed=rng_seed)
    state = search.initial()
    partner_start = search._starts(state.routes, state.timings)
    rng = random.Random(rng_seed)
    compared = 0
    for _ in range(60):
        c = rng.randrange(cp.n_caregivers)
        route = state.routes[c]
        task = rng.randrange(cp.n_tasks)
        if task in route:
            continue
        screened = {row[0]: row[1:] for row in cp.insertion_screen(c, route, task, partner_start)}
        for pos in range(len(route) + 1):
            timing = cp.time_route(c, route[:pos] + [task] + route[pos:], partner_start=partner_start)
            if timing.hard > 1e-9:
                assert pos not in screened
                continue
            expected = (timing.distance, timing.travel_time, timing.tardiness, timing.max_tardiness,
                        timing.not_preferred, timing.sync)
            assert screened[pos] == pytest.approx(expected)
            compared += 1
    return compared


@pytest.mark.skipif(not DATA.exists(), reason="benchmark data not present")
def test_fast_insertion_screen_equals_full_route_timing():
    # soft windows with synchronised services, and hard windows with capacity and shift end
    assert _screen_matches_full_timing(read_mankowska(DATA / "hhcrsp" / "InstanzCPLEX_HCSRP_25_3.txt"), 1) > 50
    assert _screen_matches_full_timing(read_solomon(DATA / "solomon" / "RC201.txt"), 2) > 50
