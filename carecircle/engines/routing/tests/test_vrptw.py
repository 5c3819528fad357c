"""The plain-VRPTW backend: one budget shared by the fleet and distance phases, and the raw-PyVRP baseline."""

import math

from carecircle.engines.routing import Problem, check, evaluate, solve
from carecircle.engines.routing.formats import read_solomon
from carecircle.engines.routing.vrptw import (
    _Allowance,
    _capacity_bound,
    _client_routes,
    _pyvrp_data,
    solve_raw_pyvrp,
)

from .helpers import DATA, needs_data


def test_an_iteration_allowance_is_shared_by_the_runs_that_use_it():
    allowance = _Allowance(iterations=10)
    first = allowance.stop(0.5)
    assert [first(math.inf) for _ in range(6)] == [False] * 5 + [True]
    assert allowance.iterations == 5 and not allowance.spent()
    second = allowance.stop()
    assert [second(math.inf) for _ in range(6)] == [False] * 5 + [True]
    assert allowance.spent()
    # Spent is spent: a later run stops at once.
    assert allowance.stop()(math.inf) is True


def test_a_fraction_never_rounds_a_run_down_to_nothing():
    allowance = _Allowance(iterations=1)
    assert allowance.stop(0.1)(math.inf) is False
    assert allowance.spent()


def test_first_feasible_stops_a_run_as_soon_as_a_plan_has_a_finite_cost():
    stop = _Allowance(iterations=100).stop(first_feasible=True)
    assert stop(math.inf) is False
    assert stop(12345) is True


def test_a_time_allowance_counts_from_its_creation_not_from_each_run():
    allowance = _Allowance(seconds=0)
    assert allowance.spent()
    assert allowance.stop()(math.inf) is True
    assert _Allowance(seconds=60).stop(0.5)(math.inf) is False


def _r101_first(n):
    full = read_solomon(DATA / "solomon" / "R101.txt")
    return Problem(full.visits[:n], full.caregivers, full.matrix, objective=full.objective)


@needs_data
def test_the_engine_and_the_raw_baseline_both_give_checked_plans_of_every_visit():
    problem = _r101_first(25)
    engine = solve(problem, iterations=300, seed=0, backend="pyvrp")
    assert check(problem, engine) == []
    raw_routes = solve_raw_pyvrp(problem, seconds=1, seed=0)
    assert sorted(v for r in raw_routes for v in r) == list(range(25))
    # Both find the published optimum's fleet on this subset (8 vehicles).
    assert evaluate(problem, engine).vehicles == 8 == len([r for r in raw_routes if r])


@needs_data
def test_the_same_seed_and_iterations_give_the_same_plan():
    problem = _r101_first(25)
    first = solve(problem, iterations=200, seed=3, backend="pyvrp")
    again = solve(problem, iterations=200, seed=3, backend="pyvrp")
    assert [[s.visit_id for s in r.stops] for r in first.routes] == [[s.visit_id for s in r.stops] for r in again.routes]


@needs_data
def test_client_routes_read_back_what_a_plan_holds():
    from pyvrp import Solution

    data = _pyvrp_data(_r101_first(10))
    plan = Solution(data, [[0, 1, 2], [5, 3]])
    assert _client_routes(plan) == [[0, 1, 2], [5, 3]]


@needs_data
def test_a_day_without_visits_is_an_empty_plan_for_both_solvers():
    problem = _r101_first(0)
    solution = solve(problem, iterations=50, seed=0, backend="pyvrp")
    assert check(problem, solution) == [] and not any(r.stops for r in solution.routes)
    assert solve_raw_pyvrp(problem, seconds=0.1) == []


@needs_data
def test_the_fleet_never_goes_below_what_the_demand_fills_nor_below_one():
    import dataclasses

    full = read_solomon(DATA / "solomon" / "C101.txt")
    # 1,810 units of demand in vehicles of 200: at least 10.
    assert _capacity_bound(full) == 10
    assert _capacity_bound(_r101_first(1)) == 1
    weightless = Problem([dataclasses.replace(v, demand=0) for v in full.visits[:5]], full.caregivers, full.matrix,
                         objective=full.objective)
    assert _capacity_bound(weightless) == 1
    solution = solve(weightless, iterations=100, seed=0, backend="pyvrp")
    assert check(weightless, solution) == []
