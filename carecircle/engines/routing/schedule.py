"""Compiled problem and timing of a plan, for the search.

The search works on integer task ids (one task per service of a visit) and lists of task ids
per caregiver; this module turns such a plan into start times and a penalised cost. Start
times are the earliest possible ones: waiting is only inserted where a window, a partner
service or the lunch break demands it.

Synchronised pairs are timed by a monotone fixed point: each round times every route with the
current lower bounds, then raises the bound of whichever partner is too early (the second one
if the gap is too short, the first one if it is too long). Bounds only grow, so either the
rounds settle (the least feasible timing) or starts keep growing because two routes wait for
each other in opposite orders, which is reported as a deadlock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .model import INFINITY, PREFERENCE_WEIGHT, Objective, Problem, Route, Solution, Stop, Unscheduled

NEG = -INFINITY
# Per unit of violated hard constraint; large enough that the search never prefers a
# violation to any amount of travel.
HARD_WEIGHT = 1e6
# Per priority point of a visit left out: dearer than any travel, cheaper than violations.
UNSCHEDULED_WEIGHT = 1e8
# Per new vehicle in the VRPTW objective (vehicles first, then distance).
VEHICLE_WEIGHT = 1e5
DEADLOCK_PENALTY = 1e12


@dataclass
class RouteTiming:
    distance: float
    travel_time: float
    tardiness: float
    max_tardiness: float
    hard: float  # amount of hard-constraint violation (0 = feasible)
    sync: float  # partner gap violation against fixed partner times (screening only)
    not_preferred: int
    starts: list
    departure: float
    arrival: float
    break_start: float | None


EMPTY_TIMING = RouteTiming(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, [], 0.0, 0.0, None)


class Compiled:
    """Problem flattened into lists indexed by task and caregiver number."""

    def __init__(self, problem: Problem):
        self.problem = problem
        m = problem.matrix
        self.soft = problem.soft_time_windows
        self.objective = problem.objective
        self.visits = problem.visits
        self.caregivers = problem.caregivers
        self.n_caregivers = len(problem.caregivers)
        self.dist = m.distances
        self.travel = [m.durations(c) for c in problem.caregivers]
        self.c_start = [m.index[c.start.key] for c in problem.caregivers]
        self.c_end = [m.index[c.end.key] for c in problem.caregivers]
        self.c_shift = [(c.shift.start, c.shift.end) for c in problem.caregivers]
        self.c_max_work = [c.max_working_time for c in problem.caregivers]
        self.c_capacity = [c.capacity for c in problem.caregivers]
        self.c_lunch = [
            (c.lunch_break.earliest, c.lunch_break.latest, c.lunch_break.duration) if c.lunch_break else None
            for c in problem.caregivers
        ]
        self.task_visit: list[int] = []
        self.task_service: list[int] = []
        self.visit_tasks: list[tuple[int, ...]] = []
        for vi, visit in enumerate(problem.visits):
            ids = []
            for s in range(len(visit.services)):
                ids.append(len(self.task_visit))
                self.task_visit.append(vi)
                self.task_service.append(s)
            self.visit_tasks.append(tuple(ids))
        n = len(self.task_visit)
        self.n_tasks = n
        self.loc = [m.index[problem.visits[self.task_visit[t]].location.key] for t in range(n)]
        self.windows = [[(w.start, w.end) for w in problem.visits[self.task_visit[t]].windows()] for t in range(n)]
        self.due = [self.windows[t][-1][1] for t in range(n)]
        self.demand = [problem.visits[self.task_visit[t]].demand if self.task_service[t] == 0 else 0.0 for t in range(n)]
        self.partner = [-1] * n
        self.is_second = [False] * n
        self.min_gap = [0.0] * n
        self.max_gap = [0.0] * n
        for vi, tasks in enumerate(self.visit_tasks):
            if len(tasks) == 2:
                a, b = tasks
                self.partner[a], self.partner[b] = b, a
                self.is_second[b] = True
                for t in tasks:
                    self.min_gap[t] = problem.visits[vi].min_gap
                    self.max_gap[t] = problem.visits[vi].max_gap
        # duration[t][c], allowed[t][c]
        self.duration = []
        self.allowed = []
        self.preferred_penalty = []
        for t in range(n):
            visit = problem.visits[self.task_visit[t]]
            service = visit.services[self.task_service[t]]
            self.duration.append([service.duration_for(c.id) for c in problem.caregivers])
            self.allowed.append(
                [c.can_do(service) and c.id not in visit.excluded_caregivers for c in problem.caregivers]
            )
            self.preferred_penalty.append(
                [1 if visit.preferred_caregivers and c.id not in visit.preferred_caregivers else 0 for c in problem.caregivers]
            )
        self.priority = [v.priority for v in problem.visits]
        # Earliest start per task beyond its windows: "now" when re-planning (nothing can be
        # done in the past) or the actual start of a visit already under way.
        self.release = [NEG] * n

    # ------------------------------------------------------------------ one route

    def time_route(self, c: int, route: list[int], lower: dict | None = None, partner_start: dict | None = None) -> RouteTiming:
        """Time one caregiver's route.

        `lower[t]` raises a task's earliest start (from the fixed point); `partner_start`
        instead holds partners' start times fixed, for screening insertions route by route.
        """
        if not route:
            return EMPTY_TIMING
        travel = self.travel[c]
        dist = self.dist
        shift_start, shift_end = self.c_shift[c]
        lunch = self.c_lunch[c]
        break_start = None
        place = self.c_start[c]
        free = shift_start
        distance = travel_time = tardiness = max_tardiness = hard = sync = 0.0
        not_preferred = 0
        load = 0.0
        starts = []
        first_leg = True
        departure = shift_start
        for t in route:
            loc = self.loc[t]
            leg = travel[place][loc]
            distance += dist[place][loc]
            travel_time += leg
            if lunch is not None and break_start is None:
                earliest, latest, length = lunch
                b = free if free > earliest else earliest
                if b <= latest and free + leg > earliest:
                    break_start = b
                    free = b + length
            arrive = free + leg
            start = arrive
            if self.release[t] > start:
                start = self.release[t]
            if lower is not None:
                bound = lower.get(t)
                if bound is not None and bound > start:
                    start = bound
            elif partner_start is not None:
                p = self.partner[t]
                if p >= 0 and p in partner_start:
                    ps = partner_start[p]
                    if self.is_second[t]:
                        if ps + self.min_gap[t] > start:
                            start = ps + self.min_gap[t]
                        if start - ps > self.max_gap[t]:
                            sync += start - ps - self.max_gap[t]
                    else:
                        if ps - self.max_gap[t] > start:
                            start = ps - self.max_gap[t]
                        if ps - start < self.min_gap[t]:
                            sync += start + self.min_gap[t] - ps
            windows = self.windows[t]
            if self.soft:
                w0 = windows[0][0]
                if start < w0:
                    start = w0
                late = start - windows[-1][1]
                if late > 0:
                    tardiness += late
                    if late > max_tardiness:
                        max_tardiness = late
            else:
                for ws, we in windows:
                    if start <= we:
                        if start < ws:
                            start = ws
                        break
                else:
                    hard += start - windows[-1][1]
            if first_leg:
                # Leave as late as the first visit allows: waiting at home is not working time.
                departure = start - leg
                if break_start is not None or departure < shift_start:
                    departure = shift_start
                first_leg = False
            starts.append(start)
            free = start + self.duration[t][c]
            load += self.demand[t]
            not_preferred += self.preferred_penalty[t][c]
            place = loc
        leg = travel[place][self.c_end[c]]
        if lunch is not None and break_start is None:
            earliest, latest, length = lunch
            b = free if free > earliest else earliest
            # Back home before the break window is over: the break is only owed if the
            # caregiver would still be on duty at its latest start plus its length.
            if b <= latest and free + leg >= latest + length:
                break_start = b
                free = b + length
            elif departure <= earliest and free + leg >= latest + length:
                hard += free - latest
        distance += dist[place][self.c_end[c]]
        travel_time += leg
        arrival = free + leg
        if arrival > shift_end:
            hard += arrival - shift_end
        if arrival - departure > self.c_max_work[c]:
            hard += arrival - departure - self.c_max_work[c]
        if load > self.c_capacity[c]:
            hard += load - self.c_capacity[c]
        return RouteTiming(distance, travel_time, tardiness, max_tardiness, hard, sync, not_preferred, starts, departure, arrival, break_start)

    def _start_at(self, t: int, arrive: float, partner_start: dict) -> tuple[float, float, float, float]:
        """(start, tardiness, hard, sync) of task t reached at `arrive`, partners held fixed."""
        start = arrive
        if self.release[t] > start:
            start = self.release[t]
        sync = 0.0
        p = self.partner[t]
        if p >= 0 and p in partner_start:
            ps = partner_start[p]
            if self.is_second[t]:
                if ps + self.min_gap[t] > start:
                    start = ps + self.min_gap[t]
                if start - ps > self.max_gap[t]:
                    sync = start - ps - self.max_gap[t]
            else:
                if ps - self.max_gap[t] > start:
                    start = ps - self.max_gap[t]
                if ps - start < self.min_gap[t]:
                    sync = start + self.min_gap[t] - ps
        windows = self.windows[t]
        if self.soft:
            if start < windows[0][0]:
                start = windows[0][0]
            late = start - windows[-1][1]
            return start, (late if late > 0 else 0.0), 0.0, sync
        for ws, we in windows:
            if start <= we:
                return (ws if start < ws else start), 0.0, 0.0, sync
        return start, 0.0, start - windows[-1][1], sync

    def insertion_screen(self, c: int, route: list[int], task: int, partner_start: dict, first_position: int = 0):
        """Route metrics after inserting `task` at each position, partners held fixed.

        Yields (position, distance, travel_time, tardiness, max_tardiness, not_preferred, sync)
        for every position that keeps the route free of hard violations. Equivalent to timing
        each trial route with `time_route(..., partner_start=...)`, but reuses the unchanged
        prefix and stops following a delay once waiting has absorbed it. Routes of caregivers
        with a lunch break go through `_screen_with_lunch` (the break moves with the delays).
        """
        if self.c_lunch[c] is not None:
            yield from self._screen_with_lunch(c, route, task, partner_start, first_position)
            return
        travel = self.travel[c]
        dist = self.dist
        dur = self.duration
        n = len(route)
        start_place, end_place = self.c_start[c], self.c_end[c]
        shift_start, shift_end = self.c_shift[c]
        max_work = self.c_max_work[c]
        if self.c_capacity[c] < INFINITY:
            load = sum(self.demand[t] for t in route) + self.demand[task]
            if load > self.c_capacity[c] + 1e-9:
                return
        # forward pass of the current route
        starts = [0.0] * n
        tard = [0.0] * n
        syncs = [0.0] * n
        hard_base = 0.0
        place, free = start_place, shift_start
        distance = travel_time = 0.0
        not_preferred = 0
        for k, t in enumerate(route):
            loc = self.loc[t]
            distance += dist[place][loc]
            travel_time += travel[place][loc]
            starts[k], tard[k], h, syncs[k] = self._start_at(t, free + travel[place][loc], partner_start)
            hard_base += h
            free = starts[k] + dur[t][c]
            not_preferred += self.preferred_penalty[t][c]
            place = loc
        if hard_base > 1e-9:
            return
        distance += dist[place][end_place]
        travel_time += travel[place][end_place]
        base_arrival = free + travel[place][end_place]
        suffix_tard = [0.0] * (n + 1)
        suffix_max = [0.0] * (n + 1)
        suffix_sync = [0.0] * (n + 1)
        for k in range(n - 1, -1, -1):
            suffix_tard[k] = suffix_tard[k + 1] + tard[k]
            suffix_max[k] = tard[k] if tard[k] > suffix_max[k + 1] else suffix_max[k + 1]
            suffix_sync[k] = suffix_sync[k + 1] + syncs[k]
        prefix_tard = 0.0
        prefix_max = 0.0
        prefix_sync = 0.0
        for k in range(first_position):
            prefix_tard += tard[k]
            prefix_max = max(prefix_max, tard[k])
            prefix_sync += syncs[k]
        loc_t = self.loc[task]
        dur_t = dur[task][c]
        not_preferred_new = not_preferred + self.preferred_penalty[task][c]
        for pos in range(first_position, n + 1):
            prev = start_place if pos == 0 else self.loc[route[pos - 1]]
            nxt = end_place if pos == n else self.loc[route[pos]]
            free = shift_start if pos == 0 else starts[pos - 1] + dur[route[pos - 1]][c]
            leg = travel[prev][loc_t]
            start, late, hard, sync = self._start_at(task, free + leg, partner_start)
            if hard <= 1e-9:
                new_tard = prefix_tard + late
                new_max = prefix_max if prefix_max > late else late
                new_sync = prefix_sync + sync
                free = start + dur_t
                place = loc_t
                arrival = None
                for k in range(pos, n):
                    t = route[k]
                    loc = self.loc[t]
                    s, late_k, h, sy = self._start_at(t, free + travel[place][loc], partner_start)
                    if s <= starts[k] + 1e-12:
                        # delay absorbed: the rest of the route is unchanged
                        new_tard += suffix_tard[k]
                        new_sync += suffix_sync[k]
                        if suffix_max[k] > new_max:
                            new_max = suffix_max[k]
                        arrival = base_arrival
                        break
                    if h > 1e-9:
                        hard = h
                        break
                    new_tard += late_k
                    new_sync += sy
                    if late_k > new_max:
                        new_max = late_k
                    free = s + dur[t][c]
                    place = loc
                if hard <= 1e-9:
                    if arrival is None:
                        arrival = free + travel[place][end_place]
                    if pos == 0:
                        departure = start - leg
                        if departure < shift_start:
                            departure = shift_start
                    else:
                        departure = starts[0] - travel[start_place][self.loc[route[0]]]
                        if departure < shift_start:
                            departure = shift_start
                    if arrival <= shift_end + 1e-9 and arrival - departure <= max_work + 1e-9:
                        added = dist[prev][loc_t] + dist[loc_t][nxt] - dist[prev][nxt]
                        added_time = leg + travel[loc_t][nxt] - travel[prev][nxt]
                        yield (pos, distance + added, travel_time + added_time, new_tard, new_max,
                               not_preferred_new, new_sync)
            if pos < n:
                prefix_tard += tard[pos]
                if tard[pos] > prefix_max:
                    prefix_max = tard[pos]
                prefix_sync += syncs[pos]

    def _screen_full(self, c, route, task, partner_start, first_position):
        for pos in range(first_position, len(route) + 1):
            timing = self.time_route(c, route[:pos] + [task] + route[pos:], partner_start=partner_start)
            if timing.hard <= 1e-9:
                yield (pos, timing.distance, timing.travel_time, timing.tardiness, timing.max_tardiness,
                       timing.not_preferred, timing.sync)

    def _screen_with_lunch(self, c, route, task, partner_start, first_position):
        """`insertion_screen` for a caregiver with a lunch break, same results as `time_route`.

        The state before each task of the current route (time free, break taken or not) is kept
        from one forward pass; an insertion is followed from its position until the new state
        equals the old one at the same task, after which the rest of the route is unchanged.
        The comparison is on the exact state, not "no later than": where the break goes can
        make a later visit start earlier after an insertion.
        """
        earliest, latest, length = self.c_lunch[c]
        travel = self.travel[c]
        dist = self.dist
        dur = self.duration
        loc = self.loc
        n = len(route)
        start_place, end_place = self.c_start[c], self.c_end[c]
        shift_start, shift_end = self.c_shift[c]
        max_work = self.c_max_work[c]
        if self.c_capacity[c] < INFINITY:
            load = sum(self.demand[t] for t in route) + self.demand[task]
            if load > self.c_capacity[c] + 1e-9:
                return
        start_at = self._start_at

        def finish(free, taken, place, departure):
            """Arrival back at the end place, or None when the day's end breaks a rule."""
            leg = travel[place][end_place]
            if not taken:
                b = free if free > earliest else earliest
                if b <= latest and free + leg >= latest + length:
                    free = b + length
                elif departure <= earliest and free + leg >= latest + length:
                    return None
            arrival = free + leg
            if arrival > shift_end + 1e-9 or arrival - departure > max_work + 1e-9:
                return None
            return arrival

        free_before = [0.0] * (n + 1)
        taken_before = [False] * (n + 1)
        starts = [0.0] * n
        tard = [0.0] * n
        syncs = [0.0] * n
        place, free, taken = start_place, shift_start, False
        departure = shift_start
        distance = travel_time = 0.0
        not_preferred = 0
        for k, t in enumerate(route):
            free_before[k], taken_before[k] = free, taken
            here = loc[t]
            leg = travel[place][here]
            distance += dist[place][here]
            travel_time += leg
            if not taken:
                b = free if free > earliest else earliest
                if b <= latest and free + leg > earliest:
                    taken = True
                    free = b + length
            starts[k], tard[k], h, syncs[k] = start_at(t, free + leg, partner_start)
            if h > 1e-9:
                yield from self._screen_full(c, route, task, partner_start, first_position)
                return
            if k == 0:
                departure = starts[0] - leg
                if taken or departure < shift_start:
                    departure = shift_start
            free = starts[k] + dur[t][c]
            not_preferred += self.preferred_penalty[t][c]
            place = here
        free_before[n], taken_before[n] = free, taken
        base_departure = departure
        if n and finish(free, taken, place, departure) is None:
            yield from self._screen_full(c, route, task, partner_start, first_position)
            return
        distance += dist[place][end_place]
        travel_time += travel[place][end_place]
        suffix_tard = [0.0] * (n + 1)
        suffix_max = [0.0] * (n + 1)
        suffix_sync = [0.0] * (n + 1)
        for k in range(n - 1, -1, -1):
            suffix_tard[k] = suffix_tard[k + 1] + tard[k]
            suffix_max[k] = tard[k] if tard[k] > suffix_max[k + 1] else suffix_max[k + 1]
            suffix_sync[k] = suffix_sync[k + 1] + syncs[k]
        prefix_tard = prefix_max = prefix_sync = 0.0
        for k in range(first_position):
            prefix_tard += tard[k]
            prefix_max = max(prefix_max, tard[k])
            prefix_sync += syncs[k]
        loc_t = loc[task]
        dur_t = dur[task][c]
        not_preferred_new = not_preferred + self.preferred_penalty[task][c]
        for pos in range(first_position, n + 1):
            prev = start_place if pos == 0 else loc[route[pos - 1]]
            nxt = end_place if pos == n else loc[route[pos]]
            free, taken = free_before[pos], taken_before[pos]
            leg = travel[prev][loc_t]
            if not taken:
                b = free if free > earliest else earliest
                if b <= latest and free + leg > earliest:
                    taken = True
                    free = b + length
            start, late, hard, sync = start_at(task, free + leg, partner_start)
            if hard <= 1e-9:
                if pos == 0:
                    departure = start - leg
                    if taken or departure < shift_start:
                        departure = shift_start
                else:
                    departure = base_departure
                new_tard = prefix_tard + late
                new_max = prefix_max if prefix_max > late else late
                new_sync = prefix_sync + sync
                free = start + dur_t
                place = loc_t
                for k in range(pos, n):
                    t = route[k]
                    here = loc[t]
                    leg_k = travel[place][here]
                    if not taken:
                        b = free if free > earliest else earliest
                        if b <= latest and free + leg_k > earliest:
                            taken = True
                            free = b + length
                    s, late_k, h, sy = start_at(t, free + leg_k, partner_start)
                    if h > 1e-9:
                        hard = h
                        break
                    new_tard += late_k
                    new_sync += sy
                    if late_k > new_max:
                        new_max = late_k
                    free = s + dur[t][c]
                    place = here
                    if free == free_before[k + 1] and taken == taken_before[k + 1]:
                        # same state as before at the next task: the rest of the day is unchanged
                        new_tard += suffix_tard[k + 1]
                        new_sync += suffix_sync[k + 1]
                        if suffix_max[k + 1] > new_max:
                            new_max = suffix_max[k + 1]
                        free, taken, place = free_before[n], taken_before[n], loc[route[n - 1]]
                        break
                if hard <= 1e-9:
                    # the end of the day depends on the departure too (working hours, break owed)
                    arrival = finish(free, taken, place, departure)
                    if arrival is not None:
                        added = dist[prev][loc_t] + dist[loc_t][nxt] - dist[prev][nxt]
                        added_time = leg + travel[loc_t][nxt] - travel[prev][nxt]
                        yield (pos, distance + added, travel_time + added_time, new_tard, new_max,
                               not_preferred_new, new_sync)
            if pos < n:
                prefix_tard += tard[pos]
                if tard[pos] > prefix_max:
                    prefix_max = tard[pos]
                prefix_sync += syncs[pos]

    # ------------------------------------------------------------------ whole plan

    def time_plan(self, routes, base=None, lower=None, changed=()) -> tuple[list[RouteTiming], bool]:
        """Time every route with synchronisation. Returns (timings, deadlocked).

        With `base` timings and their converged `lower` bounds, only the `changed` routes are
        re-timed first. That is only valid when the change can only delay services (an
        insertion): the old bounds then stay valid lower bounds of the new fixed point.
        The bounds found are left in `lower` when a dict is passed.
        """
        if base is None:
            if lower is None:
                lower = {}
            else:
                lower.clear()
            timings = [self.time_route(c, route, lower) for c, route in enumerate(routes)]
        else:
            timings = list(base)
            for c in changed:
                timings[c] = self.time_route(c, routes[c], lower)
        partner = self.partner
        where = {}
        for c, route in enumerate(routes):
            for k, t in enumerate(route):
                if partner[t] >= 0:
                    where[t] = (c, k)
        if not where:
            return timings, False
        # Only pairs touching a route whose times moved can have become violated: the base
        # timings were a fixed point.
        dirty = set(range(len(routes))) if base is None else set(changed)
        is_second, min_gap, max_gap = self.is_second, self.min_gap, self.max_gap
        # Each round raises at least one bound; a feasible fixed point needs at most one
        # round per synchronised task plus one, so more rounds than that means a deadlock.
        for _ in range(len(where) + 2):
            moved = set()
            for c in dirty:
                for k, t in enumerate(routes[c]):
                    p = partner[t]
                    if p < 0 or p not in where:
                        continue
                    if is_second[t]:
                        a, (ca, ka), b, cb, kb = p, where[p], t, c, k
                    else:
                        a, ca, ka, b, (cb, kb) = t, c, k, p, where[p]
                    sa = timings[ca].starts[ka]
                    sb = timings[cb].starts[kb]
                    if sb - sa < min_gap[a] - 1e-9:
                        lower[b] = sa + min_gap[a]
                        moved.add(cb)
                    elif sb - sa > max_gap[a] + 1e-9:
                        lower[a] = sb - max_gap[a]
                        moved.add(ca)
            if not moved:
                return timings, False
            for c in moved:
                timings[c] = self.time_route(c, routes[c], lower)
            dirty = moved
        return timings, True

    def cost(self, timings: list[RouteTiming], unassigned_priority: int, deadlock: bool = False) -> float:
        hard = sum(t.hard for t in timings)
        penalty = hard * HARD_WEIGHT + unassigned_priority * UNSCHEDULED_WEIGHT
        if deadlock:
            penalty += DEADLOCK_PENALTY
        if self.objective == Objective.HHCRSP:
            distance = sum(t.distance for t in timings)
            tardiness = sum(t.tardiness for t in timings)
            worst = max((t.max_tardiness for t in timings), default=0.0)
            return penalty + (distance + tardiness + worst) / 3
        if self.objective == Objective.VRPTW:
            vehicles = sum(1 for t in timings if t.starts)
            return penalty + vehicles * VEHICLE_WEIGHT + sum(t.distance for t in timings)
        return penalty + sum(t.travel_time + PREFERENCE_WEIGHT * t.not_preferred for t in timings)

    # ------------------------------------------------------------------ output

    def to_solution(self, routes: list[list[int]], unassigned: dict[int, str], timings=None) -> Solution:
        if timings is None:
            timings, _ = self.time_plan(routes)
        out = []
        for c, route in enumerate(routes):
            timing = timings[c]
            stops = [
                Stop(self.visits[self.task_visit[t]].id, self.task_service[t], start)
                for t, start in zip(route, timing.starts)
            ]
            out.append(
                Route(
                    self.caregivers[c].id,
                    stops,
                    departure=timing.departure if route else None,
                    arrival=timing.arrival if route else None,
                    break_start=timing.break_start,
                )
            )
        unscheduled = [Unscheduled(self.visits[v].id, reason) for v, reason in sorted(unassigned.items())]
        return Solution(out, unscheduled)


def is_finite(x: float) -> bool:
    return not math.isinf(x) and not math.isnan(x)
