"""Timing of plans with synchronised services (the fixed point the search relies on)."""

import random

import pytest

from carecircle.engines.routing.checker import check
from carecircle.engines.routing.formats import read_mankowska, read_solomon
from carecircle.engines.routing.model import LunchBreak, TimeWindow
from carecircle.engines.routing.schedule import Compiled

from carecircle.engines.routing.search import Search

from .helpers import DATA, caregiver, double_visit, grid_problem, needs_data, visit

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


@needs_data
def test_fast_insertion_screen_equals_full_route_timing():
    # soft windows with synchronised services, and hard windows with capacity and shift end
    assert _screen_matches_full_timing(read_mankowska(DATA / "hhcrsp" / "InstanzCPLEX_HCSRP_25_3.txt"), 1) > 50
    assert _screen_matches_full_timing(read_solomon(DATA / "solomon" / "RC201.txt"), 2) > 50


def _lunch_day(seed: int, n_visits: int = 45, n_caregivers: int = 5):
    """Random grid day (one unit = one minute) where every caregiver has a lunch break."""
    rng = random.Random(seed)
    points = {"home": (0, 0), "centre": (30, 20)}
    visits = []
    for k in range(n_visits):
        points[f"p{k}"] = (rng.uniform(-40, 40), rng.uniform(-40, 40))
        opens = rng.choice((480, 540, 600, 690, 720, 780, 840))
        kw = {}
        if rng.random() < 0.15:
            kw["fixed_start"] = opens
        if k % 9 == 0:
            visits.append(double_visit(f"v{k}", f"p{k}", rng.choice((30, 45)), (opens, opens + 120), **kw))
        else:
            windows = ((opens, opens + rng.choice((30, 90, 240))),) if rng.random() < 0.8 else ((480, 600), (780, 900))
            if kw:
                windows = ((opens, opens + 60),)
            visits.append(visit(f"v{k}", f"p{k}", rng.choice((30, 45, 60, 90)),
                                windows=[TimeWindow(a, b) for a, b in windows], **kw))
    caregivers = []
    for k in range(n_caregivers):
        start = rng.choice((420, 480, 540))
        lunch = LunchBreak(start + 180 + rng.choice((0, 30)), start + 300, rng.choice((30, 45, 60)))
        caregivers.append(caregiver(f"c{k}", rng.choice(("home", "centre")), shift=(start, start + 540),
                                    lunch_break=lunch, max_working_time=rng.choice((420, 480, 540))))
    return grid_problem(points, visits, caregivers)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lunch_break_screen_equals_full_route_timing(seed):
    problem = _lunch_day(seed, n_visits=30, n_caregivers=10)
    assert _screen_matches_full_timing(problem, seed) > 10


@pytest.mark.parametrize("seed", [4, 5])
def test_lunch_break_screen_equals_full_timing_on_arbitrary_routes(seed):
    # routes made up at random, feasible or not, with tasks inserted anywhere (also behind a
    # fixed prefix): the fast screen must agree with timing every trial route in full
    problem = _lunch_day(seed, n_visits=30, n_caregivers=3)
    cp = Compiled(problem)
    rng = random.Random(seed)
    compared = 0
    for _ in range(300):
        c = rng.randrange(cp.n_caregivers)
        tasks = rng.sample(range(cp.n_tasks), rng.randint(0, 7))
        route, task = tasks[:-1], (tasks[-1] if tasks else rng.randrange(cp.n_tasks))
        if task in route:
            continue
        partner_start = {t: rng.uniform(480, 900) for t in range(cp.n_tasks) if cp.partner[t] >= 0 and rng.random() < 0.5}
        first = rng.randint(0, len(route))
        fast = list(cp._screen_with_lunch(c, route, task, partner_start, first))
        full = list(cp._screen_full(c, route, task, partner_start, first))
        assert [row[0] for row in fast] == [row[0] for row in full]
        for a, b in zip(fast, full):
            assert a[1:] == pytest.approx(b[1:])
        compared += len(full)
    assert compared > 50


@pytest.mark.parametrize("seed", [6, 7])
def test_care_candidates_equal_timing_every_place(seed):
    # The care objective prices places first and times only the cheapest; the quick rejections
    # and the remembered checks must not change which places come out, nor their prices.
    problem = _lunch_day(seed, n_visits=40, n_caregivers=6)
    cp = Compiled(problem)
    search = Search(cp, seed=seed)
    state = search.initial()
    rng = random.Random(seed)
    search.remove(state, set(rng.sample(range(len(problem.visits)), 12)))
    compared = 0
    for _ in range(2):  # the second round is answered from the remembered checks
        for task in range(cp.n_tasks):
            if any(task in route for route in state.routes):
                continue
            partner_start = search._starts(state.routes, state.timings)
            got = search._care_candidates(task, state.routes, state.timings, partner_start, wanted=1000)
            expected = []
            for c in range(cp.n_caregivers):
                if not cp.allowed[task][c]:
                    continue
                route = state.routes[c]
                travel = cp.travel[c]
                for pos in range(len(route) + 1):
                    timing = cp.time_route(c, route[:pos] + [task] + route[pos:], partner_start=partner_start)
                    if timing.hard > 1e-9:
                        continue
                    prev = cp.c_start[c] if pos == 0 else cp.loc[route[pos - 1]]
                    nxt = cp.c_end[c] if pos == len(route) else cp.loc[route[pos]]
                    added = travel[prev][cp.loc[task]] + travel[cp.loc[task]][nxt] - travel[prev][nxt]
                    expected.append((added + 1800.0 * cp.preferred_penalty[task][c] + timing.sync * 1e3, c, pos))
            expected.sort()
            assert [(c, pos) for _d, c, pos in got] == [(c, pos) for _d, c, pos in expected]
            assert [d for d, _c, _p in got] == pytest.approx([d for d, _c, _p in expected])
            compared += len(expected)
    assert compared > 30
    assert search._fit_cache, "checks are remembered"
