"""Solution-level timeline with queues at refuelling stations that have few dispensers.

The route planner builds routes one at a time, as if every station were free. This module
replays all routes of a solution together, in global time order, and lets vehicles queue
first-come first-served where a station's dispensers are all busy. It reports the queue
waits (in the form :class:`~h2lane.routing.vrp.model.VRPSolution` stores them), each route's
end time and duration, and the lateness the waits cause, so a search can reject or penalise
plans whose time windows or shift limits break because of queueing.

Timeline rules (shared with the feasibility checker, see its module): route ``r`` of type
``T = inst.fleet[route_types[r]]`` leaves its depot at ``departures[r]`` (default
``inst.ready[T.depot]``) with ``T.initial_energy``. An arc ``a -> b`` takes
``dist[a, b] / T.speed`` and uses ``T.consumption * dist[a, b]``. At an intermediate node
service begins at ``max(arrival, ready)`` and lasts ``service``; a charging stop (a station,
or a depot when ``inst.depot_refuels``) then queues ``w`` for a dispenser and refuels for
``refuel_fixed + refuel_rate * amount`` (full tank, a given amount, or just enough to reach
the next charging stop or the route's end). The refuel occupies one dispenser on the
half-open interval ``[start, end)``.

Queueing rule: a vehicle that becomes ready to refuel (after arrival, window and service) at a
node with ``k > 0`` dispensers (``inst.station_capacity[node]``) while all ``k`` are busy
waits until the earliest one is free. Vehicles are served in order of the time they become
ready; ties go to the lower route index, then the lower position. Refuels of zero length
occupy no dispenser and never queue. Capacity ``0`` or ``station_capacity is None`` means
unlimited. Nothing is clamped: arrivals after a due time are measured as lateness.

The simulation is event driven: each route advances on its own until it is ready at a
capacitated charging stop, where it waits in a heap keyed by (ready time, route, position);
the cost is ``O(L + S log S)`` for ``L`` route positions and ``S`` capacitated stops.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from h2lane.routing.vrp.model import CUSTOMER, DEPOT, STATION, VehicleType, VRPInstance

__all__ = ["EPS", "Schedule", "refuel_plan", "schedule"]

EPS = 1e-6
"""Tolerance of the time-window and duration rules (as in the checker)."""

_KIND_WORD = {DEPOT: "depot", CUSTOMER: "customer", STATION: "station"}


@dataclass(slots=True)
class Schedule:
    """Joint timeline of a solution's routes with station queues.

    Attributes
    ----------
    departures
        Departure time of each route (the given ones, else ``inst.ready`` of its depot).
    waits
        Queue wait at ``(route, position)`` of a charging stop; only waits ``> 0`` appear.
        Pass it on as :attr:`VRPSolution.waits`.
    end
        Return time of each route at its final depot.
    duration
        ``end - departure`` of each route (queue waits included).
    lateness
        Per route: the sum over its arrivals (positions ``1..last``) of
        ``arrival - due`` where that exceeds :data:`EPS`, plus
        ``duration - max_duration`` of its vehicle type where that exceeds :data:`EPS`.
    total_wait
        Sum of :attr:`waits`.
    late
        One sentence per late arrival or over-long route (route by route, in route order),
        naming the queue waits of that route that happened before it.
    """

    departures: list[float]
    waits: dict[tuple[int, int], float]
    end: list[float]
    duration: list[float]
    lateness: list[float]
    total_wait: float
    late: list[str]

    @property
    def feasible(self) -> bool:
        """No route is late anywhere and none exceeds its duration limit."""
        return all(x <= EPS for x in self.lateness)


def _num(x: float) -> str:
    return repr(round(float(x), 6))


class _Route:
    """Replay state of one route."""

    __slots__ = (
        "amount",
        "arcs",
        "b",
        "cap",
        "due",
        "kinds",
        "late",
        "lateness",
        "nodes",
        "p",
        "queued",
        "r",
        "ready",
        "rest_at",
        "service",
        "speed",
        "stop_start",
        "t",
        "vtype",
    )

    def __init__(self, r: int, nodes: list[int], vtype: VehicleType, t0: float) -> None:
        self.r = r
        self.nodes = nodes
        self.vtype = vtype
        self.speed = float(vtype.speed)
        self.t = t0
        self.p = 1
        self.lateness = 0.0
        self.late: list[str] = []
        self.queued: list[tuple[int, float]] = []  # (node, wait) in route order
        self.arcs: list[float] = []
        self.ready: list[float] = []
        self.due: list[float] = []
        self.service: list[float] = []
        self.kinds: list[int] = []
        self.cap: list[int] = []
        self.amount: list[float | None] = []  # energy added at each charging stop, else None
        self.b = 0.0  # driving since the last break (rest rules)
        self.rest_at: set[int] = set()  # positions where the break is taken at the stop
        self.stop_start = 0.0


def schedule(
    inst: VRPInstance,
    routes: Sequence[Sequence[int]],
    route_types: Sequence[int] | None = None,
    refuel_amounts: Mapping[tuple[int, int], float] | None = None,
    departures: Sequence[float] | None = None,
    *,
    rest_stops: Iterable[tuple[int, int]] = (),
) -> Schedule:
    """Replay all routes together with first-come first-served queues at stations.

    Parameters
    ----------
    inst
        The instance; ``inst.station_capacity`` gives the dispensers per node.
    routes
        Node-index lists ``[d, v1, ..., vk, d]`` with stations included.
    route_types
        Index in ``inst.fleet`` of each route's vehicle type; default all ``0``.
    refuel_amounts
        Partial refuelling only (``inst.full_refuel`` false): energy added at
        ``(route, position)``; clipped to what fits in the tank. Elsewhere just enough.
    departures
        Departure time of each route; default ``inst.ready`` of its type's depot.
    rest_stops
        With ``inst.rest`` enabled: (route, position) of the charging stops extended to the
        driver's break (see :func:`h2lane.routing.vrp.checker.check_solution`, which follows
        the same rule). Other breaks are taken on the road when the driving limit is reached.

    Returns
    -------
    Schedule
        Waits, end times, durations and lateness of every route.

    Raises
    ------
    ValueError
        When a route has fewer than two nodes or ``route_types`` / ``departures`` do not
        match the number of routes.
    """
    n_routes = len(routes)
    fleet = inst.fleet
    types = [0] * n_routes if route_types is None else [int(k) for k in route_types]
    if len(types) != n_routes:
        raise ValueError(f"{len(types)} route types given for {n_routes} routes.")
    if departures is not None and len(departures) != n_routes:
        raise ValueError(f"{len(departures)} departures given for {n_routes} routes.")
    given: dict[int, dict[int, float]] = {}
    for (r, p), a in (refuel_amounts or {}).items():
        given.setdefault(r, {})[p] = a
    kinds_all = np.asarray(inst.kinds)
    cap_all = inst.station_capacity
    fixed = float(inst.refuel_fixed)
    rate = float(inst.refuel_rate)
    labels = inst.labels
    rest = inst.rest
    hours = inst.hours if rest.enabled else 1.0
    max_drive = rest.max_drive_h * hours if rest.enabled else math.inf
    brk = rest.break_h * hours if rest.enabled else 0.0
    rest_by_route: dict[int, set[int]] = {}
    for r, p in rest_stops:
        rest_by_route.setdefault(int(r), set()).add(int(p))

    def drive(st: _Route, tau: float) -> float:
        """Driving ``tau`` with breaks on the road when due: the break time added."""
        if not rest.enabled:
            return 0.0
        total = st.b + tau
        k = 0
        while total > max_drive + EPS:
            total -= max_drive
            k += 1
        st.b = total
        return k * brk

    def leave_stop(st: _Route, p: int, end: float) -> float:
        """End of the stop at position ``p`` after the break rule; resets the counter."""
        if not rest.enabled:
            return end
        if p in st.rest_at:
            end = max(end, st.stop_start + brk)
        if end - st.stop_start >= brk - EPS:
            st.b = 0.0
        return end

    def name(b: int) -> str:
        return f"{_KIND_WORD.get(int(kinds_all[b]), 'node')} {labels[b]} (node {b})"

    def because(st: _Route) -> str:
        if not st.queued:
            return ""
        parts = [f"{_num(w)} at {name(b)}" for b, w in st.queued]
        if len(parts) > 1:
            parts = [", ".join(parts[:-1]) + " and " + parts[-1]]
        return " because it queued " + parts[0]

    def refuel_end(start: float, amount: float) -> float:
        # the contract's expression; a zero rate skips ``0 * inf`` on tanks without a limit
        return start + fixed + rate * amount if rate != 0.0 else start + fixed

    states: list[_Route] = []
    deps: list[float] = []
    for r, route in enumerate(routes):
        nodes = [int(v) for v in route]
        if len(nodes) < 2:
            raise ValueError(
                f"Route {r} has {len(nodes)} node(s); it needs its depot at both ends."
            )
        vtype = fleet[types[r]]
        t0 = float(inst.ready[vtype.depot]) if departures is None else float(departures[r])
        deps.append(t0)
        st = _Route(r, nodes, vtype, t0)
        idx = np.asarray(nodes, dtype=np.int64)
        st.arcs = inst.dist[idx[:-1], idx[1:]].astype(np.float64).tolist()
        st.ready = np.asarray(inst.ready, dtype=np.float64)[idx].tolist()
        st.due = np.asarray(inst.due, dtype=np.float64)[idx].tolist()
        st.service = np.asarray(inst.service, dtype=np.float64)[idx].tolist()
        st.kinds = kinds_all[idx].astype(np.int64).tolist()
        st.cap = (
            [0] * len(nodes)
            if cap_all is None
            else np.asarray(cap_all)[idx].astype(np.int64).tolist()
        )
        st.amount = [None] * len(nodes)
        st.rest_at = rest_by_route.get(r, set())
        for p, a in refuel_plan(inst, nodes, vtype, given.get(r)).items():
            st.amount[p] = a
        states.append(st)

    waits: dict[tuple[int, int], float] = {}
    ends = [math.nan] * n_routes
    events: list[tuple[float, int, int]] = []

    def advance(st: _Route) -> None:
        """Move ``st`` on until it is ready at a capacitated stop (queued) or home."""
        nodes, last = st.nodes, len(st.nodes) - 1
        t, p, speed = st.t, st.p, st.speed
        while True:
            b = nodes[p]
            tau = st.arcs[p - 1] / speed
            t += tau + drive(st, tau)
            over = t - st.due[p]
            if over > EPS:
                st.lateness += over
                verb = "returns to" if p == last else "reaches"
                st.late.append(
                    f"route {st.r} {verb} {name(b)} at {_num(t)} after its due time "
                    f"{_num(st.due[p])}{because(st)}."
                )
            if p == last:
                break
            st.stop_start = max(t, st.ready[p])
            t = st.stop_start + st.service[p]
            amount = st.amount[p]
            if amount is not None:
                if st.cap[p] > 0 and refuel_end(0.0, amount) > 0.0:
                    st.t, st.p = t, p
                    heapq.heappush(events, (t, st.r, p))
                    return
                t = leave_stop(st, p, refuel_end(t, amount))  # no queue: w = 0
            p += 1
        st.t, st.p = t, last
        ends[st.r] = t

    for st in states:
        advance(st)

    busy: dict[int, list[float]] = {}  # node -> end times of the refuels holding its dispensers
    while events:
        t, r, p = heapq.heappop(events)
        st = states[r]
        b = st.nodes[p]
        held = busy.setdefault(b, [])
        full = len(held) >= st.cap[p]
        w = 0.0
        if full and held[0] > t:
            free = held[0]
            w = free - t
            while t + w < free:  # the checker adds t + w: make sure that is not before free
                w = math.nextafter(w, math.inf)
        end = refuel_end(t + w, st.amount[p])  # type: ignore[arg-type]
        if full:
            heapq.heapreplace(held, end)
        else:
            heapq.heappush(held, end)
        if w > 0.0:
            waits[(r, p)] = w
            st.queued.append((b, w))
        st.t, st.p = leave_stop(st, p, end), p + 1
        advance(st)

    durations: list[float] = []
    lateness: list[float] = []
    for st in states:
        dur = ends[st.r] - deps[st.r]
        durations.append(dur)
        limit = float(st.vtype.max_duration)
        if dur - limit > EPS:
            st.lateness += dur - limit
            st.late.append(
                f"route {st.r} lasts {_num(dur)}, longer than the limit {_num(limit)} of its "
                f"vehicle type {st.vtype.name}{because(st)}."
            )
        lateness.append(st.lateness)

    return Schedule(
        departures=deps,
        waits=waits,
        end=ends,
        duration=durations,
        lateness=lateness,
        total_wait=float(sum(waits.values())),
        late=[m for st in states for m in st.late],
    )


def refuel_plan(
    inst: VRPInstance,
    nodes: Sequence[int],
    vtype: VehicleType,
    given: Mapping[int, float] | None = None,
) -> dict[int, float]:
    """Energy added at each charging stop of one route, by position.

    To full when ``inst.full_refuel``; else the ``given`` amount (clipped to what fits in the
    tank) or just enough to reach the next charging stop or the route's end. Energy does not
    depend on time, so the plan is the same whatever the queues.
    """
    tank = float(vtype.tank)
    cons = float(vtype.consumption)
    given = given or {}
    idx = np.asarray(nodes, dtype=np.int64)
    arcs = inst.dist[idx[:-1], idx[1:]].astype(np.float64).tolist()
    last = len(nodes) - 1
    charges = [False] * (last + 1)
    for p in range(1, last):
        k = int(inst.kinds[nodes[p]])
        charges[p] = k == STATION or (k == DEPOT and bool(inst.depot_refuels))
    plan: dict[int, float] = {}
    e = float(vtype.initial_energy)
    for p in range(1, last):
        e -= cons * arcs[p - 1]
        if not charges[p]:
            continue
        room = tank - max(e, 0.0)
        if inst.full_refuel:
            amount = room
        elif p in given:
            amount = min(max(float(given[p]), 0.0), room)
        else:
            need = 0.0
            for q in range(p + 1, last + 1):
                need += cons * arcs[q - 1]
                if q == last or charges[q]:
                    break
            amount = min(max(need - max(e, 0.0), 0.0), room)
        plan[p] = amount
        e = max(e, 0.0) + amount
    return plan
