"""Independent feasibility checker for refuelling-VRP solutions.

Deliberately plain code, sharing nothing with the solvers: it replays every route from its
vehicle type's depot and lists each rule a solution breaks, as one sentence per violation.
The timeline (departure, travel, service, queue wait, refuel, station occupancy) follows the
contract shared with the queue scheduler; see :func:`check_solution`.

Route and position numbers in violations and messages are 0-based indices into the
``routes`` list and into the route (position 0 is the starting depot).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from h2lane.routing.vrp.model import (
    CUSTOMER,
    DEPOT,
    OBJECTIVES,
    STATION,
    VehicleType,
    VRPInstance,
    VRPSolution,
)

__all__ = ["CheckReport", "Violation", "ViolationKind", "check_result", "check_solution"]

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
    "rest",
    "redundant_stop",
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
class Visit:
    """The replayed timeline at one position of a route (times in the instance's unit).

    ``leave`` is when the vehicle left the previous position, ``arrive`` when it reached this
    one (breaks on the way included, at ``road_breaks``), ``begin`` when the stop started
    (after waiting for the time window), ``depart`` when it left. At a charging stop:
    ``energy`` on arrival, ``amount`` added, ``queue`` wait, ``fill`` time, ``rest`` added to make
    the stop a break, and ``stop_break`` whether the stop counted as the break.
    """

    position: int
    leave: float
    arrive: float
    begin: float
    depart: float
    energy: float
    amount: float = 0.0
    queue: float = 0.0
    fill: float = 0.0
    rest: float = 0.0
    stop_break: bool = False
    road_breaks: list[float] = field(default_factory=list)


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
        Routes that leave their depot (a route of depot visits only is not counted).
    cost
        Objective value (``inst.objective``) summed over the routes that could be replayed.
    route_distance, duration, energy_min, load, route_cost
        Per route: length, duration (departure to return; without given departures the
        departure is delayed as far as the time windows allow so that waiting is minimal),
        lowest energy on arrival anywhere, total demand served, objective contribution
        (the length for the distance objectives). ``nan`` for routes that cannot be replayed.
    route_types
        Per route: index in ``inst.fleet`` of the vehicle type used, ``-1`` when invalid.
    timeline
        Per route: the :class:`Visit` of each position after the first (empty for routes that
        cannot be replayed) — what plan documents show.
    """

    violations: list[Violation] = field(default_factory=list)
    distance: float = 0.0
    vehicles: int = 0
    route_distance: list[float] = field(default_factory=list)
    duration: list[float] = field(default_factory=list)
    energy_min: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    cost: float = 0.0
    route_cost: list[float] = field(default_factory=list)
    route_types: list[int] = field(default_factory=list)
    timeline: list[list[Visit]] = field(default_factory=list)

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
    route_types: Sequence[int] | None = None,
    refuel_amounts: Mapping[tuple[int, int], float] | None = None,
    departures: Sequence[float] | None = None,
    waits: Mapping[tuple[int, int], float] | None = None,
    rest_stops: Collection[tuple[int, int]] | None = None,
) -> CheckReport:
    """Check routes against every rule of the instance.

    Parameters
    ----------
    inst
        The instance (``inst.unservable`` lists customers that must not be served).
    routes
        Node-index lists, each starting and ending with its vehicle type's depot, stations
        included.
    route_types
        Index in ``inst.fleet`` of each route's vehicle type; ``None`` or empty = all type 0.
    refuel_amounts
        Partial-refuelling mode only (``inst.full_refuel`` false): energy added at
        ``(route, position)`` of a charging stop. Where no amount is given the vehicle
        charges just enough to reach the next charging stop of its route (or its end).
        Ignored when refuelling is always to full.
    departures
        Departure time of each route; ``None`` or empty = ``inst.ready`` of its depot, with
        the duration measured as if the departure were delayed to cut waiting.
    waits
        Queue wait for a free dispenser at ``(route, position)`` of a charging stop, spent
        after the service and before the refuel starts; default 0.
    rest_stops
        With ``inst.rest`` enabled: ``(route, position)`` of the charging stops the driver
        extends to a break; ignored otherwise.

    Returns
    -------
    CheckReport
        Violations and per-route statistics; ``ok`` when nothing is broken.

    Notes
    -----
    A charging stop is a mid-route visit of a station, or of any depot when
    ``inst.depot_refuels``. Each route uses its type's tank, consumption, speed, payload,
    duration limit and start energy. Energy must stay at or above zero on every arrival;
    arrival must be by ``due`` at every mid-route node and at the final depot. A stop takes
    ``service``, then the queue wait, then ``refuel_fixed + refuel_rate * amount``; the
    refuel occupies a dispenser on ``[refuel_start, end)``, and no more than
    ``station_capacity`` such intervals may overlap at a station. A mid-route depot visit
    refuels but does not unload. Routes of a type must not outnumber its ``count``.

    Output hygiene (kind ``redundant_stop``): a node visited twice in a row, or a reported
    refuel amount of 0 (the station should not be in the route).

    Rest rules (``inst.rest.enabled``, kind ``rest``; limits in hours, converted with
    :attr:`VRPInstance.hours`): the driver breaks for ``break_min`` whenever
    ``max_drive_h`` of driving have passed since the last break. A stop at a charging node
    lasting at least ``break_min`` from the start of its service (service, queue wait,
    refuel) is that break; a stop listed in ``rest_stops`` is extended to ``break_min``
    after its refuel (off the dispenser). Otherwise the break is taken on the road, as late
    as the limit allows, and delays everything after it. A route may drive at most
    ``max_daily_drive_h`` in total (routes are one driving day).
    """
    if inst.objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {inst.objective!r}; expected one of {OBJECTIVES}")
    n = inst.n_nodes
    fleet = inst.fleet
    rep = CheckReport()
    add = rep.violations.append
    visits: dict[int, list[tuple[int, int]]] = {}
    intervals: dict[int, list[tuple[float, float, int, int]]] = {}
    amounts = dict(refuel_amounts or {})
    queue = dict(waits or {})
    use_amounts = not inst.full_refuel
    types = list(route_types) if route_types is not None and len(route_types) else None
    starts = list(departures) if departures is not None and len(departures) else None
    used = [0] * len(fleet)
    rest_at: dict[int, set[int]] = {}
    for rr, pp in rest_stops or ():
        rest_at.setdefault(int(rr), set()).add(int(pp))

    def name(i: int) -> str:
        return f"{inst.labels[i]} (node {i})"

    for r, route in enumerate(routes):
        route = list(route)
        nan = float("nan")
        stats = [nan, nan, nan, nan, nan]  # distance, duration, energy_min, load, cost
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
        k = types[r] if types is not None and r < len(types) else 0
        valid_type = _is_index(k) and 0 <= int(k) < len(fleet)
        rep.route_types.append(int(k) if valid_type else -1)
        if valid_type:
            vt = fleet[int(k)]
            home = vt.depot
        else:
            home = int(route[0]) if route and _is_index(route[0]) else 0
        is_used = any(_is_index(v) and int(v) != home for v in route)
        if is_used:
            rep.vehicles += 1
        if not valid_type:
            add(
                Violation(
                    "shape",
                    r,
                    None,
                    f"Route {r} has vehicle type {_show(k)}, which is not a type index "
                    f"(valid: 0 to {len(fleet) - 1}).",
                )
            )
            _append(rep, stats)
            continue
        if is_used:
            used[int(k)] += 1
        if len(route) < 2 or route[0] != home or route[-1] != home:
            of_type = f" of its vehicle type {vt.name!r}" if inst.vehicle_types else ""
            add(
                Violation(
                    "shape",
                    r,
                    None,
                    f"Route {r} must start and end at the depot {home}{of_type} but is "
                    f"[{', '.join(_show(v) for v in route)}].",
                )
            )
            bad_nodes = True
        if bad_nodes:
            _append(rep, stats)
            continue
        nodes = [int(v) for v in route]
        for p in range(1, len(nodes) if len(nodes) > 2 else 0):  # [d, d] is an unused vehicle
            if nodes[p] == nodes[p - 1]:
                add(
                    Violation(
                        "redundant_stop",
                        r,
                        p,
                        f"Route {r}, position {p}: {name(nodes[p])} is visited twice in a row; "
                        "drop the repeated visit.",
                    )
                )
        start = None if starts is None or r >= len(starts) else float(starts[r])
        timeline: list[Visit] = []
        stats = _replay(
            inst,
            vt,
            r,
            nodes,
            amounts,
            use_amounts,
            start,
            queue,
            intervals,
            add,
            name,
            rest_at.get(r, set()),
            timeline,
        )
        length, duration = stats[0], stats[1]
        if inst.objective == "time":
            stats[4] = duration
        elif inst.objective == "cost":
            stats[4] = (
                (vt.fixed_cost if is_used else 0.0)
                + vt.cost_per_distance * length
                + vt.cost_per_time * duration
            )
        else:
            stats[4] = length
        rep.distance += length
        rep.cost += stats[4]
        _append(rep, stats, timeline)

    for what, given in (("route_types", types), ("departures", starts)):
        if given is not None and len(given) != len(routes):
            add(
                Violation(
                    "shape",
                    None,
                    None,
                    f"The {what} list has length {len(given)} but there are {len(routes)} "
                    "routes; give one entry per route.",
                )
            )

    def charging_stop(r: int, p: int) -> bool:
        """Whether ``(r, p)`` names a mid-route charging stop of a well-formed entry."""
        if not (_is_index(r) and _is_index(p) and 0 <= r < len(routes)):
            return False
        route = routes[r]
        if not 0 < p < len(route) - 1:
            return False
        v = route[p]
        return _is_index(v) and 0 <= int(v) < n and _charges(inst, int(v))

    def not_a_stop(what: str, r: object, p: object) -> None:
        add(
            Violation(
                "shape",
                r if _is_index(r) else None,  # type: ignore[arg-type]
                p if _is_index(p) else None,  # type: ignore[arg-type]
                f"A {what} is given for route {r}, position {p}, which is not a "
                "station visit (or a mid-route depot visit where the depot refuels).",
            )
        )

    for (r, p), amount in amounts.items() if use_amounts else ():
        if not charging_stop(r, p):
            not_a_stop("refuel amount", r, p)
        elif 0.0 <= float(amount) <= EPS:
            add(
                Violation(
                    "redundant_stop",
                    r,
                    p,
                    f"Route {r}, position {p}: the refuel amount at {name(int(routes[r][p]))} "
                    "is 0; leave the station out of the route or report no amount.",
                )
            )

    for r, ps in sorted(rest_at.items()) if inst.rest.enabled else ():
        for p in sorted(ps):
            if not charging_stop(r, p):
                not_a_stop("rest stop", r, p)

    for (r, p), w in queue.items():
        if not charging_stop(r, p):
            not_a_stop("queue wait", r, p)
        elif not float(w) >= 0.0:
            add(
                Violation(
                    "shape",
                    r,
                    p,
                    f"Route {r}, position {p}: the queue wait {_fmt(float(w))} is negative; "
                    "waits must be 0 or more.",
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

    for k, vt in enumerate(fleet):
        if vt.count is not None and used[k] > vt.count:
            of_type = f" of type {vt.name!r}" if inst.vehicle_types else ""
            add(
                Violation(
                    "fleet_size",
                    None,
                    None,
                    f"The solution uses {used[k]} vehicles{of_type} but the fleet has {vt.count}.",
                )
            )

    if inst.station_capacity is not None:
        _check_station_capacity(inst, intervals, add, name)
    return rep


def check_result(inst: VRPInstance, sol: VRPSolution) -> CheckReport:
    """Check a solver's answer with everything it reports.

    Its routes, vehicle types, refuel amounts, departures and queue waits go to
    :func:`check_solution` (fields a solution leaves empty count as not given).
    """
    return check_solution(
        inst,
        sol.routes,
        route_types=sol.route_types or None,
        refuel_amounts=sol.refuel_amounts or None,
        departures=sol.departures or None,
        waits=sol.waits or None,
        rest_stops=sol.rest_stops or None,
    )


def _append(rep: CheckReport, stats: list[float], visits: list[Visit] | None = None) -> None:
    rep.timeline.append(visits or [])
    rep.route_distance.append(stats[0])
    rep.duration.append(stats[1])
    rep.energy_min.append(stats[2])
    rep.load.append(stats[3])
    rep.route_cost.append(stats[4])


def _charges(inst: VRPInstance, i: int) -> bool:
    """Whether a mid-route visit of node ``i`` refuels."""
    return bool(inst.kinds[i] == STATION or (inst.kinds[i] == DEPOT and inst.depot_refuels))


def _replay(
    inst: VRPInstance,
    vt: VehicleType,
    r: int,
    nodes: list[int],
    amounts: dict[tuple[int, int], float],
    use_amounts: bool,
    departure: float | None,
    queue: dict[tuple[int, int], float],
    intervals: dict[int, list[tuple[float, float, int, int]]],
    add: Callable[[Violation], None],
    name: Callable[[int], str],
    rest_at: set[int],
    timeline: list[Visit],
) -> list[float]:
    """Simulate one well-formed route of type ``vt``, appending each position's :class:`Visit`.

    Returns
    -------
    list of float
        Distance, duration, energy_min, load and a ``nan`` placeholder for the cost.
    """
    last = len(nodes) - 1
    home = nodes[0]
    if departure is not None and departure < inst.ready[home] - EPS:
        add(
            Violation(
                "time_window",
                r,
                0,
                f"Route {r} departs at {_fmt(departure)}, before its depot {name(home)} opens "
                f"at {_fmt(inst.ready[home])}.",
            )
        )
    start_t = float(inst.ready[home]) if departure is None else departure
    t = start_t
    e = float(vt.initial_energy)
    e_min = e
    load = 0.0
    dist = 0.0
    in_deficit = False
    overloaded = False
    waited = 0.0  # cumulative time-window waiting so far (queue waits are not shifted away)
    shift = math.inf  # how far the departure could be delayed without breaking a due time
    rules = inst.rest
    hours = inst.hours if rules.enabled else 1.0
    max_drive = rules.max_drive_h * hours
    brk = rules.break_h * hours
    since_break = 0.0
    driven = 0.0
    for p in range(1, last + 1):
        a, b = nodes[p - 1], nodes[p]
        d = float(inst.dist[a, b])
        dist += d
        leave = t
        t += d / vt.speed
        road_breaks: list[float] = []
        if rules.enabled:
            left = d / vt.speed
            driven += left
            while since_break + left > max_drive + EPS:  # break on the road, as late as allowed
                left -= max_drive - since_break
                since_break = 0.0
                road_breaks.append(leave + (d / vt.speed - left) + brk * len(road_breaks))
                t += brk
            since_break += left
        arrive = t
        e -= vt.consumption * d
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
        visit = Visit(p, leave, arrive, arrive, arrive, e, road_breaks=road_breaks)
        timeline.append(visit)
        if p == last:
            if t > inst.due[b] + EPS:
                add(
                    Violation(
                        "time_window",
                        r,
                        p,
                        f"Route {r} returns to the depot at {_fmt(t)}, after its due time "
                        f"{_fmt(inst.due[b])}.",
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
        stop_start = visit.begin = begin
        waited += begin - t
        t = begin + float(inst.service[b])
        if inst.kinds[b] == CUSTOMER:
            load += float(inst.demand[b])
            if load > vt.load_capacity + EPS and not overloaded:
                add(
                    Violation(
                        "payload",
                        r,
                        p,
                        f"Route {r}, position {p}: the load reaches {_fmt(load)} at {name(b)}, above "
                        f"the capacity {_fmt(vt.load_capacity)}.",
                    )
                )
                overloaded = True
        elif _charges(inst, b):
            room = vt.tank - max(e, 0.0)
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
                    need += vt.consumption * float(inst.dist[nodes[q - 1], nodes[q]])
                    if q == last or _charges(inst, nodes[q]):
                        break
                amount = min(max(need - max(e, 0.0), 0.0), room)
            refuel_start = t + max(float(queue.get((r, p), 0.0)), 0.0)  # negatives reported later
            t = refuel_start + inst.refuel_fixed
            if inst.refuel_rate:  # an unlimited tank refuels in no time, not nan
                t += inst.refuel_rate * amount
            e = max(e, 0.0) + amount
            in_deficit = False
            if t > refuel_start:
                intervals.setdefault(b, []).append((refuel_start, t, r, p))
            visit.amount, visit.queue, visit.fill = (
                amount,
                refuel_start - visit.begin,
                t - refuel_start,
            )
            filled = t
            if rules.enabled:
                if p in rest_at:
                    t = max(t, stop_start + brk)
                if t - stop_start >= brk - EPS:
                    since_break = 0.0
                    visit.stop_break = True
            visit.rest = t - filled
        visit.depart = t
    duration = t - start_t
    if departure is None and waited > 0:
        duration -= min(max(shift, 0.0), waited)
    if rules.enabled and driven > rules.max_daily_drive_h * hours + EPS:
        add(
            Violation(
                "rest",
                r,
                None,
                f"Route {r} drives {_fmt(driven / hours)} h, more than the daily limit of "
                f"{_fmt(rules.max_daily_drive_h)} h (a route is one driving day).",
            )
        )
    if duration > vt.max_duration + EPS:
        add(
            Violation(
                "duration",
                r,
                None,
                f"Route {r} lasts {_fmt(duration)}, longer than the limit {_fmt(vt.max_duration)}.",
            )
        )
    return [dist, duration, e_min, load, float("nan")]


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
