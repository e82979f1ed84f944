"""Trip planning for one truck on the road network: where to refuel, how much, how long, what cost.

Times: every datetime is aware and in China time (:mod:`h2lane.timeutil`); ``depart`` may
carry any offset and is converted. Driver rests follow :class:`~h2lane.routing.rest.RestRules`
(on by default); the plan lists every break and daily rest and explains long waits in
``notices``.

Off-road access: a waypoint or station given by latitude and longitude is joined to its
nearest road node (``snap_km``, straight-line distance, refused beyond the graph's snap
limit). That access is driven on arriving and on leaving the point, so it is added to the
km of every hop that starts or ends there, and the leg's hydrogen and driving time follow
from those km at the leg's consumption and the truck's speed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from h2lane import OSM_ATTRIBUTION, timeutil
from h2lane.errors import InfeasibleTripError, OptionError, RoadNetworkError
from h2lane.roads.engines import PathEngine
from h2lane.roads.graph import MAX_SNAP_KM, RoadGraph
from h2lane.routing.refuel import (
    Objective,
    RefuelProblem,
    RefuelSolution,
    RestEvent,
    StopGraph,
    solve,
)
from h2lane.routing.rest import RestRules
from h2lane.scenario.model import Station, TruckType

LONG_WAIT_H = 0.5
"""Waits at least this long get a notice."""


@dataclass(slots=True)
class Waypoint:
    """A point the truck must pass, snapped to the road graph.

    ``ready`` is the earliest time the truck may leave it (a pick-up's ready time: the truck
    waits), ``due`` the latest time it may arrive (plans arriving later are not allowed).
    """

    name: str
    lat: float
    lon: float
    node: int = -1
    snap_km: float = 0.0
    ready: datetime | None = None
    due: datetime | None = None


def _finite(option: str, value: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"{option} must be a finite number of {unit}, not {value!r}")
    if value < 0:
        raise OptionError(f"{option} must be at least 0 {unit}, not {value:g}")
    return float(value)


def _aware(value: datetime, what: str) -> datetime:
    parsed = timeutil.parse_datetime(value)
    if parsed is None:
        raise OptionError(f"{what} must be a date-time, not {value!r}")
    return parsed


@dataclass(slots=True)
class TripRequest:
    """What the dispatcher asks for; checked on creation (bad values raise OptionError).

    Option names in messages are the CLI's (``--start-kg``, ``--reserve-kg``, ``--tonnes``).
    """

    waypoints: list[Waypoint]
    truck: TruckType
    loaded: list[bool]
    start_kg: float
    reserve_kg: float
    objective: Objective = "time"
    depart: datetime = field(
        default_factory=lambda: datetime(2026, 1, 1, 8, 0, tzinfo=timeutil.CHINA)
    )
    full_refuel: bool = False
    tonnes: float | None = None
    truck_id: str | None = None
    rest: RestRules = field(default_factory=RestRules)

    def __post_init__(self) -> None:
        t = self.truck
        self.start_kg = _finite("--start-kg", self.start_kg, "kg")
        self.reserve_kg = _finite("--reserve-kg", self.reserve_kg, "kg")
        if self.start_kg > t.tank_kg + 1e-9:
            raise OptionError(
                f"--start-kg {self.start_kg:g} exceeds the usable tank of {t.tank_kg:g} kg "
                f"of truck type {t.id}"
            )
        if self.reserve_kg >= t.tank_kg:
            raise OptionError(
                f"--reserve-kg {self.reserve_kg:g} leaves nothing of the {t.tank_kg:g} kg tank "
                f"of truck type {t.id} to drive on: it must be below the tank"
            )
        if self.tonnes is not None:
            self.tonnes = _finite("--tonnes", self.tonnes, "t")
            if self.tonnes > t.payload_t + 1e-9:
                raise OptionError(
                    f"--tonnes {self.tonnes:g} exceeds the payload of {t.payload_t:g} t "
                    f"of truck type {t.id}"
                )
        if self.objective not in ("time", "cost"):
            raise OptionError(f"--optimize must be 'time' or 'cost', not {self.objective!r}")
        if len(self.loaded) != max(len(self.waypoints) - 1, 0):
            raise OptionError(
                f"a trip through {len(self.waypoints)} waypoints has {len(self.waypoints) - 1} "
                f"legs, but {len(self.loaded)} loaded/empty flags were given"
            )
        self.depart = _aware(self.depart, "--depart")
        for w in self.waypoints:
            if not (math.isfinite(w.lat) and math.isfinite(w.lon)):
                raise OptionError(f"waypoint '{w.name}' has no finite latitude and longitude")
            if w.ready is not None:
                w.ready = _aware(w.ready, f"the ready time of '{w.name}'")
            if w.due is not None:
                w.due = _aware(w.due, f"the due time of '{w.name}'")


@dataclass(slots=True)
class TripPlan:
    """A solved trip, ready to print, serialise or map."""

    request: TripRequest
    stations: list[Station]
    station_snap_km: list[float]
    solution: RefuelSolution
    segments: list[dict[str, Any]]
    legs: list[dict[str, Any]]
    graph_name: str
    attribution: str
    notices: list[str] = field(default_factory=list)

    @property
    def breaks(self) -> list[RestEvent]:
        """Every break and daily rest of the plan, in order."""
        return self.solution.breaks

    @property
    def day0(self) -> datetime:
        """Midnight (China time) of the departure day: the origin of the solution's hours."""
        return _midnight(self.request.depart)

    def at(self, hours: float) -> datetime:
        """Aware datetime of a time given in hours after the departure day's midnight."""
        return self.day0 + timedelta(hours=hours)

    @property
    def arrive(self) -> datetime:
        return self.request.depart + timedelta(hours=self.solution.duration_h)

    def break_rows(self) -> list[dict[str, Any]]:
        """The ``breaks`` list of the JSON document."""
        rows = []
        for b in self.solution.breaks:
            st = self.stations[b.station] if b.station is not None else None
            rows.append(
                {
                    "leg": b.leg,
                    "km_from_start": round(b.km_from_start, 3),
                    "start": timeutil.iso(self.at(b.start_h)),
                    "minutes": round(b.minutes, 2),
                    "kind": b.kind,
                    "station": b.station,
                    "station_id": st.id if st else None,
                    "waypoint": b.waypoint,
                    "driven_today_h": round(b.driven_h, 3),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``h2lane trip --json``."""
        req, sol = self.request, self.solution
        stops = []
        kinds = {(b.station, round(b.start_h, 9)): b.kind for b in sol.breaks}
        for s in sol.stops:
            st = self.stations[s.station]
            stops.append(
                {
                    "station_id": st.id,
                    "name": st.name,
                    "lat": st.lat,
                    "lon": st.lon,
                    "km_from_start": round(s.km_from_start, 3),
                    "arrive_kg": round(s.arrive_kg, 3),
                    "refuel_kg": round(s.refuel_kg, 3),
                    "depart_kg": round(s.arrive_kg + s.refuel_kg, 3),
                    "arrive": timeutil.iso(self.at(s.arrive_h)),
                    "depart": timeutil.iso(self.at(s.depart_h)),
                    "wait_min": round(s.wait_h * 60, 2),
                    "refuel_min": round(s.refuel_h * 60, 2),
                    "rest_min": round(s.rest_h * 60, 2),
                    "rest": kinds.get((s.station, round(s.arrive_h, 9))),
                    "price": st.price,
                    "cost": round(s.cost, 2),
                    "leg": s.leg,
                    "location": st.location,
                    "snap_km": round(self.station_snap_km[s.station], 3),
                }
            )
        t = req.truck
        return {
            "kind": "h2lane.trip-plan",
            "version": 1,
            "objective": sol.objective,
            "refuel_policy": "full" if req.full_refuel else "partial",
            "depart": timeutil.iso(req.depart),
            "arrive": timeutil.iso(self.arrive),
            "truck": {
                "type": t.id,
                "truck_id": req.truck_id,
                "tank_kg": t.tank_kg,
                "kg_per_100km": t.kg_per_100km,
                "kg_per_100km_empty": t.kg_per_100km_empty,
                "payload_t": t.payload_t,
                "speed_kmh": t.speed_kmh,
            },
            "start_kg": req.start_kg,
            "reserve_kg": req.reserve_kg,
            "end_kg": round(sol.end_kg, 3),
            "distance_km": round(sol.distance_km, 3),
            "duration_h": round(sol.duration_h, 4),
            "drive_h": round(sol.drive_h, 4),
            "rest_h": round(
                sum(b.minutes for b in sol.breaks if b.station is None and b.waypoint is None)
                / 60.0
                + sum(s.rest_h for s in sol.stops),
                4,
            ),
            "h2_kg": round(sol.h2_used_kg, 3),
            "refuel_kg": round(sum(s.refuel_kg for s in sol.stops), 3),
            "cost": round(sol.cost, 2),
            "currency": "CNY",
            "rest_rules": req.rest.to_dict(),
            "stops": stops,
            "breaks": self.break_rows(),
            "notices": list(self.notices),
            "legs": self.legs,
            "waypoints": [
                {"name": w.name, "lat": w.lat, "lon": w.lon, "snap_km": round(w.snap_km, 3)}
                for w in req.waypoints
            ],
            "road_graph": self.graph_name,
            "attribution": self.attribution,
            "geometry": self.geojson(),
        }

    def geojson(self) -> dict[str, Any]:
        """Route line, waypoints and stops as a GeoJSON FeatureCollection."""
        coords: list[list[float]] = []
        for seg in self.segments:
            pts = seg["coordinates"]
            coords.extend(pts if not coords else pts[1:])
        feats: list[dict[str, Any]] = [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "kind": "route",
                    "distance_km": round(self.solution.distance_km, 3),
                    "attribution": self.attribution,
                },
            }
        ]
        for i, w in enumerate(self.request.waypoints):
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [w.lon, w.lat]},
                    "properties": {"kind": "waypoint", "name": w.name, "index": i},
                }
            )
        for s in self.solution.stops:
            st = self.stations[s.station]
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [st.lon, st.lat]},
                    "properties": {
                        "kind": "stop",
                        "station_id": st.id,
                        "name": st.name,
                        "refuel_kg": round(s.refuel_kg, 3),
                        "km_from_start": round(s.km_from_start, 3),
                    },
                }
            )
        return {"type": "FeatureCollection", "features": feats}


def _midnight(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def _hours(value: datetime | None, day0: datetime, default: float) -> float:
    return default if value is None else (value - day0).total_seconds() / 3600.0


def _clock(value: datetime) -> str:
    return value.strftime("%H:%M")


def plan_trip(
    graph: RoadGraph,
    stations: list[Station],
    req: TripRequest,
    engine: PathEngine | None = None,
) -> TripPlan:
    """Plan refuelling stops and driver rests for one truck along ``req.waypoints``.

    Raises
    ------
    InfeasibleTripError
        When no plan reaches the destination (the message names the stretch that is out of
        range and the nearest stations) or none meets a waypoint's due time.
    RoadNetworkError
        When a waypoint or station lies outside the graph's coverage.

    ``engine`` overrides the graph's fast engine (the benchmark passes scipy's).
    """
    if len(req.waypoints) < 2:
        raise InfeasibleTripError("a trip needs an origin and a destination")
    for w in req.waypoints:
        snap = graph.snap(w.lat, w.lon)
        w.node, w.snap_km = snap.node, snap.snap_km
    if stations:
        st_nodes, st_snap = graph.snap_many(
            np.array([s.lat for s in stations]), np.array([s.lon for s in stations])
        )
        far = np.flatnonzero(st_snap > MAX_SNAP_KM)
        if far.size:
            s = stations[int(far[0])]
            raise RoadNetworkError(
                f"station '{s.id}' ({s.lat:.4f},{s.lon:.4f}) is {st_snap[far[0]]:.1f} km from the "
                f"nearest road of the '{graph.name}' graph: it is outside the graph's coverage"
            )
    else:
        st_nodes, st_snap = np.zeros(0, dtype=np.int64), np.zeros(0)
    wp_nodes = np.array([w.node for w in req.waypoints], dtype=np.int64)
    wp_snap = np.array([w.snap_km for w in req.waypoints])
    all_nodes = np.concatenate([wp_nodes, st_nodes])
    access = np.concatenate([wp_snap, np.asarray(st_snap, dtype=float)])
    # road km between the nodes plus the off-road access at both ends
    dist = graph.matrix_km(all_nodes, all_nodes, engine=engine) + access[:, None] + access[None, :]
    n_wp = len(wp_nodes)
    legs = range(n_wp - 1)
    leg_km = np.array([dist[k, k + 1] for k in legs])
    unreachable = [k for k in legs if not np.isfinite(leg_km[k])]
    if unreachable:
        k = unreachable[0]
        raise InfeasibleTripError(
            f"no road connects {req.waypoints[k].name} to {req.waypoints[k + 1].name} "
            f"in the '{graph.name}' graph"
        )
    truck = req.truck
    rate = np.array(
        [(truck.kg_per_100km if req.loaded[k] else truck.kg_per_100km_empty) / 100.0 for k in legs]
    )
    windows = np.array([s.open_window_h() for s in stations]).reshape(-1, 2)
    day0 = _midnight(req.depart)
    ready = np.array([_hours(w.ready, day0, -math.inf) for w in req.waypoints])
    due = np.array([_hours(w.due, day0, math.inf) for w in req.waypoints])
    problem = RefuelProblem(
        leg_km=leg_km,
        wp_to_st=dist[: n_wp - 1, n_wp:],
        st_to_wp=dist[n_wp:, 1:n_wp].T.copy(),
        st_st=dist[n_wp:, n_wp:],
        kg_per_km=rate,
        tank_kg=truck.tank_kg,
        start_kg=req.start_kg,
        reserve_kg=req.reserve_kg,
        price=np.array([s.price for s in stations], dtype=float),
        fill_h_per_kg=np.array([1000.0 / s.nozzle_flow_g_s / 3600.0 for s in stations]),
        connect_h=np.array([s.connect_min / 60.0 for s in stations]),
        open_h=windows[:, 0],
        close_h=windows[:, 1],
        speed_kmh=truck.speed_kmh,
        depart_h=timeutil.hours_of_day(req.depart),
        rest=req.rest,
        wp_ready_h=ready if np.isfinite(ready).any() else None,
        wp_due_h=due if np.isfinite(due).any() else None,
    )
    if req.start_kg < req.reserve_kg:
        raise InfeasibleTripError(
            f"the start level {req.start_kg:g} kg is below the reserve of {req.reserve_kg:g} kg"
        )
    sol = solve(problem, req.objective, full_refuel=req.full_refuel)
    if sol is None and problem.wp_due_h is not None:
        problem.wp_due_h = None
        late = solve(problem, "time", full_refuel=req.full_refuel)
        if late is not None:
            raise _late_error(req, late, due, day0)
    if sol is None:
        message, details = diagnose(problem, req, stations)
        raise InfeasibleTripError(message, details)
    segments, leg_rows = _build_route(
        graph, req, stations, st_nodes, np.asarray(st_snap, dtype=float), sol, problem, engine
    )
    plan = TripPlan(
        request=req,
        stations=stations,
        station_snap_km=[float(x) for x in st_snap],
        solution=sol,
        segments=segments,
        legs=leg_rows,
        graph_name=graph.name,
        attribution=graph.attribution or OSM_ATTRIBUTION,
    )
    plan.notices = notices(plan)
    return plan


def _late_error(
    req: TripRequest, late: RefuelSolution, due: np.ndarray, day0: datetime
) -> InfeasibleTripError:
    """The due time no plan meets, from the best plan without due times."""
    for v in late.visits:
        if v.arrive_h > due[v.index] + 1e-9:
            w = req.waypoints[v.index]
            arrive = day0 + timedelta(hours=v.arrive_h)
            assert w.due is not None
            return InfeasibleTripError(
                f"no plan reaches {w.name} by its due time {w.due:%Y-%m-%d %H:%M%z}: the earliest "
                f"arrival is {arrive:%Y-%m-%d %H:%M%z}",
                {
                    "late": {
                        "waypoint": v.index,
                        "name": w.name,
                        "arrive": timeutil.iso(arrive),
                        "due": timeutil.iso(w.due),
                    }
                },
            )
    return InfeasibleTripError("no plan meets the waypoints' due times")


def notices(plan: TripPlan) -> list[str]:
    """Human sentences about long waits, daily rests and breaks, in trip order."""
    sol, req = plan.solution, plan.request
    out: list[tuple[float, str]] = []
    for s in sol.stops:
        if s.wait_h >= LONG_WAIT_H - 1e-9:
            st = plan.stations[s.station]
            out.append(
                (
                    s.arrive_h,
                    f"waits {s.wait_h:.1f} h at {st.name} for it to open at "
                    f"{_clock(plan.at(s.arrive_h + s.wait_h))}",
                )
            )
    for v in sol.visits:
        wait = v.depart_h - v.arrive_h
        if wait >= LONG_WAIT_H - 1e-9:
            w = req.waypoints[v.index]
            out.append(
                (
                    v.arrive_h,
                    f"waits {wait:.1f} h at {w.name} until its ready time "
                    f"{_clock(plan.at(v.depart_h))}",
                )
            )
    for b in sol.breaks:
        if b.kind != "daily-rest":
            continue
        if b.station is not None:
            where = f"at {plan.stations[b.station].name}"
        elif b.waypoint is not None:
            where = f"at {req.waypoints[b.waypoint].name}"
        else:
            where = "on the road"
        out.append(
            (
                b.start_h,
                f"daily rest of {b.minutes / 60:.1f} h after {b.driven_h:.1f} h of driving at "
                f"km {b.km_from_start:.0f} {where}, from {_clock(plan.at(b.start_h))}",
            )
        )
    brk = [b for b in sol.breaks if b.kind == "break"]
    if brk:
        at_stops = sum(b.station is not None for b in brk)
        out.append(
            (
                math.inf,
                f"{len(brk)} break(s) of at least {req.rest.break_min:g} min, {at_stops} of them "
                f"at refuelling stops",
            )
        )
    out.sort(key=lambda x: x[0])
    return [text for _, text in out]


def _build_route(
    graph: RoadGraph,
    req: TripRequest,
    stations: list[Station],
    st_nodes: np.ndarray,
    st_snap: np.ndarray,
    sol: RefuelSolution,
    p: RefuelProblem,
    engine: PathEngine | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Road geometry of every segment (with the off-road access) and the per-leg summary."""
    segments: list[dict[str, Any]] = []
    leg_rows: list[dict[str, Any]] = []
    day0 = _midnight(req.depart)
    visit = {v.index: v for v in sol.visits}
    for k in range(len(req.waypoints) - 1):
        stops_k = [s for s in sol.stops if s.leg == k]
        a_w, b_w = req.waypoints[k], req.waypoints[k + 1]
        points: list[tuple[int, float, list[float]]] = [(a_w.node, a_w.snap_km, [a_w.lon, a_w.lat])]
        for s in stops_k:
            st = stations[s.station]
            points.append((int(st_nodes[s.station]), float(st_snap[s.station]), [st.lon, st.lat]))
        points.append((b_w.node, b_w.snap_km, [b_w.lon, b_w.lat]))
        km_total = 0.0
        for (a, snap_a, pa), (b, snap_b, pb) in itertools.pairwise(points):
            km, nodes = graph.path(a, b, engine=engine)
            km += snap_a + snap_b
            km_total += km
            coords = graph.geometry(nodes or [a])
            if snap_a > 0:
                coords.insert(0, pa)
            if snap_b > 0:
                coords.append(pb)
            segments.append({"leg": k, "km": km, "coordinates": coords})
        leave, reach = visit[k].depart_h, visit[k + 1].arrive_h
        loaded = req.loaded[k]
        tonnes = (req.tonnes if req.tonnes is not None else req.truck.payload_t) if loaded else 0.0
        leg_rows.append(
            {
                "index": k,
                "from": a_w.name,
                "to": b_w.name,
                "distance_km": round(km_total, 3),
                "depart": timeutil.iso(day0 + timedelta(hours=leave)),
                "arrive": timeutil.iso(day0 + timedelta(hours=reach)),
                "duration_h": round(reach - leave, 4),
                "drive_h": round(km_total / p.speed_kmh, 4),
                "h2_kg": round(km_total * float(p.kg_per_km[k]), 3),
                "loaded": loaded,
                "tonnes": tonnes,
                "stops": [stations[s.station].id for s in stops_k],
                "breaks": sum(b.leg == k for b in sol.breaks),
            }
        )
    return segments, leg_rows


def diagnose(
    p: RefuelProblem, req: TripRequest, stations: list[Station]
) -> tuple[str, dict[str, Any]]:
    """Explain why no plan exists: the first stretch beyond range and nearby stations."""
    hops = StopGraph(p)
    n = hops.n
    dest_name = req.waypoints[-1].name

    def name(node: int) -> str:
        if node == 0:
            return req.waypoints[0].name
        if node == hops.dest:
            return dest_name
        return stations[hops.leg_station(node)[1]].name

    def remaining_km(node: int) -> float:
        if node == 0:
            return float(hops.wp_rest_km[0])
        if node == hops.dest:
            return 0.0
        k, i = hops.leg_station(node)
        return float(p.st_to_wp[k, i] + hops.wp_rest_km[k + 1])

    # reachability with the most fuel possible at each stop
    reached = {0}
    frontier = [0]
    while frontier:
        node = frontier.pop()
        succ, _, kg = hops.out_arcs(node)
        avail = (p.start_kg if node == 0 else p.tank_kg) - p.reserve_kg
        for b in succ[kg <= avail + 1e-9]:
            if int(b) not in reached:
                reached.add(int(b))
                frontier.append(int(b))
    best = min(reached, key=remaining_km)
    succ, km, kg = hops.out_arcs(best)
    progress = np.array([remaining_km(int(b)) < remaining_km(best) - 1e-9 for b in succ])
    cand = np.flatnonzero(progress)
    nxt = int(cand[np.argmin(km[cand])]) if cand.size else int(np.argmax(succ == hops.dest))
    avail = (p.start_kg if best == 0 else p.tank_kg) - p.reserve_kg
    k_leg = 0 if best == 0 else hops.leg_station(best)[0]
    rate = float(p.kg_per_km[k_leg])
    range_km = avail / rate if rate > 0 else float("inf")
    # nearest stations to the last reachable point
    if best == 0:
        near_km = p.wp_to_st[0] if n else np.zeros(0)
    else:
        near_km = p.st_st[hops.leg_station(best)[1]]
    order = [
        int(j) for j in np.argsort(near_km) if best == 0 or int(j) != hops.leg_station(best)[1]
    ]
    nearest = [
        {"station_id": stations[j].id, "name": stations[j].name, "km": round(float(near_km[j]), 1)}
        for j in order[:3]
    ]
    fuel_word = f"{avail:.1f} kg above the {p.reserve_kg:g} kg reserve"
    if best == 0:
        fuel_word = f"starting with {p.start_kg:g} kg it has {fuel_word}"
    else:
        fuel_word = f"a full {p.tank_kg:g} kg tank gives {fuel_word}"
    near_text = (
        ", ".join(f"{s['name']} {s['km']:.0f} km" for s in nearest) or "none in the scenario"
    )
    message = (
        f"No refuelling plan reaches {dest_name}: the stretch from {name(best)} to "
        f"{name(int(succ[nxt]))} is {km[nxt]:.0f} km and needs {kg[nxt]:.1f} kg, but "
        f"{fuel_word} ({range_km:.0f} km of range). Nearest stations to {name(best)}: {near_text}."
    )
    details = {
        "stretch": {
            "from": name(best),
            "to": name(int(succ[nxt])),
            "km": round(float(km[nxt]), 1),
            "kg_needed": round(float(kg[nxt]), 2),
            "kg_available": round(avail, 2),
            "range_km": round(range_km, 1),
        },
        "nearest_stations": nearest,
        "reachable_stations": sorted({name(b) for b in reached if b not in (0, hops.dest)}),
    }
    return message, details
