"""Adaptive large neighbourhood search for the full home-care model.

Handles everything the domain model allows (several windows, fixed times, two-caregiver
visits with gaps, qualifications, exclusions, preferences, shifts, hours, lunch breaks,
capacity, priorities, soft windows for the HHCRSP benchmark).

Every plan the search keeps is feasible: visits are only inserted where the whole plan stays
feasible, and a visit that fits nowhere stays unscheduled with the reason. Runs are
reproducible: with `iterations` given and `seconds` left empty, the same seed gives the same
plan on any machine.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from .model import PREFERENCE_WEIGHT
from .schedule import VEHICLE_WEIGHT, Compiled, RouteTiming

SCREEN_CANDIDATES = 3
# Share of removals that target visits away from their preferred caregiver (problems with
# preferences only).
CONTINUITY_SHARE = 0.15
PAIR_CANDIDATES = 5
# Remembered insertion checks before the memory is cleared (a few hundred bytes each).
FIT_CACHE_SIZE = 200_000


# Removal operators and their fixed draw weights (the default search).
REMOVALS = {"related": 0.45, "worst": 0.20, "route": 0.10, "random": 0.25}
INSERTION_ORDERS = {"hardest_first": 0.4, "window_start": 0.3, "priority_only": 0.3}
# Adaptive weights (Ropke & Pisinger 2006): the score an operator earns when its iteration finds a
# new best plan, a plan better than the current one, or a worse plan that is accepted; weights are
# updated every SEGMENT iterations with reaction factor REACTION.
SCORES = (33.0, 9.0, 13.0)
SEGMENT = 100
REACTION = 0.1


@dataclass(frozen=True)
class SearchParams:
    """The search's parts, each switchable on its own: the ablation benchmark
    (`benchmarks/routing_ablation.py`) measures what each contributes. The defaults are the search
    that `solve` and `replan` run."""

    removals: tuple[str, ...] = tuple(REMOVALS)
    insertion_orders: tuple[str, ...] = tuple(INSERTION_ORDERS)
    # Draw operators by weights learnt during the run instead of the fixed weights above.
    adaptive: bool = False
    # "anneal": simulated annealing; "descent": accept only plans no worse than the current one.
    acceptance: str = "anneal"
    # Alternate cool and hot anneals; off: every anneal at the coolest temperature.
    heat_cycle: bool = True
    # Restart from the best plan every `epoch` iterations with the temperature back up.
    restarts: bool = True

    def __post_init__(self):
        if not self.removals or set(self.removals) - set(REMOVALS):
            raise ValueError(f"removals must be a non-empty subset of {tuple(REMOVALS)}")
        if not self.insertion_orders or set(self.insertion_orders) - set(INSERTION_ORDERS):
            raise ValueError(f"insertion_orders must be a non-empty subset of {tuple(INSERTION_ORDERS)}")
        if self.acceptance not in ("anneal", "descent"):
            raise ValueError("acceptance must be 'anneal' or 'descent'")

    @property
    def is_default(self) -> bool:
        return self == SearchParams()


class _Roulette:
    """Draws one of `names` with probability proportional to its weight; adaptive when asked."""

    def __init__(self, weights: dict[str, float], adaptive: bool):
        self.names = list(weights)
        self.weights = [weights[n] for n in self.names]
        self.adaptive = adaptive
        self.scores = [0.0] * len(self.names)
        self.uses = [0] * len(self.names)

    def draw(self, rng: random.Random) -> int:
        x = rng.random() * sum(self.weights)
        for k, w in enumerate(self.weights):
            x -= w
            if x < 0:
                return k
        return len(self.weights) - 1

    def reward(self, k: int, score: float) -> None:
        self.scores[k] += score
        self.uses[k] += 1

    def update(self) -> None:
        if not self.adaptive:
            return
        for k in range(len(self.names)):
            if self.uses[k]:
                self.weights[k] = (1 - REACTION) * self.weights[k] + REACTION * self.scores[k] / self.uses[k]
            # A floor keeps every operator drawable, so a weight learnt early can still recover.
            self.weights[k] = max(self.weights[k], 0.01)
        self.scores = [0.0] * len(self.names)
        self.uses = [0] * len(self.names)


@dataclass
class State:
    routes: list[list[int]]
    unassigned: set[int]  # visit indices
    timings: list[RouteTiming]
    cost: float
    # converged synchronisation bounds of `timings` (see Compiled.time_plan)
    lower: dict = field(default_factory=dict)


class Search:
    def __init__(self, compiled: Compiled, seed: int = 0, fixed: dict[int, list[int]] | None = None,
                 params: SearchParams | None = None):
        self.cp = compiled
        self.rng = random.Random(seed)
        self.params = params or SearchParams()
        # The default search keeps the random draws it made before its parts became switchable, so
        # its runs (and every figure measured with it) are reproduced exactly.
        self._default_draws = self.params.is_default
        self._removal_wheel = _Roulette({n: REMOVALS[n] for n in self.params.removals}, self.params.adaptive)
        self._order_wheel = _Roulette({n: INSERTION_ORDERS[n] for n in self.params.insertion_orders},
                                      self.params.adaptive)
        # The operators the current iteration drew, to credit them with its outcome.
        self._drawn: list[tuple[_Roulette, int]] = []
        # Tasks that must stay where they are (done or started visits, when re-planning):
        # caregiver -> prefix of its route that the search may not touch.
        self.fixed_prefix = fixed or {}
        self.fixed_visits = {self.cp.task_visit[t] for prefix in self.fixed_prefix.values() for t in prefix}
        self.movable_visits = [v for v in range(len(self.cp.visits)) if v not in self.fixed_visits]
        self.reasons: dict[int, str] = {}
        self.neighbours = self._neighbours()
        # (task, caregiver, position, route) -> (fits, sync), for `_care_candidates`
        self._fit_cache: dict = {}
        # visit -> caregivers it prefers (and may be served by), for the continuity removal
        self.preferred_of = {}
        for v in self.movable_visits:
            t = self.cp.visit_tasks[v][0]
            if self.cp.visits[v].preferred_caregivers:
                who = [c for c in range(self.cp.n_caregivers) if not self.cp.preferred_penalty[t][c] and self.cp.allowed[t][c]]
                if who:
                    self.preferred_of[v] = who
        self.temperature = 0.01
        self.epoch = 2000
        # Successive anneals alternate between cool and hot starts: measured on sets A-C, a
        # single temperature is good on some instances and poor on others.
        self.epoch_heat = (1.0, 3.0, 10.0)

    def _neighbours(self) -> list[list[int]]:
        cp = self.cp
        locs = [cp.loc[cp.visit_tasks[v][0]] for v in range(len(cp.visits))]
        mids = []
        for v in range(len(cp.visits)):
            w = cp.windows[cp.visit_tasks[v][0]]
            lo, hi = w[0][0], w[-1][1]
            mids.append((lo + hi) / 2 if math.isfinite(lo) and math.isfinite(hi) else 0.0)
        scale = max((max(row) for row in cp.dist), default=1.0) or 1.0
        spread = (max(mids) - min(mids)) if mids else 1.0
        spread = spread or 1.0
        out = []
        for v in self.movable_visits:
            scored = sorted(
                (cp.dist[locs[v]][locs[u]] / scale + abs(mids[v] - mids[u]) / spread, u)
                for u in self.movable_visits
                if u != v
            )
            out.append([u for _, u in scored[:40]])
        self._neighbour_index = {v: k for k, v in enumerate(self.movable_visits)}
        return out

    # ------------------------------------------------------------------ evaluation

    def plan_cost(self, routes, unassigned) -> tuple[list[RouteTiming], float]:
        timings, deadlock = self.cp.time_plan(routes)
        prio = sum(self.cp.priority[v] for v in unassigned)
        return timings, self.cp.cost(timings, prio, deadlock)

    def _feasible(self, timings, deadlock=False) -> bool:
        return not deadlock and all(t.hard <= 1e-9 for t in timings)

    # ------------------------------------------------------------------ insertion

    def _positions(self, c: int, route: list[int]) -> range:
        return range(len(self.fixed_prefix.get(c, ())), len(route) + 1)

    def _route_candidates(self, task: int, routes, timings, partner_start, exclude_caregiver=-1):
        """Best few (delta, caregiver, position) for one task, judged route by route."""
        cp = self.cp
        if cp.objective == "care" and not cp.soft:
            return self._care_candidates(task, routes, timings, partner_start, exclude_caregiver)
        found = []
        # The worst delay is global: a route only pays for raising it above the other routes'.
        worst = sorted(((t.max_tardiness, c) for c, t in enumerate(timings)), reverse=True)[:2]
        for c in range(cp.n_caregivers):
            if c == exclude_caregiver or not cp.allowed[task][c]:
                continue
            others_worst = 0.0
            for value, owner in worst:
                if owner != c:
                    others_worst = value
                    break
            route = routes[c]
            base = timings[c]
            base_cost = self._route_cost(base, others_worst)
            first = len(self.fixed_prefix.get(c, ()))
            for pos, distance, travel_time, tardiness, worst_late, not_preferred, sync in cp.insertion_screen(
                c, route, task, partner_start, first
            ):
                cost = self._cost_of(distance, travel_time, tardiness, worst_late, not_preferred, True, others_worst)
                found.append((cost - base_cost + sync * 1e3, c, pos))
        found.sort()
        return found

    def _care_candidates(self, task, routes, timings, partner_start, exclude_caregiver=-1, wanted=2 * SCREEN_CANDIDATES):
        """`_route_candidates` for the care objective: the `wanted` cheapest feasible places.

        Under this objective the cost of an insertion (added travel time, preferred caregiver
        or not) does not depend on the times of the day, only on where the visit goes. So every
        place is priced first, arithmetically, and only the cheapest are timed, until `wanted`
        feasible ones are found. Two quick tests reject a place without timing it: the visit
        cannot start before the previous one ends plus the travel, and the next visit cannot
        start before this one ends plus the travel; either past its window means infeasible.
        """
        cp = self.cp
        loc_t = cp.loc[task]
        due_t = cp.due[task]
        open_t = cp.windows[task][0][0]
        release_t = cp.release[task]
        priced = []
        for c in range(cp.n_caregivers):
            if c == exclude_caregiver or not cp.allowed[task][c]:
                continue
            route = routes[c]
            starts = timings[c].starts
            travel = cp.travel[c]
            dur = cp.duration
            penalty = PREFERENCE_WEIGHT * cp.preferred_penalty[task][c]
            n = len(route)
            shift_start, shift_end = cp.c_shift[c]
            # Working time can never be less than serving plus travelling: a place where that
            # alone breaks the working hours or the shift is not worth timing.
            busy_limit = min(cp.c_max_work[c], shift_end - shift_start) + 1e-9
            busy = timings[c].travel_time + sum(dur[t][c] for t in route) + dur[task][c] if route else dur[task][c]
            for pos in range(len(self.fixed_prefix.get(c, ())), n + 1):
                if pos == 0:
                    prev, free = cp.c_start[c], shift_start
                else:
                    before = route[pos - 1]
                    prev, free = cp.loc[before], starts[pos - 1] + dur[before][c]
                if free > due_t + 1e-9:
                    break  # later places only free up later
                leg = travel[prev][loc_t]
                earliest = free + leg
                if earliest > due_t + 1e-9:
                    continue
                if pos < n:
                    after = route[pos]
                    nxt = cp.loc[after]
                    begin = max(earliest, open_t, release_t)
                    if begin + dur[task][c] + travel[loc_t][nxt] > cp.due[after] + 1e-9:
                        continue
                else:
                    nxt = cp.c_end[c]
                added = leg + travel[loc_t][nxt] - travel[prev][nxt]
                if busy + added > busy_limit:
                    continue
                priced.append((added + penalty, c, pos))
        priced.sort()
        found = []
        cache = self._fit_cache
        if len(cache) > FIT_CACHE_SIZE:
            cache.clear()
        partner = cp.partner
        alone = partner[task] < 0 or partner[task] not in partner_start
        for delta, c, pos in priced:
            route = routes[c]
            # Whether a place fits depends only on the route, the place and the task, unless
            # synchronised partners' times come into it: then it is not remembered.
            key = (task, c, pos, tuple(route)) if alone and not any(partner[t] >= 0 for t in route) else None
            fit = cache.get(key) if key is not None else None
            if fit is None:
                timing = cp.time_route(c, route[:pos] + [task] + route[pos:], partner_start=partner_start)
                fit = (timing.hard <= 1e-9, timing.sync)
                if key is not None:
                    cache[key] = fit
            if fit[0]:
                found.append((delta + fit[1] * 1e3, c, pos))
                if len(found) >= wanted:
                    break
        found.sort()
        return found

    def _route_cost(self, t: RouteTiming, others_worst: float = 0.0) -> float:
        return self._cost_of(t.distance, t.travel_time, t.tardiness, t.max_tardiness, t.not_preferred, bool(t.starts), others_worst)

    def _cost_of(self, distance, travel_time, tardiness, worst_late, not_preferred, used, others_worst) -> float:
        objective = self.cp.objective
        if objective == "hhcrsp":
            return (distance + tardiness + max(worst_late, others_worst)) / 3
        if objective == "vrptw":
            return distance + (VEHICLE_WEIGHT if used else 0.0)
        return travel_time + PREFERENCE_WEIGHT * not_preferred

    def _starts(self, routes, timings) -> dict[int, float]:
        out = {}
        for c, route in enumerate(routes):
            for t, s in zip(route, timings[c].starts):
                if self.cp.partner[t] >= 0:
                    out[t] = s
        return out

    def insert_visit(self, v: int, state: State) -> bool:
        cp = self.cp
        tasks = cp.visit_tasks[v]
        routes = state.routes
        partner_start = self._starts(routes, state.timings)
        couples_sync = len(tasks) == 2
        if not couples_sync:
            t = tasks[0]
            candidates = self._route_candidates(t, routes, state.timings, partner_start)
            if not candidates:
                return False
            # A route without synchronised tasks is timed exactly on its own; otherwise the
            # partner routes may move, so the plan is timed as a whole.
            for delta, c, pos in candidates[: SCREEN_CANDIDATES * 2]:
                trial_routes = list(routes)
                trial_routes[c] = routes[c][:pos] + [t] + routes[c][pos:]
                lower = state.lower
                if not any(cp.partner[x] >= 0 for x in trial_routes[c]):
                    timings = list(state.timings)
                    timings[c] = cp.time_route(c, trial_routes[c])
                    deadlock = False
                else:
                    lower = dict(state.lower)
                    timings, deadlock = cp.time_plan(trial_routes, state.timings, lower, (c,))
                if self._feasible(timings, deadlock):
                    state.routes = trial_routes
                    state.timings = timings
                    state.lower = lower
                    return True
            return False
        a, b = tasks
        first = self._route_candidates(a, routes, state.timings, partner_start)[: 2 * SCREEN_CANDIDATES]
        second = self._route_candidates(b, routes, state.timings, partner_start)[: 2 * SCREEN_CANDIDATES]
        best = None
        # Fully time only the most promising pairs of places for the two services.
        pairs = sorted((da + db, ca, pa, cb, pb) for da, ca, pa in first for db, cb, pb in second if ca != cb)
        timed = 0
        for _, ca, pa, cb, pb in pairs[: 3 * PAIR_CANDIDATES]:
            trial_routes = list(routes)
            trial_routes[ca] = routes[ca][:pa] + [a] + routes[ca][pa:]
            trial_routes[cb] = routes[cb][:pb] + [b] + routes[cb][pb:]
            lower = dict(state.lower)
            timings, deadlock = cp.time_plan(trial_routes, state.timings, lower, (ca, cb))
            if not self._feasible(timings, deadlock):
                continue
            cost = cp.cost(timings, 0)
            if best is None or cost < best[0]:
                best = (cost, trial_routes, timings, lower)
            timed += 1
            if timed >= PAIR_CANDIDATES:
                break
        if best is None:
            return False
        state.routes, state.timings, state.lower = best[1], best[2], best[3]
        return True

    def repair(self, state: State, order: list[int]) -> None:
        for v in order:
            if self.insert_visit(v, state):
                state.unassigned.discard(v)
            else:
                state.unassigned.add(v)

    def insertion_order(self, visits) -> list[int]:
        cp = self.cp
        visits = list(visits)
        self.rng.shuffle(visits)
        if self._default_draws:
            mode = self.rng.random()
            mode = "hardest_first" if mode < 0.4 else "window_start" if mode < 0.7 else "priority_only"
        else:
            k = self._order_wheel.draw(self.rng)
            self._drawn.append((self._order_wheel, k))
            mode = self._order_wheel.names[k]
        # Within a priority, visits with a preferred caregiver go first, before others fill
        # that caregiver's day (all False, so no effect, in problems without preferences).
        prefers = self.preferred_of
        if mode == "hardest_first":
            # hardest first: two-caregiver and fixed-time visits, then narrow windows
            def width(v):
                w = cp.windows[cp.visit_tasks[v][0]]
                return w[-1][1] - w[0][0]
            visits.sort(key=lambda v: (-cp.priority[v], v not in prefers, -len(cp.visit_tasks[v]), width(v)))
        elif mode == "window_start":
            visits.sort(key=lambda v: (-cp.priority[v], v not in prefers, cp.windows[cp.visit_tasks[v][0]][0][0]))
        else:
            visits.sort(key=lambda v: (-cp.priority[v], v not in prefers))
        return visits

    # ------------------------------------------------------------------ removal

    def remove(self, state: State, visits: set[int]) -> None:
        cp = self.cp
        tasks = {t for v in visits for t in cp.visit_tasks[v]}
        changed = []
        for c, route in enumerate(state.routes):
            if any(t in tasks for t in route):
                state.routes[c] = [t for t in route if t not in tasks]
                changed.append(c)
        state.timings, _ = cp.time_plan(state.routes, lower=state.lower)
        state.unassigned |= visits

    def choose_removal(self, state: State, count: int) -> set[int]:
        movable = self.movable_visits
        if not movable:
            return set()
        count = min(count, len(movable))
        # Only problems with preferred caregivers draw here, so runs of the others (and their
        # benchmark figures) are unchanged by this operator.
        if self.preferred_of and self.rng.random() < CONTINUITY_SHARE:
            picked = self._continuity(state, count)
            if picked:
                return picked
        if self._default_draws:
            kind = self.rng.random()
            kind = "related" if kind < 0.45 else "worst" if kind < 0.65 else "route" if kind < 0.75 else "random"
        else:
            k = self._removal_wheel.draw(self.rng)
            self._drawn.append((self._removal_wheel, k))
            kind = self._removal_wheel.names[k]
        if kind == "related":
            seed = self.rng.choice(movable)
            picked = {seed}
            pool = self.neighbours[self._neighbour_index[seed]]
            k = 0
            while len(picked) < count and k < len(pool):
                # skip a few neighbours at random so removals differ between iterations
                if self.rng.random() < 0.8:
                    picked.add(pool[k])
                k += 1
            while len(picked) < count:
                picked.add(self.rng.choice(movable))
            return picked
        if kind == "worst":
            return self._worst(state, count)
        if kind == "route":
            busy = [c for c, r in enumerate(state.routes) if len(r) > len(self.fixed_prefix.get(c, ()))]
            if busy:
                c = self.rng.choice(busy)
                picked = {self.cp.task_visit[t] for t in state.routes[c][len(self.fixed_prefix.get(c, ())) :]}
                if len(picked) <= 2 * count:
                    return picked
        return set(self.rng.sample(movable, count))

    def _continuity(self, state: State, count: int) -> set[int]:
        """Visits served by someone other than their preferred caregiver, with the visits of the
        preferred caregiver nearest in time to them, so the repair can hand them back."""
        cp = self.cp
        off = []
        for c, route in enumerate(state.routes):
            first = len(self.fixed_prefix.get(c, ()))
            for k in range(first, len(route)):
                t = route[k]
                if cp.preferred_penalty[t][c] and cp.task_visit[t] in self.preferred_of:
                    off.append((cp.task_visit[t], state.timings[c].starts[k]))
        if not off:
            return set()
        picked: set[int] = set()
        while off and len(picked) < count:
            v, start = off.pop(self.rng.randrange(len(off)))
            picked.add(v)
            for c in self.preferred_of[v]:
                first = len(self.fixed_prefix.get(c, ()))
                route, starts = state.routes[c], state.timings[c].starts
                near = sorted(range(first, len(route)), key=lambda k: abs(starts[k] - start))
                for k in near[: self.rng.randint(1, 2)]:
                    picked.add(cp.task_visit[route[k]])
        return picked

    def _worst(self, state: State, count: int) -> set[int]:
        cp = self.cp
        gains = {}
        for c, route in enumerate(state.routes):
            timing = state.timings[c]
            prev = cp.c_start[c]
            for k, t in enumerate(route):
                nxt = cp.loc[route[k + 1]] if k + 1 < len(route) else cp.c_end[c]
                here = cp.loc[t]
                detour = cp.dist[prev][here] + cp.dist[here][nxt] - cp.dist[prev][nxt]
                late = max(0.0, timing.starts[k] - cp.due[t]) if cp.soft else 0.0
                v = cp.task_visit[t]
                gains[v] = gains.get(v, 0.0) + detour + 2 * late
                prev = here
        ranked = sorted((g, v) for v, g in gains.items() if v not in self.fixed_visits)
        ranked.reverse()
        picked = set()
        while len(picked) < count and ranked:
            # randomised worst removal: bias towards the top of the list
            k = int(len(ranked) * self.rng.random() ** 4)
            picked.add(ranked.pop(k)[1])
        return picked

    # ------------------------------------------------------------------ main loop

    def initial(self, routes: list[list[int]] | None = None) -> State:
        cp = self.cp
        routes = [list(r) for r in routes] if routes else [list(self.fixed_prefix.get(c, [])) for c in range(cp.n_caregivers)]
        present_tasks = {t for r in routes for t in r}
        # A two-caregiver visit that lost one of its services (its caregiver is away) is
        # planned again as a whole.
        partial = {
            v for v in range(len(cp.visits))
            if v not in self.fixed_visits
            and any(t in present_tasks for t in cp.visit_tasks[v])
            and not all(t in present_tasks for t in cp.visit_tasks[v])
        }
        if partial:
            routes = [[t for t in r if cp.task_visit[t] not in partial] for r in routes]
        present = {cp.task_visit[t] for r in routes for t in r}
        todo = [v for v in range(len(cp.visits)) if v not in present]
        lower = {}
        timings, _ = cp.time_plan(routes, lower=lower)
        state = State(routes, set(), timings, 0.0, lower)
        self.repair(state, self.insertion_order(todo))
        state.cost = self._cost(state)
        return state

    def _cost(self, state: State) -> float:
        prio = sum(self.cp.priority[v] for v in state.unassigned)
        return self.cp.cost(state.timings, prio)

    def _accepts(self, delta: float, temperature: float) -> bool:
        """Whether a trial `delta` worse than the current plan replaces it: always when no worse; when
        worse, by the annealing rule at `temperature`, or never in descent."""
        if delta <= 0:
            return True
        return self.params.acceptance == "anneal" and self.rng.random() < math.exp(-delta / temperature)

    def run(self, state: State, iterations: int | None, seconds: float | None) -> State:
        if iterations is None and seconds is None:
            raise ValueError("give iterations or seconds: the search must know when to stop")
        began = time.monotonic()
        best = _copy(state)
        current = _copy(state)
        n = max(1, len(self.movable_visits))
        max_remove = max(2, min(30, int(0.25 * n) + 2))
        # Accepting a 1 % worse plan about a third of the time at the start; the scale comes
        # from the plan's own objective so it works for metres, seconds and benchmark units.
        start_temperature = self.temperature * max(1e-3, self.cp.cost(state.timings, 0))
        iteration = 0
        while True:
            progress = 0.0
            if iterations is not None:
                if iteration >= iterations:
                    break
                progress = iteration / iterations
            if seconds is not None:
                elapsed = time.monotonic() - began
                if elapsed >= seconds:
                    break
                progress = max(progress, elapsed / seconds)
            iteration += 1
            # Cooling restarts every `epoch` iterations from the best plan: small instances
            # get many short anneals (which escape local optima better than one long one),
            # large ones, with few iterations, get one anneal over the whole budget.
            params = self.params
            in_epoch = (iteration % self.epoch) / self.epoch if params.restarts else 0.0
            if params.restarts and iteration > 1 and iteration % self.epoch == 0:
                current = _copy(best)
            heat = self.epoch_heat[(iteration // self.epoch) % len(self.epoch_heat)] if params.heat_cycle \
                else self.epoch_heat[0]
            temperature = heat * start_temperature * (1 - progress) * (1 - in_epoch) + 1e-6
            if iteration % SEGMENT == 0:
                self._removal_wheel.update()
                self._order_wheel.update()
            self._drawn = []
            trial = _copy(current)
            count = self.rng.randint(1, max_remove)
            removed = self.choose_removal(trial, count)
            if not removed and not trial.unassigned:
                continue
            self.remove(trial, removed)
            self.repair(trial, self.insertion_order(trial.unassigned))
            trial.cost = self._cost(trial)
            delta = trial.cost - current.cost
            score = 0.0
            if self._accepts(delta, temperature):
                score = SCORES[1] if delta < -1e-9 else SCORES[2]
                current = trial
                if trial.cost < best.cost - 1e-9:
                    best = _copy(trial)
                    score = SCORES[0]
            for wheel, k in self._drawn:
                wheel.reward(k, score)
        best.routes = [list(r) for r in best.routes]
        self.iterations_done = iteration
        return best


def _copy(state: State) -> State:
    return State([list(r) for r in state.routes], set(state.unassigned), list(state.timings), state.cost, dict(state.lower))
