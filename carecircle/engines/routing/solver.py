"""`solve` and `replan`: pick the backend, run it, return a checked plan."""

from __future__ import annotations

import time
from typing import Iterable

from .checker import check, evaluate
from .manual import place_unscheduled
from .model import Problem, Solution
from .schedule import Compiled
from .search import Search
from .vrptw import is_plain_vrptw, solve_pyvrp

BACKENDS = ("auto", "alns", "pyvrp")


def _budget(seconds, iterations, default_iterations=2000):
    if seconds is None and iterations is None:
        return None, default_iterations
    return seconds, iterations


def _reason(cp: Compiled, v: int) -> str:
    visit = cp.visits[v]
    tasks = cp.visit_tasks[v]
    able = [set(c for c in range(cp.n_caregivers) if cp.allowed[t][c]) for t in tasks]
    for t, who in zip(tasks, able):
        if not who:
            qualification = visit.services[cp.task_service[t]].qualification
            return f"no available caregiver may do it (qualification {qualification!r}, exclusions)"
    if len(tasks) == 2 and len(able[0] | able[1]) < 2:
        return "needs two caregivers but only one may do it"
    if len(tasks) == 1:
        # Say which: caregivers whose day is full around the visit's time, or whose shift,
        # hours or break could not hold it even on an empty day.
        never = sum(1 for c in able[0] if cp.time_route(c, [tasks[0]]).hard > 1e-9)
        parts = []
        if len(able[0]) > never:
            parts.append(f"{len(able[0]) - never} with a full day around its time")
        if never:
            parts.append(f"{never} whose shift, working hours or break leave no room for it")
        return f"no caregiver can fit it in feasibly ({len(able[0])} may do it: {', '.join(parts)})"
    return "no caregiver can fit it in feasibly (time windows, shifts, working hours, breaks)"


def solve(
    problem: Problem,
    *,
    seconds: float | None = None,
    iterations: int | None = None,
    seed: int = 0,
    backend: str = "auto",
) -> Solution:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}")
    seconds, iterations = _budget(seconds, iterations)
    began = time.monotonic()
    cp = Compiled(problem)
    if backend == "pyvrp" and not is_plain_vrptw(problem):
        raise ValueError("the PyVRP backend only takes plain VRPTW problems (one depot, identical vehicles, one window, no two-caregiver visits)")
    use_pyvrp = backend == "pyvrp" or (backend == "auto" and is_plain_vrptw(problem))
    if use_pyvrp:
        visit_routes = solve_pyvrp(problem, seconds=seconds, iterations=iterations, seed=seed)
        routes = [[] for _ in problem.caregivers]
        for c, visit_route in enumerate(visit_routes):
            routes[c] = [cp.visit_tasks[v][0] for v in visit_route]
        solution = cp.to_solution(routes, {})
        solution.stats["backend"] = "pyvrp"
    else:
        search = Search(cp, seed=seed)
        state = search.initial()
        state = search.run(state, iterations=iterations, seconds=None if seconds is None else max(0.0, seconds - (time.monotonic() - began)))
        solution = cp.to_solution(state.routes, {v: _reason(cp, v) for v in state.unassigned})
        solution.stats.update(backend="alns", iterations=search.iterations_done)
    placed_before = len(solution.unscheduled)
    solution = place_unscheduled(problem, solution)
    solution.stats["repaired"] = placed_before - len(solution.unscheduled)
    solution.stats["seconds"] = time.monotonic() - began
    solution.stats["violations"] = len(check(problem, solution))
    solution.stats.update(evaluate(problem, solution).as_dict())
    return solution


def replan(
    problem: Problem,
    solution: Solution,
    *,
    now: float,
    unavailable_caregivers: Iterable[str] = (),
    seconds: float | None = None,
    iterations: int | None = None,
    seed: int = 0,
) -> Solution:
    """Re-plan the rest of the day from `now`.

    Every service that started before `now` stays with its caregiver at its time (it is done
    or under way). Caregivers in `unavailable_caregivers` get nothing new; their later visits
    are moved to others or, if nobody can take them, returned as unscheduled with the reason.
    Visits of the problem that the old plan did not contain are planned too. A visit not yet
    started stays with its caregiver unless moving it keeps a visit in the plan or saves more
    travel than continuity of care is worth (`model.PREFERENCE_WEIGHT`).
    """
    unavailable = set(unavailable_caregivers)
    unknown = unavailable - set(problem.caregiver_by_id)
    if unknown:
        raise ValueError(f"unknown caregivers: {sorted(unknown)}")
    seconds, iterations = _budget(seconds, iterations)
    cp = Compiled(problem)
    caregiver_index = {c.id: k for k, c in enumerate(problem.caregivers)}
    visit_index = {v.id: k for k, v in enumerate(problem.visits)}
    started = {
        (stop.visit_id, stop.service)
        for route in solution.routes
        for stop in route.stops
        if stop.start < now
    }
    started_visits = {visit_id for visit_id, _ in started}
    fixed: dict[int, list[int]] = {}
    routes: list[list[int]] = [[] for _ in problem.caregivers]
    for route in solution.routes:
        c = caregiver_index[route.caregiver_id]
        for stop in route.stops:
            if stop.visit_id not in visit_index:
                continue  # cancelled since the plan was made
            t = cp.visit_tasks[visit_index[stop.visit_id]][stop.service]
            if stop.visit_id in started_visits:
                # A two-caregiver visit under way keeps both services where they are.
                fixed.setdefault(c, []).append(t)
                cp.release[t] = stop.start
                routes[c].append(t)
            elif route.caregiver_id not in unavailable:
                routes[c].append(t)
    for c, prefix in fixed.items():
        if routes[c][: len(prefix)] != prefix:
            raise ValueError(f"caregiver {problem.caregivers[c].id}: a visit started after a later one not yet started")
    for t in range(cp.n_tasks):
        if cp.visits[cp.task_visit[t]].id not in started_visits:
            cp.release[t] = max(cp.release[t], now)
    for c, caregiver in enumerate(problem.caregivers):
        if caregiver.id in unavailable:
            for t in range(cp.n_tasks):
                cp.allowed[t][c] = False
    # Caregivers have been told their day: moving a visit not yet started to someone else is
    # priced like breaking continuity of care (PREFERENCE_WEIGHT), so the re-plan only moves
    # visits where that buys a visit kept or saves more travel than that.
    for c, route in enumerate(routes):
        if problem.caregivers[c].id in unavailable:
            continue
        for t in route:
            if cp.visits[cp.task_visit[t]].id not in started_visits:
                penalties = cp.preferred_penalty[t]
                for other in range(cp.n_caregivers):
                    if other != c:
                        penalties[other] += 1
    search = Search(cp, seed=seed, fixed=fixed)
    # Keep the surviving order of each caregiver's day as the starting point, so a quiet
    # re-plan moves as few visits as possible.
    routes = [r if all(cp.allowed[t][c] or t in fixed.get(c, ()) for t in r) else list(fixed.get(c, [])) for c, r in enumerate(routes)]
    timings, deadlock = cp.time_plan(routes)
    if deadlock or any(t.hard > 1e-9 for t in timings):
        routes = [list(fixed.get(c, [])) for c in range(cp.n_caregivers)]
    state = search.initial(routes)
    state = search.run(state, iterations=iterations, seconds=seconds)
    result = cp.to_solution(state.routes, {v: _reason(cp, v) for v in state.unassigned})
    result.stats.update(backend="alns", iterations=search.iterations_done)
    started_at = {stop.visit_id: stop.start for route in solution.routes for stop in route.stops
                  if stop.visit_id in started_visits and stop.visit_id in visit_index}
    placed_before = len(result.unscheduled)
    result = place_unscheduled(problem, result, started=started_at, not_before=now, unavailable=unavailable)
    result.stats.update(repaired=placed_before - len(result.unscheduled), violations=len(check(problem, result)))
    return result
