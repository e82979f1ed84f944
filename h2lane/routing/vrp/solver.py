"""Fleet routing with refuelling stops: ruin-and-recreate search over customer sequences.

Routes are customer sequences with a vehicle type; stations are placed for each sequence by
the multigraph dynamic programme in :mod:`h2lane.routing.vrp.kernels` (full or partial
refuelling, start level below full, time windows, duration; exact up to its label cap). The search is a
slack-induction-by-string-removal scheme (Christiaens & Vanden Berghe 2020): remove strings
of nearby customers from nearby routes, reinsert them greedily in a random order with
"blinks", accept by simulated annealing. Fleet-first objectives first run a route-minimisation
phase (:mod:`h2lane.routing.vrp.fleetmin`) and also try to empty whole routes; a
heterogeneous fleet re-picks the cheapest available type of each route. On request (``SearchParams.recombine_at``) the routes met are pooled and recombined by a
set-partitioning model solved with HiGHS (:mod:`h2lane.routing.vrp.pool`). Stations with few
dispensers are handled at the solution level: all routes are replayed together, vehicles queue first-come first-served
(:mod:`h2lane.routing.vrp.queues`) and plans whose queues make a vehicle late are penalised.
Driver rest rules (``inst.rest``, off unless the instance turns them on) enter the same
programme: a break after ``max_drive_h`` of driving, on the road or at a station stop extended
to the break, and at most ``max_daily_drive_h`` of driving per route (routes are one driving
day; no daily rest is inserted). The evaluation is conservative where it simplifies (only the
first or last station of a station path can hold the break, and only its fixed stop time
counts towards it); the checker replays the rule exactly. Reported routes never repeat a
node and never keep a stop that buys nothing (when dropping it keeps the route feasible).

The search runs until its stopping criterion (:mod:`h2lane.routing.vrp.stop`) is met and is
deterministic for a seed and an iteration cap; anytime (best solution kept). Progress and
new best solutions go to callbacks; the solver never prints.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from h2lane.errors import InfeasiblePlanError
from h2lane.routing.vrp import kernels as K
from h2lane.routing.vrp.model import DEPOT, STATION, VehicleType, VRPInstance, VRPSolution
from h2lane.routing.vrp.queues import Schedule
from h2lane.routing.vrp.stop import (
    Improvement,
    MaxIterations,
    MaxRuntime,
    SolveCallbacks,
    StoppingCriterion,
    as_criterion,
)


@dataclass(slots=True)
class SearchParams:
    """Tuning knobs (defaults follow the SISR paper where it gives them)."""

    avg_removed: float = 10.0
    max_string: int = 10
    blink_rate: float = 0.01
    t_start: float = 100.0
    t_end: float = 1.0
    large_from: int = 200
    """Instances with more customers than this anneal at ``large_cooling`` times the
    temperatures: a time-limited run there is ~10^5 iterations, and at the full temperatures
    half of it is a random walk (issue 14, LargeVA 300c / 350c / 500c at 1.2-1.5e5
    iterations: gap to the BKS 3.66 / 5.44 / 3.27 % against 4.89 / 6.66 / 3.71 %)."""
    large_cooling: float = 0.1
    neighbours: int = 40
    route_removal_rate: float = 0.02
    """Fleet-first objectives: share of ruins that empty one of the smaller routes whole (the
    rest are string removals). Measured on the 56 EVRPTW-PR instances at 120 s, seed 0 (issue
    14): 0.02 against the earlier 0.1 was better (vehicles, then distance) on 25 and worse on
    21, one vehicle fewer over all, ahead of the RoutingBlocks ALNS on 16 instead of 11; the
    change per instance goes both ways (-7.3 % to +7.2 % in distance). On the 56 E-VRPTW
    instances with 100 customers at 30 s: 442 vehicles against 455 in the run before (of
    2026-11-29, older in other respects too), 51 at the BKS count instead of 42, 2 below it."""
    recombine_at: tuple[float, ...] = ()
    """Fractions of the budget at which the route pool is recombined (set partitioning with
    HiGHS), e.g. ``(0.3, 0.6, 0.9)``. Off by default: at equal time it lowered quality on the
    100-customer instances measured (benchmarks/RESULTS.md), the MILP taking iterations away
    from the search."""
    recombine_share: float = 0.05
    """Share of the time limit each recombination may use."""
    fleetmin_share: float = 0.4
    """Fleet-first objectives: share of the budget (time or iterations) the route-minimisation
    phase (:mod:`h2lane.routing.vrp.fleetmin`) may use after the construction; 0 turns it off."""
    fleetmin_stall: float = 0.2
    """The phase ends early once this share of the budget passes without removing a route."""


class _Profile:
    """Station-path options for one (tank, consumption, speed) combination."""

    def __init__(
        self, inst: VRPInstance, tank: float, consumption: float, speed: float, share: int
    ) -> None:
        self.dist = np.ascontiguousarray(inst.dist, dtype=np.float64)
        self.ttime = np.ascontiguousarray(inst.dist / speed, dtype=np.float64)
        self.energy = np.ascontiguousarray(inst.dist * consumption, dtype=np.float64)
        self.tank = tank if np.isfinite(tank) else 1e300
        # charging nodes: the stations, and the depots where vehicles may top up mid-route
        # (or before leaving, when they start below full)
        charging = inst.kinds == STATION
        if inst.depot_refuels:
            charging = charging | (inst.kinds == DEPOT)
        stations = np.flatnonzero(charging).astype(np.int64)
        points = np.flatnonzero(inst.kinds != STATION).astype(np.int64)
        ss, nxt = K.station_graph(self.energy, stations, self.tank)
        nhops = np.zeros_like(nxt)
        for a in range(len(stations)):
            for b in range(len(stations)):
                h, x = 0, a
                while x != b and nxt[x, b] >= 0:
                    x = int(nxt[x, b])
                    h += 1
                nhops[a, b] = h
        self.stations, self.ss_next = stations, nxt
        self.station_index = {int(s): i for i, s in enumerate(stations)}
        self.options = K.build_options(
            points,
            stations,
            self.dist,
            self.ttime,
            self.energy,
            self.tank,
            float(inst.refuel_fixed),
            float(inst.refuel_rate),
            ss,
            nhops,
            _max_options(len(points), len(stations), share),
            bool(inst.full_refuel),
        )
        self.o_s1, self.o_s2 = self.options[0], self.options[1]
        # driving time per unit of energy on the station-to-station part of a path
        self.inner_time = 1.0 / (consumption * speed) if consumption > 0 and speed > 0 else 0.0

    def station_path(self, s1: int, s2: int) -> list[int]:
        a, b = self.station_index[s1], self.station_index[s2]
        path = [s1]
        while a != b:
            a = int(self.ss_next[a, b])
            path.append(int(self.stations[a]))
        return path


def _weights(inst: VRPInstance, vt: VehicleType) -> tuple[float, float, float]:
    """(per distance, per time, per route) weights of the objective for a vehicle type."""
    if inst.objective == "time":
        return 0.0, 1.0, 0.0
    if inst.objective == "cost":
        return vt.cost_per_distance, vt.cost_per_time, vt.fixed_cost
    return 1.0, 0.0, 0.0


class _Type:
    """One vehicle type with its evaluation arguments."""

    def __init__(self, inst: VRPInstance, vt: VehicleType, profile: _Profile) -> None:
        self.vt = vt
        self.profile = profile
        self.depot = int(vt.depot)
        self.count = vt.count
        self.load_capacity = float(vt.load_capacity)
        self.w_dist, self.w_time, self.fixed = _weights(inst, vt)
        self.full = bool(inst.full_refuel)
        ready = np.asarray(inst.ready, dtype=np.float64)
        # waiting can be removed by a later departure only if some customer opens after the
        # earliest arrival there; without waiting the duration screen is exact
        t0 = ready[self.depot]
        can_wait = bool(
            np.any(ready[inst.customers] > t0 + profile.ttime[self.depot, inst.customers])
        )
        self.dur_screen = math.inf if can_wait else float(vt.max_duration)
        rest = inst.rest
        hours = inst.hours if rest.enabled else 1.0
        o = profile.options
        rest_model = None
        if rest.enabled:
            rest_model = K.RestModel(
                max_drive=float(rest.max_drive_h * hours),
                break_time=float(rest.break_h * hours),
                max_daily=float(rest.max_daily_drive_h * hours),
                extension=float(max(rest.break_h * hours - inst.refuel_fixed, 0.0)),
                inner_time=float(profile.inner_time),
                o_s1=o[0],
                o_s2=o[1],
            )
        self.n_options = int(o[2].shape[2])
        self._eval_args: tuple | None = None
        self._insert_args: tuple | None = None
        self.model = K.RouteModel(
            depot=self.depot,
            dist=profile.dist,
            ttime=profile.ttime,
            energy=profile.energy,
            ready=ready,
            due=np.asarray(inst.due, dtype=np.float64),
            service=np.asarray(inst.service, dtype=np.float64),
            demand=np.asarray(inst.demand, dtype=np.float64),
            tank=float(profile.tank),
            start_energy=float(min(vt.initial_energy, profile.tank)),
            max_duration=float(vt.max_duration),
            load_capacity=self.load_capacity,
            dur_screen=float(self.dur_screen),
            refuel_rate=float(inst.refuel_rate),
            refuel_fixed=float(inst.refuel_fixed),
            full=self.full,
            w_dist=float(self.w_dist),
            w_time=float(self.w_time),
            rest=rest_model,
            o_dist=o[2],
            o_eout=o[3],
            o_eleft=o[4],
            o_time=o[5],
            o_inner=o[6],
            o_tbase=o[7],
            o_count=o[8],
        )

    @property
    def insert_args(self) -> tuple:
        """The model's fields as :func:`~h2lane.routing.vrp.kernels.recreate_unpacked` takes them."""
        if self._insert_args is None:
            m = self.model
            self._insert_args = (m.demand, m.load_capacity, m.dur_screen, *self.eval_args)
        return self._insert_args

    @property
    def eval_args(self) -> tuple:
        if self._eval_args is None:
            self._eval_args = K.evaluate_args(self.model)
        return self._eval_args

    def evaluate(self, route: list[int]) -> tuple[float, np.ndarray, np.ndarray]:
        """Route key (objective without the fixed cost), arc choices and (dist, dur, shift)."""
        choices = np.empty(len(route) + 1, dtype=np.int64)
        out = np.zeros(3 if self.full else 4 + len(route))  # partial: the buys per arc too
        seq = np.asarray(route, dtype=np.int64)
        key = K.evaluate_unpacked(*(seq, *self.eval_args, choices, out))
        return key, choices, out

    def cost(self, route: list[int]) -> float:
        """Objective contribution of a route (fixed cost included); ``inf`` if infeasible."""
        if not route:
            return 0.0
        return self.evaluate(route)[0] + self.fixed

    def expand(self, route: list[int]) -> Expanded:
        """Nodes with station visits (depot at both ends), totals and the break stops."""
        _key, choices, out = self.evaluate(route)
        nodes = [self.depot]
        rest_at: list[int] = []
        prev = self.depot
        n_opt = self.n_options
        for step, cur in enumerate([*route, self.depot]):
            c = int(choices[step])
            if c >= 0:
                rest_here = c % (3 * n_opt) >= n_opt  # c // (3 * n_opt): a free charge before
                c %= n_opt
                s1 = int(self.profile.o_s1[prev, cur, c])
                s2 = int(self.profile.o_s2[prev, cur, c])
                nodes.extend(self.profile.station_path(s1, s2))
                if rest_here:
                    rest_at.append(len(nodes) - 1)
            nodes.append(cur)
            prev = cur
        charges = None if self.full else self._charges(nodes, out[3:])
        return Expanded(nodes, float(out[0]), float(out[1]), float(out[2]), tuple(rest_at), charges)

    def _charges(self, nodes: list[int], buys: np.ndarray) -> tuple[tuple[int, float], ...]:
        """Energy added at each charging stop of ``nodes`` (by position) in the labels' plan.

        ``buys[k]`` is what the evaluation bought, while driving from the ``k``-th customer
        (0: the depot) to the next, at the last charging stop passed before; the stops of a
        station path themselves buy just enough to reach the next node.
        """
        energy = self.profile.energy
        charging = {int(x) for x in self.profile.stations}
        end = len(nodes) - 1

        def stop(p: int) -> bool:
            return 0 < p < end and nodes[p] in charging

        e = float(self.model.start_energy)
        amounts: dict[int, float] = {}
        last, step = -1, 0
        for p in range(end):
            if not stop(p):  # the start depot or a customer: the arc opens the next step
                x = float(buys[step]) if step < len(buys) else 0.0
                step += 1
                if x > 0.0 and last >= 0:
                    amounts[last] += x
                    e += x
            e -= float(energy[nodes[p], nodes[p + 1]])
            if stop(p + 1):
                add = max(float(energy[nodes[p + 1], nodes[p + 2]]) - max(e, 0.0), 0.0)
                amounts[p + 1] = add
                e = max(e, 0.0) + add
                last = p + 1
        return tuple(sorted(amounts.items()))


class Expanded(NamedTuple):
    """A route with its station visits."""

    nodes: list[int]
    distance: float
    duration: float
    shift: float
    """Departure delay after the depot's ready time."""
    rest_at: tuple[int, ...]
    """Positions of the station stops extended to the driver's break."""
    charges: tuple[tuple[int, float], ...] | None = None
    """Partial refuelling: (position, energy added) of each charging stop in the evaluation's
    plan (it may charge more than just enough where waiting absorbs the time); ``None`` with
    full refuels."""


def _max_options(n_points: int, n_stations: int, share: int = 1) -> int:
    """Options per pair: all useful ones on benchmark sizes, capped to ~200 MB of arrays."""
    if n_stations == 0:
        return 1
    budget = 200e6 / (64.0 * n_points * n_points * max(share, 1))
    return int(max(2, min(K.MAX_OPTIONS, budget)))


class _Data:
    """Instance arrays, vehicle types and their station-path options."""

    def __init__(self, inst: VRPInstance) -> None:
        self.inst = inst
        self.demand = np.asarray(inst.demand, dtype=np.float64)
        fleet = inst.fleet
        keys = [(float(v.tank), float(v.consumption), float(v.speed)) for v in fleet]
        distinct = sorted(set(keys), key=keys.index)
        profiles = {k: _Profile(inst, *k, share=len(distinct)) for k in distinct}
        self.types = [_Type(inst, v, profiles[k]) for v, k in zip(fleet, keys, strict=True)]
        cap = inst.station_capacity
        self.capacitated = cap is not None and bool(np.any(np.asarray(cap)[inst.stations] > 0))


class _State:
    """A solution under search: customer sequences, their types and cached costs."""

    def __init__(
        self,
        routes: list[list[int]],
        types: list[int],
        costs: list[float],
        unassigned: list[int] | None = None,
    ) -> None:
        self.routes = routes
        self.types = types
        self.costs = costs
        self.unassigned = unassigned or []
        self.extra = 0.0  # queue waits and lateness (capacitated stations)

    def copy(self) -> _State:
        s = _State([r[:] for r in self.routes], self.types[:], self.costs[:], self.unassigned[:])
        s.extra = self.extra
        return s

    @property
    def cost(self) -> float:
        return float(sum(self.costs))

    @property
    def vehicles(self) -> int:
        return sum(1 for r in self.routes if r)

    def used(self, t: int) -> int:
        return sum(1 for r, k in zip(self.routes, self.types, strict=True) if r and k == t)


def solve_vrp(
    inst: VRPInstance,
    stop: StoppingCriterion | Iterable[StoppingCriterion] | float | None = None,
    seed: int = 0,
    callbacks: SolveCallbacks | None = None,
    params: SearchParams | None = None,
    *,
    allow_unserved: bool = False,
    time_limit: float | None = None,
    max_iterations: int | None = None,
    progress: object = None,
) -> VRPSolution:
    """Solve ``inst`` until ``stop`` is met; deterministic for a seed and an iteration cap.

    Parameters
    ----------
    stop
        :class:`MaxRuntime`, :class:`MaxIterations`, a list of them or
        :class:`MultipleCriteria` (the first met stops), or a number of seconds; default 10 s.
    seed
        Seed of the random choices.
    callbacks
        :class:`SolveCallbacks`: ``on_best`` on each new best solution, ``on_progress``
        with the fraction done. The solver itself never prints.
    allow_unserved
        Return a plan without the customers the fleet cannot take (listed with reasons in
        :attr:`VRPSolution.unserved`) instead of raising.
    time_limit, max_iterations, progress
        Compatibility keywords: the first two add :class:`MaxRuntime` /
        :class:`MaxIterations` to ``stop``; ``progress`` is ignored unless it is a callable,
        which becomes ``on_progress`` (draw bars in the caller).

    Customers in ``inst.unservable`` (see :func:`h2lane.routing.vrp.instances.find_unservable`)
    are left out and reported in :attr:`VRPSolution.unserved`. Raises
    :class:`~h2lane.errors.InfeasiblePlanError` naming the customer and the reason when a
    servable customer fits in no vehicle's route of its own, when the fleet is too small for
    all customers (unless ``allow_unserved``), or when station queues make every plan found
    late; :class:`~h2lane.errors.OptionError` on an invalid stopping criterion.
    """
    extra: list[StoppingCriterion] = []
    if time_limit is not None:
        extra.append(MaxRuntime(time_limit))
    if max_iterations is not None:
        extra.append(MaxIterations(max_iterations))
    if stop is None and not extra:
        stop = MaxRuntime(10.0)
    crit = as_criterion([*as_criterion(stop).criteria, *extra] if stop is not None else extra)
    callbacks = callbacks or SolveCallbacks()
    if callable(progress) and callbacks.on_progress is None:
        callbacks = SolveCallbacks(callbacks.on_best, progress, callbacks.progress_every)
    params = params or SearchParams()
    t_begin = time.perf_counter()
    rng = np.random.default_rng(seed)
    data = _Data(inst)
    unserv = {int(c) for c in inst.unservable}
    customers = [int(c) for c in inst.customers if int(c) not in unserv]
    alone_total, lonely = _check_alone(data, customers, allow_unserved)
    customers = [c for c in customers if c not in lonely]
    fleet_first = inst.objective == "vehicles-distance"
    n = len(customers)
    # a penalty above the cost of any sensible plan (every customer on a route of its own)
    big = 10.0 * (alone_total + 1.0)
    search = _Search(data, rng, params, big, fleet_first)
    on_best, on_progress = callbacks.on_best, callbacks.on_progress

    state = _State([], [], [])
    search.recreate(state, customers[:], order_key=2, blink=0.0)
    it, f0 = 0, 0.0  # f0: the budget share the route-minimisation phase used
    repair = None
    if fleet_first and params.fleetmin_share > 0:
        from h2lane.routing.vrp.fleetmin import FleetRepair, minimise_fleet

        state, it, absences = minimise_fleet(
            search,
            state,
            customers,
            lambda k: crit.fraction(k, time.perf_counter() - t_begin),
            params.fleetmin_share,
            params.fleetmin_stall,
        )
        f0 = min(0.9, crit.schedule_fraction(it, time.perf_counter() - t_begin))
        repair = FleetRepair(search, absences)
    best = state.copy()
    best_obj = current_obj = search.objective(state)
    history = [(time.perf_counter() - t_begin, best.cost)]

    def improved() -> None:
        history.append((time.perf_counter() - t_begin, best.cost))
        if on_best is not None:
            on_best(Improvement(it, history[-1][0], best.cost, best.vehicles))

    if on_best is not None:
        on_best(Improvement(0, history[0][0], best.cost, best.vehicles))
    scale = max(best.cost, 1e-9) / max(n, 1) if n else 1.0
    if n > params.large_from:
        scale *= params.large_cooling
    t0, t1 = params.t_start * scale / 10.0, params.t_end * scale / 10.0
    pooling = bool(params.recombine_at)
    pool = None
    if pooling:
        from h2lane.routing.vrp.pool import RoutePool

        pool = RoutePool()
        search.pool_add(pool, state)
    marks = list(params.recombine_at)
    runtime = crit.runtime
    next_report = 0.0
    while n:
        elapsed = time.perf_counter() - t_begin
        if crit.fraction(it, elapsed) >= 1.0:
            break
        if on_progress is not None and elapsed >= next_report:
            on_progress(min(1.0, crit.fraction(it, elapsed)), best.cost)
            next_report = elapsed + callbacks.progress_every
        frac = min(1.0, crit.schedule_fraction(it, elapsed))
        if marks and frac >= marks[0]:
            marks.pop(0)
            if runtime is None or crit.deterministic:
                limit = 2.0
            else:
                limit = min(10.0, max(0.2, params.recombine_share * runtime))
                limit = min(limit, max(0.05, runtime - elapsed))
            cand = search.recombine(pool, best, customers, limit)
            if cand is not None:
                obj = search.objective(cand)
                if obj < best_obj - 1e-9:
                    best, best_obj = cand.copy(), obj
                    state, current_obj = cand, obj
                    improved()
            continue
        temp = t0 * (t1 / t0) ** max(0.0, (frac - f0) / (1.0 - f0))  # restarts after fleetmin
        cand = state.copy()
        removed = search.ruin(cand, customers)
        search.recreate(cand, removed)
        if repair is not None and cand.vehicles > state.vehicles:
            repair(cand, state.vehicles)
        obj = search.objective(cand)
        if obj < current_obj - temp * math.log(rng.random() + 1e-300):
            state, current_obj = cand, obj
            if pooling:
                search.pool_add(pool, cand)
            if obj < best_obj - 1e-9:
                best, best_obj = cand.copy(), obj
                improved()
        it += 1
    sol = search.solution(
        best, sorted(unserv), time.perf_counter() - t_begin, it, history, allow_unserved, lonely
    )
    if on_progress is not None:
        on_progress(1.0, best.cost)
    return sol


def _check_alone(
    data: _Data, customers: list[int], allow_unserved: bool = False
) -> tuple[float, list[int]]:
    """Every customer must fit in a route of its own for some vehicle type.

    Returns the total of each customer's cheapest route of its own, and the customers that
    fit in none (only with ``allow_unserved``; otherwise the first one raises).
    """
    inst = data.inst
    total = 0.0
    lonely: list[int] = []
    for c in customers:
        costs = [
            t.cost([c])
            for t in data.types
            if inst.demand[c] <= t.load_capacity + 1e-9 and t.count != 0
        ]
        finite = [x for x in costs if math.isfinite(x)]
        if finite:
            total += min(finite)
        else:
            if allow_unserved:
                lonely.append(c)
                continue
            what = "range, time window or duration even with station stops"
            if inst.rest.enabled:
                what = (
                    "range, time window, duration or the driver rest rules even with station stops"
                )
            if all(inst.demand[c] > t.load_capacity + 1e-9 for t in data.types):
                what = f"payload: its demand {inst.demand[c]:g} exceeds every vehicle's capacity"
            raise InfeasiblePlanError(
                f"customer {inst.labels[c]} (node {c}) fits in no route of its own: it is out of "
                f"{what}"
            )
    return total, lonely


class _Search:
    """Ruin, recreate, type choice, queue replay and recombination on :class:`_State`."""

    def __init__(
        self,
        data: _Data,
        rng: np.random.Generator,
        params: SearchParams,
        big: float,
        fleet_first: bool,
    ) -> None:
        self.data = data
        self.inst = data.inst
        self.rng = rng
        self.params = params
        self.big = big
        self.fleet_first = fleet_first
        self.route_cap: int | None = None
        """At most this many routes after a recreate (set by the route-minimisation phase)."""
        inst = data.inst
        self.depot_dist = inst.dist[inst.depots].min(axis=0)  # to the nearest depot
        cust = np.array([int(c) for c in inst.customers], dtype=np.int64)
        self.neigh: dict[int, list[int]] = {}
        if len(cust):
            sub = inst.dist[np.ix_(cust, cust)]
            order = np.argsort(sub, axis=1, kind="stable")
            width = min(len(cust), 100)
            for i, c in enumerate(cust):
                self.neigh[int(c)] = [int(cust[j]) for j in order[i, : width + 1] if cust[j] != c]
        self._expand_cache: dict[tuple[int, tuple[int, ...]], Expanded] = {}
        self._alone: dict[tuple[int, int], float] = {}
        # one vehicle type: the whole reinsertion runs in numba
        self.fast = len(data.types) == 1
        if self.fast:
            width = max(1, params.neighbours)
            self.neigh2d = np.full((inst.n_nodes, width), -1, dtype=np.int64)
            for c, nbs in self.neigh.items():
                row = nbs[:width]
                self.neigh2d[c, : len(row)] = row
            t = data.types[0]
            self.alone0 = np.full(inst.n_nodes, np.inf)
            for c in cust:
                self.alone0[c] = t.cost([int(c)]) - t.fixed

    # ------------------------------------------------------------------ objective
    def objective(self, state: _State) -> float:
        obj = state.cost + self.big * len(state.unassigned)
        if self.fleet_first:
            obj += self.big * state.vehicles
        if self.data.capacitated:
            state.extra = self._queue_extra(state)
            obj += state.extra
        return obj

    def _expand(self, t: int, route: list[int]) -> Expanded:
        key = (t, tuple(route))
        hit = self._expand_cache.get(key)
        if hit is None:
            if len(self._expand_cache) > 50000:
                self._expand_cache.clear()
            hit = _tidy(self.inst, t, self.data.types[t].expand(route))
            self._expand_cache[key] = hit
        return hit

    def replay(self, state: _State, exact: bool = False) -> _Replay:
        """Expanded routes, their types, departures, amounts and the queue schedule.

        ``exact`` also replays uncapacitated plans with rest rules through the scheduler: the
        labels count only a stop's fixed time towards a break, the replay the whole stop.
        """
        from h2lane.routing.vrp.queues import refuel_plan, schedule

        idx = [i for i, r in enumerate(state.routes) if r]
        expanded = [self._expand(state.types[i], state.routes[i]) for i in idx]
        routes = [e.nodes for e in expanded]
        types = [state.types[i] for i in idx]
        departures = [
            float(self.inst.ready[self.data.types[t].depot]) + e.shift
            for t, e in zip(types, expanded, strict=True)
        ]
        amounts: dict[tuple[int, int], float] = {}
        if not self.inst.full_refuel:
            for r, (t, e) in enumerate(zip(types, expanded, strict=True)):
                given = dict(e.charges) if e.charges else None
                for p, a in refuel_plan(self.inst, e.nodes, self.data.types[t].vt, given).items():
                    if a > _ZERO:  # a stop that buys nothing reports no amount
                        amounts[(r, p)] = a
        rest_stops = [(r, p) for r, e in enumerate(expanded) for p in e.rest_at]
        sched = None
        if self.data.capacitated or (exact and self.inst.rest.enabled):
            sched = schedule(
                self.inst, routes, types, amounts or None, departures, rest_stops=rest_stops
            )
        return _Replay(idx, expanded, routes, types, departures, amounts, rest_stops, sched)

    def _queue_extra(self, state: _State) -> float:
        rp = self.replay(state)
        assert rp.sched is not None
        extra = 0.0
        for r, (t, e) in enumerate(zip(rp.types, rp.expanded, strict=True)):
            extra += self.data.types[t].w_time * max(0.0, rp.sched.duration[r] - e.duration)
            extra += self.big * rp.sched.lateness[r]
        return extra

    # ------------------------------------------------------------------ ruin
    def ruin(self, state: _State, customers: list[int]) -> list[int]:
        """String removal around a random seed customer (SISR); unassigned customers return."""
        params, rng = self.params, self.rng
        removed: list[int] = list(state.unassigned)
        state.unassigned = []
        if self.fleet_first and rng.random() < params.route_removal_rate and state.vehicles > 1:
            sizes = sorted((len(r), ri) for ri, r in enumerate(state.routes) if r)
            pick = sizes[int(rng.integers(0, max(1, len(sizes) // 3)))][1]
            removed.extend(state.routes[pick])
            state.routes[pick] = []
            state.costs[pick] = 0.0
            return removed
        route_of = {c: ri for ri, r in enumerate(state.routes) for c in r}
        avg_route = max(1.0, len(customers) / max(1, state.vehicles))
        l_max = min(float(params.max_string), avg_route)
        k_s_max = 4.0 * params.avg_removed / (1.0 + l_max) - 1.0
        k_s = int(rng.uniform(1.0, k_s_max + 1.0))
        seed_c = customers[int(rng.integers(len(customers)))]
        touched: set[int] = set()
        for c in [seed_c, *self.neigh.get(seed_c, [])]:
            if len(touched) >= k_s:
                break
            ri = route_of.get(c)
            if ri is None or ri in touched or c in removed:
                continue
            route = state.routes[ri]
            if not route:
                continue
            l_r = int(rng.uniform(1.0, min(len(route), l_max) + 1.0))
            pos = route.index(c)
            start = int(rng.integers(max(0, pos - l_r + 1), min(pos, len(route) - l_r) + 1))
            removed.extend(route[start : start + l_r])
            del route[start : start + l_r]
            touched.add(ri)
        for ri in touched:
            state.costs[ri] = self.data.types[state.types[ri]].cost(state.routes[ri])
        return removed

    # ------------------------------------------------------------------ recreate
    def recreate(
        self,
        state: _State,
        removed: list[int],
        order_key: int | None = None,
        blink: float | None = None,
    ) -> None:
        """Greedy insertion with blinks, customers sorted by a random criterion.

        Each customer is tried in the routes of its ``params.neighbours`` nearest customers
        (granular neighbourhood; all routes while fewer are known) and in a new route of the
        cheapest available type; a customer that fits nowhere is left unassigned (penalised).
        """
        rng, inst = self.rng, self.inst
        blink = self.params.blink_rate if blink is None else blink
        key = int(rng.integers(4)) if order_key is None else order_key
        if key == 0:
            rng.shuffle(removed)
        elif key == 1:
            removed.sort(key=lambda c: -inst.demand[c])
        elif key == 2:
            removed.sort(key=lambda c: -self.depot_dist[c])
        else:
            removed.sort(key=lambda c: self.depot_dist[c])
        if self.fast:
            self._recreate_fast(state, removed, blink)
            return
        route_of = {c: ri for ri, r in enumerate(state.routes) for c in r}
        for c in removed:
            cands: set[int] = set()
            for nb in self.neigh.get(c, [])[: self.params.neighbours]:
                ri = route_of.get(nb)
                if ri is not None:
                    cands.add(ri)
            ri = self._insert(state, c, blink, sorted(cands) if cands else None)
            if ri < 0:
                state.unassigned.append(c)
            else:
                route_of[c] = ri
        keep = [i for i, r in enumerate(state.routes) if r]
        state.routes = [state.routes[i] for i in keep]
        state.types = [state.types[i] for i in keep]
        state.costs = [state.costs[i] for i in keep]
        if len(self.data.types) > 1:
            self._retype(state)

    def _recreate_fast(self, state: _State, removed: list[int], blink: float) -> None:
        """:meth:`recreate`'s insertion loop in one numba call (one vehicle type)."""
        t = self.data.types[0]
        k = len(removed)
        n_r = len(state.routes)
        rows = n_r + k
        lens = np.zeros(rows, dtype=np.int64)
        lens[:n_r] = [len(r) for r in state.routes]
        width = int(lens.max(initial=0)) + k
        R = np.zeros((rows, max(width, 1)), dtype=np.int64)
        total = int(lens.sum())
        if total:
            flat = np.fromiter(itertools.chain.from_iterable(state.routes), np.int64, total)
            starts = np.cumsum(lens[:n_r]) - lens[:n_r]
            R[
                np.repeat(np.arange(n_r), lens[:n_r]),
                np.arange(total) - np.repeat(starts, lens[:n_r]),
            ] = flat
        costs = np.zeros(rows)
        costs[:n_r] = state.costs
        costs[:n_r] -= t.fixed
        rands = self.rng.random(k * rows) if blink > 0 else np.zeros(0)
        job = K.Reinsertion(
            R=R,
            lens=lens,
            costs=costs,
            n_routes=n_r,
            removed=np.asarray(removed, dtype=np.int64),
            neigh=self.neigh2d,
            n_neigh=int(self.params.neighbours),
            rands=rands,
            blink=float(blink),
            new_penalty=float(self.big if self.fleet_first else 0.0),
            max_routes=int(min(t.count if t.count is not None else rows + 1, self._cap(rows + 1))),
            alone=self.alone0,
            fixed=float(t.fixed),
        )
        n_new, _used, unassigned = K.recreate_unpacked(*job, *t.insert_args)
        keep = [i for i in range(n_new) if lens[i] > 0]
        state.routes = [R[i, : lens[i]].tolist() for i in keep]
        state.costs = [float(costs[i]) + t.fixed for i in keep]
        state.types = [0] * len(keep)
        state.unassigned.extend(int(c) for c in unassigned)

    def _insert(self, state: _State, c: int, blink: float, candidates: list[int] | None) -> int:
        """Insert ``c`` at its cheapest position among ``candidates`` (default: all routes)."""
        types = self.data.types
        best_ri, best_pos, best_inc = -1, -1, math.inf
        by_type: dict[int, list[int]] = {}
        rand = self.rng.random
        for ri in candidates if candidates is not None else range(len(state.routes)):
            if not state.routes[ri] or (blink > 0 and rand() < blink):
                continue
            by_type.setdefault(state.types[ri], []).append(ri)
        for k, ris in by_type.items():
            t = types[k]
            routes = [state.routes[ri] for ri in ris]
            lens = np.fromiter((len(r) for r in routes), dtype=np.int64, count=len(routes))
            offsets = np.zeros(len(routes) + 1, dtype=np.int64)
            np.cumsum(lens, out=offsets[1:])
            flat = np.fromiter(
                itertools.chain.from_iterable(routes), dtype=np.int64, count=int(offsets[-1])
            )
            costs = np.fromiter((state.costs[ri] for ri in ris), np.float64, len(ris)) - t.fixed
            which, pos, inc = K.best_insertion_many(flat, offsets, costs, c, best_inc, t.model)
            if which >= 0 and inc < best_inc:
                best_ri, best_pos, best_inc = ris[which], pos, inc
        # a new route of the cheapest available type competes with the best insertion
        new_t, new_cost = -1, math.inf
        for k, t in enumerate(types if state.vehicles < self._cap(len(state.routes) + 1) else ()):
            if t.count is not None and state.used(k) >= t.count:
                continue
            if self.inst.demand[c] > t.load_capacity + 1e-9:
                continue
            cost = self._alone.get((k, c))
            if cost is None:
                cost = self._alone[(k, c)] = t.cost([c])
            if cost < new_cost:
                new_t, new_cost = k, cost
        penalty = self.big if self.fleet_first else 0.0
        if new_t >= 0 and (best_ri < 0 or new_cost + penalty < best_inc - 1e-12):
            state.routes.append([c])
            state.types.append(new_t)
            state.costs.append(new_cost)
            return len(state.routes) - 1
        if best_ri < 0:
            return -1
        state.routes[best_ri].insert(best_pos, c)
        state.costs[best_ri] += best_inc
        return best_ri

    def _cap(self, default: int) -> int:
        """The route cap of the route-minimisation phase, else ``default``."""
        return default if self.route_cap is None else self.route_cap

    def _retype(self, state: _State) -> None:
        """Give each route the cheapest vehicle type still available."""
        types = self.data.types
        for ri, route in enumerate(state.routes):
            cur = state.types[ri]
            load = float(sum(self.inst.demand[c] for c in route))
            for k, t in enumerate(types):
                if k == cur or load > t.load_capacity + 1e-9:
                    continue
                if t.count is not None and state.used(k) >= t.count:
                    continue
                cost = t.cost(route)
                if cost < state.costs[ri] - 1e-9:
                    state.types[ri], state.costs[ri], cur = k, cost, k

    # ------------------------------------------------------------------ pool
    def pool_add(self, pool, state: _State) -> None:
        for r, t, c in zip(state.routes, state.types, state.costs, strict=True):
            if r and math.isfinite(c):
                pool.add(r, c, t)

    def recombine(self, pool, best: _State, customers: list[int], limit: float):
        """Best set-partitioning selection of pooled routes, as a state (``None`` if no gain)."""
        from h2lane.routing.vrp.pool import PoolRoute, recombine

        if best.unassigned or len(pool) == 0:
            return None
        incumbent = [
            PoolRoute(tuple(r), c, t)
            for r, t, c in zip(best.routes, best.types, best.costs, strict=True)
            if r
        ]
        chosen = recombine(
            pool,
            customers,
            type_counts=[t.count for t in self.data.types],
            route_weight=self.big if self.fleet_first else 0.0,
            incumbent=incumbent,
            time_limit=limit,
        )
        if not chosen:
            return None
        routes = [list(p.customers) for p in chosen]
        types = [int(p.vtype) for p in chosen]
        costs = [self.data.types[t].cost(r) for r, t in zip(routes, types, strict=True)]
        if not all(math.isfinite(c) for c in costs):
            return None
        return _State(routes, types, costs)

    # ------------------------------------------------------------------ result
    def solution(
        self,
        best: _State,
        unservable: list[int],
        seconds: float,
        iterations: int,
        history: list[tuple[float, float]],
        allow_unserved: bool = False,
        lonely: list[int] | None = None,
    ) -> VRPSolution:
        inst = self.inst
        fleet_short = sorted(best.unassigned)
        if fleet_short and not allow_unserved:
            names = ", ".join(f"{inst.labels[c]} (node {c})" for c in fleet_short)
            fleet = ", ".join(
                f"{t.vt.name}: {t.count}" for t in self.data.types if t.count is not None
            )
            raise InfeasiblePlanError(
                f"customers {names} could not be served: every plan found needs more vehicles "
                f"than the fleet has ({fleet})"
            )
        rp = self.replay(best, exact=True)
        durations = [e.duration for e in rp.expanded]
        waits: dict[tuple[int, int], float] = {}
        if rp.sched is not None:
            if not rp.sched.feasible:
                raise InfeasiblePlanError(
                    "station queues make every plan found late: " + rp.sched.late[0]
                )
            durations = list(rp.sched.duration)
            waits = dict(rp.sched.waits)
        distance = float(sum(e.distance for e in rp.expanded))
        cost = 0.0
        for t, e, dur in zip(rp.types, rp.expanded, durations, strict=True):
            ty = self.data.types[t]
            cost += ty.fixed + ty.w_dist * e.distance + ty.w_time * dur
        from h2lane.routing.vrp.unserved import unserved_customers

        unserved = unserved_customers(inst, [*unservable, *(lonely or [])], fleet_short)
        return VRPSolution(
            routes=rp.routes,
            distance=distance,
            vehicles=len(rp.routes),
            unservable=unservable,
            cost=cost,
            duration=float(sum(durations)),
            route_types=rp.types,
            departures=rp.departures,
            waits=waits,
            refuel_amounts=rp.amounts,
            rest_stops=rp.rest_stops,
            seconds=seconds,
            iterations=iterations,
            history=history,
            unserved=unserved,
        )


_ZERO = 1e-9
"""Refuel amounts at or below this are no refuel (the stop is dropped or not reported)."""


class _Replay(NamedTuple):
    idx: list[int]
    expanded: list[Expanded]
    routes: list[list[int]]
    types: list[int]
    departures: list[float]
    amounts: dict[tuple[int, int], float]
    rest_stops: list[tuple[int, int]]
    sched: Schedule | None


def _tidy(inst: VRPInstance, t: int, e: Expanded) -> Expanded:
    """Drop station stops that buy nothing and repeated nodes when the route stays feasible.

    The station-path options never start or end at the point itself, so a repeated depot
    cannot arise from them; a stop can still buy nothing (the vehicle arrives with enough
    for the next leg). Removing such a stop shortens the route (triangle inequality) and
    its time; the independent checker decides whether the shorter route is still feasible
    (e.g. when the stop held the driver's break, it may not be).
    """
    from h2lane.routing.vrp.checker import check_solution
    from h2lane.routing.vrp.queues import refuel_plan

    vt = inst.fleet[t]
    nodes = e.nodes
    charges = dict(e.charges) if e.charges else None
    plan = refuel_plan(inst, nodes, vt, charges)
    idle = {p for p, a in plan.items() if a <= _ZERO}
    for p in range(1, len(nodes)):
        if nodes[p] == nodes[p - 1]:  # a zero-length hop: drop the mid-route copy
            q = p if p < len(nodes) - 1 else p - 1
            if q >= 1:
                idle.add(q)
    if not idle:
        return e
    departure = float(inst.ready[vt.depot]) + e.shift
    rest_at = list(e.rest_at)
    for p in sorted(idle, reverse=True):
        cand = nodes[:p] + nodes[p + 1 :]
        cand_rest = [q if q < p else q - 1 for q in rest_at if q != p]
        cand_charges = None
        if charges is not None:
            cand_charges = {(q if q < p else q - 1): a for q, a in charges.items() if q != p}
        rep = check_solution(
            inst,
            [cand],
            route_types=[t],
            refuel_amounts={(0, q): a for q, a in (cand_charges or {}).items()} or None,
            departures=[departure],
            rest_stops=[(0, q) for q in cand_rest],
        )
        if any(v.route == 0 for v in rep.violations):
            continue
        dur = rep.duration[0]
        if rep.route_distance[0] > e.distance + 1e-9 or dur > e.duration + 1e-9:
            continue
        nodes, rest_at, charges = cand, cand_rest, cand_charges
        e = Expanded(
            nodes,
            float(rep.route_distance[0]),
            float(dur),
            e.shift,
            tuple(rest_at),
            tuple(sorted(charges.items())) if charges is not None else None,
        )
    return e
