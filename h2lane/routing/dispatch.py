"""Fleet dispatch of a scenario's freight orders on the road network.

Orders are full-truckload moves (origin → destination, tonnes ≤ payload, optional ready/due
times). Each truck runs a chain depot → origin₁ → destination₁ → origin₂ → … → depot; the
refuelling stops of the whole chain are planned exactly by the trip planner (loaded legs at
loaded consumption, empty legs at empty consumption), then the timeline adds waiting for
each order's ready time and checks its due time.

Assignment: orders sorted by ready time are inserted one by one where they add least to the
objective (truck-hours or hydrogen cost), then improved by relocating orders between trucks
until no move helps. Orders that cannot be served are reported with the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from h2lane.errors import H2laneError, InfeasibleTripError
from h2lane.roads.graph import RoadGraph
from h2lane.routing.refuel import Objective
from h2lane.routing.trip import TripPlan, TripRequest, Waypoint, plan_trip
from h2lane.scenario.io import parse_latlon
from h2lane.scenario.model import Order, Scenario, Station, Truck, TruckType


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

    def to_dict(self) -> dict[str, Any]:
        totals = {
            "trucks_used": len(self.routes),
            "orders_served": sum(len(r["orders"]) for r in self.routes),
            "orders_unassigned": len(self.unassigned),
            "distance_km": round(sum(r["distance_km"] for r in self.routes), 3),
            "duration_h": round(sum(r["duration_h"] for r in self.routes), 3),
            "h2_kg": round(sum(r["h2_kg"] for r in self.routes), 3),
            "cost": round(sum(r["cost"] for r in self.routes), 2),
        }
        return {
            "kind": "h2lane.dispatch-plan",
            "version": 1,
            "scenario": self.scenario,
            "objective": self.objective,
            "totals": totals,
            "routes": self.routes,
            "unassigned": self.unassigned,
        }


def _waypoint(scen: Scenario, text: str) -> Waypoint:
    place = scen.place(text)
    if place is not None:
        return Waypoint(place.name, place.lat, place.lon)
    latlon = parse_latlon(text)
    if latlon is None:  # validated on load; kept for scenarios built in code
        raise InfeasibleTripError(f"'{text}' is neither a place of the scenario nor 'lat,lon'")
    return Waypoint(text, *latlon)


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class _Dispatcher:
    def __init__(
        self,
        scen: Scenario,
        graph: RoadGraph,
        stations: list[Station],
        objective: Objective,
        reserve_kg: float,
        default_depart: datetime,
    ) -> None:
        self.scen, self.graph, self.stations = scen, graph, stations
        self.objective, self.reserve_kg, self.default_depart = objective, reserve_kg, default_depart
        self.cache: dict[tuple[str, tuple[str, ...]], _Eval] = {}

    def evaluate(self, truck: Truck, ttype: TruckType, jobs: list[_Job]) -> _Eval:
        key = (truck.id, tuple(j.order.id for j in jobs))
        if key not in self.cache:
            self.cache[key] = self._evaluate(truck, ttype, jobs)
        return self.cache[key]

    def _evaluate(self, truck: Truck, ttype: TruckType, jobs: list[_Job]) -> _Eval:
        if not jobs:
            return _Eval(True, (0.0, 0.0))
        depot = _waypoint(self.scen, truck.depot)
        points: list[Waypoint] = [depot]
        loaded: list[bool] = []
        marks: list[tuple[int, str, int]] = []  # (waypoint index, "pickup"/"delivery", job)
        for k, job in enumerate(jobs):
            for wp, is_loaded, kind in (
                (job.origin, False, "pickup"),
                (job.destination, True, "delivery"),
            ):
                last = points[-1]
                if (wp.lat, wp.lon) == (last.lat, last.lon):
                    points[-1] = dataclasses.replace(wp)
                else:
                    points.append(dataclasses.replace(wp))
                    loaded.append(is_loaded)
                marks.append((len(points) - 1, kind, k))
        if (points[-1].lat, points[-1].lon) != (depot.lat, depot.lon):
            points.append(dataclasses.replace(depot))
            loaded.append(False)
        if len(points) < 2:
            return _Eval(False, (float("inf"), 0.0), reason="the order goes nowhere")
        first_ready = jobs[0].ready
        try:
            probe = plan_trip(
                self.graph, self.stations, self._request(points, loaded, ttype, self.default_depart)
            )
        except InfeasibleTripError as exc:
            return _Eval(False, (float("inf"), 0.0), reason=str(exc))
        legs = probe.legs
        # time to the first pickup decides when to leave the depot
        pickup0 = next(i for i, kind, _ in marks if kind == "pickup")
        to_first = sum(leg["duration_h"] for leg in legs[:pickup0])
        depart = (
            first_ready - timedelta(hours=to_first)
            if first_ready is not None
            else self.default_depart
        )
        plan = probe
        if depart != self.default_depart:
            plan = plan_trip(
                self.graph, self.stations, self._request(points, loaded, ttype, depart)
            )
            legs = plan.legs
        # timeline with waiting for ready times
        clock = depart
        arrive_at: dict[int, datetime] = {0: clock}
        wait_h = 0.0
        ready_at = {i: jobs[k].ready for i, kind, k in marks if kind == "pickup"}
        for li, leg in enumerate(legs):
            clock += timedelta(hours=leg["duration_h"])
            arrive_at[li + 1] = clock
            r = ready_at.get(li + 1)
            if r is not None and clock < r:
                wait_h += (r - clock).total_seconds() / 3600
                clock = r
        schedule = []
        late = []
        for i, kind, k in marks:
            job = jobs[k]
            t = arrive_at[i]
            if kind == "pickup" and job.ready is not None and t < job.ready:
                t = job.ready
            entry = {
                "order_id": job.order.id,
                "event": kind,
                "place": points[i].name,
                "time": t.isoformat(timespec="minutes"),
            }
            if kind == "delivery" and job.due is not None:
                entry["due"] = job.due.isoformat(timespec="minutes")
                entry["on_time"] = t <= job.due
                if t > job.due:
                    late.append(
                        f"order {job.order.id} reaches {points[i].name} at {t:%Y-%m-%d %H:%M}, after its due time {job.due:%Y-%m-%d %H:%M}"
                    )
            schedule.append(entry)
        total_h = plan.solution.duration_h + wait_h
        score = (
            (total_h, plan.solution.cost)
            if self.objective == "time"
            else (plan.solution.cost, total_h)
        )
        for job in jobs:
            if job.order.tonnes > ttype.payload_t + 1e-9:
                late.append(
                    f"order {job.order.id} has {job.order.tonnes:g} t but truck type {ttype.id} carries {ttype.payload_t:g} t"
                )
        return _Eval(not late, score, plan, schedule, depart, clock, "; ".join(late))

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
) -> DispatchPlan:
    """Assign and sequence the scenario's orders on its trucks, with exact refuelling per truck."""
    stations = scen.stations if stations is None else stations
    if not scen.trucks:
        raise InfeasibleTripError(f"scenario '{scen.name}' has no trucks to dispatch")
    default_depart = default_depart or datetime.now().replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    disp = _Dispatcher(scen, graph, stations, objective, reserve_kg, default_depart)
    types = {t.id: t for t in scen.truck_types}
    jobs = [
        _Job(
            o,
            _waypoint(scen, o.origin),
            _waypoint(scen, o.destination),
            _time(o.ready),
            _time(o.due),
        )
        for o in scen.orders
    ]
    jobs.sort(key=lambda j: (j.ready or datetime.min, j.due or datetime.max, j.order.id))
    assigned: dict[str, list[_Job]] = {t.id: [] for t in scen.trucks}
    unassigned: list[dict[str, str]] = []
    total_steps = len(jobs) * 2
    step = 0

    def current(truck: Truck) -> _Eval:
        return disp.evaluate(truck, types[truck.type], assigned[truck.id])

    for job in jobs:
        best: tuple[tuple[float, float], Truck] | None = None
        reasons: list[str] = []
        for truck in scen.trucks:
            before = current(truck)
            after = disp.evaluate(truck, types[truck.type], [*assigned[truck.id], job])
            if not after.feasible:
                reasons.append(after.reason)
                continue
            inc = (after.score[0] - before.score[0], after.score[1] - before.score[1])
            if best is None or inc < best[0]:
                best = (inc, truck)
        if best is None:
            unassigned.append({"order_id": job.order.id, "reason": _reason(job, reasons)})
        else:
            assigned[best[1].id].append(job)
        step += 1
        if progress:
            progress(step, total_steps)
    _improve(disp, scen, types, assigned)
    routes = []
    for truck in scen.trucks:
        ev = current(truck)
        if not assigned[truck.id] or ev.plan is None:
            continue
        d = ev.plan.to_dict()
        d["truck"]["truck_id"] = truck.id
        d["truck_id"] = truck.id
        d["orders"] = [j.order.id for j in assigned[truck.id]]
        d["schedule"] = ev.schedule
        d["depart"] = ev.depart.isoformat(timespec="minutes") if ev.depart else d["depart"]
        d["finish"] = ev.finish.isoformat(timespec="minutes") if ev.finish else d["arrive"]
        d["duration_h"] = round(ev.score[0] if objective == "time" else ev.score[1], 4)
        _label_legs(d, assigned[truck.id])
        routes.append(d)
    if progress:
        progress(total_steps, total_steps)
    return DispatchPlan(scen.name, objective, routes, unassigned)


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

    improved = True
    rounds = 0
    while improved and rounds < 20:
        improved = False
        rounds += 1
        for src in list(assigned):
            for job in list(assigned[src]):
                base_src = score(src, assigned[src])
                src_without = [j for j in assigned[src] if j is not job]
                ev_src = score(src, src_without)
                for dst in assigned:
                    if dst == src:
                        continue
                    base_dst = score(dst, assigned[dst])
                    new_dst = sorted(
                        [*assigned[dst], job], key=lambda j: (j.ready or datetime.min, j.order.id)
                    )
                    ev_dst = score(dst, new_dst)
                    if not (ev_src.feasible and ev_dst.feasible):
                        continue
                    old = (
                        base_src.score[0] + base_dst.score[0],
                        base_src.score[1] + base_dst.score[1],
                    )
                    new = (ev_src.score[0] + ev_dst.score[0], ev_src.score[1] + ev_dst.score[1])
                    if new < (old[0] - 1e-6, old[1]):
                        assigned[src], assigned[dst] = src_without, new_dst
                        improved = True
                        break
                if improved:
                    break
            if improved:
                break


__all__ = ["DispatchPlan", "H2laneError", "plan_dispatch"]
