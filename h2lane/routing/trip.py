"""Trip planning for one truck on the road network: where to refuel, how much, how long, what cost."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from h2lane import OSM_ATTRIBUTION
from h2lane.errors import InfeasibleTripError, RoadNetworkError
from h2lane.roads.engines import PathEngine
from h2lane.roads.graph import MAX_SNAP_KM, RoadGraph
from h2lane.routing.refuel import Objective, RefuelProblem, RefuelSolution, StopGraph, solve
from h2lane.scenario.model import Station, TruckType


@dataclass(slots=True)
class Waypoint:
    """A point the truck must pass, snapped to the road graph."""

    name: str
    lat: float
    lon: float
    node: int = -1
    snap_km: float = 0.0


@dataclass(slots=True)
class TripRequest:
    """What the dispatcher asks for."""

    waypoints: list[Waypoint]
    truck: TruckType
    loaded: list[bool]
    start_kg: float
    reserve_kg: float
    objective: Objective = "time"
    depart: datetime = field(default_factory=lambda: datetime(2026, 1, 1, 8, 0))
    full_refuel: bool = False
    tonnes: float | None = None
    truck_id: str | None = None


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

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``h2lane trip --json``."""
        req, sol = self.request, self.solution
        stops = []
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
                    "arrive": _iso(
                        req.depart, s.arrive_h - req.depart.hour - req.depart.minute / 60
                    ),
                    "wait_min": round(s.wait_h * 60, 2),
                    "refuel_min": round(s.refuel_h * 60, 2),
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
            "depart": req.depart.isoformat(timespec="minutes"),
            "arrive": _iso(req.depart, sol.duration_h),
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
            "h2_kg": round(sol.h2_used_kg, 3),
            "refuel_kg": round(sum(s.refuel_kg for s in sol.stops), 3),
            "cost": round(sol.cost, 2),
            "currency": "CNY",
            "stops": stops,
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


def _iso(depart: datetime, hours_after: float) -> str:
    return (depart + timedelta(hours=hours_after)).isoformat(timespec="minutes")


def plan_trip(
    graph: RoadGraph,
    stations: list[Station],
    req: TripRequest,
    engine: PathEngine | None = None,
) -> TripPlan:
    """Plan refuelling stops for one truck along ``req.waypoints``.

    Raises
    ------
    InfeasibleTripError
        When no plan reaches the destination; the message names the stretch
        that is out of range and the nearest stations.
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
    all_nodes = np.concatenate([wp_nodes, st_nodes])
    dist = graph.matrix_km(all_nodes, all_nodes, engine=engine)
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
        depart_h=req.depart.hour + req.depart.minute / 60.0,
    )
    if req.start_kg > truck.tank_kg + 1e-9:
        raise InfeasibleTripError(
            f"the start level {req.start_kg:g} kg exceeds the usable tank of {truck.tank_kg:g} kg"
        )
    if req.start_kg < req.reserve_kg:
        raise InfeasibleTripError(
            f"the start level {req.start_kg:g} kg is below the reserve of {req.reserve_kg:g} kg"
        )
    if req.reserve_kg >= truck.tank_kg:
        raise InfeasibleTripError(
            f"the reserve {req.reserve_kg:g} kg leaves nothing of the {truck.tank_kg:g} kg tank to drive on"
        )
    sol = solve(problem, req.objective, full_refuel=req.full_refuel)
    if sol is None:
        message, details = diagnose(problem, req, stations)
        raise InfeasibleTripError(message, details)
    segments, leg_rows = _build_route(graph, req, stations, st_nodes, sol, problem, engine)
    return TripPlan(
        request=req,
        stations=stations,
        station_snap_km=[float(x) for x in st_snap],
        solution=sol,
        segments=segments,
        legs=leg_rows,
        graph_name=graph.name,
        attribution=graph.attribution or OSM_ATTRIBUTION,
    )


def _build_route(
    graph: RoadGraph,
    req: TripRequest,
    stations: list[Station],
    st_nodes: np.ndarray,
    sol: RefuelSolution,
    p: RefuelProblem,
    engine: PathEngine | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Road geometry of every segment and the per-leg summary."""
    segments: list[dict[str, Any]] = []
    leg_rows: list[dict[str, Any]] = []
    for k in range(len(req.waypoints) - 1):
        stops_k = [s for s in sol.stops if s.leg == k]
        points = [req.waypoints[k].node, *(int(st_nodes[s.station]) for s in stops_k)]
        points.append(req.waypoints[k + 1].node)
        km_total = 0.0
        for a, b in itertools.pairwise(points):
            km, nodes = graph.path(a, b, engine=engine)
            km_total += km
            segments.append({"leg": k, "km": km, "coordinates": graph.geometry(nodes or [a])})
        stop_h = sum(s.wait_h + s.refuel_h for s in stops_k)
        loaded = req.loaded[k]
        tonnes = (req.tonnes if req.tonnes is not None else req.truck.payload_t) if loaded else 0.0
        leg_rows.append(
            {
                "index": k,
                "from": req.waypoints[k].name,
                "to": req.waypoints[k + 1].name,
                "distance_km": round(km_total, 3),
                "duration_h": round(km_total / p.speed_kmh + stop_h, 4),
                "h2_kg": round(km_total * float(p.kg_per_km[k]), 3),
                "loaded": loaded,
                "tonnes": tonnes,
                "stops": [stations[s.station].id for s in stops_k],
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
