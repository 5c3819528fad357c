"""Independent feasibility checker and objective.

This module deliberately shares no scheduling code with the solvers: it takes the start times a
solution claims and verifies them against the problem, so a bug in a solver's timing logic shows
up here instead of being repeated.

Break rule: a caregiver whose lunch break is defined and who is on duty through the whole break
window (leaves no later than `earliest`, comes back no earlier than `latest + duration`) must
take it; the break must start inside the window and fit in a gap between services, after the
travel of that leg.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import INFINITY, PREFERENCE_WEIGHT, Objective, Problem, Solution, Violation

# Times come from floating point sums of travel times; a plan that is late by a
# nano-unit is not late.
TOLERANCE = 1e-6


def _late(value: float, limit: float) -> bool:
    return value > limit + TOLERANCE * max(1.0, abs(limit) if limit not in (INFINITY, -INFINITY) else 1.0)


@dataclass
class Evaluation:
    vehicles: int
    distance: float
    travel_time: float
    total_tardiness: float
    max_tardiness: float
    unscheduled: int
    unscheduled_priority: int
    not_preferred: int
    objective: float
    # Lexicographic key, smaller is better.
    key: tuple

    def as_dict(self) -> dict:
        return {
            "vehicles": self.vehicles,
            "distance": self.distance,
            "travel_time": self.travel_time,
            "tardiness": self.total_tardiness,
            "max_tardiness": self.max_tardiness,
            "unscheduled": self.unscheduled,
            "objective": self.objective,
        }


def check(problem: Problem, solution: Solution) -> list[Violation]:
    violations: list[Violation] = []

    def report(kind: str, message: str, visit_id=None, caregiver_id=None) -> None:
        violations.append(Violation(kind, message, visit_id, caregiver_id))

    served: dict[tuple[str, int], list[tuple[str, float]]] = {}
    seen_caregivers: set[str] = set()

    for route in solution.routes:
        cid = route.caregiver_id
        caregiver = problem.caregiver_by_id.get(cid)
        if caregiver is None:
            report("unknown_caregiver", f"route for unknown caregiver {cid!r}", caregiver_id=cid)
            continue
        if cid in seen_caregivers:
            report("caregiver_twice", f"caregiver {cid} has more than one route", caregiver_id=cid)
        seen_caregivers.add(cid)
        if not route.stops:
            continue
        travel = problem.matrix.durations(caregiver)
        index = problem.matrix.index

        departure = route.departure if route.departure is not None else -INFINITY
        if departure < caregiver.shift.start - TOLERANCE:
            report("shift", f"{cid} leaves at {departure} before the shift starts at {caregiver.shift.start}", caregiver_id=cid)

        # Each leg: (time free at previous place, previous place, next place, next start)
        legs = []
        place = caregiver.start
        free_at = departure
        load = 0.0
        for stop in route.stops:
            visit = problem.visit_by_id.get(stop.visit_id)
            if visit is None:
                report("unknown_visit", f"{cid} serves unknown visit {stop.visit_id!r}", stop.visit_id, cid)
                continue
            if stop.service not in range(len(visit.services)):
                report("unknown_service", f"visit {visit.id} has no service {stop.service}", visit.id, cid)
                continue
            service = visit.services[stop.service]
            served.setdefault((visit.id, stop.service), []).append((cid, stop.start))
            if stop.service == 0:
                load += visit.demand
            if not caregiver.can_do(service):
                report("qualification", f"{cid} lacks {service.qualification!r} for visit {visit.id}", visit.id, cid)
            if cid in visit.excluded_caregivers:
                report("excluded_caregiver", f"{cid} is excluded from visit {visit.id}", visit.id, cid)
            leg_time = travel[index[place.key]][index[visit.location.key]]
            legs.append((free_at, leg_time, stop.start, visit.id))
            if _late(free_at + leg_time, stop.start):
                report(
                    "travel_time",
                    f"{cid} cannot reach visit {visit.id} by {stop.start} (free at {free_at}, travel {leg_time})",
                    visit.id,
                    cid,
                )
            windows = visit.windows()
            if stop.start < windows[0].start - TOLERANCE:
                report("time_window", f"visit {visit.id} starts at {stop.start}, before its window opens", visit.id, cid)
            elif not problem.soft_time_windows and not any(
                w.start - TOLERANCE <= stop.start and not _late(stop.start, w.end) for w in windows
            ):
                report("time_window", f"visit {visit.id} starts at {stop.start}, outside every time window", visit.id, cid)
            free_at = stop.start + service.duration_for(cid)
            place = visit.location

        back = travel[index[place.key]][index[caregiver.end.key]]
        arrival = route.arrival if route.arrival is not None else free_at + back
        legs.append((free_at, back, arrival, None))
        if _late(free_at + back, arrival):
            report("travel_time", f"{cid} cannot be back at {arrival} (free at {free_at}, travel {back})", caregiver_id=cid)
        if _late(arrival, caregiver.shift.end):
            report("shift", f"{cid} is back at {arrival}, after the shift ends at {caregiver.shift.end}", caregiver_id=cid)
        if _late(arrival - departure, caregiver.max_working_time):
            report("max_hours", f"{cid} works {arrival - departure}, more than {caregiver.max_working_time}", caregiver_id=cid)
        if _late(load, caregiver.capacity):
            report("capacity", f"{cid} carries {load}, more than capacity {caregiver.capacity}", caregiver_id=cid)

        lunch = caregiver.lunch_break
        if lunch is not None:
            if route.break_start is None:
                if departure <= lunch.earliest and arrival >= lunch.latest + lunch.duration:
                    report("lunch_break", f"{cid} works through the lunch window without a break", caregiver_id=cid)
            else:
                b = route.break_start
                if b < lunch.earliest - TOLERANCE or _late(b, lunch.latest):
                    report("lunch_break", f"{cid}'s break at {b} is outside [{lunch.earliest}, {lunch.latest}]", caregiver_id=cid)
                fits = any(
                    free - TOLERANCE <= b and not _late(b + lunch.duration, nxt) and not _late(free + leg + lunch.duration, nxt)
                    for free, leg, nxt, _ in legs
                )
                if not fits:
                    report("lunch_break", f"{cid}'s break at {b} overlaps a service or leaves no time to travel", caregiver_id=cid)

    unscheduled_ids = set()
    for item in solution.unscheduled:
        if item.visit_id not in problem.visit_by_id:
            report("unknown_visit", f"unknown unscheduled visit {item.visit_id!r}", item.visit_id)
            continue
        unscheduled_ids.add(item.visit_id)
        if problem.objective != Objective.CARE:
            report("not_served", f"visit {item.visit_id} must be served: {item.reason}", item.visit_id)

    for visit in problem.visits:
        starts = []
        for s in range(len(visit.services)):
            by = served.get((visit.id, s), [])
            if visit.id in unscheduled_ids:
                if by:
                    report("served_and_unscheduled", f"visit {visit.id} is both served and reported unscheduled", visit.id)
                continue
            if not by:
                report("not_served", f"service {s} of visit {visit.id} is neither served nor reported unscheduled", visit.id)
            elif len(by) > 1:
                report("served_twice", f"service {s} of visit {visit.id} is served {len(by)} times", visit.id)
            if by:
                starts.append(by[0])
        if visit.needs_two and len(starts) == 2:
            (first_cid, first_start), (second_cid, second_start) = starts
            if first_cid == second_cid:
                report("same_caregiver", f"visit {visit.id} needs two different caregivers", visit.id, first_cid)
            gap = second_start - first_start
            if gap < visit.min_gap - TOLERANCE or _late(gap, visit.max_gap):
                report(
                    "synchronisation",
                    f"visit {visit.id}: second service starts {gap} after the first, allowed [{visit.min_gap}, {visit.max_gap}]",
                    visit.id,
                )
    return violations


def evaluate(problem: Problem, solution: Solution) -> Evaluation:
    """Objective figures of a solution, from its own routes and start times."""
    distance = travel_time = total_tardiness = max_tardiness = 0.0
    vehicles = not_preferred = 0
    for route in solution.routes:
        if not route.stops:
            continue
        caregiver = problem.caregiver_by_id[route.caregiver_id]
        vehicles += 1
        travel = problem.matrix.durations(caregiver)
        index = problem.matrix.index
        place = caregiver.start
        for stop in route.stops:
            visit = problem.visit_by_id[stop.visit_id]
            distance += problem.matrix.distance(place, visit.location)
            travel_time += travel[index[place.key]][index[visit.location.key]]
            # Tardiness is measured against the last window: in the soft-window benchmark
            # there is exactly one.
            late = max(0.0, stop.start - visit.windows()[-1].end)
            total_tardiness += late
            max_tardiness = max(max_tardiness, late)
            if visit.preferred_caregivers and caregiver.id not in visit.preferred_caregivers:
                not_preferred += 1
            place = visit.location
        distance += problem.matrix.distance(place, caregiver.end)
        travel_time += travel[index[place.key]][index[caregiver.end.key]]
    unscheduled = len(solution.unscheduled)
    unscheduled_priority = sum(problem.visit_by_id[u.visit_id].priority for u in solution.unscheduled)
    if problem.objective == Objective.HHCRSP:
        objective = (distance + total_tardiness + max_tardiness) / 3
        key = (unscheduled, objective)
    elif problem.objective == Objective.VRPTW:
        objective = distance
        key = (unscheduled, vehicles, distance)
    else:
        objective = travel_time + PREFERENCE_WEIGHT * not_preferred
        key = (unscheduled_priority, unscheduled, objective)
    return Evaluation(
        vehicles, distance, travel_time, total_tardiness, max_tardiness, unscheduled,
        unscheduled_priority, not_preferred, objective, key,
    )
