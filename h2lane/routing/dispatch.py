"""Fleet dispatch of a scenario's freight orders on the road network.

Orders are full-truckload moves (origin → destination, tonnes ≤ payload, optional ready/due
times, given as ISO text or aware datetimes). Each truck runs a chain depot → origin₁ →
destination₁ → origin₂ → … → depot, planned in one piece by the exact trip planner: loaded
legs at loaded consumption, empty legs at empty consumption, waiting at each pick-up for its
ready time, no delivery after its due time, and the driver's rest rules carried along the
whole chain (a wait for a ready time counts as a break or daily rest when it is long enough).
Due-time checks therefore use arrival times that include every break.

Assignment (``engine``): ``vrp`` (the default) assigns and sequences the orders with the
full-truckload search of :mod:`h2lane.routing.vrp.ftl` on a small km matrix of the places
and stations (one many-to-many road query), then plans every truck's chain exactly as
above; ``greedy`` (the baseline) inserts the orders sorted by ready time one by one where
they add least to the objective (truck-hours, or hydrogen cost with ties broken by
truck-hours), each evaluation an exact trip plan, then relocates orders between trucks
until no move helps; with the truck-hours objective a candidate whose lower bound (road km
at the truck's speed, ready times, least rests) cannot beat the best so far is not planned,
which leaves every choice as it would be with all candidates planned. Orders that cannot be served are reported with the reason. Progress
is reported only through the ``progress`` callback.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from h2lane import timeutil
from h2lane.errors import H2laneError, InfeasibleTripError, OptionError
from h2lane.forking import in_processes
from h2lane.roads.graph import RoadGraph
from h2lane.routing.refuel import Objective
from h2lane.routing.rest import RestRules
from h2lane.routing.stationgraph import StationGraph
from h2lane.routing.trip import (
    SCALE_MIN_STATIONS,
    TripPlan,
    TripRequest,
    Waypoint,
    plan_trip,
    station_graph_for,
    truck_range_km,
)
from h2lane.routing.trip import _earliest_arrival as earliest_arrival
from h2lane.scenario.io import parse_latlon
from h2lane.scenario.model import Order, Scenario, Station, Truck, TruckType

Engine = Literal["vrp", "greedy"]
ENGINES: tuple[str, ...] = ("vrp", "greedy")
_FAR_PAST = datetime(1900, 1, 1, tzinfo=timeutil.CHINA)
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timeutil.CHINA)
_PRUNE = True
"""Skip plans by lower bounds and memoise departure probes (``False``: the reference path,
every candidate planned as before; tests compare the two)."""
PLAN_WORKERS = min(4, os.cpu_count() or 1)
"""Processes that plan the trucks' chains after the VRP search (:meth:`_Dispatcher.prefetch`)."""
_SLACK = 2e-6
"""Hours a bound must exceed the best so far by to skip a plan: ``_better``'s tolerance and
room for rounding, so a skipped plan could never have been chosen."""


@dataclass(slots=True)
class _Job:
    order: Order
    origin: Waypoint
    destination: Waypoint
    ready: datetime | None
    due: datetime | None


@dataclass(slots=True)
class _Eval:
    feasible: bool
    score: tuple[float, float]
    plan: TripPlan | None = None
    schedule: list[dict[str, Any]] = field(default_factory=list)
    depart: datetime | None = None
    finish: datetime | None = None
    reason: str = ""


@dataclass(slots=True)
class DispatchPlan:
    """Per-truck plans plus the orders left out."""

    scenario: str
    objective: Objective
    routes: list[dict[str, Any]]
    unassigned: list[dict[str, str]]
    search: dict[str, Any] | None = None
    """The VRP engine's figures (seconds, iterations, its own truck-hours), when it ran."""

    def to_dict(self) -> dict[str, Any]:
        totals = {
            "trucks_used": len(self.routes),
            "orders_served": sum(len(r["orders"]) for r in self.routes),
            "orders_unassigned": len(self.unassigned),
            "distance_km": round(sum(r["distance_km"] for r in self.routes), 3),
            "duration_h": round(sum(r["duration_h"] for r in self.routes), 3),
            "h2_kg": round(sum(r["h2_kg"] for r in self.routes), 3),
            "cost": round(sum(r["cost"] for r in self.routes), 2),
            "breaks": sum(len(r["breaks"]) for r in self.routes),
        }
        doc: dict[str, Any] = {
            "kind": "h2lane.dispatch-plan",
            "version": 1,
            "scenario": self.scenario,
            "objective": self.objective,
            "totals": totals,
            "routes": self.routes,
            "unassigned": self.unassigned,
        }
        if self.search is not None:
            s = self.search
            doc["notices"] = [
                f"orders assigned by the VRP engine ({s['iterations']} search iterations); "
                "each truck's chain planned by the exact trip planner"
            ]
        return doc


def _waypoint(scen: Scenario, text: str) -> Waypoint:
    place = scen.place(text)
    if place is not None:
        return Waypoint(place.name, place.lat, place.lon)
    latlon = parse_latlon(text)
    if latlon is None:  # validated on load; kept for scenarios built in code
        raise InfeasibleTripError(f"'{text}' is neither a place of the scenario nor 'lat,lon'")
    return Waypoint(text, *latlon)


def _time(value: object) -> datetime | None:
    """An order's ready/due time (ISO text or datetime) as an aware China time, or None."""
    return timeutil.parse_datetime(value) if value else None


def _better(new: tuple[float, float], old: tuple[float, float], tol: float = 1e-6) -> bool:
    """Lexicographically smaller beyond ``tol`` (objective first, then the tie-break)."""
    if new[0] < old[0] - tol:
        return True
    return abs(new[0] - old[0]) <= tol and new[1] < old[1] - tol


def _merge(a: Waypoint, b: Waypoint) -> Waypoint:
    """One waypoint for two consecutive visits of the same place."""
    ready = [t for t in (a.ready, b.ready) if t is not None]
    due = [t for t in (a.due, b.due) if t is not None]
    return dataclasses.replace(
        b, ready=max(ready) if ready else None, due=min(due) if due else None
    )


class _Dispatcher:
    def __init__(
        self,
        scen: Scenario,
        graph: RoadGraph,
        stations: list[Station],
        objective: Objective,
        reserve_kg: float,
        default_depart: datetime,
        rest: RestRules,
        queue_wait_min: dict[str, list[float]] | None = None,
        return_to_depot: bool = True,
    ) -> None:
        self.scen, self.graph, self.stations = scen, graph, stations
        self.return_to_depot = return_to_depot
        self.objective, self.reserve_kg, self.default_depart = objective, reserve_kg, default_depart
        self.rest = rest
        self.queue_wait_min = queue_wait_min
        self.cache: dict[tuple[str, str, tuple[str, ...]], _Eval] = {}
        self.bounds: dict[tuple[str, str, tuple[str, ...]], float] = {}
        self.probes: dict[tuple[Any, ...], float | InfeasibleTripError] = {}
        self.km: dict[tuple[float, float, float, float], float] = {}
        self.prune = _PRUNE
        self.stats = {"evaluations": 0, "plans": 0, "probes": 0, "bounds": 0, "pruned": 0}
        self.station_graph: StationGraph | None = None
        if len(stations) > SCALE_MIN_STATIONS and scen.truck_types:
            # one station graph for every evaluation: the range of the longest-range truck
            reach = max(truck_range_km(t) for t in scen.truck_types)
            self.station_graph = station_graph_for(graph, stations, reach)

    def plan(self, req: TripRequest) -> TripPlan:
        """One exact trip plan, on the shared station graph when there is one."""
        self.stats["plans"] += 1
        return plan_trip(self.graph, self.stations, req, station_graph=self.station_graph)

    @staticmethod
    def _key(truck: Truck, ttype: TruckType, jobs: list[_Job]) -> tuple[str, str, tuple[str, ...]]:
        """Trucks of one type at one depot give the same plan for the same orders."""
        return (ttype.id, truck.depot, tuple(j.order.id for j in jobs))

    def evaluate(self, truck: Truck, ttype: TruckType, jobs: list[_Job]) -> _Eval:
        key = self._key(truck, ttype, jobs)
        if key not in self.cache:
            self.stats["evaluations"] += 1
            self.cache[key] = self._evaluate(truck, ttype, jobs)
        return self.cache[key]

    def prefetch(
        self,
        chains: list[tuple[Truck, TruckType, list[_Job]]],
        workers: int | None = None,
        tick: Callable[[int], None] | None = None,
    ) -> None:
        """Evaluate the chains not cached yet, ``workers`` at a time in forked processes
        (:func:`h2lane.forking.in_processes`); where forking is unavailable they are left to
        :meth:`evaluate`. The results are those of evaluating each chain in turn. ``tick``
        receives the chains done (counted in this process's share, times the shares);
        ``workers`` defaults to :data:`PLAN_WORKERS`."""
        workers = PLAN_WORKERS if workers is None else workers
        todo: dict[tuple, tuple[Truck, TruckType, list[_Job]]] = {}
        for truck, ttype, jobs in chains:
            key = self._key(truck, ttype, jobs)
            if jobs and key not in self.cache:
                todo.setdefault(key, (truck, ttype, jobs))
        if workers < 2 or len(todo) < 2 * workers:
            return
        items = list(todo.items())
        shares = [[(i, items[i::workers])] for i in range(workers)]
        base = dict(self.stats)

        def work(share: list) -> dict:
            ((i, mine),) = share
            done: dict = {}
            for n, (key, (truck, ttype, jobs)) in enumerate(mine, start=1):
                done[key] = self._evaluate(truck, ttype, jobs)
                if tick is not None and i == 0:
                    tick(n * workers)
            return {i: (done, {k: self.stats[k] - base[k] for k in base})}

        merged = in_processes(work, shares)
        if merged is None:
            return
        for i, (done, stats) in merged.items():
            self.cache.update(done)
            self.stats["evaluations"] += len(done)
            if i:  # this process's own counts are already in self.stats
                for k, v in stats.items():
                    self.stats[k] += v

    def _score(self, plan: TripPlan) -> tuple[float, float]:
        sol = plan.solution
        return (
            (sol.duration_h, sol.cost) if self.objective == "time" else (sol.cost, sol.duration_h)
        )

    def _evaluate(self, truck: Truck, ttype: TruckType, jobs: list[_Job]) -> _Eval:
        if not jobs:
            return _Eval(True, (0.0, 0.0))
        for job in jobs:
            if job.order.tonnes > ttype.payload_t + 1e-9:
                return _Eval(
                    False,
                    (float("inf"), 0.0),
                    reason=f"order {job.order.id} has {job.order.tonnes:g} t but truck type "
                    f"{ttype.id} carries {ttype.payload_t:g} t",
                )
        points, loaded, marks = self._chain(truck, jobs)
        if len(points) < 2:
            return _Eval(False, (float("inf"), 0.0), reason="the order goes nowhere")
        try:
            depart = self._depart(points, loaded, ttype, marks, jobs)
            plan = self.plan(self._request(points, loaded, ttype, depart))
        except InfeasibleTripError as exc:
            return _Eval(False, (float("inf"), 0.0), reason=self._reason(exc, points, marks, jobs))
        visits = {v.index: v for v in plan.solution.visits}
        events: list[tuple[datetime, int, dict[str, Any]]] = []
        for i, kind, k in marks:
            job = jobs[k]
            t = plan.at(visits[i].arrive_h)
            if kind == "pickup" and job.ready is not None and t < job.ready:
                t = job.ready
            entry: dict[str, Any] = {
                "order_id": job.order.id,
                "event": kind,
                "place": points[i].name,
                "time": timeutil.iso(t),
            }
            if kind == "delivery" and job.due is not None:
                entry["due"] = timeutil.iso(job.due)
                entry["on_time"] = t <= job.due
            events.append((t, 0, entry))
        for b in plan.break_rows():
            where = b["station_id"]
            if where is None and b["waypoint"] is not None:
                where = points[b["waypoint"]].name
            events.append(
                (
                    timeutil.parse_datetime(b["start"]) or depart,
                    1,
                    {
                        "order_id": None,
                        "event": b["kind"],
                        "place": where or "roadside",
                        "time": b["start"],
                        "minutes": b["minutes"],
                        "km_from_start": b["km_from_start"],
                    },
                )
            )
        events.sort(key=lambda e: (e[0], e[1]))
        schedule = [e for _, _, e in events]
        return _Eval(True, self._score(plan), plan, schedule, depart, plan.arrive)

    def _chain(
        self, truck: Truck, jobs: list[_Job]
    ) -> tuple[list[Waypoint], list[bool], list[tuple[int, str, int]]]:
        """The chain's waypoints, which legs are loaded, and (waypoint, pickup/delivery, job)."""
        depot = _waypoint(self.scen, truck.depot)
        points: list[Waypoint] = [depot]
        loaded: list[bool] = []
        marks: list[tuple[int, str, int]] = []  # (waypoint index, "pickup"/"delivery", job)
        for k, job in enumerate(jobs):
            for wp, is_loaded, kind in (
                (dataclasses.replace(job.origin, ready=job.ready), False, "pickup"),
                (dataclasses.replace(job.destination, due=job.due), True, "delivery"),
            ):
                last = points[-1]
                if (wp.lat, wp.lon) == (last.lat, last.lon):
                    points[-1] = _merge(last, wp)
                else:
                    points.append(wp)
                    loaded.append(is_loaded)
                marks.append((len(points) - 1, kind, k))
        if self.return_to_depot and (points[-1].lat, points[-1].lon) != (depot.lat, depot.lon):
            points.append(dataclasses.replace(depot))
            loaded.append(False)
        return points, loaded, marks

    def _depart(
        self,
        points: list[Waypoint],
        loaded: list[bool],
        ttype: TruckType,
        marks: list[tuple[int, str, int]],
        jobs: list[_Job],
    ) -> datetime:
        """Leave the depot so as to reach the first pick-up at its ready time."""
        first_ready = jobs[0].ready
        if first_ready is None:
            return self.default_depart
        pickup0 = next(i for i, kind, _ in marks if kind == "pickup")
        if pickup0 == 0:
            return first_ready
        # the probe depends only on the places up to the first pick-up: one solve per place list
        key = (ttype.id, tuple((p.lat, p.lon) for p in points[: pickup0 + 1]), *loaded[:pickup0])
        if key not in self.probes or not self.prune:
            prefix = [dataclasses.replace(p, ready=None, due=None) for p in points[: pickup0 + 1]]
            req = self._request(prefix, loaded[:pickup0], ttype, self.default_depart)
            self.stats["probes"] += 1
            try:
                self.probes[key] = self.plan(req).solution.duration_h
            except InfeasibleTripError as exc:
                self.probes[key] = exc
        hours = self.probes[key]
        if isinstance(hours, InfeasibleTripError):
            raise hours
        return first_ready - timedelta(hours=hours)

    def bound(self, truck: Truck, ttype: TruckType, jobs: list[_Job]) -> float:
        """A lower bound on the chain's truck-hours (``inf``: certainly infeasible).

        Objective ``time`` only (``-inf`` otherwise, or when the departure probe fails).
        Every leg drives at least its direct road km at the truck's speed (a stop at a
        station only lengthens it); the truck leaves a pick-up no earlier than its ready
        time; between two pick-ups the driver needs at least the breaks and daily rests of
        that stretch's driving from a rested start; and it reaches the last delivery of a
        leading part already planned feasibly no earlier than the quickest plan of the chain
        cut there (:meth:`_early`). Arriving later than a due time by this bound is certain
        lateness. No full trip is planned: the departure probe and the cut plans are cached.
        """
        if not self.prune:
            return -math.inf
        key = (ttype.id, truck.depot, tuple(j.order.id for j in jobs))
        if key not in self.bounds:
            self.stats["bounds"] += 1
            self.bounds[key] = self._bound(truck, ttype, jobs)
        return self.bounds[key]

    def _bound(self, truck: Truck, ttype: TruckType, jobs: list[_Job]) -> float:
        if self.objective != "time":
            return -math.inf
        if not jobs:
            return 0.0
        if any(j.order.tonnes > ttype.payload_t + 1e-9 for j in jobs):
            return math.inf
        points, loaded, marks = self._chain(truck, jobs)
        if len(points) < 2:
            return math.inf
        try:
            depart = self._depart(points, loaded, ttype, marks, jobs)
        except InfeasibleTripError:
            return -math.inf  # the exact evaluation reports it
        speed = ttype.speed_kmh

        def since(t: datetime | None) -> float:
            return -math.inf if t is None else (t - depart).total_seconds() / 3600.0

        cut, early = self._early(truck, ttype, jobs, points, loaded, marks, depart)
        start = max(0.0, since(points[0].ready))  # the stretch starts: depot or a pick-up
        drive = 0.0
        arrive = 0.0
        for k in range(len(points) - 1):
            km = self._road_km(points[k], points[k + 1])
            if not math.isfinite(km):
                return -math.inf
            drive += km / speed
            arrive = start + drive + self._rest_h(drive)
            if k + 1 == cut and early > arrive:  # a new stretch from the earliest arrival
                start, drive, arrive = early, 0.0, early
            wp = points[k + 1]
            if wp.due is not None and arrive > since(wp.due) + 1e-3:
                return math.inf
            if wp.ready is not None:
                start, drive = max(arrive, since(wp.ready)), 0.0
                arrive = start
        return arrive * (1.0 - 1e-9) - 1e-7

    def _early(
        self,
        truck: Truck,
        ttype: TruckType,
        jobs: list[_Job],
        points: list[Waypoint],
        loaded: list[bool],
        marks: list[tuple[int, str, int]],
        depart: datetime,
    ) -> tuple[int, float]:
        """(waypoint, hours after ``depart``): the earliest arrival at the last delivery of
        the longest leading part of ``jobs`` already planned feasibly, ``(-1, 0)`` if none.

        Every plan of the whole chain starts with a plan of the chain cut there (same
        departure, ready times, truck, rests), so it arrives no earlier than the quickest
        such plan (the trip planner's own earliest-arrival query, cached per process).
        """
        for n in range(len(jobs) - 1, 0, -1):
            ev = self.cache.get((ttype.id, truck.depot, tuple(j.order.id for j in jobs[:n])))
            if ev is not None and ev.feasible:
                break
        else:
            return -1, 0.0
        cut = next(i for i, kind, k in marks if kind == "delivery" and k == n - 1)
        req = self._request(points, loaded, ttype, depart)
        at = earliest_arrival(self.graph, self.stations, req, cut, None, self.station_graph)
        if at is None:
            return -1, 0.0
        return cut, (at - depart).total_seconds() / 3600.0

    def _rest_h(self, drive_h: float) -> float:
        """Least rest time within ``drive_h`` hours of driving from a rested start."""
        r = self.rest
        if not r.enabled or drive_h <= 0.0:
            return 0.0
        days = math.ceil(drive_h / r.max_daily_drive_h - 1e-9)
        spans = math.ceil(drive_h / r.max_drive_h - 1e-9)
        if r.daily_rest_h >= r.break_h:
            return (days - 1) * r.daily_rest_h + max(spans - days, 0) * r.break_h
        return max(spans - 1, 0) * r.daily_rest_h

    def _road_km(self, a: Waypoint, b: Waypoint) -> float:
        """Shortest road km between two places plus their off-road access (``inf``: none)."""
        key = (a.lat, a.lon, b.lat, b.lon)
        if key not in self.km:
            try:
                sa, sb = self.graph.snap(a.lat, a.lon), self.graph.snap(b.lat, b.lon)
            except H2laneError:
                return math.inf  # the exact plan reports it
            road = self.graph.engine.distance_km(sa.node, sb.node)
            self.km[key] = (road + sa.snap_km) + sb.snap_km if math.isfinite(road) else math.inf
        return self.km[key]

    def _reason(
        self,
        exc: InfeasibleTripError,
        points: list[Waypoint],
        marks: list[tuple[int, str, int]],
        jobs: list[_Job],
    ) -> str:
        late = exc.details.get("late")
        if not late:
            return str(exc)
        i = late["waypoint"]
        arrive = timeutil.parse_datetime(late["arrive"])
        for j, kind, k in marks:
            due = jobs[k].due
            if j == i and kind == "delivery" and due is not None and arrive and arrive > due:
                return (
                    f"order {jobs[k].order.id} reaches {points[i].name} at "
                    f"{arrive:%Y-%m-%d %H:%M%z}, after its due time {due:%Y-%m-%d %H:%M%z}"
                )
        return str(exc)

    def _request(
        self, points: list[Waypoint], loaded: list[bool], ttype: TruckType, depart: datetime
    ) -> TripRequest:
        return TripRequest(
            waypoints=[dataclasses.replace(p) for p in points],
            truck=ttype,
            loaded=loaded,
            start_kg=ttype.tank_kg,
            reserve_kg=self.reserve_kg,
            objective=self.objective,
            depart=depart,
            rest=self.rest,
            queue_wait_min=self.queue_wait_min,
        )


def plan_dispatch(
    scen: Scenario,
    graph: RoadGraph,
    *,
    stations: list[Station] | None = None,
    objective: Objective = "time",
    reserve_kg: float = 5.0,
    default_depart: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    rest: RestRules | None = None,
    queue_wait_min: dict[str, list[float]] | None = None,
    engine: Engine = "vrp",
    time_limit: float = 5.0,
    seed: int = 0,
    max_iterations: int = 20_000,
    return_to_depot: bool = True,
) -> DispatchPlan:
    """Assign and sequence the scenario's orders on its trucks, with exact refuelling per truck.

    ``engine`` ``vrp`` searches for ``time_limit`` seconds or ``max_iterations`` at most,
    and stops after 2,000 iterations without a new best; ``seed`` fixes its random choices,
    and the plan is the same on every run unless the time limit cuts the search short.
    ``greedy`` is the insertion baseline. ``return_to_depot=False`` ends each truck's chain
    at its last delivery (the truck stays out; its hours end there).

    ``rest`` defaults to the statutory rest rules; ``RestRules.off()`` plans without breaks.
    ``default_depart`` (any offset, naive = China time) is used for orders without a ready time.
    ``queue_wait_min`` (station id → 24 hourly minutes) makes every stop wait the expected
    queue, as in :class:`~h2lane.routing.trip.TripRequest`.
    """
    stations = scen.stations if stations is None else stations
    rest = RestRules() if rest is None else rest
    if not scen.trucks:
        raise InfeasibleTripError(f"scenario '{scen.name}' has no trucks to dispatch")
    if default_depart is None:
        default_depart = timeutil.at(timeutil.today(), 8)
    default_depart = timeutil.parse_datetime(default_depart) or default_depart
    if engine not in ENGINES:  # before the station graph is built
        raise OptionError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    disp = _Dispatcher(
        scen,
        graph,
        stations,
        objective,
        reserve_kg,
        default_depart,
        rest,
        queue_wait_min,
        return_to_depot,
    )
    types = {t.id: t for t in scen.truck_types}
    if engine == "vrp":
        return _plan_vrp(disp, time_limit, seed, progress, max_iterations)
    jobs = [_job(scen, o) for o in scen.orders]
    jobs.sort(key=lambda j: (j.ready or _FAR_PAST, j.due or _FAR_FUTURE, j.order.id))
    assigned: dict[str, list[_Job]] = {t.id: [] for t in scen.trucks}
    unassigned: list[dict[str, str]] = []
    total_steps = len(jobs) * 2
    step = 0

    def current(truck: Truck) -> _Eval:
        return disp.evaluate(truck, types[truck.type], assigned[truck.id])

    # a truck whose increase is bounded above some feasible truck's by more than the drift
    # the tie-break tolerance allows over the whole scan can never be the choice (see _reach)
    reach = (len(scen.trucks) + 3) * 1e-6 + _SLACK
    for job in jobs:
        best: tuple[tuple[float, float], Truck] | None = None
        reasons: list[str] = []
        skipped = False
        lbs = {
            t.id: disp.bound(t, types[t.type], [*assigned[t.id], job]) - current(t).score[0]
            for t in scen.trucks
        }
        known = _reach(disp, scen.trucks, types, assigned, job, lbs) if disp.prune else math.inf
        for truck in scen.trucks:
            before = current(truck)
            chain = [*assigned[truck.id], job]
            # a truck whose bound cannot beat the best so far is not better: skip its plan
            lb = lbs[truck.id]
            if (
                lb == math.inf
                or (best is not None and lb > best[0][0] + _SLACK)
                or lb > known + reach
            ):
                disp.stats["pruned"] += 1
                skipped = True
                continue
            after = disp.evaluate(truck, types[truck.type], chain)
            if not after.feasible:
                reasons.append(after.reason)
                continue
            inc = (after.score[0] - before.score[0], after.score[1] - before.score[1])
            if best is None or _better(inc, best[0]):
                best = (inc, truck)
        if best is None:
            if skipped:  # the exact reasons, in fleet order, up to the first naming the order
                reasons = []
                for t in scen.trucks:
                    ev = disp.evaluate(t, types[t.type], [*assigned[t.id], job])
                    if not ev.feasible:
                        reasons.append(ev.reason)
                        if f"order {job.order.id} " in ev.reason:
                            break
            unassigned.append({"order_id": job.order.id, "reason": _reason(job, reasons)})
        else:
            assigned[best[1].id].append(job)
        step += 1
        if progress:
            progress(step, total_steps)
    _improve(disp, scen, types, assigned)
    routes = _routes(disp, scen, types, assigned)
    if progress:
        progress(total_steps, total_steps)
    return DispatchPlan(scen.name, objective, routes, unassigned)


def _reach(
    disp: _Dispatcher,
    trucks: list[Truck],
    types: dict[str, TruckType],
    assigned: dict[str, list[_Job]],
    job: _Job,
    lbs: dict[str, float],
) -> float:
    """The truck-hours increase of one feasible truck for ``job``, tried in bound order
    (``inf`` if none).

    With it, the scan in fleet order may skip any truck whose bound exceeds it by more than
    ``(trucks + 3) × tolerance``: once this truck is scanned the best so far is within the
    tolerance of it and drifts up by at most the tolerance per change, so such a truck is
    never taken after it; before it, two scans that differ only in such trucks hold bests
    that both lose to it (the lower of the two drops by at most the tolerance per change),
    so they agree from there on.
    """
    for t in sorted(trucks, key=lambda t: lbs[t.id]):
        if lbs[t.id] == math.inf:  # certainly infeasible, and so are the rest
            break
        ev = disp.evaluate(t, types[t.type], [*assigned[t.id], job])
        if ev.feasible:
            before = disp.evaluate(t, types[t.type], assigned[t.id])
            return ev.score[0] - before.score[0]
    return math.inf


def _routes(
    disp: _Dispatcher,
    scen: Scenario,
    types: dict[str, TruckType],
    assigned: dict[str, list[_Job]],
) -> list[dict[str, Any]]:
    """The route documents of the trucks with orders, from their exact trip plans."""
    routes = []
    for truck in scen.trucks:
        ev = disp.evaluate(truck, types[truck.type], assigned[truck.id])
        if not assigned[truck.id] or ev.plan is None:
            continue
        d = ev.plan.to_dict()
        d["truck"]["truck_id"] = truck.id
        d["truck_id"] = truck.id
        d["orders"] = [j.order.id for j in assigned[truck.id]]
        d["schedule"] = ev.schedule
        d["depart"] = timeutil.iso(ev.depart) if ev.depart else d["depart"]
        d["finish"] = timeutil.iso(ev.finish) if ev.finish else d["arrive"]
        _label_legs(d, assigned[truck.id])
        routes.append(d)
    return routes


def _plan_vrp(
    disp: _Dispatcher,
    time_limit: float,
    seed: int,
    progress: Callable[[int, int], None] | None,
    max_iterations: int,
) -> DispatchPlan:
    """Assignment and sequences from the FTL search, exact trip plans per truck (the
    scenario, stations, objective and rules are the dispatcher's)."""
    from h2lane.routing.vrp.ftl import solve_ftl
    from h2lane.routing.vrp.ftlbuild import build_instance
    from h2lane.routing.vrp.ftlcheck import check_ftl

    scen = disp.scen
    built = build_instance(
        scen,
        disp.graph,
        stations=disp.stations,
        objective=disp.objective,
        reserve_kg=disp.reserve_kg,
        default_depart=disp.default_depart,
        rest=disp.rest,
        return_to_depot=disp.return_to_depot,
    )
    inst = built.instance
    steps = 100 + len(scen.trucks)

    def tick(frac: float) -> None:
        if progress:
            progress(int(100 * frac), steps)

    sol = solve_ftl(
        inst,
        time_limit=time_limit,
        max_iterations=max_iterations,
        idle_iterations=2000,
        seed=seed,
        progress=tick,
    )
    check_ftl(inst, sol.routes).raise_if_invalid()
    types = {t.id: t for t in scen.truck_types}
    by_id = {o.id: o for o in scen.orders}
    assigned: dict[str, list[_Job]] = {t.id: [] for t in scen.trucks}
    used = {scen.trucks[r.truck].id for r in sol.routes}
    unassigned: list[dict[str, str]] = []
    for u in sol.unserved:
        job = _job(scen, by_id[inst.orders[u.order].id])
        reason = u.message
        if u.reason != "fleet":
            # the exact planner's own reason (clock times), or a truck it can serve it on
            reasons = []
            for truck in scen.trucks:
                ev = disp.evaluate(truck, types[truck.type], [job])
                if ev.feasible and truck.id not in used:
                    assigned[truck.id] = [job]
                    used.add(truck.id)
                    break
                reasons.append(ev.reason)
            else:
                unassigned.append({"order_id": job.order.id, "reason": _reason(job, reasons)})
            continue
        unassigned.append({"order_id": job.order.id, "reason": reason})
    chains = []
    for route in sol.routes:
        truck = scen.trucks[route.truck]
        jobs = [_job(scen, by_id[inst.orders[k].id]) for k in route.orders]
        chains.append((truck, types[truck.type], jobs))

    shown = [0]

    def planned(n: int) -> None:  # chains planned so far, never going back
        shown[0] = max(shown[0], min(n, len(chains)))
        if progress:
            progress(100 + shown[0], steps)

    disp.prefetch(chains, tick=planned)
    for n, (truck, ttype, jobs) in enumerate(chains):
        # the exact planner on the search's sequence; an order it cannot keep is reported
        while jobs:
            ev = disp.evaluate(truck, ttype, jobs)
            if ev.feasible:
                break
            drop = next((j for j in jobs if f"order {j.order.id} " in ev.reason), jobs[-1])
            unassigned.append({"order_id": drop.order.id, "reason": ev.reason})
            jobs = [j for j in jobs if j is not drop]
        assigned[truck.id] = jobs
        planned(n + 1)
    routes = _routes(disp, scen, types, assigned)
    if progress:
        progress(steps, steps)
    search = {
        "engine": "vrp",
        "seconds": round(sol.seconds, 3),
        "iterations": sol.iterations,
        "first_feasible_s": round(sol.first_feasible_s, 3),
        "search_truck_hours": round(sol.truck_hours, 3),
        "search_h2_cost": round(sol.h2_cost, 2),
        "search_served": len(inst.orders) - len(sol.unserved),
        "first_served": sol.first_served,
        "first_truck_hours": round(sol.first_truck_hours, 3),
        "empty_km": round(sol.empty_km, 1),
        "checked": True,
    }
    unassigned.sort(key=lambda u: u["order_id"])
    return DispatchPlan(scen.name, disp.objective, routes, unassigned, search)


def _job(scen: Scenario, o: Order) -> _Job:
    return _Job(
        o, _waypoint(scen, o.origin), _waypoint(scen, o.destination), _time(o.ready), _time(o.due)
    )


def _label_legs(d: dict[str, Any], jobs: list[_Job]) -> None:
    """Put each order's id and tonnes on its loaded leg."""
    queue = list(jobs)
    for leg in d["legs"]:
        if leg["loaded"] and queue:
            job = queue.pop(0)
            leg["order_id"] = job.order.id
            leg["tonnes"] = job.order.tonnes
        else:
            leg["order_id"] = None
            leg["tonnes"] = 0.0


def _reason(job: _Job, reasons: list[str]) -> str:
    if not reasons:
        return "no truck can serve it"
    own = [r for r in reasons if f"order {job.order.id} " in r]
    return (own or reasons)[0]


def _improve(
    disp: _Dispatcher, scen: Scenario, types: dict[str, TruckType], assigned: dict[str, list[_Job]]
) -> None:
    """Relocate single orders between trucks while that lowers the total score."""
    trucks = {t.id: t for t in scen.trucks}

    def score(tid: str, jobs: list[_Job]) -> _Eval:
        return disp.evaluate(trucks[tid], types[trucks[tid].type], jobs)

    def bound(tid: str, jobs: list[_Job]) -> float:
        return disp.bound(trucks[tid], types[trucks[tid].type], jobs)

    improved = True
    rounds = 0
    while improved and rounds < 20:
        improved = False
        rounds += 1
        for src in list(assigned):
            for job in list(assigned[src]):
                base_src = score(src, assigned[src])
                src_without = [j for j in assigned[src] if j is not job]
                lb_src = bound(src, src_without)
                ev_src: _Eval | None = None  # planned once a destination may pay off
                for dst in assigned:
                    if dst == src:
                        continue
                    base_dst = score(dst, assigned[dst])
                    new_dst = sorted(
                        [*assigned[dst], job], key=lambda j: (j.ready or _FAR_PAST, j.order.id)
                    )
                    old = (
                        base_src.score[0] + base_dst.score[0],
                        base_src.score[1] + base_dst.score[1],
                    )
                    # bounds that cannot beat the old pair (or a certain lateness): no move
                    lb_dst = bound(dst, new_dst)
                    if lb_src + lb_dst > old[0] + _SLACK:
                        disp.stats["pruned"] += 1
                        continue
                    if ev_src is None:
                        ev_src = score(src, src_without)
                    if not ev_src.feasible:
                        break
                    if ev_src.score[0] + lb_dst > old[0] + _SLACK:
                        disp.stats["pruned"] += 1
                        continue
                    ev_dst = score(dst, new_dst)
                    if not ev_dst.feasible:  # ev_src is feasible here (checked above)
                        continue
                    new = (ev_src.score[0] + ev_dst.score[0], ev_src.score[1] + ev_dst.score[1])
                    if _better(new, old):
                        assigned[src], assigned[dst] = src_without, new_dst
                        improved = True
                        break
                if improved:
                    break
            if improved:
                break


__all__ = ["DispatchPlan", "H2laneError", "plan_dispatch"]
