"""The search's switchable parts: validation, the operator wheels, and that every variant stays feasible."""

import random

import pytest

from carecircle.engines.routing import check
from carecircle.engines.routing.formats import read_mankowska
from carecircle.engines.routing.schedule import Compiled
from carecircle.engines.routing.search import REMOVALS, Search, SearchParams, _Roulette

from .helpers import DATA, needs_data


@pytest.mark.parametrize("bad", [
    {"removals": ()},
    {"removals": ("related", "teleport")},
    {"insertion_orders": ()},
    {"insertion_orders": ("alphabetical",)},
    {"acceptance": "greedy"},
])
def test_a_search_with_a_part_that_does_not_exist_is_refused(bad):
    with pytest.raises(ValueError):
        SearchParams(**bad)


def test_the_default_parameters_are_recognised_as_such():
    assert SearchParams().is_default
    assert not SearchParams(adaptive=True).is_default
    assert not SearchParams(removals=("related",)).is_default


def test_a_fixed_wheel_draws_in_proportion_to_its_weights_and_never_learns():
    wheel = _Roulette({"a": 0.75, "b": 0.25}, adaptive=False)
    rng = random.Random(1)
    draws = [wheel.draw(rng) for _ in range(4000)]
    assert 0.72 < draws.count(0) / len(draws) < 0.78
    wheel.reward(1, 33.0)
    wheel.update()
    assert wheel.weights == [0.75, 0.25]


def test_an_adaptive_wheel_moves_weight_towards_the_operator_that_scores():
    wheel = _Roulette({"a": 0.5, "b": 0.5}, adaptive=True)
    for _ in range(10):
        wheel.reward(0, 33.0)
        wheel.reward(1, 0.0)
    wheel.update()
    # (1 - 0.1) * 0.5 + 0.1 * 33 for a; b decays but keeps the floor so it can still be drawn.
    assert wheel.weights[0] == pytest.approx(0.9 * 0.5 + 3.3)
    assert wheel.weights[1] == pytest.approx(0.45)
    for _ in range(200):
        wheel.reward(1, 0.0)
        wheel.update()
    assert wheel.weights[1] == pytest.approx(0.01)
    assert wheel.scores == [0.0, 0.0] and wheel.uses == [0, 0]


def test_an_operator_not_drawn_in_a_segment_keeps_its_weight():
    wheel = _Roulette({"a": 0.4, "b": 0.6}, adaptive=True)
    wheel.reward(0, 9.0)
    wheel.update()
    assert wheel.weights[1] == 0.6


@needs_data
@pytest.mark.parametrize("params", [
    SearchParams(removals=("worst",)),
    SearchParams(removals=tuple(r for r in REMOVALS if r != "related"), insertion_orders=("window_start",)),
    SearchParams(adaptive=True),
    SearchParams(acceptance="descent"),
    SearchParams(heat_cycle=False, restarts=False),
])
def test_every_variant_gives_a_checked_plan_and_is_reproducible(params):
    problem = read_mankowska(DATA / "hhcrsp" / "InstanzCPLEX_HCSRP_10_1.txt")
    results = []
    for _ in range(2):
        compiled = Compiled(problem)
        search = Search(compiled, seed=4, params=params)
        state = search.run(search.initial(), iterations=150, seconds=None)
        solution = compiled.to_solution(state.routes, {v: "unscheduled" for v in state.unassigned})
        assert check(problem, solution) == [] and not solution.unscheduled
        results.append((state.routes, state.cost))
    assert results[0] == results[1]


@pytest.mark.parametrize("acceptance", ["descent", "anneal"])
def test_a_plan_no_worse_than_the_current_one_is_always_accepted(acceptance):
    search = Search.__new__(Search)
    search.params, search.rng = SearchParams(acceptance=acceptance), random.Random(0)
    assert search._accepts(0.0, 1e-6) and search._accepts(-5.0, 1e-6)


def test_descent_refuses_every_worse_plan_and_annealing_takes_some_by_temperature():
    descent = Search.__new__(Search)
    descent.params, descent.rng = SearchParams(acceptance="descent"), random.Random(0)
    assert not any(descent._accepts(0.01, 1e9) for _ in range(1000))
    anneal = Search.__new__(Search)
    anneal.params, anneal.rng = SearchParams(), random.Random(0)
    hot = sum(anneal._accepts(1.0, 1.0) for _ in range(4000)) / 4000  # exp(-1) = 0.37
    cold = sum(anneal._accepts(1.0, 0.1) for _ in range(4000)) / 4000  # exp(-10) = 0.00005
    assert 0.33 < hot < 0.41 and cold < 0.002


@needs_data
def test_a_run_with_adaptive_weights_credits_the_operators_it_draws():
    problem = read_mankowska(DATA / "hhcrsp" / "InstanzCPLEX_HCSRP_10_1.txt")
    learning = Search(Compiled(problem), seed=0, params=SearchParams(adaptive=True))
    learning.run(learning.initial(), iterations=300, seconds=None)
    assert learning._removal_wheel.weights != [REMOVALS[n] for n in REMOVALS]
    fixed = Search(Compiled(problem), seed=0, params=SearchParams(removals=("related", "worst")))
    fixed.run(fixed.initial(), iterations=300, seconds=None)
    assert fixed._removal_wheel.weights == [REMOVALS["related"], REMOVALS["worst"]]
