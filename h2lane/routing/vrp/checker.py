"""Independent feasibility checker for refuelling-VRP solutions.

Deliberately plain code, sharing nothing with the solvers: it replays every route from the
depot and lists each rule a solution breaks, as one sentence per violation.

Route and position numbers in violations and messages are 0-based indices into the
``routes`` list and into the route (position 0 is the starting depot).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from h2lane.routing.vrp.model import CUSTOMER, STATION, VRPInstance

__all__ = ["CheckReport", "Violation", "ViolationKind", "check_solution"]

EPS = 1e-6
ViolationKind = Literal[
    "shape",
    "unknown_node",
    "range",
    "duration",
    "payload",
    "time_window",
    "unserved",
    "served_twice",
    "served_unservable",
    "fleet_size",
    "station_capacity",
]


@dataclass(slots=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    kind
        Rule family (see :data:`ViolationKind`).
    route, position
        0-based route index and position in that route, ``None`` when not tied to one.
    message
        One sentence a person can act on.
    """

    kind: ViolationKind
    route: int | None
    position: int | None
    message: str


@dataclass(slots=True)
class CheckReport:
    """Outcome of :func:`check_solution`.

    Attributes
    ----------
    violations
        Every broken rule, in route order, then the solution-wide ones.
    distance
        Total length of the routes that could be replayed.
    vehicles
        Routes that leave the depot (a route of depot visits only is not counted).
    route_distance, duration, energy_min, load
        Per route: length, duration (departure to return, with the departure delayed as
        far as the time windows allow so that waiting is minimal), lowest energy on
        arrival anywhere, total demand served. ``nan`` for routes that cannot be replayed.
    """

    violations: list[Violation] = field(default_factory=list)
    distance: float = 0.0
    vehicles: int = 0
    route_distance: list[float] = field(default_factory=list)
    duration: list[float] = field(default_factory=list)
    energy_min: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def kinds(self) -> set[str]:
        """Distinct violation kinds."""
        return {v.kind for v in self.violations}

    def __str__(self) -> str:
        head = f"{self.vehicles} vehicles, distance {self.distance:.3f}: " + (
            "feasible." if self.ok else f"{len(self.violations)} violation(s)."
        )
        return "\n".join([head] + [f"- {v.message}" for v in self.violations])


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _show(v: object) -> str:
    """``repr`` of a route entry, numpy integers shown as plain integers."""
    return str(int(v)) if _is_index(v) else repr(v)  # type: ignore[call-overload]


def _is_index(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def check_solution(
    inst: VRPInstance,
    routes: Sequence[Sequence[int]],
    *,
    refuel_amounts: Mapping[tuple[int, int], float] | None = None,
    departures: Sequence[float] | None = None,
) -> CheckReport:
    """Check routes against every rule of the instance.

    Parameters
    ----------
    inst
        The instance (``inst.unservable`` lists customers that must not be served).
    routes
        Node-index lists, each starting and ending with the depot 0, stations included.
    refuel_amounts
        Partial-refuelling mode only (``inst.full_refuel`` false): energy added at
        ``(route, position)`` of a station or mid-route depot visit. Where no amount is
        given the vehicle charges just enough to reach the next charging point of its
        route. Ignored when refuelling is always to full.
    departures
        Departure time of each route; default ``inst.ready[0]`` (earliest departure, with
        waiting where a vehicle arrives before a time window opens).

    Notes
    -----
    Energy starts at ``inst.initial_energy`` and must stay at or above zero on every
    arrival. A stop at a station (or at the depot mid-route when ``depot_refuels``) takes
    ``service + refuel_fixed + refuel_rate * amount``. Service must start by ``due``,
    arrival at the final depot must be by ``due[0]``, and the duration must not exceed
    ``max_duration``. A mid-route depot visit refuels but does not unload. Station
    capacity is checked on the replayed schedule (departures as above, no queueing).
    """
    n = inst.n_nodes
    rep = CheckReport()
    add = rep.violations.append
    visits: dict[int, list[tuple[int, int]]] = {}
    intervals: dict[int, list[tuple[float, float, int, int]]] = {}
    amounts = dict(refuel_amounts or {})
    use_amounts = not inst.full_refuel

    def name(i: int) -> str:
        return f"{inst.labels[i]} (node {i})"

    for r, route in enumerate(routes):
        route = list(route)
        nan = float("nan")
        stats = [nan, nan, nan, nan]  # distance, duration, energy_min, load
        bad_nodes = False
        for p, v in enumerate(route):
            if not _is_index(v) or not 0 <= int(v) < n:
                add(
                    Violation(
                        "unknown_node",
                        r,
                        p,
                        f"Route {r}, position {p}: {_show(v)} is not a node index (valid: 0 to {n - 1}).",
                    )
                )
                bad_nodes = True
            elif inst.kinds[int(v)] == CUSTOMER:
                visits.setdefault(int(v), []).append((r, p))
        if any(_is_index(v) and int(v) != 0 for v in route):
            rep.vehicles += 1
        if len(route) < 2 or route[0] != 0 or route[-1] != 0:
            add(
                Violation(
                    "shape",
                    r,
                    None,
                    f"Route {r} must start and end at the depot 0 but is "
                    f"[{', '.join(_show(v) for v in route)}].",
                )
            )
            bad_nodes = True
        if bad_nodes:
            _append(rep, stats)
            continue
        nodes = [int(v) for v in route]
        stats = _replay(inst, r, nodes, amounts, use_amounts, departures, intervals, add, name)
        rep.distance += stats[0]
        _append(rep, stats)

    for (r, p), _amount in amounts.items() if use_amounts else ():
        ok = (
            _is_index(r)
            and 0 <= r < len(routes)
            and _is_index(p)
            and 0 < p < len(routes[r]) - 1
            and _is_index(routes[r][p])
            and 0 <= int(routes[r][p]) < n
            and _charges(inst, int(routes[r][p]))
        )
        if not ok:
            add(
                Violation(
                    "shape",
                    r if _is_index(r) else None,
                    p if _is_index(p) else None,
                    f"A refuel amount is given for route {r}, position {p}, which is not a "
                    "station visit (or a mid-route depot visit where the depot refuels).",
                )
            )

    unserv = set(inst.unservable)
    for c in inst.customers:
        c = int(c)
        seen = visits.get(c, [])
        if c in unserv:
            if seen:
                r, p = seen[0]
                add(
                    Violation(
                        "served_unservable",
                        r,
                        p,
                        f"Customer {name(c)} is marked unservable but route {r} serves it at "
                        f"position {p}.",
                    )
                )
        elif not seen:
            add(
                Violation("unserved", None, None, f"Customer {name(c)} is not served by any route.")
            )
        elif len(seen) > 1:
            where = ", ".join(f"route {r} position {p}" for r, p in seen)
            r, p = seen[1]
            add(
                Violation(
                    "served_twice",
                    r,
                    p,
                    f"Customer {name(c)} is served {len(seen)} times ({where}).",
                )
            )

    if inst.fleet_size is not None and rep.vehicles > inst.fleet_size:
        add(
            Violation(
                "fleet_size",
                None,
                None,
                f"The solution uses {rep.vehicles} vehicles but the fleet has {inst.fleet_size}.",
            )
        )

    if inst.station_capacity is not None:
        _check_station_capacity(inst, intervals, add, name)
    return rep


def _append(rep: CheckReport, stats: list[float]) -> None:
    rep.route_distance.append(stats[0])
    rep.duration.append(stats[1])
    rep.energy_min.append(stats[2])
    rep.load.append(stats[3])


def _charges(inst: VRPInstance, i: int) -> bool:
    """Whether a mid-route visit of node ``i`` refuels."""
    return bool(inst.kinds[i] == STATION or (i == 0 and inst.depot_refuels))


def _replay(
    inst: VRPInstance,
    r: int,
    nodes: list[int],
    amounts: dict[tuple[int, int], float],
    use_amounts: bool,
    departures: Sequence[float] | None,
    intervals: dict[int, list[tuple[float, float, int, int]]],
    add: Callable[[Violation], None],
    name: Callable[[int], str],
) -> list[float]:
    """Simulate one well-formed route; return distance, duration, energy_min, load."""
    last = len(nodes) - 1
    start_t = float(inst.ready[0]) if departures is None else float(departures[r])
    t = start_t
    e = float(inst.initial_energy)
    e_min = e
    load = 0.0
    dist = 0.0
    in_deficit = False
    overloaded = False
    waited = 0.0  # cumulative waiting so far
    shift = math.inf  # how far the departure could be delayed without breaking a due time
    for p in range(1, last + 1):
        a, b = nodes[p - 1], nodes[p]
        d = float(inst.dist[a, b])
        dist += d
        t += d / inst.speed
        e -= inst.consumption * d
        e_min = min(e_min, e)
        if e < -EPS and not in_deficit:
            add(
                Violation(
                    "range",
                    r,
                    p,
                    f"Route {r}, position {p}: the vehicle reaches {name(b)} with energy {_fmt(e)}, "
                    "below zero (out of range).",
                )
            )
            in_deficit = True
        shift = min(shift, float(inst.due[b]) - t + waited)
        if p == last:
            if t > inst.due[0] + EPS:
                add(
                    Violation(
                        "time_window",
                        r,
                        p,
                        f"Route {r} returns to the depot at {_fmt(t)}, after its due time "
                        f"{_fmt(inst.due[0])}.",
                    )
                )
            break
        if t > inst.due[b] + EPS:
            what = "service" if inst.kinds[b] == CUSTOMER else "the stop"
            add(
                Violation(
                    "time_window",
                    r,
                    p,
                    f"Route {r}, position {p}: {what} at {name(b)} starts at {_fmt(t)}, after its "
                    f"due time {_fmt(inst.due[b])}.",
                )
            )
        begin = max(t, float(inst.ready[b]))
        waited += begin - t
        t = begin + float(inst.service[b])
        if inst.kinds[b] == CUSTOMER:
            load += float(inst.demand[b])
            if load > inst.load_capacity + EPS and not overloaded:
                add(
                    Violation(
                        "payload",
                        r,
                        p,
                        f"Route {r}, position {p}: the load reaches {_fmt(load)} at {name(b)}, above "
                        f"the capacity {_fmt(inst.load_capacity)}.",
                    )
                )
                overloaded = True
        elif _charges(inst, b):
            room = inst.tank - max(e, 0.0)
            if not use_amounts:
                amount = room
            elif (r, p) in amounts:
                amount = float(amounts[(r, p)])
                if amount < -EPS or amount > room + EPS:
                    add(
                        Violation(
                            "range",
                            r,
                            p,
                            f"Route {r}, position {p}: refuelling {_fmt(amount)} at {name(b)} is "
                            f"impossible (between 0 and {_fmt(room)} fit in the tank).",
                        )
                    )
                    amount = min(max(amount, 0.0), room)
            else:
                need = 0.0
                for q in range(p + 1, last + 1):
                    need += inst.consumption * float(inst.dist[nodes[q - 1], nodes[q]])
                    if q == last or _charges(inst, nodes[q]):
                        break
                amount = min(max(need - e, 0.0), room)
            stop_begin = t
            t += inst.refuel_fixed + inst.refuel_rate * amount
            e = max(e, 0.0) + amount
            in_deficit = False
            if t > stop_begin:
                intervals.setdefault(b, []).append((stop_begin, t, r, p))
    duration = t - start_t
    if departures is None and waited > 0:
        duration -= min(max(shift, 0.0), waited)
    if duration > inst.max_duration + EPS:
        add(
            Violation(
                "duration",
                r,
                None,
                f"Route {r} lasts {_fmt(duration)}, longer than the limit {_fmt(inst.max_duration)}.",
            )
        )
    return [dist, duration, e_min, load]


def _check_station_capacity(
    inst: VRPInstance,
    intervals: dict[int, list[tuple[float, float, int, int]]],
    add: Callable[[Violation], None],
    name: Callable[[int], str],
) -> None:
    cap = inst.station_capacity
    assert cap is not None
    for s in sorted(intervals):
        k = int(cap[s])
        if k <= 0:
            continue
        events: list[tuple[float, int, int, int]] = []
        for begin, end, r, p in intervals[s]:
            events.append((end, 0, r, p))  # departures first at equal times
            events.append((begin, 1, r, p))
        events.sort()
        active: dict[int, int] = {}
        over = False
        for time, kind, r, p in events:
            if kind == 0:
                active.pop(r, None)
                if len(active) <= k:
                    over = False
                continue
            active[r] = p
            if len(active) > k and not over:
                over = True
                who = ", ".join(str(q) for q in sorted(active))
                add(
                    Violation(
                        "station_capacity",
                        r,
                        p,
                        f"At {_fmt(time)}, {len(active)} vehicles (routes {who}) refuel at station "
                        f"{name(s)} at once but it has {k} dispenser{'s' if k != 1 else ''}.",
                    )
                )
