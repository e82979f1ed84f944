"""OR-Tools peer for full-truckload (FTL) dispatch: pickup-and-delivery with a fuel dimension.

The model a capable OR-Tools (routing library, Python) user would write for
:class:`h2lane.routing.vrp.ftl.FTLInstance`, with the refuelling approach of :mod:`ortools_peer`
(G-VRP: a fuel dimension reset at refuel nodes, optional station copies):

* **Nodes.** One node per depot location (vehicle starts and ends; vehicles share them), a
  *pickup* node (the order's origin) and a *delivery* node (its destination) per order, and
  ``COPIES`` copies of every station open around the clock, optional (zero-penalty
  disjunctions), for the empty runs. A station with opening hours is left out: a window per day
  of a multi-day horizon is not one cumul window.
* **Orders.** ``AddPickupAndDelivery`` (same vehicle, both or neither), equal vehicle variables
  and pickup time ≤ delivery time on the time dimension, the pickup's next node its delivery
  (the loaded run is one arc, see *Fuel*); a *load* dimension (pickup +1, delivery −1, capacity
  1, 0 at the copies) keeps one order on board. An order a vehicle type cannot carry (tonnes,
  range) is removed from its vehicles. Pickup and delivery sit in single-node disjunctions with a
  penalty of twice the horizon each, above any truck-hours an order can add, so serving
  dominates.
* **Fuel** (per vehicle type): cumul = hydrogen used since the last fill (kg ×10⁴, rounded up),
  capacity = tank − reserve; the transit into a refuel node is lowered by the capacity and its
  cumul fixed at 0 (it leaves full), so the predecessor's slack is the hydrogen left above the
  reserve. Refuel nodes are the copies, the pickups and the deliveries: the truck fills at the
  station nearest the origin before loading and at the one nearest the destination after
  unloading (detour and a full fill charged as service). Free copies on the loaded run cannot
  work: OR-Tools inserts a pickup and its delivery as one pair, so a pair whose loaded run needs
  a stop between them is never inserted (tried: no order of the 50-order instance served). The
  loaded run's stops are therefore precomputed per order and vehicle type from a full tank at
  the origin's station (shortest station path with every hop in range; :func:`_station_path`),
  its time is the arc's transit and the last hop its fuel. Empty runs burn the empty
  consumption and may stop at a copy; vehicles leave full.
* **Time** (hours ×10⁴, rounded up): transit = service at the tail (loading or unloading plus
  the fill, a fill at a copy) + driving × ``rest_factor``; slack = waiting. Windows: pickup in
  [ready, latest pick-up], delivery ≤ due, vehicle start ≥ its availability, ends ≤ the horizon.
  **Rests** (4 h / 20 min breaks, 8 h / 10 h daily rest) depend on accumulated driving, which
  a cumul window cannot express (break intervals on a multi-day horizon with hundreds of
  vehicles are impractical): the model relaxes them by charging them pro rata on driving —
  ``rest_factor = 1 + (daily_rest + breaks per driving day × break) / max_daily_drive`` (2.29
  with the defaults) unless given.
* **Objective.** Truck-hours: the span cost of the time dimension (end − start, waits
  included, as h2lane counts them), plus the time transits as arc cost so that the insertion
  heuristics see a time-based arc cost.
* **Search.** ``PARALLEL_CHEAPEST_INSERTION`` first solution (with OR-Tools' neighbour
  restriction above :data:`NEIGHBORS_ALL` nodes), then ``GUIDED_LOCAL_SEARCH`` until the time
  limit (model building excluded, reported apart). OR-Tools routing has no random seed.

**Replay.** OR-Tools' stops and times are those of its relaxed model, so its answer is taken
as an order sequence per truck and replayed by h2lane's evaluator
(:meth:`h2lane.routing.vrp.ftl.Evaluator.plan`: station stops placed per leg, exact rests,
waits, windows), then by the independent checker (:func:`h2lane.routing.vrp.ftlcheck.check_ftl`).
An order of a sequence that does not fit once the rests are exact is dropped (greedily, in
sequence order: an order is kept when the sequence so far with it still replays), so the
figures reported are those of checked plans on the same evaluation as h2lane's search.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from h2lane.routing.vrp.ftl import Evaluator, FTLInstance, RoutePlan
from h2lane.routing.vrp.ftlcheck import check_ftl

SCALE = 10_000
"""Hours and kg ×10⁴ in the model, rounded up (conservative)."""
COPIES = 2
"""Copies of each station for the empty runs."""

NEIGHBORS_ALL = 500
MIN_NEIGHBORS = 50
STATUS = {
    0: "not solved",
    1: "success",
    2: "time limit before a local optimum",
    3: "fail",
    4: "fail: time limit",
    5: "invalid",
    6: "infeasible",
    7: "optimal",
}
DEPOT, PICKUP, DELIVERY, COPY = 0, 1, 2, 3


@dataclass(slots=True)
class FTLPeerResult:
    """OR-Tools' answer replayed by h2lane's evaluator and checked."""

    plans: list[RoutePlan]
    served: list[int]
    model_served: int
    """Orders OR-Tools' own (rest-relaxed) solution serves."""
    dropped_in_replay: list[int]
    truck_hours: float
    km: float
    empty_km: float
    h2_cost: float
    check_ok: bool
    violations: list[str]
    build_s: float
    search_s: float
    first_solution_s: float | None
    """Seconds from the start of the solve to OR-Tools' first solution (None: none found)."""
    nodes: int
    copies: int
    rest_factor: float
    status: str
    solutions: int = 0
    history: list[tuple[float, int]] = field(default_factory=list)


def auto_neighbors_ratio(nodes: int) -> float:
    """Share of the nearest nodes the insertion heuristic and the operators consider: all up
    to ``NEIGHBORS_ALL`` nodes, then ``NEIGHBORS_ALL / nodes`` (OR-Tools' own knob for large
    models; with all neighbours the first solution of 4,000 nodes took longer than 120 s)."""
    return 1.0 if nodes <= NEIGHBORS_ALL else NEIGHBORS_ALL / nodes


def _ceil(x: float) -> int:
    return math.ceil(x * SCALE - 1e-6)


def _floor(x: float) -> int:
    return math.floor(x * SCALE + 1e-6)


def default_rest_factor(inst: FTLInstance) -> float:
    """Wall hours per driving hour when the rest rules are charged pro rata (1 without rules)."""
    r = inst.rest
    if not r.enabled:
        return 1.0
    breaks = max(math.ceil(r.max_daily_drive_h / r.max_drive_h - 1e-9) - 1, 0)
    return 1.0 + (r.daily_rest_h + breaks * r.break_h) / r.max_daily_drive_h


def _station_path(
    inst: FTLInstance, stations: list[int], s0: int, b: int, reach_km: float
) -> tuple[float, int, float] | None:
    """Shortest drive from station ``s0`` (full) to location ``b`` through stations, every hop
    within ``reach_km``: (km, stops after ``s0``, km of the last hop), or None."""
    L = inst.n_locations
    km = inst.km
    best = {s0: (0.0, 0)}
    done: set[int] = set()
    out: tuple[float, int, float] | None = None
    while True:
        cand = [(d, n, u) for u, (d, n) in best.items() if u not in done]
        if not cand:
            break
        d, n, u = min(cand)
        done.add(u)
        last = float(km[L + u, b])
        if last <= reach_km + 1e-9 and (out is None or d + last < out[0] - 1e-9):
            out = (d + last, n, last)
        for w in stations:
            hop = float(km[L + u, L + w])
            if w in done or hop > reach_km + 1e-9:
                continue
            if d + hop < best.get(w, (math.inf, 0))[0] - 1e-12:
                best[w] = (d + hop, n + 1)
    return out


@dataclass(slots=True)
class _Model:
    manager: Any
    routing: Any
    params: Any
    kind: np.ndarray
    order_of: np.ndarray
    n_veh: int
    copies: int


def build_model(
    inst: FTLInstance,
    time_limit: float,
    rest_factor: float,
    copies: int = COPIES,
    log: bool = False,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    neighbors_ratio: float | None = None,
    span_cost: bool = True,
) -> _Model:
    """The OR-Tools routing model of ``inst`` (closed, ready to solve)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    L = inst.n_locations
    km_all = inst.km
    depots = sorted({t.depot for t in inst.trucks})
    stations = [i for i, s in enumerate(inst.stations) if s.always_open]
    if not stations:
        raise ValueError("the OR-Tools FTL model needs a station open around the clock")
    cols = np.array([L + s for s in stations])
    near = {
        x: stations[int(np.argmin(km_all[x, cols]))]
        for x in {*depots, *(o.origin for o in inst.orders), *(o.destination for o in inst.orders)}
    }
    loc: list[int] = list(depots)
    kind: list[int] = [DEPOT] * len(depots)
    order_of: list[int] = [-1] * len(depots)
    for k, o in enumerate(inst.orders):
        loc += [o.origin, o.destination]
        kind += [PICKUP, DELIVERY]
        order_of += [k, k]
    first_copy = len(loc)
    for s in stations:
        for _ in range(copies):
            loc.append(L + s)
            kind.append(COPY)
            order_of.append(-1)
    n = len(loc)
    loc_a = np.asarray(loc)
    kind_a = np.asarray(kind)
    is_copy = kind_a == COPY
    refuels = is_copy | (kind_a == PICKUP) | (kind_a == DELIVERY)
    dep_node = {d: i for i, d in enumerate(depots)}
    starts = [dep_node[t.depot] for t in inst.trucks]
    n_veh = len(inst.trucks)
    manager = pywrapcp.RoutingIndexManager(n, n_veh, starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    km = km_all[np.ix_(loc_a, loc_a)]
    used_types = sorted({t.type for t in inst.trucks})
    speed_min = min(inst.types[t].speed_kmh for t in used_types)
    reach_h = float(km_all.max(initial=0.0)) / speed_min * rest_factor
    readies = [o.ready_h for o in inst.orders if math.isfinite(o.ready_h)]
    dues = [o.due_h for o in inst.orders if math.isfinite(o.due_h)]
    offset = max(0.0, reach_h - min([*readies, 0.0])) + 1.0  # model time = hours + offset
    end_real = (
        inst.horizon_h
        if math.isfinite(inst.horizon_h)
        else max([*dues, *readies, 0.0]) + 2 * reach_h + 24.0
    )
    horizon = _ceil(end_real + offset)

    time_cb: dict[int, int] = {}
    fuel_cb: dict[int, int] = {}
    forbidden: dict[int, list[int]] = {}
    for ty in used_types:
        tt = inst.types[ty]
        usable_kg = tt.tank_kg - inst.reserve_kg
        usable = _floor(usable_kg)
        reach_l = usable_kg / tt.kg_per_km_loaded if tt.kg_per_km_loaded > 0 else math.inf

        def fill_h(s: int, tt: Any = tt) -> float:
            st = inst.stations[s]
            return st.connect_h + (tt.tank_kg - inst.reserve_kg) * st.h_per_kg

        def stop_h(x: int, tt: Any = tt) -> float:
            """Detour to the station nearest location ``x`` and a full fill there."""
            s = near[x]
            return 2 * float(km_all[x, L + s]) / tt.speed_kmh * rest_factor + fill_h(s)

        drive = km / tt.speed_kmh * rest_factor
        svc = np.zeros(n)
        for m in range(n):
            if kind_a[m] == PICKUP:
                svc[m] = inst.orders[order_of[m]].load_h + stop_h(loc[m])
            elif kind_a[m] == DELIVERY:
                svc[m] = inst.orders[order_of[m]].unload_h + stop_h(loc[m])
            elif kind_a[m] == COPY:
                svc[m] = fill_h(loc[m] - L)
        hours = svc[:, None] + drive
        fuel = np.ceil(km * tt.kg_per_km_empty * SCALE - 1e-6).astype(np.int64)
        bad = []
        for k, o in enumerate(inst.orders):
            p = len(depots) + 2 * k
            d = p + 1
            path = _station_path(inst, stations, near[o.origin], o.destination, reach_l)
            if path is None or o.tonnes > tt.payload_t + 1e-9:
                bad.append(k)
                fuel[p, d] = 2 * usable + 1  # out of range: the pair cannot be served
                continue
            path_km, stops, last_km = path
            hours[p, d] = (
                svc[p] + path_km / tt.speed_kmh * rest_factor + stops * fill_h(near[o.origin])
            )
            fuel[p, d] = math.ceil(last_km * tt.kg_per_km_loaded * SCALE - 1e-6)
        forbidden[ty] = bad
        tmat = np.ceil(hours * SCALE - 1e-6).astype(np.int64)
        np.fill_diagonal(tmat, 0)
        time_cb[ty] = routing.RegisterTransitMatrix(tmat.tolist())
        del tmat, hours, drive
        fuel -= np.where(refuels, usable, 0)[None, :]
        fuel_cb[ty] = routing.RegisterTransitMatrix(fuel.tolist())
        del fuel
    veh_time = [time_cb[t.type] for t in inst.trucks]
    veh_fuel = [fuel_cb[t.type] for t in inst.trucks]
    for v, cb in enumerate(veh_time):
        routing.SetArcCostEvaluatorOfVehicle(cb, v)

    # --- time: span cost = truck-hours
    routing.AddDimensionWithVehicleTransits(veh_time, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for v in range(n_veh):
        if span_cost:
            tdim.SetSpanCostCoefficientForVehicle(1, v)
        tr = inst.trucks[v]
        lo = _ceil(tr.available_h + offset) if math.isfinite(tr.available_h) else 0
        tdim.CumulVar(routing.Start(v)).SetMin(max(0, lo))
    # --- fuel: used since the last fill
    usable_v = [_floor(inst.types[t.type].tank_kg - inst.reserve_kg) for t in inst.trucks]
    routing.AddDimensionWithVehicleTransitAndCapacity(
        veh_fuel, max(usable_v), usable_v, False, "fuel"
    )
    fdim = routing.GetDimensionOrDie("fuel")
    for v in range(n_veh):
        fdim.CumulVar(routing.Start(v)).SetValue(0)
    for m in np.flatnonzero(refuels):
        fdim.CumulVar(manager.NodeToIndex(int(m))).SetValue(0)  # leaves full
    # --- load: one full truckload on board at a time
    demand = np.where(kind_a == PICKUP, 1, np.where(kind_a == DELIVERY, -1, 0)).astype(int)
    load_cb = routing.RegisterUnaryTransitVector(demand.tolist())
    routing.AddDimension(load_cb, 0, 1, True, "load")
    ldim = routing.GetDimensionOrDie("load")

    penalty = 2 * horizon
    for k, o in enumerate(inst.orders):
        p = manager.NodeToIndex(len(depots) + 2 * k)
        d = manager.NodeToIndex(len(depots) + 2 * k + 1)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(tdim.CumulVar(p) <= tdim.CumulVar(d))
        routing.NextVar(p).SetValues([d, p])  # the loaded run is one arc (or inactive)
        routing.AddDisjunction([p], penalty)
        routing.AddDisjunction([d], penalty)
        lo = _ceil(o.ready_h + offset) if math.isfinite(o.ready_h) else 0
        hi = _floor(o.pickup_due_h + offset) if math.isfinite(o.pickup_due_h) else horizon
        tdim.CumulVar(p).SetRange(max(0, lo), max(0, min(hi, horizon)))
        hi_d = _floor(o.due_h + offset) if math.isfinite(o.due_h) else horizon
        tdim.CumulVar(d).SetMax(max(0, min(hi_d, horizon)))
        no = [v for v, t in enumerate(inst.trucks) if k in forbidden[t.type]]
        if no:
            routing.VehicleVar(p).RemoveValues(no)
    copy_idx = [manager.NodeToIndex(m) for m in range(first_copy, n)]
    for i in copy_idx:
        routing.AddDisjunction([i], 0)
        ldim.CumulVar(i).SetValue(0)  # copies serve empty runs only
        routing.NextVar(i).RemoveValues([j for j in copy_idx if j != i])
    for idx in range(routing.Size()):
        if not routing.IsStart(idx):
            routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(idx))
    for v in range(n_veh):
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    ratio = neighbors_ratio if neighbors_ratio is not None else auto_neighbors_ratio(n)
    if ratio < 1.0:
        gci = params.global_cheapest_insertion_first_solution_parameters
        gci.neighbors_ratio = ratio
        gci.min_neighbors = MIN_NEIGHBORS
        params.ls_operator_neighbors_ratio = ratio
        params.ls_operator_min_neighbors = MIN_NEIGHBORS
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.log_search = log
    params.time_limit.FromMilliseconds(int(max(0.2, time_limit) * 1000))
    routing.CloseModelWithParameters(params)
    return _Model(manager, routing, params, kind_a, np.asarray(order_of), n_veh, n - first_copy)


def _sequences(model: _Model, assignment: Any) -> list[list[int]]:
    """Each vehicle's orders in pickup sequence."""
    routing, manager = model.routing, model.manager
    out = []
    for v in range(model.n_veh):
        seq = []
        idx = assignment.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if model.kind[node] == PICKUP:
                seq.append(int(model.order_of[node]))
            idx = assignment.Value(routing.NextVar(idx))
        out.append(seq)
    return out


def replay(
    inst: FTLInstance, sequences: list[list[int]], ev: Evaluator | None = None
) -> tuple[list[RoutePlan], list[int]]:
    """h2lane plans of per-truck order sequences; orders that do not fit are dropped (greedy,
    in sequence order). Returns the plans and the dropped orders."""
    ev = ev or Evaluator(inst)
    plans, dropped = [], []
    for ti, seq in enumerate(sequences):
        if not seq:
            continue
        plan = ev.plan(ti, seq)
        if plan is None:
            kept: list[int] = []
            for k in seq:
                if ev.states(ti, [*kept, k]) is not None:
                    kept.append(k)
                else:
                    dropped.append(k)
            plan = ev.plan(ti, kept) if kept else None
        if plan is not None:
            plans.append(plan)
    return plans, dropped


def solve_ftl_ortools(
    inst: FTLInstance,
    time_limit: float,
    *,
    rest_factor: float | None = None,
    log: bool = False,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    neighbors_ratio: float | None = None,
    span_cost: bool = True,
) -> FTLPeerResult:
    """Build the model, solve for ``time_limit`` seconds, replay and check (module docstring)."""
    factor = default_rest_factor(inst) if rest_factor is None else float(rest_factor)
    t0 = time.perf_counter()
    model = build_model(
        inst,
        time_limit,
        factor,
        log=log,
        first_solution=first_solution,
        neighbors_ratio=neighbors_ratio,
        span_cost=span_cost,
    )
    build_s = time.perf_counter() - t0
    routing = model.routing
    hist: list[tuple[float, int]] = []
    t1 = time.perf_counter()

    def at_solution() -> None:
        hist.append((time.perf_counter() - t1, int(routing.CostVar().Value())))

    routing.AddAtSolutionCallback(at_solution)
    assignment = routing.SolveWithParameters(model.params)
    search_s = time.perf_counter() - t1
    status = STATUS.get(int(routing.status()), str(routing.status()))
    first = hist[0][0] if hist else None
    if assignment is None:
        return FTLPeerResult(
            [], [], 0, [], 0.0, 0.0, 0.0, 0.0, True, [], build_s, search_s, first,
            len(model.kind), model.copies, factor, status, len(hist), hist,
        )  # fmt: skip
    seqs = _sequences(model, assignment)
    model_served = sum(len(s) for s in seqs)
    plans, dropped = replay(inst, seqs)
    rep = check_ftl(inst, plans)
    served = sorted(k for p in plans for k in p.orders)
    km = sum(p.km for p in plans)
    loaded = sum(float(inst.km[inst.orders[k].origin, inst.orders[k].destination]) for k in served)
    return FTLPeerResult(
        plans=plans,
        served=served,
        model_served=model_served,
        dropped_in_replay=dropped,
        truck_hours=sum(p.hours for p in plans),
        km=km,
        empty_km=km - loaded,
        h2_cost=sum(p.h2_cost for p in plans),
        check_ok=rep.ok,
        violations=rep.violations[:3],
        build_s=build_s,
        search_s=search_s,
        first_solution_s=first,
        nodes=len(model.kind),
        copies=model.copies,
        rest_factor=factor,
        status=status,
        solutions=len(hist),
        history=hist,
    )
