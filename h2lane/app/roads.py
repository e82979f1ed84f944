"""Use cases on the road network: graph info and shortest routes."""

from __future__ import annotations

from typing import Any

from h2lane.app.context import Context, load_graph
from h2lane.app.places import resolve_place


def info(spec: str = "north-china") -> dict[str, Any]:
    """Size and extent of a road graph."""
    graph = load_graph(spec)
    return {
        "name": graph.name,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "total_km": round(float(graph.length_m.sum()) / 1000.0, 1),
        "lat_range": [float(graph.lat.min()), float(graph.lat.max())],
        "lon_range": [float(graph.lon.min()), float(graph.lon.max())],
        "attribution": graph.attribution,
    }


def route(origin: str, destination: str, ctx: Context) -> dict[str, Any]:
    """Shortest road distance between two places (no refuelling)."""
    scen = ctx.scenario
    a = resolve_place(origin, scen, option="--from")
    b = resolve_place(destination, scen, option="--to")
    graph = ctx.graph
    sa, sb = graph.snap(a.lat, a.lon), graph.snap(b.lat, b.lon)
    km, nodes = graph.path(sa.node, sb.node)
    if km == float("inf"):
        from h2lane.errors import InfeasibleError

        raise InfeasibleError(f"no road connects {a.name} to {b.name} in the '{graph.name}' graph")
    return {
        "from": a.name,
        "to": b.name,
        "distance_km": round(km, 3),
        "nodes": len(nodes),
        "snap_km": [round(sa.snap_km, 3), round(sb.snap_km, 3)],
        "geometry": {"type": "LineString", "coordinates": graph.geometry(nodes)},
        "attribution": graph.attribution,
    }
