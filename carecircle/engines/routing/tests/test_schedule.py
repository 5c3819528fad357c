"""Timing of plans with synchronised services (the fixed point the search relies on)."""

from carecircle.engines.routing.checker import check
from carecircle.engines.routing.model import LunchBreak
from carecircle.engines.routing.schedule import Compiled

from .helpers import caregiver, double_visit, grid_problem, visit

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
