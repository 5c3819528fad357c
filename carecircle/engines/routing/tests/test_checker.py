"""Every hard-constraint kind, once satisfied and once violated, on hand-made plans."""

import pytest

from carecircle.engines.routing.checker import check, evaluate
from carecircle.engines.routing.model import LunchBreak, Route, Solution, Stop, TimeWindow, Unscheduled

from .helpers import caregiver, double_visit, grid_problem, visit

# home at the origin, A 10 minutes east, B 10 minutes further east
POINTS = {"home": (0, 0), "A": (10, 0), "B": (20, 0)}


def kinds(problem, solution):
    return sorted({v.kind for v in check(problem, solution)})


def one_route(stops, cid="c1", **kw):
    return Solution([Route(cid, [Stop(v, s, t) for v, s, t in stops], **kw)])


def test_feasible_plan_has_no_violation_and_its_figures():
    problem = grid_problem(POINTS, [visit("a", "A", window=(0, 100)), visit("b", "B")], [caregiver("c1")])
    solution = one_route([("a", 0, 10), ("b", 0, 30)], departure=0, arrival=60)
    assert check(problem, solution) == []
    figures = evaluate(problem, solution)
    assert figures.distance == pytest.approx(40)
    assert figures.vehicles == 1


@pytest.mark.parametrize(
    "start, expected",
    [(10, []), (50, []), (9, ["time_window", "travel_time"]), (51, ["time_window"])],
)
def test_time_window(start, expected):
    problem = grid_problem(POINTS, [visit("a", "A", window=(10, 50))], [caregiver("c1")])
    solution = one_route([("a", 0, start)], departure=0)
    assert [k for k in kinds(problem, solution)] == sorted(expected)


def test_second_time_window_is_accepted_but_gap_between_windows_is_not():
    windows = (TimeWindow(10, 20), TimeWindow(100, 120))
    problem = grid_problem(POINTS, [visit("a", "A", windows=windows)], [caregiver("c1")])
    assert kinds(problem, one_route([("a", 0, 110)], departure=0)) == []
    assert kinds(problem, one_route([("a", 0, 60)], departure=0)) == ["time_window"]


def test_fixed_start_is_exact():
    problem = grid_problem(POINTS, [visit("a", "A", window=(0, 100), fixed_start=40)], [caregiver("c1")])
    assert kinds(problem, one_route([("a", 0, 40)], departure=0)) == []
    assert kinds(problem, one_route([("a", 0, 41)], departure=0)) == ["time_window"]


def test_soft_windows_allow_lateness_and_count_it():
    problem = grid_problem(POINTS, [visit("a", "A", window=(0, 20))], [caregiver("c1")], objective="hhcrsp")
    solution = one_route([("a", 0, 35)], departure=0)
    assert check(problem, solution) == []
    figures = evaluate(problem, solution)
    assert figures.total_tardiness == 15 and figures.max_tardiness == 15
    assert figures.objective == pytest.approx((20 + 15 + 15) / 3)


def test_travel_time_between_visits():
    problem = grid_problem(POINTS, [visit("a", "A"), visit("b", "B")], [caregiver("c1")])
    # a ends at 20, B is 10 minutes away: 29 is too early, 30 is fine
    assert kinds(problem, one_route([("a", 0, 10), ("b", 0, 29)], departure=0)) == ["travel_time"]
    assert kinds(problem, one_route([("a", 0, 10), ("b", 0, 30)], departure=0)) == []


def test_shift_start_and_end():
    problem = grid_problem(POINTS, [visit("a", "A")], [caregiver("c1", shift=(100, 200))])
    assert kinds(problem, one_route([("a", 0, 110)], departure=100, arrival=130)) == []
    assert kinds(problem, one_route([("a", 0, 110)], departure=90, arrival=130)) == ["shift"]
    assert kinds(problem, one_route([("a", 0, 185)], departure=175, arrival=205)) == ["shift"]


def test_qualification_and_exclusion():
    problem = grid_problem(
        POINTS,
        [visit("a", "A", qualification="nurse"), visit("b", "B", excluded_caregivers=frozenset({"c1"}))],
        [caregiver("c1", qualifications=frozenset({"nurse"})), caregiver("c2")],
    )
    ok = Solution([Route("c1", [Stop("a", 0, 10)], departure=0), Route("c2", [Stop("b", 0, 20)], departure=0)])
    assert check(problem, ok) == []
    bad = Solution([Route("c2", [Stop("a", 0, 10)], departure=0), Route("c1", [Stop("b", 0, 20)], departure=0)])
    assert kinds(problem, bad) == ["excluded_caregiver", "qualification"]


def test_max_working_time():
    problem = grid_problem(POINTS, [visit("a", "A", duration=30)], [caregiver("c1", max_working_time=50)])
    # out 10, visit 30, back 10 = 50: exactly the limit
    assert kinds(problem, one_route([("a", 0, 10)], departure=0, arrival=50)) == []
    assert kinds(problem, one_route([("a", 0, 11)], departure=0, arrival=51)) == ["max_hours"]


def test_capacity():
    problem = grid_problem(POINTS, [visit("a", "A", demand=6), visit("b", "B", demand=5)], [caregiver("c1", capacity=10)])
    assert kinds(problem, one_route([("a", 0, 10), ("b", 0, 30)], departure=0)) == ["capacity"]
    problem = grid_problem(POINTS, [visit("a", "A", demand=5), visit("b", "B", demand=5)], [caregiver("c1", capacity=10)])
    assert kinds(problem, one_route([("a", 0, 10), ("b", 0, 30)], departure=0)) == []


LUNCH = LunchBreak(earliest=100, latest=140, duration=30)


def lunch_problem():
    return grid_problem(POINTS, [visit("a", "A"), visit("b", "B")], [caregiver("c1", lunch_break=LUNCH)])


def test_lunch_break_taken_between_visits():
    # a 10-20, break 100-130 at A, travel 10, b at 140
    solution = one_route([("a", 0, 10), ("b", 0, 140)], departure=0, arrival=170, break_start=100)
    assert check(lunch_problem(), solution) == []


def test_lunch_break_missing_when_working_through_the_window():
    solution = one_route([("a", 0, 10), ("b", 0, 150)], departure=0, arrival=200)
    assert kinds(lunch_problem(), solution) == ["lunch_break"]


def test_lunch_break_not_owed_when_home_before_the_window_ends():
    solution = one_route([("a", 0, 10), ("b", 0, 30)], departure=0, arrival=60)
    assert check(lunch_problem(), solution) == []


def test_lunch_break_outside_window_or_overlapping_a_visit():
    late = one_route([("a", 0, 10), ("b", 0, 200)], departure=0, arrival=230, break_start=150)
    assert kinds(lunch_problem(), late) == ["lunch_break"]
    overlapping = one_route([("a", 0, 10), ("b", 0, 125)], departure=0, arrival=170, break_start=100)
    assert kinds(lunch_problem(), overlapping) == ["lunch_break"]
    # a ends at 100; a 30-minute break and 10 minutes of travel do not fit before 135
    squeezed = one_route([("a", 0, 90), ("b", 0, 135)], departure=0, arrival=170, break_start=100)
    assert kinds(lunch_problem(), squeezed) == ["lunch_break"]
    # travelling first and resting at B before 135 is fine
    travel_first = one_route([("a", 0, 10), ("b", 0, 135)], departure=0, arrival=170, break_start=100)
    assert check(lunch_problem(), travel_first) == []


def sync_problem(min_gap, max_gap):
    return grid_problem(
        POINTS,
        [double_visit("a", "A", min_gap=min_gap, max_gap=max_gap)],
        [caregiver("c1"), caregiver("c2")],
    )


def two_routes(first_start, second_start, second_cid="c2"):
    return Solution([
        Route("c1", [Stop("a", 0, first_start)], departure=0),
        Route(second_cid, [Stop("a", 1, second_start)], departure=0),
    ])


def test_simultaneous_visit():
    assert check(sync_problem(0, 0), two_routes(20, 20)) == []
    assert kinds(sync_problem(0, 0), two_routes(20, 21)) == ["synchronisation"]


def test_gap_between_services():
    problem = sync_problem(5, 15)
    assert check(problem, two_routes(20, 25)) == []
    assert check(problem, two_routes(20, 35)) == []
    assert kinds(problem, two_routes(20, 24)) == ["synchronisation"]
    assert kinds(problem, two_routes(20, 36)) == ["synchronisation"]
    # the second service may not come first
    assert kinds(problem, two_routes(30, 20)) == ["synchronisation"]


def test_two_caregiver_visit_needs_two_people():
    problem = sync_problem(10, 20)
    same = Solution([Route("c1", [Stop("a", 0, 10), Stop("a", 1, 20)], departure=0)])
    assert "same_caregiver" in kinds(problem, same)


def test_each_visit_served_exactly_once():
    problem = grid_problem(POINTS, [visit("a", "A"), visit("b", "B")], [caregiver("c1"), caregiver("c2")])
    missing = one_route([("a", 0, 10)], departure=0)
    assert kinds(problem, missing) == ["not_served"]
    twice = Solution([
        Route("c1", [Stop("a", 0, 10), Stop("b", 0, 30)], departure=0),
        Route("c2", [Stop("a", 0, 10)], departure=0),
    ])
    assert kinds(problem, twice) == ["served_twice"]
    reported = one_route([("a", 0, 10)], departure=0)
    reported.unscheduled.append(Unscheduled("b", "day is full"))
    assert check(problem, reported) == []
    contradictory = one_route([("a", 0, 10), ("b", 0, 30)], departure=0)
    contradictory.unscheduled.append(Unscheduled("b", "day is full"))
    assert kinds(problem, contradictory) == ["served_and_unscheduled"]


def test_benchmark_objectives_forbid_unscheduled_visits():
    problem = grid_problem(POINTS, [visit("a", "A"), visit("b", "B")], [caregiver("c1")], objective="vrptw")
    solution = one_route([("a", 0, 10)], departure=0)
    solution.unscheduled.append(Unscheduled("b", "no room"))
    assert kinds(problem, solution) == ["not_served"]


def test_unknown_ids_and_double_routes():
    problem = grid_problem(POINTS, [visit("a", "A")], [caregiver("c1")])
    solution = Solution([
        Route("c1", [Stop("a", 0, 10)], departure=0),
        Route("c1", [], departure=0),
        Route("ghost", [Stop("a", 0, 10)]),
    ])
    assert kinds(problem, solution) == ["caregiver_twice", "unknown_caregiver"]
