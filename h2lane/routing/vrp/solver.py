"""Fleet routing with refuelling stops: ruin-and-recreate search over customer sequences.

Routes are customer sequences; stations are placed exactly for each sequence by the
multigraph dynamic programme in :mod:`h2lane.routing.vrp.kernels`. The search is a
slack-induction-by-string-removal scheme (Christiaens & Vanden Berghe 2020): remove strings
of nearby customers from nearby routes, reinsert them greedily in a random order with
"blinks", accept by simulated annealing. Fleet-first objectives also try to empty whole
routes. Deterministic for a seed; anytime (best solution kept), time-limited.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from h2lane.errors import InfeasiblePlanError
from h2lane.routing.vrp import kernels as K
from h2lane.routing.vrp.model import VRPInstance, VRPSolution


@dataclass(slots=True)
class SearchParams:
    """Tuning knobs (defaults follow the SISR paper where it gives them)."""

    avg_removed: float = 10.0
    max_string: int = 10
    blink_rate: float = 0.01
    t_start: float = 100.0
    t_end: float = 1.0
    neighbours: int = 40
    route_removal_rate: float = 0.1


class _Data:
    """Instance arrays and precomputed station-path options."""

    def __init__(self, inst: VRPInstance) -> None:
        self.inst = inst
        self.dist = np.ascontiguousarray(inst.dist, dtype=np.float64)
        self.ttime = np.ascontiguousarray(inst.dist / inst.speed, dtype=np.float64)
        self.energy = np.ascontiguousarray(inst.dist * inst.consumption, dtype=np.float64)
        self.ready = np.asarray(inst.ready, dtype=np.float64)
        self.due = np.asarray(inst.due, dtype=np.float64)
        self.service = np.asarray(inst.service, dtype=np.float64)
        self.demand = np.asarray(inst.demand, dtype=np.float64)
        self.tank = float(inst.tank)
        self.start_energy = float(inst.initial_energy)
        self.max_duration = float(inst.max_duration)
        self.refuel_rate = float(inst.refuel_rate)
        stations = inst.stations.astype(np.int64)
        points = np.concatenate([[0], inst.customers]).astype(np.int64)
        tank = self.tank if np.isfinite(self.tank) else 1e300
        ss, nxt = K.station_graph(self.energy, stations, tank)
        nhops = np.zeros_like(nxt)
        for a in range(len(stations)):
            for b in range(len(stations)):
                h, x = 0, a
                while x != b and nxt[x, b] >= 0:
                    x = int(nxt[x, b])
                    h += 1
                nhops[a, b] = h
        self.stations, self.ss_next = stations, nxt
        (
            self.o_s1,
            self.o_s2,
            self.o_dist,
            self.o_eout,
            self.o_eleft,
            self.o_time,
            self.o_count,
        ) = K.build_options(
            points,
            stations,
            self.dist,
            self.ttime,
            self.energy,
            tank,
            float(inst.refuel_fixed),
            self.refuel_rate,
            ss,
            nhops,
            _max_options(len(points), len(stations)),
        )
        self.tank_eval = tank

    def args(self) -> tuple:
        return (
            self.dist,
            self.ttime,
            self.energy,
            self.ready,
            self.due,
            self.service,
            self.tank_eval,
            self.start_energy,
            self.max_duration,
            self.refuel_rate,
            self.o_dist,
            self.o_eout,
            self.o_eleft,
            self.o_time,
            self.o_count,
        )

    def cost(self, route: list[int]) -> float:
        if not route:
            return 0.0
        choices = np.empty(len(route) + 1, dtype=np.int64)
        return K.evaluate(np.asarray(route, dtype=np.int64), *self.args(), choices)

    def expand(self, route: list[int]) -> list[int]:
        """The route with its station visits, depot at both ends."""
        choices = np.empty(len(route) + 1, dtype=np.int64)
        K.evaluate(np.asarray(route, dtype=np.int64), *self.args(), choices)
        out = [0]
        pts = [*route, 0]
        prev = 0
        for step, cur in enumerate(pts):
            c = int(choices[step])
            if c >= 0:
                s1, s2 = int(self.o_s1[prev, cur, c]), int(self.o_s2[prev, cur, c])
                out.extend(self._station_path(s1, s2))
            out.append(cur)
            prev = cur
        return out

    def _station_path(self, s1: int, s2: int) -> list[int]:
        idx = {int(s): i for i, s in enumerate(self.stations)}
        a, b = idx[s1], idx[s2]
        path = [s1]
        while a != b:
            a = int(self.ss_next[a, b])
            path.append(int(self.stations[a]))
        return path


def _max_options(n_points: int, n_stations: int) -> int:
    """Options per pair: all useful ones on benchmark sizes, capped to ~200 MB of arrays."""
    if n_stations == 0:
        return 1
    budget = 200e6 / (48.0 * n_points * n_points)
    return int(max(2, min(K.MAX_OPTIONS, budget)))


class _State:
    """A solution under search: customer sequences with cached costs."""

    def __init__(self, routes: list[list[int]], costs: list[float]) -> None:
        self.routes = routes
        self.costs = costs

    def copy(self) -> _State:
        return _State([r[:] for r in self.routes], self.costs[:])

    @property
    def distance(self) -> float:
        return float(sum(self.costs))

    @property
    def vehicles(self) -> int:
        return sum(1 for r in self.routes if r)


def solve_vrp(
    inst: VRPInstance,
    time_limit: float = 10.0,
    seed: int = 0,
    progress: bool = False,
    params: SearchParams | None = None,
    max_iterations: int | None = None,
    callback: Callable[[float, float], None] | None = None,
) -> VRPSolution:
    """Solve ``inst`` within ``time_limit`` seconds; deterministic for a seed and iteration cap.

    Customers in ``inst.unservable`` (see :func:`h2lane.routing.vrp.instances.find_unservable`)
    are left out and reported. Raises :class:`~h2lane.errors.InfeasiblePlanError` if a
    servable customer fits in no route.
    """
    params = params or SearchParams()
    t_begin = time.perf_counter()
    rng = np.random.default_rng(seed)
    data = _Data(inst)
    customers = [int(c) for c in inst.customers if int(c) not in set(inst.unservable)]
    fleet_first = inst.objective == "vehicles-distance"
    n = len(customers)
    big = 10.0 * (float(np.max(inst.dist[np.isfinite(inst.dist)])) + 1.0) * max(n, 1)

    def objective(state: _State) -> float:
        return state.distance + (big * state.vehicles if fleet_first else 0.0)

    # neighbour lists among customers (by distance)
    cust_arr = np.array(customers, dtype=np.int64)
    neigh: dict[int, list[int]] = {}
    if n:
        sub = inst.dist[np.ix_(cust_arr, cust_arr)]
        order = np.argsort(sub, axis=1)
        width = min(n, 100)
        for i, c in enumerate(customers):
            neigh[c] = [int(cust_arr[j]) for j in order[i, : width + 1] if cust_arr[j] != c]

    state = _State([], [])
    _recreate(
        data,
        state,
        sorted(customers, key=lambda c: -inst.dist[0, c]),
        rng,
        dataclasses.replace(params, blink_rate=0.0),
        neigh,
        order_key=2,
    )
    best = state.copy()
    best_obj = objective(best)
    current_obj = best_obj
    history = [(time.perf_counter() - t_begin, best.distance)]
    scale = best.distance / max(n, 1) if n else 1.0
    t0, t1 = params.t_start * scale / 10.0, params.t_end * scale / 10.0
    it = 0
    bar = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task(f"routing {inst.name}", total=time_limit)
        bar.start()
    try:
        while n:
            elapsed = time.perf_counter() - t_begin
            if elapsed >= time_limit or (max_iterations is not None and it >= max_iterations):
                break
            frac = min(1.0, elapsed / time_limit) if max_iterations is None else it / max_iterations
            temp = t0 * (t1 / t0) ** frac
            cand = state.copy()
            removed = _ruin(data, cand, customers, neigh, rng, params, fleet_first)
            _recreate(data, cand, removed, rng, params, neigh)
            obj = objective(cand)
            if obj < current_obj - temp * math.log(rng.random() + 1e-300):
                state, current_obj = cand, obj
                if obj < best_obj - 1e-9:
                    best, best_obj = cand.copy(), obj
                    history.append((time.perf_counter() - t_begin, best.distance))
                    if callback is not None:
                        callback(history[-1][0], best.distance)
            it += 1
            if bar is not None and it % 50 == 0:
                bar.update(task, completed=min(elapsed, time_limit))
    finally:
        if bar is not None:
            bar.stop()
    routes = [data.expand(r) for r in best.routes if r]
    return VRPSolution(
        routes=routes,
        distance=best.distance,
        vehicles=len(routes),
        unservable=sorted(int(c) for c in inst.unservable),
        seconds=time.perf_counter() - t_begin,
        iterations=it,
        history=history,
    )


def _ruin(
    data: _Data,
    state: _State,
    customers: list[int],
    neigh: dict[int, list[int]],
    rng: np.random.Generator,
    params: SearchParams,
    fleet_first: bool,
) -> list[int]:
    """String removal around a random seed customer (SISR)."""
    route_of = {c: ri for ri, r in enumerate(state.routes) for c in r}
    removed: list[int] = []
    if fleet_first and rng.random() < params.route_removal_rate and state.vehicles > 1:
        sizes = [(len(r), ri) for ri, r in enumerate(state.routes) if r]
        # favour small routes: pick among the smallest third
        sizes.sort()
        pick = sizes[int(rng.integers(0, max(1, len(sizes) // 3)))][1]
        removed.extend(state.routes[pick])
        state.routes[pick] = []
        state.costs[pick] = 0.0
        return removed
    avg_route = max(1.0, len(customers) / max(1, state.vehicles))
    l_max = min(float(params.max_string), avg_route)
    k_s_max = 4.0 * params.avg_removed / (1.0 + l_max) - 1.0
    k_s = int(rng.uniform(1.0, k_s_max + 1.0))
    seed_c = customers[int(rng.integers(len(customers)))]
    touched: set[int] = set()
    for c in [seed_c, *neigh.get(seed_c, [])]:
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
        state.costs[ri] = data.cost(state.routes[ri])
    return removed


def _recreate(
    data: _Data,
    state: _State,
    removed: list[int],
    rng: np.random.Generator,
    params: SearchParams,
    neigh: dict[int, list[int]],
    order_key: int | None = None,
) -> None:
    """Greedy insertion with blinks, customers sorted by a random criterion.

    Each customer is tried in the routes of its ``params.neighbours`` nearest customers
    (granular neighbourhood; all routes while fewer are known) and in a new route.
    """
    key = int(rng.integers(4)) if order_key is None else order_key
    inst = data.inst
    if key == 0:
        rng.shuffle(removed)
    elif key == 1:
        removed.sort(key=lambda c: -inst.demand[c])
    elif key == 2:
        removed.sort(key=lambda c: -inst.dist[0, c])
    else:
        removed.sort(key=lambda c: inst.dist[0, c])
    route_of = {c: ri for ri, r in enumerate(state.routes) for c in r}
    for c in removed:
        cands: set[int] = set()
        for nb in neigh.get(c, [])[: params.neighbours]:
            ri = route_of.get(nb)
            if ri is not None:
                cands.add(ri)
        ri = _insert(data, state, c, rng, params.blink_rate, sorted(cands) if cands else None)
        route_of[c] = ri
    # drop empty routes
    keep = [i for i, r in enumerate(state.routes) if r]
    state.routes = [state.routes[i] for i in keep]
    state.costs = [state.costs[i] for i in keep]


def _insert(
    data: _Data,
    state: _State,
    c: int,
    rng: np.random.Generator,
    blink: float,
    candidates: list[int] | None = None,
) -> int:
    """Insert ``c`` at its cheapest position among ``candidates`` (default: all routes)."""
    inst = data.inst
    best_ri, best_pos, best_inc = -1, -1, math.inf
    args = data.args()
    capacity = float(inst.load_capacity)
    for ri in candidates if candidates is not None else range(len(state.routes)):
        route = state.routes[ri]
        if not route:
            continue
        if blink > 0 and rng.random() < blink:
            continue
        pos, inc = K.best_insertion(
            np.asarray(route, dtype=np.int64),
            c,
            state.costs[ri],
            best_inc,
            data.demand,
            capacity,
            *args,
        )
        if pos >= 0 and inc < best_inc:
            best_ri, best_pos, best_inc = ri, pos, inc
    if best_ri < 0:
        cost_new = data.cost([c])
        if not math.isfinite(cost_new):
            raise InfeasiblePlanError(
                f"customer {inst.labels[c]} (node {c}) fits in no route of its own: it is out of "
                "range, time window or duration even with station stops"
            )
        if inst.fleet_size is not None and state.vehicles >= inst.fleet_size:
            raise InfeasiblePlanError(
                f"customer {inst.labels[c]} (node {c}) needs a vehicle beyond the fleet of "
                f"{inst.fleet_size}"
            )
        state.routes.append([c])
        state.costs.append(cost_new)
        return len(state.routes) - 1
    state.routes[best_ri].insert(best_pos, c)
    state.costs[best_ri] += best_inc
    return best_ri
