"""Offline HTML maps of plan documents (SVG on the road graph, © OpenStreetMap contributors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from h2lane.app.records import record_dict
from h2lane.plan import PlanDocument, PlanRoute
from h2lane.render.maps import COLORS, MapLayer, Marker, render_html
from h2lane.roads.graph import RoadGraph
from h2lane.scenario.model import Station
from h2lane.timeutil import iso


def _coords(route: PlanRoute) -> list[list[float]]:
    geometry = route.geometry or {}
    for feat in geometry.get("features", []):
        if feat.get("properties", {}).get("kind") == "route":
            return list(feat["geometry"]["coordinates"])
    return []


def _clock(value: Any) -> str:
    """``12-03 05:18`` (China time)."""
    return iso(value)[5:16].replace("T", " ") if value is not None else ""


def _points(route: PlanRoute, prefix: str = "") -> list[tuple[float, float, str, str]]:
    pts: list[tuple[float, float, str, str]] = []
    times: dict[tuple[float, float], tuple[str, list[str]]] = {}
    for leg in route.legs:
        for p, t in ((leg.origin, leg.depart), (leg.destination, leg.arrive)):
            if p.lat is None or p.lon is None:
                continue
            name, seen = times.setdefault((p.lat, p.lon), (p.name, []))
            if _clock(t) and _clock(t) not in seen:
                seen.append(_clock(t))
    for (lat, lon), (name, seen) in times.items():
        pts.append((lat, lon, f"{prefix}{name} {' / '.join(seen)}".strip(), "waypoint"))
    for i, s in enumerate(route.stops, start=1):
        if s.lat is None or s.lon is None:
            continue
        label = f"{prefix}{i}. {s.name} +{s.refuel_kg:.1f} kg {_clock(s.arrive)}"
        pts.append((s.lat, s.lon, label.strip(), "stop"))
    return pts


def _station_markers(stations: list[Station]) -> list[Marker]:
    return [Marker(s.lat, s.lon, f"{s.name} ({s.price:g} yuan/kg)", fields=record_dict(s))
            for s in stations]  # fmt: skip


def trip_map(path: Path, doc: PlanDocument, graph: RoadGraph, stations: list[Station]) -> Path:
    route = doc.routes[0]
    names = " → ".join([route.legs[0].origin.name, *(leg.destination.name for leg in route.legs)])
    truck = route.truck
    summary = [
        ("Route", names),
        ("Truck", f"{truck.type} ({truck.tank_kg:g} kg tank)" if truck else "-"),
        (
            "Depart → arrive",
            f"{_clock(doc.depart)} → {_clock(doc.arrive)} (China time, UTC+08:00)"
            if doc.depart and doc.arrive
            else "-",
        ),
        ("Distance", f"{doc.distance_km:.1f} km"),
        ("Duration", f"{doc.duration_h:.2f} h (driving {doc.drive_h:.2f} h)"),
        ("Hydrogen used", f"{doc.h2_kg:.1f} kg"),
        ("Refuelled", f"{doc.refuel_kg:.1f} kg in {len(route.stops)} stop(s), {doc.cost:.0f} CNY"),
    ]
    if route.breaks:
        summary.append(
            ("Breaks", f"{len(route.breaks)}, {sum(b.minutes for b in route.breaks):.0f} min")
        )
    summary += [("Note", n) for n in doc.notices]
    return render_html(
        path,
        f"h2lane trip: {names}",
        [MapLayer("route", _coords(route), points=_points(route))],
        graph=graph,
        markers=_station_markers(stations),
        summary=summary,
    )


def dispatch_map(path: Path, doc: PlanDocument, graph: RoadGraph, stations: list[Station]) -> Path:
    layers = []
    for i, r in enumerate(doc.routes):
        layers.append(
            MapLayer(
                f"{r.truck_id} ({', '.join(r.orders)}) {_clock(r.depart)}–{_clock(r.arrive)}",
                _coords(r),
                COLORS[i % len(COLORS)],
                _points(r, prefix=f"{r.truck_id}: "),
            )
        )
    summary = [
        ("Orders", f"{doc.orders_served} served, {doc.orders_unassigned} not served"),
        ("Trucks", str(doc.trucks_used)),
        ("Distance", f"{doc.distance_km:.0f} km"),
        ("Hydrogen", f"{doc.h2_kg:.0f} kg, {doc.cost:.0f} CNY"),
    ]
    breaks = [b for r in doc.routes for b in r.breaks]
    if breaks:
        daily = sum(b.kind == "daily-rest" for b in breaks)
        summary.append(
            (
                "Driver rest",
                f"{len(breaks) - daily} break(s), {daily} daily rest(s) (details in the JSON)",
            )
        )
    return render_html(
        path,
        f"h2lane dispatch: {doc.scenario}",
        layers,
        graph=graph,
        markers=_station_markers(stations),
        summary=summary,
    )


def vrp_map(path: Path, doc: PlanDocument, inst: Any, graph: RoadGraph) -> Path:
    """VRP routes: road geometry where the nodes lie on the graph, straight lines otherwise."""
    from h2lane.routing.vrp.model import STATION

    nodes, snap_km = graph.snap_many(np.asarray(inst.y), np.asarray(inst.x))
    on_roads = bool(np.all(snap_km <= 30.0))
    layers = []
    for i, route in enumerate(doc.routes):
        seq = route.nodes or []
        coords: list[list[float]] = []
        for a, b in zip(seq[:-1], seq[1:], strict=True):
            if on_roads:
                _d, path_nodes = graph.path(int(nodes[a]), int(nodes[b]))
                seg = graph.geometry(path_nodes) if path_nodes else []
            else:
                seg = [[float(inst.x[a]), float(inst.y[a])], [float(inst.x[b]), float(inst.y[b])]]
            coords.extend(seg if not coords else seg[1:])
        pts = [
            (float(inst.y[v]), float(inst.x[v]), inst.labels[v], "waypoint")
            for v in seq[:-1]
            if inst.kinds[v] != STATION
        ]
        pts += [
            (float(inst.y[v]), float(inst.x[v]), f"{route.truck_id}: {inst.labels[v]}", "stop")
            for v in seq
            if inst.kinds[v] == STATION
        ]
        layers.append(MapLayer(str(route.truck_id), coords, COLORS[i % len(COLORS)], pts))
    markers = [Marker(float(inst.y[s]), float(inst.x[s]), inst.labels[s]) for s in inst.stations]
    solver = doc.solver or {}
    unit = doc.units.distance
    summary = [
        ("Objective", f"{doc.objective}: {solver.get('objective_value', 0):.2f}"),
        ("Vehicles", str(doc.trucks_used)),
        ("Distance", f"{doc.distance_km:.1f} {unit}"),
        ("Refuelling", doc.refuel_policy),
    ]
    if not on_roads:
        summary.append(("Lines", "straight (nodes are outside the bundled road graph)"))
    return render_html(
        path,
        f"h2lane vrp: {solver.get('instance', '')}",
        layers,
        graph=graph if on_roads else None,
        markers=markers,
        summary=summary,
    )
