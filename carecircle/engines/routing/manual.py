"""Timing a caregiver's visits in an order a person chose, and the repair pass built on it.

`time_route` is what a dispatcher's manual move is judged by: the visits in the given order at their
earliest possible times, the lunch break in the first gap where it fits, and `check` says whether the
result breaks a rule. The search times routes its own way (`schedule.Compiled`), with screens that
keep it fast; a screen can miss a place where a visit would still fit. So after every solve and
re-plan, `place_unscheduled` tries each visit left out at every position of every caregiver's day with
this timer and the independent checker, and keeps the cheapest legal place: no visit stays unscheduled
that a manual move could place.
"""

from __future__ import annotations

from .checker import check
from .model import Problem, Route, Solution, Stop, Unscheduled, Visit


def _start_in_windows(visit: Visit, arrive: float) -> float:
    for window in visit.windows():
        if arrive <= window.end:
            return max(arrive, window.start)
    return arrive  # late for every window: the checker names it


def time_route(problem: Problem, cid: str, visit_ids: list[str], *, kept: dict[str, float] | None = None,
               departure: float | None = None, not_before: float | None = None) -> Route:
    """Earliest times for caregiver `cid` serving `visit_ids` in this order (one service each).

    The result may break rules; `check` says which. For a re-plan, `kept` holds visits already started
    with their start times (they stay as they are, and come first), `departure` the time the caregiver
    left, and `not_before` the time before which nothing new may start.
    """
    caregiver = problem.caregiver_by_id[cid]
    if not visit_ids:
        return Route(cid, [])
    kept = kept or {}
    travel = problem.matrix.durations(caregiver)
    index = problem.matrix.index
    visits = [problem.visit_by_id[v] for v in visit_ids]
    lunch = caregiver.lunch_break
    if departure is None:
        # Leave as late as the first visit allows, so no working time is spent waiting at home.
        first = visits[0]
        leg0 = travel[index[caregiver.start.key]][index[first.location.key]]
        departure = max(caregiver.shift.start, first.windows()[0].start - leg0)
    place, free = caregiver.start, departure
    stops, break_start, arrival = [], None, departure
    legs = [(v.location, v) for v in visits] + [(caregiver.end, None)]
    for target, visit in legs:
        leg = travel[index[place.key]][index[target.key]]
        if visit is not None and visit.id in kept:
            start = kept[visit.id]
            if lunch is not None and break_start is None and place is not caregiver.start:
                # The break fits in the gap before a visit that keeps its time: take it there.
                candidate = max(free, lunch.earliest)
                if candidate <= lunch.latest and candidate + lunch.duration + leg <= start:
                    break_start = candidate
            stops.append(Stop(visit.id, 0, start))
            free = start + visit.services[0].duration_for(cid)
            place = target
            continue
        if lunch is not None and break_start is None and place is not caregiver.start:
            candidate = max(free, lunch.earliest)
            if candidate <= lunch.latest:
                if visit is None:
                    take = True
                else:
                    with_break = _start_in_windows(visit, candidate + lunch.duration + leg)
                    without = _start_in_windows(visit, free + leg)
                    service_end = without + visit.services[0].duration_for(cid)
                    fits = any(with_break <= w.end for w in visit.windows())
                    # Take it now if the next visit still fits, or if after that visit it would be too late.
                    take = fits or service_end > lunch.latest
                if take:
                    break_start = candidate
                    free = candidate + lunch.duration
        if visit is None:
            arrival = free + leg
            break
        arrive = free + leg
        if not_before is not None:
            arrive = max(arrive, not_before)
        start = _start_in_windows(visit, arrive)
        stops.append(Stop(visit.id, 0, start))
        free = start + visit.services[0].duration_for(cid)
        place = target
    return Route(cid, stops, departure=departure, arrival=arrival, break_start=break_start)


def solution_with(problem: Problem, routes: dict[str, list[str]], unscheduled: dict[str, str]) -> Solution:
    timed = [time_route(problem, cid, ids) for cid, ids in routes.items()]
    return Solution(timed, [Unscheduled(v, reason) for v, reason in unscheduled.items()])


def _route_problems(problem: Problem, route: Route) -> list:
    """The checker's findings about this one route, judged on a problem holding only its caregiver and
    visits (the rest of the day is unchanged and judged elsewhere; this keeps each trial cheap)."""
    visits = [problem.visit_by_id[stop.visit_id] for stop in route.stops]
    alone = Problem(visits, [problem.caregiver_by_id[route.caregiver_id]], problem.matrix,
                    objective=problem.objective)
    return check(alone, Solution([route], []))


def _may_take(caregiver, visit: Visit) -> bool:
    """Cheap necessary conditions, so the checker only judges places that could be legal."""
    if caregiver.id in visit.excluded_caregivers or not caregiver.can_do(visit.services[0]):
        return False
    latest_end = max(w.end for w in visit.windows())
    earliest_start = min(w.start for w in visit.windows())
    duration = visit.services[0].duration_for(caregiver.id)
    return latest_end >= caregiver.shift.start and earliest_start + duration <= caregiver.shift.end


def _travel_time(problem: Problem, route: Route) -> float:
    if not route.stops:
        return 0.0
    caregiver = problem.caregiver_by_id[route.caregiver_id]
    travel = problem.matrix.durations(caregiver)
    index = problem.matrix.index
    places = [caregiver.start] + [problem.visit_by_id[s.visit_id].location for s in route.stops] + [caregiver.end]
    return sum(travel[index[a.key]][index[b.key]] for a, b in zip(places, places[1:]))


NO_CAREGIVER_MAY = "no available caregiver may do it (qualification, exclusions or shift hours)"
NO_PLACE_PINNED = "no caregiver can fit it in without moving the visits that keep their times"


def place_unscheduled(problem: Problem, solution: Solution, *, started: dict[str, float] | None = None,
                      not_before: float | None = None, unavailable=(),
                      pinned: dict[str, float] | None = None) -> Solution:
    """Place every unscheduled one-service visit that fits somewhere legally, cheapest place first.

    Highest priority visits are placed first. Routes holding a two-caregiver visit are left alone
    (their timing depends on the partner's route). For a re-plan, `started` maps visits already under
    way to their start times (they keep them), `not_before` is the re-plan time and `unavailable`
    caregivers take nothing new.

    `pinned` maps visits that must keep their caregiver and start time (a published day) to those
    times: a visit is only inserted into the gaps between them, anywhere in the route. With `pinned`
    given, every visit still left out gets the reason it could not be placed.
    """
    started = started or {}
    pin = dict(pinned or {})
    unavailable = set(unavailable)
    routes = {route.caregiver_id: route for route in solution.routes}
    for caregiver in problem.caregivers:
        routes.setdefault(caregiver.id, Route(caregiver.id, []))
    left = {u.visit_id: u.reason for u in solution.unscheduled}
    candidates = [problem.visit_by_id[v] for v in left if v in problem.visit_by_id]
    candidates = [v for v in candidates if len(v.services) == 1]
    candidates.sort(key=lambda v: (-v.priority, v.id))
    changed = False
    for visit in candidates:
        best = None
        anyone = False
        for caregiver in problem.caregivers:
            cid = caregiver.id
            if cid in unavailable or not _may_take(caregiver, visit):
                continue
            anyone = True
            route = routes[cid]
            if any(len(problem.visit_by_id[s.visit_id].services) > 1 for s in route.stops):
                continue
            ids = [s.visit_id for s in route.stops]
            kept = {v: started[v] for v in ids if v in started}
            first = len(kept)
            if ids[:first] != [v for v in ids if v in kept]:
                continue  # started visits not at the front: leave this day as the search made it
            kept.update({v: pin[v] for v in ids if v in pin and v not in kept})
            before = _travel_time(problem, route)
            for position in range(first, len(ids) + 1):
                trial_ids = ids[:position] + [visit.id] + ids[position:]
                trial = time_route(problem, cid, trial_ids, kept=kept,
                                   departure=route.departure if first else None, not_before=not_before)
                if _route_problems(problem, trial):
                    continue
                added = _travel_time(problem, trial) - before
                if best is None or added < best[0]:
                    best = (added, cid, trial)
        if best is not None:
            routes[best[1]] = best[2]
            del left[visit.id]
            changed = True
        elif pinned is not None:
            left[visit.id] = NO_PLACE_PINNED if anyone else NO_CAREGIVER_MAY
            changed = True
    if not changed:
        return solution
    ordered = [routes[c.id] for c in problem.caregivers]
    result = Solution(ordered, [Unscheduled(v, reason) for v, reason in left.items()])
    result.stats = dict(solution.stats)
    return result
