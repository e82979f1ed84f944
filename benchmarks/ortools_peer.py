"""OR-Tools peer for the refuelling VRP benchmarks (G-VRP, E-VRPTW, CEC-2020 E-CVRP).

The model a capable OR-Tools (routing library, Python) user would write: duplicated station
nodes and a fuel dimension, as in OR-Tools' ``examples/cpp/cvrptw_with_refueling.cc``, with
two corrections that example needs to be exact (see *Fuel*).

* **Nodes.** Depot, the servable customers (``inst.unservable`` left out) and ``k`` copies of
  every station, optional (zero-penalty disjunctions). ``k`` starts at
  :func:`station_copies` ``= clip(ceil(customers / (2 stations)) + 1, 3, 12)`` (EMH 20 / 3: 5;
  E-VRPTW 100 / 21: 4; CEC E-n101 / 9 stations: 7) and is doubled (≤ 12) while the start
  solution cannot serve every customer and ≤ 30 % of the time is used: more copies make the
  search slower, too few make customers unservable. Arcs between copies of the same station,
  and from the start / to the end into a station on the depot, are removed (zero-length stops
  that the insertion heuristic would otherwise chain and so use up every copy). With a
  limited fleet, a depot that refuels and no station on it, ``k`` depot copies are refuel
  points too; with a free fleet (all three benchmarks) a mid-route depot stop is never better
  than ending the route and starting another vehicle, so they are not added.
* **Fuel.** Cumul = energy *used since the last refill* (×10⁴, rounded up), capacity = tank;
  the transit into a refuel copy is lowered by the tank size and the copy's cumul is fixed at 0
  ("leaves full"), so the predecessor's slack equals the energy left on arrival (≥ 0); slack
  is free everywhere (it can only overstate use). The textbook variant (cumul = energy left,
  slack = refill at the station) lets the solver refill beyond the tank, because OR-Tools
  bounds cumuls but not cumul + slack: it returned routes running dry, so it is not used.
* **Time.** Transit = service (+ fixed refuel time at stations) + travel time (×10⁴, rounded
  up), slack = waiting; windows on cumuls, depot due date on route ends, ``max_duration`` as a
  span bound. E-VRPTW's recharge time g × (Q − level on arrival) depends on another dimension,
  which a transit cannot express (the 9.15 cumul-dependent transits take a piecewise-linear
  function of the same dimension and have no Python builder). It is added as a CP side
  constraint ``time_slack(i) ≥ g × (Q − fuel_slack(i))`` whenever ``next(i)`` is a refuel
  copy (the recharge is "waited" before leaving ``i``): exact for recharge-to-full (it may
  only overstate the time), but the local-search filters do not know it, so violating moves
  are rejected only by the slower CP check. ``exact_recharge=False`` instead charges the
  worst case g × Q at every stop.
* **Load** dimension when the load capacity is finite (no reload at depot copies).
* **Objective.** Arc cost = distance ×1000 rounded; for ``vehicles-distance`` a fixed cost
  per used vehicle above any route set's distance. Customers sit in single-node disjunctions
  with a penalty above the fixed cost of the whole fleet plus any distance, so a start solution
  always exists and no move trades a customer for a vehicle; a customer still dropped at the
  end makes the result infeasible.
* **Search.** ``PARALLEL_CHEAPEST_INSERTION`` first solution; customers it could not insert
  (one node at a time, so a customer needing a station on both sides never fits) each get
  their own depot → stations → customer → stations → depot route (shortest within range,
  accepted by the checker); then ``GUIDED_LOCAL_SEARCH`` from that start until the wall-time
  limit (model building included). OR-Tools routing has no random seed: ``seed`` is unused.
* **Fleet.** ``inst.fleet_size`` or, for a free fleet, one vehicle per customer (for more than
  120 customers ``min(n, 2 × lower bound + 10)``, the bound from load, or from service plus
  the shortest arrival at each customer over the route-duration limit).

Energy and time are rounded up, so a route the model accepts meets range and time limits with
real numbers. Routes are mapped back to file-order indices (copies → their station, repeated
stops merged, stops at a station on the depot next to the route's ends dropped) and verified
by :func:`h2lane.routing.vrp.checker.check_solution`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from h2lane.routing.vrp.model import (
    CUSTOMER,
    STATION,
    VRPInstance,
    VRPSolution,
    solution_distance,
)

try:  # the checker may land after this file
    from h2lane.routing.vrp.checker import check_solution
except ImportError:  # pragma: no cover - depends on the tree state
    check_solution = None

DIST_SCALE = 1000  # objective: distance ×1000, rounded
RES_SCALE = 10_000  # fuel and time: ×10⁴, rounded up (conservative)
G_DEN = 10_000  # recharge rate g as a fraction g_num / G_DEN (rounded up)
MAX_COPIES = 12  # copies per station at most


@dataclass(slots=True)
class PeerSolution(VRPSolution):
    """A :class:`VRPSolution` with the checker's verdict on it."""

    feasible: bool | None = None
    """``True`` checker accepts, ``False`` rejected (or customers dropped), ``None`` no checker."""
    violations: list[str] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    station_copies: int = 0


def station_copies(n_customers: int, n_stations: int) -> int:
    """Initial copies per station: ``clip(ceil(n_customers / (2 n_stations)) + 1, 3, 12)``."""
    if n_stations == 0:
        return 0
    return int(np.clip(math.ceil(n_customers / (2 * n_stations)) + 1, 3, MAX_COPIES))


def _fleet(inst: VRPInstance, customers: list[int]) -> int:
    """Vehicles offered to OR-Tools (see the module docstring)."""
    if inst.fleet_size is not None:
        return int(inst.fleet_size)
    n = len(customers)
    if n <= 120:
        return max(n, 1)
    lb = 1
    if math.isfinite(inst.load_capacity) and inst.load_capacity > 0:
        lb = max(lb, math.ceil(float(inst.demand[customers].sum()) / inst.load_capacity))
    if math.isfinite(inst.max_duration) and inst.max_duration > 0:
        # service + the shortest arrival at each customer, over the route-duration limit
        tt = inst.travel_time[np.ix_([0, *customers], customers)].copy()
        tt[1:][np.arange(n), np.arange(n)] = np.inf
        work = float(inst.service[customers].sum() + tt.min(axis=0).sum())
        lb = max(lb, math.ceil(work / inst.max_duration))
    return min(n, 2 * lb + 10)


def _ceil(x: float) -> int:
    return math.ceil(x * RES_SCALE - 1e-6)


def _floor(x: float) -> int:
    return math.floor(x * RES_SCALE + 1e-6)


def build_nodes(inst: VRPInstance, copies: int | None = None) -> tuple[list[int], list[bool], int]:
    """Model nodes as file indices (depot, customers, station copies, depot copies), which of
    them refuel, and the copies per station."""
    skip = set(inst.unservable)
    customers = [int(c) for c in inst.customers if int(c) not in skip]
    stations = [int(s) for s in inst.stations]
    k = station_copies(len(customers), len(stations)) if copies is None else copies
    nodes = [0, *customers]
    refuel = [False] * len(nodes)
    for s in stations:
        nodes += [s] * k
        refuel += [True] * k
    at_depot = any(inst.dist[0, s] == 0 and inst.dist[s, 0] == 0 for s in stations)
    if inst.depot_refuels and inst.fleet_size is not None and not at_depot:
        nodes += [0] * max(k, 1)
        refuel += [True] * max(k, 1)
    return nodes, refuel, k


def _map_route(inst: VRPInstance, route: list[int], split_at_depot: bool) -> list[list[int]]:
    """Clean one model route (file indices) and split it at depot stops if the fleet is free."""
    out: list[int] = []
    for v in route:
        if out and v == out[-1] and (inst.kinds[v] == STATION or (v == 0 and len(out) > 1)):
            continue  # merged copy of the same refuel point
        out.append(v)

    def zero_station(v: int) -> bool:
        return inst.kinds[v] == STATION and inst.dist[0, v] == 0 and inst.dist[v, 0] == 0

    while len(out) > 2 and zero_station(out[1]):
        del out[1]
    while len(out) > 2 and zero_station(out[-2]):
        del out[-2]
    parts = [out]
    if split_at_depot:
        parts, cur = [], [0]
        for v in out[1:]:
            cur.append(v)
            if v == 0:
                parts.append(cur)
                cur = [0]
    return [p for p in parts if any(inst.kinds[v] == CUSTOMER for v in p)]


@dataclass
class _Model:
    """A built OR-Tools routing model and how its nodes map to the instance."""

    manager: object
    routing: object
    params: object
    nodes: list[int]
    refuel: list[bool]
    n_cust: int
    n_veh: int
    copies: int


def _build(
    inst: VRPInstance,
    k: int,
    first_solution: str,
    exact_recharge: bool,
    log: bool,
    time_limit: float,
) -> _Model:
    """Build (and close) the routing model with ``k`` copies per station."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    nodes, refuel, k = build_nodes(inst, k)
    node_arr = np.asarray(nodes)
    n = len(nodes)
    skip = set(inst.unservable)
    customers = [int(c) for c in inst.customers if int(c) not in skip]
    n_cust = len(customers)
    n_veh = _fleet(inst, customers)
    manager = pywrapcp.RoutingIndexManager(n, n_veh, 0)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    sub = inst.dist[np.ix_(node_arr, node_arr)]
    # --- objective: distance
    cost = np.rint(sub * DIST_SCALE).astype(np.int64)
    cost_cb = routing.RegisterTransitMatrix(cost.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    route_bound = int(cost.max(initial=0)) * (n + 1) + 1  # > any route set's distance
    if inst.objective == "vehicles-distance":
        routing.SetFixedCostOfAllVehicles(route_bound)
    # above any distance change and one vehicle's fixed cost; with several vehicles at stake
    # the search may still trade a customer for vehicles, see _DropFreeBest
    drop_penalty = 2 * route_bound + 1
    for c in range(1, 1 + n_cust):
        routing.AddDisjunction([manager.NodeToIndex(c)], drop_penalty)
    for m in range(1 + n_cust, n):
        routing.AddDisjunction([manager.NodeToIndex(m)], 0)
    # zero-length refuel stops are pointless: no copy of a refuel point right after another
    # copy of the same point, nor a refuel point on the depot right after the start or before
    # the end (otherwise the insertion heuristic chains free copies and uses them all up)
    groups: dict[int, list[int]] = {}
    for m in range(1 + n_cust, n):
        groups.setdefault(nodes[m], []).append(manager.NodeToIndex(m))
    ends = [routing.End(v) for v in range(n_veh)]
    for f, idxs in groups.items():
        on_depot = inst.dist[0, f] == 0 and inst.dist[f, 0] == 0
        for i in idxs:
            routing.NextVar(i).RemoveValues(
                [j for j in idxs if j != i] + (ends if on_depot else [])
            )
        if on_depot:
            for v in range(n_veh):
                routing.NextVar(routing.Start(v)).RemoveValues(idxs)

    # --- fuel: cumul = energy used since the last refill (see module docstring)
    tank = _floor(inst.tank) if math.isfinite(inst.tank) else None
    fuel = None
    if tank is not None:
        energy = np.ceil(sub * inst.consumption * RES_SCALE - 1e-6).astype(np.int64)
        reset = np.where(np.asarray(refuel), tank, 0).astype(np.int64)
        fuel_cb = routing.RegisterTransitMatrix((energy - reset[None, :]).tolist())
        routing.AddDimension(fuel_cb, tank, tank, False, "fuel")
        fuel = routing.GetDimensionOrDie("fuel")
        used0 = max(0, tank - _floor(inst.initial_energy))
        for v in range(n_veh):
            fuel.CumulVar(routing.Start(v)).SetValue(used0)
        for idx in range(routing.Size()):
            if not routing.IsStart(idx) and refuel[manager.IndexToNode(idx)]:
                fuel.CumulVar(idx).SetValue(0)  # leaves full
            else:
                routing.AddVariableMinimizedByFinalizer(fuel.CumulVar(idx))

    # --- time: service/refuel + travel, slack = waiting (+ recharge when rate-dependent)
    svc = inst.service[node_arr].astype(float) + np.where(refuel, inst.refuel_fixed, 0.0)
    svc[0] = 0.0  # route start / end
    rate = float(inst.refuel_rate)
    if rate > 0 and not exact_recharge and math.isfinite(inst.tank):
        svc = svc + np.where(refuel, rate * inst.tank, 0.0)
    ttime = sub / inst.speed + svc[:, None]
    due = inst.due[node_arr]
    if math.isfinite(due[0]):
        horizon_real = float(due[0])
    elif math.isfinite(inst.max_duration):
        horizon_real = float(inst.max_duration)
    else:
        horizon_real = float(ttime.max(initial=0)) * (n + 1)
    horizon = _ceil(horizon_real) + 1
    has_time = bool(
        math.isfinite(inst.max_duration) or np.isfinite(due).any() or (rate > 0 and exact_recharge)
    )
    if has_time:
        time_mat = np.ceil(ttime * RES_SCALE - 1e-6).astype(np.int64)
        time_cb = routing.RegisterTransitMatrix(time_mat.tolist())
        routing.AddDimension(time_cb, horizon, horizon, False, "time")
        tdim = routing.GetDimensionOrDie("time")
        for idx in range(routing.Size()):
            node = manager.IndexToNode(idx)
            hi = _floor(float(due[node])) if math.isfinite(due[node]) else horizon
            lo = min(_ceil(float(inst.ready[nodes[node]])), hi)
            tdim.CumulVar(idx).SetRange(lo, hi)
            routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(idx))
        for v in range(n_veh):
            tdim.CumulVar(routing.End(v)).SetMax(
                _floor(float(due[0])) if math.isfinite(due[0]) else horizon
            )
            if math.isfinite(inst.max_duration):
                tdim.SetSpanUpperBoundForVehicle(_floor(inst.max_duration), v)
        if rate > 0 and exact_recharge and fuel is not None:
            # recharge time g × (energy used on arrival) = g × (tank − fuel slack of the
            # predecessor), charged as waiting at the predecessor when its next node refuels
            g_num = math.ceil(rate * G_DEN - 1e-9)
            refuel_idx = [
                idx
                for idx in range(routing.Size())
                if refuel[manager.IndexToNode(idx)] and not routing.IsStart(idx)
            ]
            for idx in range(routing.Size()):
                to_refuel = solver.IsMemberVar(routing.NextVar(idx), refuel_idx)
                need = (tank - fuel.SlackVar(idx)) * g_num
                solver.Add(tdim.SlackVar(idx) * G_DEN >= need * to_refuel)

    # --- load
    if math.isfinite(inst.load_capacity):
        dem = inst.demand[node_arr].astype(float)
        dem[1 + n_cust :] = 0.0
        lscale = 1 if np.allclose(dem, np.rint(dem)) else 1000
        load_cb = routing.RegisterUnaryTransitVector(
            np.rint(dem * lscale).astype(np.int64).tolist()
        )
        routing.AddDimension(
            load_cb, 0, math.floor(inst.load_capacity * lscale + 1e-6), True, "load"
        )

    # --- search parameters
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.log_search = log
    params.time_limit.FromMilliseconds(int(max(0.2, time_limit) * 1000))
    routing.CloseModelWithParameters(params)
    return _Model(manager, routing, params, nodes, refuel, n_cust, n_veh, k)


def _start(model: _Model, inst: VRPInstance, budget: float) -> tuple[object | None, int, bool]:
    """First solution plus repair: the start assignment, the number of customers still
    missing, and whether the repair ran out of idle vehicles (more copies will not help).

    OR-Tools inserts one node at a time, so a customer that needs a station on both sides is
    never inserted by the first-solution heuristic or the local search; every such customer
    gets its own depot → stations → customer → stations → depot route on an idle vehicle.
    """
    from ortools.constraint_solver import pywrapcp

    routing, manager = model.routing, model.manager
    first = pywrapcp.DefaultRoutingSearchParameters()
    first.CopyFrom(model.params)
    first.solution_limit = 1
    first.time_limit.FromMilliseconds(int(max(0.2, budget) * 1000))
    start = routing.SolveWithParameters(first)
    if start is None:
        return None, model.n_cust, False
    vroutes = [_model_route(routing, manager, start, v) for v in range(model.n_veh)]
    served = {m for r in vroutes for m in r}
    missing = [c for c in range(1, 1 + model.n_cust) if c not in served]
    no_vehicle = False
    if missing:
        start, no_vehicle = _repair(inst, model, start, vroutes, missing)
        served = {m for v in range(model.n_veh) for m in _model_route(routing, manager, start, v)}
    return start, sum(c not in served for c in range(1, 1 + model.n_cust)), no_vehicle


def solve_ortools(
    inst: VRPInstance,
    time_limit: float,
    seed: int = 0,
    *,
    copies: int | None = None,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    exact_recharge: bool = True,
    log: bool = False,
) -> PeerSolution | None:
    """Solve ``inst`` with OR-Tools routing + GLS within ``time_limit`` seconds (wall).

    ``copies`` fixes the copies per station (default :func:`station_copies`, doubled up to
    :data:`MAX_COPIES` while the start solution cannot serve every customer and at most 30 %
    of the time is spent). Returns ``None`` when OR-Tools finds no assignment at all;
    otherwise a :class:`PeerSolution` whose ``feasible`` is the checker's verdict (``False``
    also when customers were dropped).
    """
    del seed  # OR-Tools routing search has no seed parameter
    t0 = time.perf_counter()
    skip = set(inst.unservable)
    n_cust = sum(int(c) not in skip for c in inst.customers)
    k = copies if copies is not None else station_copies(n_cust, len(inst.stations))
    while True:
        model = _build(inst, k, first_solution, exact_recharge, log, time_limit)
        start, missing, no_vehicle = _start(model, inst, time_limit - (time.perf_counter() - t0))
        elapsed = time.perf_counter() - t0
        if (
            start is None
            or not missing
            or no_vehicle
            or copies is not None
            or not 0 < k < MAX_COPIES
            or elapsed > 0.3 * time_limit
        ):
            break
        k = min(MAX_COPIES, 2 * k)
    if start is None:
        return None
    routing = model.routing
    keeper = _DropFreeBest(model)
    if missing == 0:
        keeper.offer(start.ObjectiveValue(), _all_routes(model, start))
    if inst.objective == "vehicles-distance":
        routing.AddAtSolutionCallback(keeper.at_solution)
    remaining = max(0.2, time_limit - (time.perf_counter() - t0))
    model.params.time_limit.FromMilliseconds(int(remaining * 1000))
    assignment = routing.SolveFromAssignmentWithParameters(start, model.params) or start
    visits = _all_routes(model, assignment)
    served = {m for r in visits for m in r}
    if len(served & set(range(1, 1 + model.n_cust))) < model.n_cust and keeper.routes:
        visits = keeper.routes  # best solution that serves every customer

    routes: list[list[int]] = []
    served = set()
    split = inst.fleet_size is None
    for visit in visits:
        served.update(visit)
        routes += _map_route(inst, [0, *(model.nodes[m] for m in visit), 0], split)
    dropped = [model.nodes[c] for c in range(1, 1 + model.n_cust) if c not in served]
    sol = PeerSolution(
        routes=routes,
        distance=solution_distance(inst, routes),
        vehicles=len(routes),
        unservable=list(inst.unservable),
        seconds=time.perf_counter() - t0,
        dropped=dropped,
        station_copies=model.copies,
    )
    if check_solution is not None:
        rep = check_solution(inst, routes)
        sol.feasible = bool(rep.ok) and not dropped
        sol.violations = [getattr(x, "message", str(x)) for x in rep.violations]
    elif dropped:
        sol.feasible = False
    if dropped:
        sol.violations.insert(0, f"{len(dropped)} customer(s) dropped by OR-Tools")
    return sol


class _DropFreeBest:
    """Keeps the cheapest solution seen that serves every customer.

    With a fixed cost per vehicle the search may find a cheaper objective by dropping one
    customer and saving several vehicles (the drop penalty is kept moderate so that the
    search can pass through such states); the result must serve everyone, so the best
    complete solution is remembered from a solution callback.
    """

    def __init__(self, model: _Model) -> None:
        self.model = model
        self.cost: int | None = None
        self.routes: list[list[int]] | None = None
        r = model.routing
        self._cust = [model.manager.NodeToIndex(c) for c in range(1, 1 + model.n_cust)]
        self._starts = [r.Start(v) for v in range(model.n_veh)]

    def offer(self, cost: int, routes: list[list[int]]) -> None:
        if self.cost is None or cost < self.cost:
            self.cost, self.routes = cost, routes

    def at_solution(self) -> None:
        r = self.model.routing
        cost = r.CostVar().Value()
        if self.cost is not None and cost >= self.cost:
            return
        if any(r.NextVar(i).Value() == i for i in self._cust):
            return
        routes = []
        for s in self._starts:
            out, i = [], r.NextVar(s).Value()
            while not r.IsEnd(i):
                out.append(self.model.manager.IndexToNode(i))
                i = r.NextVar(i).Value()
            routes.append(out)
        self.cost, self.routes = cost, routes


def _all_routes(model: _Model, assignment) -> list[list[int]]:
    """Model nodes of every vehicle's route (starts and ends excluded)."""
    return [_model_route(model.routing, model.manager, assignment, v) for v in range(model.n_veh)]


def _model_route(routing, manager, assignment, v: int) -> list[int]:
    """Model nodes visited by vehicle ``v`` (start and end excluded)."""
    out = []
    idx = assignment.Value(routing.NextVar(routing.Start(v)))
    while not routing.IsEnd(idx):
        out.append(manager.IndexToNode(idx))
        idx = assignment.Value(routing.NextVar(idx))
    return out


def _station_paths(
    inst: VRPInstance, reverse: bool
) -> tuple[dict[int, float], dict[int, list[int]]]:
    """Shortest refuel-node paths from the depot (or, ``reverse``, back to it) within range.

    Nodes are the depot and the stations; a hop may use at most a full tank (the initial
    energy on the first hop from the depot). Paths exclude the depot itself.
    """
    pts = [0, *(int(s) for s in inst.stations)]
    en = inst.energy
    best = {0: 0.0}
    path: dict[int, list[int]] = {0: []}
    done: set[int] = set()
    while True:
        cand = [(d, u) for u, d in best.items() if u not in done]
        if not cand:
            break
        d, u = min(cand)
        done.add(u)
        for w in pts:
            if w in done or w == 0:
                continue
            a, b = (w, u) if reverse else (u, w)
            cap = inst.initial_energy if (u == 0 and not reverse) else inst.tank
            if en[a, b] > cap + 1e-9:
                continue
            nd = d + float(inst.dist[a, b])
            if nd < best.get(w, math.inf):
                best[w] = nd
                path[w] = [w, *path[u]] if reverse else [*path[u], w]
    return best, path


def _single_routes(inst: VRPInstance, c: int) -> list[list[int]]:
    """Depot → stations → ``c`` → stations → depot routes within range, shortest first."""
    to_d, to_p = _station_paths(inst, reverse=False)
    back_d, back_p = _station_paths(inst, reverse=True)
    en = inst.energy
    out: list[tuple[float, list[int]]] = []
    for a, da in to_d.items():
        full = inst.initial_energy if a == 0 else inst.tank
        level = full - en[a, c]
        if level < -1e-9:
            continue
        for b, db in back_d.items():
            if en[c, b] > level + 1e-9:
                continue
            d = da + float(inst.dist[a, c] + inst.dist[c, b]) + db
            out.append((d, [0, *to_p[a], c, *back_p[b], 0]))
    out.sort(key=lambda t: t[0])
    return [r for _, r in out]


def _repair(inst: VRPInstance, model: _Model, start, vroutes: list[list[int]], missing: list[int]):
    """Give each customer missing from ``start`` its own route on an idle vehicle.

    Vehicles whose route visits no customer (the insertion heuristic leaves some with lone
    station copies) count as idle. Returns the new start and whether idle vehicles ran out.
    """
    routing, manager, nodes, refuel = model.routing, model.manager, model.nodes, model.refuel
    for v, r in enumerate(vroutes):
        if not any(1 <= m <= model.n_cust for m in r):
            vroutes[v] = []
    used = {m for r in vroutes for m in r}
    free: dict[int, list[int]] = {}
    for m, f in enumerate(refuel):
        if f and m not in used:
            free.setdefault(nodes[m], []).append(m)
    idle = [v for v, r in enumerate(vroutes) if not r]
    original = [list(r) for r in vroutes]
    changed = no_vehicle = False
    for c in missing:
        if not idle:
            no_vehicle = True
            break
        for cand in _single_routes(inst, nodes[c])[:20]:
            if check_solution is not None:
                rep = check_solution(inst, [cand])
                if any(v.route == 0 for v in rep.violations):
                    continue
            need: dict[int, int] = {}
            for x in cand[1:-1]:
                if x != nodes[c]:
                    need[x] = need.get(x, 0) + 1
            if any(len(free.get(x, [])) < k for x, k in need.items()):
                continue
            take = {x: free[x][:k] for x, k in need.items()}
            it = {x: iter(v) for x, v in take.items()}
            model = [c if x == nodes[c] else next(it[x]) for x in cand[1:-1]]
            v = idle[0]
            trial = [list(r) for r in vroutes]
            trial[v] = model
            got = routing.ReadAssignmentFromRoutes(
                [[manager.NodeToIndex(m) for m in r] for r in trial], True
            )
            if got is None:
                continue
            vroutes[:] = trial
            changed = True
            idle.pop(0)
            for x, k in need.items():
                free[x] = free[x][k:]
            break
    if not changed:
        return start, no_vehicle
    # the model owns one restore buffer: re-read the final routes (or the original ones)
    for routes in (vroutes, original):
        got = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(m) for m in r] for r in routes], True
        )
        if got is not None:
            return got, no_vehicle
    return start, no_vehicle
