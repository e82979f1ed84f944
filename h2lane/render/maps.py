"""Offline maps: one self-contained HTML file, no tiles, no CDN.

The dashboard's map component (Leaflet, inlined by :mod:`h2lane.render.leaflet_map`) when
Leaflet is installed; otherwise an SVG drawing with a notice line. Either way the background
is the road graph itself, so the map works on an air-gapped machine and credits
"© OpenStreetMap contributors" as the ODbL requires.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from h2lane import OSM_ATTRIBUTION
from h2lane.app.geometry import basemap
from h2lane.app.outputs import write_text
from h2lane.errors import OptionError
from h2lane.render import leaflet_map
from h2lane.roads.graph import RoadGraph

WIDTH = 1100
COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#0a7ea4", "#cf222e", "#6e7781"]


@dataclass(slots=True)
class MapLayer:
    """A route (line) with its labelled points."""

    name: str
    coordinates: list[list[float]]  # [lon, lat]
    color: str = COLORS[0]
    points: list[tuple[float, float, str, str]] = field(default_factory=list)
    """(lat, lon, label, kind) with kind 'waypoint' or 'stop'."""


@dataclass(slots=True)
class Marker:
    lat: float
    lon: float
    label: str
    kind: str = "station"
    fields: dict[str, Any] | None = None
    """the station's record (capacity, dispensers, price, opening hours) for its popup"""


class _Projection:
    def __init__(self, lat_min: float, lat_max: float, lon_min: float, lon_max: float) -> None:
        self.k = math.cos(math.radians((lat_min + lat_max) / 2))
        self.lon_min, self.lat_max = lon_min, lat_max
        span_x = (lon_max - lon_min) * self.k
        span_y = lat_max - lat_min
        self.scale = WIDTH / max(span_x, 1e-9)
        self.height = max(200.0, span_y * self.scale)

    def xy(self, lat: np.ndarray | float, lon: np.ndarray | float) -> tuple:
        x = (np.asarray(lon) - self.lon_min) * self.k * self.scale
        y = (self.lat_max - np.asarray(lat)) * self.scale
        return x, y


def render_html(
    path: str | Path,
    title: str,
    layers: list[MapLayer],
    *,
    graph: RoadGraph | None = None,
    markers: list[Marker] | None = None,
    summary: list[tuple[str, str]] | None = None,
    option: str = "--map",
) -> Path:
    """Write an offline HTML map of ``layers`` over the road graph (``option`` names it in errors)."""
    markers = markers or []
    lats = [c[1] for layer in layers for c in layer.coordinates] + [m.lat for m in markers]
    lons = [c[0] for layer in layers for c in layer.coordinates] + [m.lon for m in markers]
    if not lats:
        raise OptionError(f"{option}: the plan has nothing to draw")
    pad_lat = max(0.15, (max(lats) - min(lats)) * 0.08)
    pad_lon = max(0.4, (max(lons) - min(lons)) * 0.22)
    box = (min(lats) - pad_lat, max(lats) + pad_lat, min(lons) - pad_lon, max(lons) + pad_lon)
    written = leaflet_map.render(
        path, title, _leaflet_data(layers, markers, graph, box), summary=summary,
        legend_html='<i style="background:#fff;border:2px solid #57606a;height:8px;width:8px"></i>'
        'station <i style="background:#1a7f37;border-radius:50%;height:9px;width:9px"></i>'
        "refuelling stop; click a station or stop for details",
        option=option,
    )
    if written is not None:
        return written
    proj = _Projection(*box)
    parts: list[str] = []
    if graph is not None:
        parts.append(_roads_svg(graph, proj, box))
    for m in markers:
        x, y = proj.xy(m.lat, m.lon)
        parts.append(
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" class="station">'
            f"<title>{html.escape(m.label)}</title></rect>"
        )
    for layer in layers:
        arr = np.asarray(layer.coordinates, dtype=float).reshape(-1, 2)
        x, y = proj.xy(arr[:, 1], arr[:, 0])
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{layer.color}" stroke-width="4" '
            f'stroke-linejoin="round" stroke-opacity="0.85"><title>{html.escape(layer.name)}</title></polyline>'
        )
        for lat, lon, label, kind in layer.points:
            px, py = proj.xy(lat, lon)
            r, fill = (7, "#ffffff") if kind == "waypoint" else (6, "#1a7f37")
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r}" fill="{fill}" stroke="{layer.color}" '
                f'stroke-width="3"><title>{html.escape(label)}</title></circle>'
                f'<text x="{px + 10:.1f}" y="{py - 8:.1f}" class="label">{html.escape(label)}</text>'
            )
    parts.append(_scale_bar(proj))
    height = proj.height
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in summary or []
    )
    legend = "".join(
        f'<span><i style="background:{layer.color}"></i>{html.escape(layer.name)}</span>'
        for layer in layers
    )
    doc = _TEMPLATE.format(
        title=html.escape(title),
        width=WIDTH,
        height=f"{height:.0f}",
        svg="\n".join(parts),
        rows=rows,
        legend=legend,
        attribution=html.escape(OSM_ATTRIBUTION),
        notice=html.escape(leaflet_map.FALLBACK_NOTICE),
    )
    out = Path(path)
    write_text(out, doc, option)
    return out


def _leaflet_data(
    layers: list[MapLayer],
    markers: list[Marker],
    graph: RoadGraph | None,
    box: tuple[float, float, float, float],
) -> dict[str, Any]:
    """The options of ``H2Map.create`` for ``layers`` over the roads inside ``box``."""
    routes = []
    for layer in layers:
        stops = [{"lat": lat, "lon": lon, "label": label, "title": label}
                 for lat, lon, label, kind in layer.points if kind == "stop"]  # fmt: skip
        ends = [{"lat": lat, "lon": lon, "label": label}
                for lat, lon, label, kind in layer.points if kind != "stop"]  # fmt: skip
        routes.append({"id": layer.name, "label": layer.name, "color": layer.color,
                       "coords": [[c[1], c[0]] for c in layer.coordinates],
                       "stops": stops, "ends": ends})  # fmt: skip
    stations = [{"id": m.label, "name": m.label, **(m.fields or {}), "lat": m.lat, "lon": m.lon}
                for m in markers]  # fmt: skip
    return {
        "basemap": basemap(graph, box) if graph is not None else None,
        "stations": stations,
        "routes": routes,
        "legend": len(routes) > 1,
        "layers": ["roads", "stations"] if graph is not None else ["stations"],
    }


def _roads_svg(graph: RoadGraph, proj: _Projection, box: tuple[float, float, float, float]) -> str:
    lat_min, lat_max, lon_min, lon_max = box
    inside = (
        (graph.lat >= lat_min)
        & (graph.lat <= lat_max)
        & (graph.lon >= lon_min)
        & (graph.lon <= lon_max)
    )
    keep = inside[graph.u] | inside[graph.v]
    u, v = graph.u[keep], graph.v[keep]
    x, y = proj.xy(graph.lat, graph.lon)
    d = "".join(
        f"M{x[a]:.1f} {y[a]:.1f}L{x[b]:.1f} {y[b]:.1f}"
        for a, b in zip(u.tolist(), v.tolist(), strict=True)
    )
    return f'<path d="{d}" class="road"/>'


def _scale_bar(proj: _Projection) -> str:
    km_per_px = 111.32 / proj.scale
    target = km_per_px * 150
    nice = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * nice <= target:
            nice *= m
            break
    px = nice / km_per_px
    y = proj.height - 20
    return (
        f'<g class="scale"><line x1="20" y1="{y:.0f}" x2="{20 + px:.0f}" y2="{y:.0f}"/>'
        f'<text x="20" y="{y - 6:.0f}">{nice:g} km</text></g>'
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}}
header{{padding:10px 16px;background:#fff;border-bottom:1px solid #d0d7de}}
h1{{font-size:18px;margin:0 0 6px}} table{{border-collapse:collapse;font-size:13px}}
th{{text-align:left;padding:2px 12px 2px 0;color:#57606a;font-weight:500}} td{{padding:2px 16px 2px 0}}
#map{{background:#fff;display:block;margin:8px auto;border:1px solid #d0d7de;cursor:grab;max-width:98vw;height:auto}}
.road{{stroke:#c9ced6;stroke-width:0.7;fill:none}} .station{{fill:#fff;stroke:#57606a;stroke-width:1.5}}
.label{{font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:3px;fill:#1f2328}}
.scale line{{stroke:#1f2328;stroke-width:2}} .scale text{{font-size:12px}}
.legend span{{margin-right:14px;font-size:13px}} .legend i{{display:inline-block;width:18px;height:4px;margin-right:5px;vertical-align:middle}}
footer{{font-size:12px;color:#57606a;text-align:center;padding:4px 0 12px}}
.notice{{font-size:12px;color:#9a6700;margin:0 0 4px}}
</style></head><body>
<header><h1>{title}</h1><p class="notice">{notice}</p><table>{rows}</table><div class="legend">{legend}
<span>&#9633; station</span><span>&#9679; stop</span></div></header>
<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
{svg}
</svg>
<footer>Road data {attribution} (ODbL 1.0). Drawn offline by h2lane; scroll to zoom, drag to pan.</footer>
<script>
(function(){{var s=document.getElementById('map'),v=s.viewBox.baseVal,d=null;
s.addEventListener('wheel',function(e){{e.preventDefault();var f=e.deltaY>0?1.2:1/1.2,r=s.getBoundingClientRect(),
px=v.x+(e.clientX-r.left)/r.width*v.width,py=v.y+(e.clientY-r.top)/r.height*v.height;
v.x=px-(px-v.x)*f;v.y=py-(py-v.y)*f;v.width*=f;v.height*=f;}},{{passive:false}});
s.addEventListener('mousedown',function(e){{d=[e.clientX,e.clientY];}});
window.addEventListener('mouseup',function(){{d=null;}});
s.addEventListener('mousemove',function(e){{if(!d)return;var r=s.getBoundingClientRect();
v.x-=(e.clientX-d[0])/r.width*v.width;v.y-=(e.clientY-d[1])/r.height*v.height;d=[e.clientX,e.clientY];}});
}})();
</script></body></html>
"""
