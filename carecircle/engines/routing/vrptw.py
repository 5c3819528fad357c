"""Plain VRPTW backends (one depot, identical vehicles, one window per visit, capacity).

PyVRP is the production backend for this class; the OR-Tools one exists as the measured peer
in the Solomon benchmark. Both work on integers, so times and distances are scaled by
`SCALE`. Travel times are rounded UP: a route that is on time in the rounded integers is then
on time in exact arithmetic too, and the returned plan is re-timed exactly and checked.
"""

from __future__ import annotations

import math
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


# Share of the budget spent on minimising the fleet before minimising distance.
FLEET_SHARE = 0.5


def solve_pyvrp(problem: Problem, *, seconds=None, iterations=None, seed=0, fleet_share=None) -> list[list[int]]:
    """Routes as lists of visit indices. Fleet first minimised, then distance."""
    from pyvrp import ActivityType, Model
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    import pyvrp

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

    def stop_after(fraction):
        criteria = []
        if seconds is not None:
            criteria.append(MaxRuntime(seconds * fraction))
        if iterations is not None:
            criteria.append(MaxIterations(max(1, int(iterations * fraction))))
        return criteria[0] if len(criteria) == 1 else MultipleCriteria(criteria)

    data = model.data()
    # PyVRP warns while it searches infeasible fleets on purpose; that is not a problem here.
    warnings.filterwarnings("ignore", module="pyvrp")
    # First find the smallest fleet, then minimise distance with it (the fixed vehicle cost
    # still lets the search drop a vehicle). Half and half measured better on Solomon R1/RC1
    # than a third for the fleet: two more instances reach the best-known vehicle count.
    share = FLEET_SHARE if fleet_share is None else fleet_share
    fleet = pyvrp.minimise_fleet(data, stop_after(share), seed=seed)
    data = data.replace(vehicle_types=[fleet])
    result = pyvrp.solve(data, stop_after(1 - share), seed=seed, display=False)
    if not result.is_feasible():
        result = pyvrp.solve(model.data(), stop_after(1 - share), seed=seed, display=False)
    if not result.is_feasible():
        raise RuntimeError("PyVRP found no feasible plan")
    return [
        [activity.idx for activity in route.schedule() if activity.type == ActivityType.CLIENT]
        for route in result.best.routes()
    ]


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
