"""Plain VRPTW backends (one depot, identical vehicles, one window per visit, capacity).

PyVRP is the production backend for this class; the OR-Tools one exists as the measured peer
in the Solomon benchmark. Both work on integers, so times and distances are scaled by
`SCALE`. Travel times are rounded UP: a route that is on time in the rounded integers is then
on time in exact arithmetic too, and the returned plan is re-timed exactly and checked.
"""

from __future__ import annotations

import math
import time
import warnings

from .model import Objective, Problem

SCALE = 1000
# A vehicle must cost more than any distance it could save (Solomon distances stay < 10^4).
VEHICLE_COST = 10**7 * SCALE // 1000


def is_plain_vrptw(problem: Problem) -> bool:
    caregivers = problem.caregivers
    if not caregivers:
        return False
    first = caregivers[0]
    same_fleet = all(
        c.start == first.start and c.end == first.end == first.start and c.shift == first.shift
        and c.capacity == first.capacity and c.travel_mode == first.travel_mode and c.speed == first.speed
        and c.lunch_break is None and math.isinf(c.max_working_time) and not c.qualifications
        for c in caregivers
    )
    simple_visits = all(
        not v.needs_two and len(v.time_windows) == 1 and v.fixed_start is None and not v.preferred_caregivers
        and not v.excluded_caregivers and v.services[0].qualification is None
        and not v.services[0].duration_by_caregiver
        for v in problem.visits
    )
    return same_fleet and simple_visits and problem.objective == Objective.VRPTW


def _scaled(x: float, up: bool = False) -> int:
    if math.isinf(x):
        return (1 << 40) if x > 0 else 0
    value = x * SCALE
    # Round a hair down before ceil so 12.000000000001 * 1000 does not become 12001.
    return math.ceil(value - 1e-6) if up else round(value)


def _tables(problem: Problem):
    first = problem.caregivers[0]
    travel = problem.matrix.durations(first)
    index = problem.matrix.index
    depot = index[first.start.key]
    nodes = [depot] + [index[v.location.key] for v in problem.visits]
    dist = [[_scaled(problem.matrix.distances[a][b]) for b in nodes] for a in nodes]
    dur = [[_scaled(travel[a][b], up=True) for b in nodes] for a in nodes]
    return nodes, dist, dur


# Share of the budget for finding the smallest fleet; the distance phase gets whatever is left.
FLEET_SHARE = 0.5
# Within one fleet-reduction step, the share of its remaining time for the warm start (the current plan
# less its shortest route) before a cold start from a random plan takes the rest.
WARM_SHARE = 0.5


class _Allowance:
    """One budget (wall-clock seconds and/or iterations) shared by several PyVRP runs.

    PyVRP's stopping criteria each count from their own first call; the engine runs PyVRP several
    times (fleet steps, then distance) and needs the time or iterations one run did not use to go
    to the next.
    """

    def __init__(self, seconds=None, iterations=None):
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.iterations = iterations

    def left(self) -> float:
        """The share of the budget still unused, as seconds (or iterations when there is no clock)."""
        if self.deadline is not None:
            return max(0.0, self.deadline - time.monotonic())
        return float(max(0, self.iterations))

    def spent(self) -> bool:
        return self.left() <= 0

    def stop(self, fraction: float = 1.0, first_feasible: bool = False):
        """A PyVRP stopping criterion for one run that may use `fraction` of what is left."""
        from pyvrp.stop import FirstFeasible

        cap_seconds = None if self.deadline is None else time.monotonic() + fraction * self.left()
        cap_iterations = None if self.iterations is None else max(1, int(fraction * self.iterations))
        feasible = FirstFeasible() if first_feasible else None
        allowance = self

        def stop(best_cost) -> bool:
            if feasible is not None and feasible(best_cost):
                return True
            nonlocal cap_iterations
            if cap_iterations is not None:
                if cap_iterations <= 0 or allowance.iterations <= 0:
                    return True
                cap_iterations -= 1
                allowance.iterations -= 1
            now = time.monotonic()
            return (cap_seconds is not None and now > cap_seconds) or (
                allowance.deadline is not None and now > allowance.deadline)

        return stop


def _client_routes(solution) -> list[list[int]]:
    from pyvrp import ActivityType

    return [[a.idx for a in route.schedule() if a.type == ActivityType.CLIENT] for route in solution.routes()]


def _capacity_bound(problem: Problem) -> int:
    """No plan of the visits needs fewer vehicles than their demand fills (at least one)."""
    capacity = problem.caregivers[0].capacity
    if not math.isfinite(capacity) or capacity <= 0:
        return 1
    return max(1, math.ceil(sum(v.demand for v in problem.visits) / capacity - 1e-9))


def _smallest_fleet(data, allowance: _Allowance, seed: int, lower_bound: int):
    """The feasible plan with the fewest vehicles found within `allowance`, or None.

    Written here rather than taken from `pyvrp.minimise_fleet` because that returns only the fleet
    size and starts each step from a random plan. Each step here first starts from the last
    feasible plan less its shortest route (whose visits PyVRP's search re-inserts), which finds the
    smaller fleet where a random start does not (Solomon R103, RC105), and only then, for the rest
    of the step's time, from a random plan (which finds it where the warm start is stuck: R109-R111).
    The plan found is also the distance phase's starting point.
    """
    import pyvrp
    from pyvrp import Solution

    vehicle_type = data.vehicle_type(0)
    result = pyvrp.solve(data, allowance.stop(first_feasible=True), seed=seed, collect_stats=False)
    best = result.best if result.best.is_feasible() else None
    while best is not None and best.num_routes() > lower_bound and not allowance.spent():
        fewer = data.replace(vehicle_types=[vehicle_type.replace(num_available=best.num_routes() - 1)])
        shortest_dropped = sorted(_client_routes(best), key=len)[1:]
        found = None
        for initial, fraction in ((Solution(fewer, shortest_dropped), WARM_SHARE), (None, 1.0)):
            if allowance.spent():
                break
            result = pyvrp.solve(fewer, allowance.stop(fraction, first_feasible=True), seed=seed,
                                 collect_stats=False, initial_solution=initial)
            if result.best.is_feasible():
                found = result.best
                break
        if found is None:
            break
        best = found
    return best


def _pyvrp_data(problem: Problem):
    from pyvrp import Model

    first = problem.caregivers[0]
    nodes, dist, dur = _tables(problem)
    model = Model()
    locations = [model.add_location(0, 0) for _ in nodes]
    depot = model.add_depot(locations[0], tw_early=_scaled(first.shift.start), tw_late=_scaled(first.shift.end))
    for k, visit in enumerate(problem.visits):
        window = visit.time_windows[0]
        model.add_client(
            locations[k + 1],
            delivery=[_scaled(visit.demand)],
            service_duration=_scaled(visit.services[0].duration, up=True),
            tw_early=_scaled(window.start, up=True),
            tw_late=_scaled(window.end),
        )
    for a, la in enumerate(locations):
        for b, lb in enumerate(locations):
            if a != b:
                model.add_edge(la, lb, distance=dist[a][b], duration=dur[a][b])
    capacity = _scaled(first.capacity) if math.isfinite(first.capacity) else (1 << 40)
    model.add_vehicle_type(
        num_available=len(problem.caregivers),
        capacity=[capacity],
        start_depot=depot,
        end_depot=depot,
        fixed_cost=VEHICLE_COST,
        tw_early=_scaled(first.shift.start),
        tw_late=_scaled(first.shift.end),
    )
    return model.data()


def solve_pyvrp(problem: Problem, *, seconds=None, iterations=None, seed=0, fleet_share=None) -> list[list[int]]:
    """Routes as lists of visit indices. Fleet first minimised, then distance, within one budget."""
    from pyvrp import Solution

    import pyvrp

    if not problem.visits:
        return []
    data = _pyvrp_data(problem)
    # PyVRP warns while it searches infeasible fleets on purpose; that is not a problem here.
    warnings.filterwarnings("ignore", module="pyvrp")
    share = FLEET_SHARE if fleet_share is None else fleet_share
    total = _Allowance(seconds, iterations)
    fleet_budget = _Allowance(None if seconds is None else seconds * share,
                              None if iterations is None else max(1, int(iterations * share)))
    best = _smallest_fleet(data, fleet_budget, seed, _capacity_bound(problem))
    # The distance phase gets all the time the fleet phase left (it stops early at the capacity bound),
    # starts from the fleet phase's plan and keeps its fleet; the fixed vehicle cost still lets it drop one.
    if best is not None:
        data = data.replace(vehicle_types=[data.vehicle_type(0).replace(num_available=best.num_routes())])
        best = Solution(data, _client_routes(best))
    distance_budget = total if seconds is not None else _Allowance(None, max(1, iterations - int(iterations * share)))
    result = pyvrp.solve(data, distance_budget.stop(), seed=seed, collect_stats=False, initial_solution=best)
    if not result.is_feasible():
        raise RuntimeError("PyVRP found no feasible plan")
    return _client_routes(result.best)


def solve_raw_pyvrp(problem: Problem, *, seconds: float, seed=0, fleet_share=0.3) -> list[list[int]]:
    """PyVRP as its documentation shows it, the baseline the engine is measured against on Solomon:
    `pyvrp.minimise_fleet` for `fleet_share` of the budget, then `pyvrp.solve` with that fleet for the rest."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    if not problem.visits:
        return []
    data = _pyvrp_data(problem)
    warnings.filterwarnings("ignore", module="pyvrp")
    fleet = pyvrp.minimise_fleet(data, MaxRuntime(seconds * fleet_share), seed=seed)
    result = pyvrp.solve(data.replace(vehicle_types=[fleet]), MaxRuntime(seconds * (1 - fleet_share)),
                         seed=seed, display=False, collect_stats=False)
    if not result.is_feasible():
        raise RuntimeError("PyVRP found no feasible plan")
    return _client_routes(result.best)


def solve_ortools(problem: Problem, *, seconds: float, seed=0) -> list[list[int]]:
    """OR-Tools routing with guided local search, same objective (vehicles, then distance)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    first = problem.caregivers[0]
    nodes, dist, dur = _tables(problem)
    n = len(nodes)
    service = [0] + [_scaled(v.services[0].duration, up=True) for v in problem.visits]
    manager = pywrapcp.RoutingIndexManager(n, len(problem.caregivers), 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance_cb(i, j):
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def time_cb(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + dur[a][b]

    def demand_cb(i):
        node = manager.IndexToNode(i)
        return 0 if node == 0 else _scaled(problem.visits[node - 1].demand)

    dist_index = routing.RegisterTransitCallback(distance_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(dist_index)
    routing.SetFixedCostOfAllVehicles(VEHICLE_COST)
    time_index = routing.RegisterTransitCallback(time_cb)
    horizon = _scaled(first.shift.end)
    routing.AddDimension(time_index, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for k, visit in enumerate(problem.visits):
        w = visit.time_windows[0]
        time_dim.CumulVar(manager.NodeToIndex(k + 1)).SetRange(_scaled(w.start, up=True), _scaled(w.end))
    for v in range(len(problem.caregivers)):
        time_dim.CumulVar(routing.Start(v)).SetRange(_scaled(first.shift.start), horizon)
        time_dim.CumulVar(routing.End(v)).SetRange(_scaled(first.shift.start), horizon)
    if math.isfinite(first.capacity):
        demand_index = routing.RegisterUnaryTransitCallback(demand_cb)
        routing.AddDimensionWithVehicleCapacity(
            demand_index, 0, [_scaled(first.capacity)] * len(problem.caregivers), True, "load"
        )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        raise RuntimeError("OR-Tools found no feasible plan")
    routes = []
    for v in range(len(problem.caregivers)):
        index = routing.Start(v)
        route = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index) - 1)
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return routes
