"""Use case: map geometry for the dashboard — the basemap from the road graph, plan routes on roads."""

from __future__ import annotations

from typing import Any

import numpy as np

from h2lane import OSM_ATTRIBUTION
from h2lane.errors import H2laneError
from h2lane.roads.graph import RoadGraph
from h2lane.scenario.model import Scenario

MARGIN_DEG = 0.6


def scenario_box(scenario: Scenario) -> tuple[float, float, float, float] | None:
    """``(lat_min, lat_max, lon_min, lon_max)`` around the scenario's places, sites and stations."""
    pts = [(p.lat, p.lon) for p in scenario.places]
    pts += [(s.lat, s.lon) for s in scenario.stations]
    pts += [(s.lat, s.lon) for s in scenario.production_sites]
    if not pts:
        return None
    lat = [p[0] for p in pts]
    lon = [p[1] for p in pts]
    return (min(lat) - MARGIN_DEG, max(lat) + MARGIN_DEG, min(lon) - MARGIN_DEG,
            max(lon) + MARGIN_DEG)  # fmt: skip


def basemap(graph: RoadGraph, box: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """The road graph's edges inside ``box`` as one GeoJSON MultiLineString ([lon, lat], 4 dp)."""
    if box is None:
        keep = np.ones(len(graph.u), dtype=bool)
    else:
        lat_min, lat_max, lon_min, lon_max = box
        inside = ((graph.lat >= lat_min) & (graph.lat <= lat_max) & (graph.lon >= lon_min)
                  & (graph.lon <= lon_max))  # fmt: skip
        keep = inside[graph.u] & inside[graph.v]
    u, v = graph.u[keep], graph.v[keep]
    lon = np.round(graph.lon, 4)
    lat = np.round(graph.lat, 4)
    lines = np.stack([np.column_stack([lon[u], lat[u]]), np.column_stack([lon[v], lat[v]])], axis=1)
    return {
        "type": "FeatureCollection",
        "attribution": OSM_ATTRIBUTION,
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "roads", "edges": len(u)},
                "geometry": {"type": "MultiLineString", "coordinates": lines.tolist()},
            }
        ],
    }


def _point(place: Any) -> tuple[float, float] | None:
    lat, lon = getattr(place, "lat", None), getattr(place, "lon", None)
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def route_lines(document: dict[str, Any], graph: RoadGraph) -> list[dict[str, Any]]:
    """Each route of a plan document as a road polyline ``[[lat, lon], …]`` with its truck.

    A leg runs origin → its refuelling stops (in order along the leg) → destination on the
    shortest road path; points off the graph are joined by straight lines.
    """
    from h2lane.plan import PlanDocument

    doc = PlanDocument.model_validate(document)
    out: list[dict[str, Any]] = []
    for index, route in enumerate(doc.routes):
        coords: list[list[float]] = []
        for leg in route.legs:
            stops = sorted((s for s in route.stops if s.leg == leg.index),
                           key=lambda s: s.km_from_start)  # fmt: skip
            pts = [_point(leg.origin), *(_point(s) for s in stops), _point(leg.destination)]
            chain = [p for p in pts if p is not None]
            for a, b in zip(chain, chain[1:], strict=False):
                coords.extend(_road(graph, a, b))
        out.append({
            "route": index,
            "truck_id": route.truck_id or (route.truck.truck_id if route.truck else None)
            or f"route {index + 1}",
            "coordinates": coords,
        })  # fmt: skip
    return out


def _road(graph: RoadGraph, a: tuple[float, float], b: tuple[float, float]) -> list[list[float]]:
    try:
        na, nb = graph.snap(*a).node, graph.snap(*b).node
        km, nodes = graph.path(na, nb)
    except H2laneError:
        return [[a[0], a[1]], [b[0], b[1]]]
    if not nodes or km == float("inf"):
        return [[a[0], a[1]], [b[0], b[1]]]
    idx = np.asarray(nodes, dtype=np.int64)
    pts = np.column_stack([graph.lat[idx], graph.lon[idx]]).round(5).tolist()
    return [[a[0], a[1]], *pts, [b[0], b[1]]]
