"""Continuity of care: elders keep their preferred caregiver when the day allows it."""

from carecircle.engines.routing import check, solve
from carecircle.engines.routing.schedule import Compiled
from carecircle.engines.routing.search import Search, State

from .helpers import caregiver, grid_problem, visit

# c1 lives at "near", next to every visit; c2 lives 25 minutes away.
POINTS = {"near": (0, 0), "far": (25, 0), **{f"p{k}": (1 + k, 1) for k in range(6)}}


def _day():
    # c1 has time for three 60-minute visits only; the three elders of p0-p2 prefer c1,
    # those of p3-p5 do not care (and lie as close to c1 as the others).
    visits = [
        visit(f"v{k}", f"p{k}", duration=60, window=(0, 400), preferred_caregivers=frozenset({"c1"}) if k < 3 else frozenset())
        for k in range(6)
    ]
    return grid_problem(POINTS, visits, [caregiver("c1", "near", shift=(0, 200)), caregiver("c2", "far", shift=(0, 600))])


def _owner(solution):
    return {s.visit_id: r.caregiver_id for r in solution.routes for s in r.stops}


def test_visits_with_a_preferred_caregiver_are_placed_first():
    # The first plan, before any search: whatever the random order, c1's short day goes to the
    # elders who prefer c1, not to whoever happened to be inserted first.
    for seed in range(8):
        problem = _day()
        search = Search(Compiled(problem), seed=seed)
        state = search.initial()
        owner = {problem.visits[search.cp.task_visit[t]].id: problem.caregivers[c].id
                 for c, route in enumerate(state.routes) for t in route}
        assert {owner[f"v{k}"] for k in range(3)} == {"c1"}, seed
        assert not state.unassigned


def test_solver_keeps_every_preferred_caregiver_here():
    problem = _day()
    solution = solve(problem, iterations=80, seed=3)
    assert check(problem, solution) == []
    owner = _owner(solution)
    assert [owner[f"v{k}"] for k in range(3)] == ["c1"] * 3
    assert [owner[f"v{k}"] for k in range(3, 6)] == ["c2"] * 3


def test_continuity_removal_takes_the_visit_and_room_from_the_preferred_caregiver():
    problem = _day()
    cp = Compiled(problem)
    search = Search(cp, seed=5)
    # a poor plan: c1 serves the indifferent elders, c2 the ones who prefer c1
    routes = [[cp.visit_tasks[k][0] for k in (3, 4, 5)], [cp.visit_tasks[k][0] for k in (0, 1, 2)]]
    timings, _ = cp.time_plan(routes)
    state = State(routes, set(), timings, cp.cost(timings, 0))
    picked = search._continuity(state, 1)
    assert picked & {0, 1, 2}, "a visit away from its preferred caregiver"
    assert picked & {3, 4, 5}, "and a visit of the preferred caregiver, to make room"
    # with everyone at their preferred caregiver there is nothing to take
    good = [[cp.visit_tasks[k][0] for k in (0, 1, 2)], [cp.visit_tasks[k][0] for k in (3, 4, 5)]]
    timings, _ = cp.time_plan(good)
    assert search._continuity(State(good, set(), timings, 0.0), 3) == set()


def test_problems_without_preferences_draw_no_continuity_removal():
    problem = grid_problem(POINTS, [visit(f"v{k}", f"p{k}") for k in range(6)], [caregiver("c1", "near"), caregiver("c2", "far")])
    assert Search(Compiled(problem), seed=0).preferred_of == {}
