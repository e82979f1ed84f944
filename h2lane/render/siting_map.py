"""Offline HTML/SVG map of a siting answer: sites chosen, existing stations, served and unserved flows."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np

from h2lane import OSM_ATTRIBUTION
from h2lane.app.outputs import write_text
from h2lane.render import leaflet_map
from h2lane.siting.network import SitingNetwork
from h2lane.siting.solve import SitingOutcome

WIDTH = 1100
SERVED, UNSERVED, PARTIAL = "#1a7f37", "#d1242f", "#bf8700"


def siting_map(
    path: Path, outcome: SitingOutcome, network: SitingNetwork, summary: dict[str, Any]
) -> Path:
    """Write the map; line width grows with the flow; roads drawn from the network itself."""
    prob = outcome.problem
    rows = outcome.flow_rows()
    best_route: dict[int, int] = {}
    for r, route in enumerate(prob.routes):
        if outcome.route_value[r] > 1e-9 and route.flow not in best_route:
            best_route[route.flow] = r
    paths = []
    for q, f in enumerate(prob.flows):
        best = best_route.get(q)
        nodes = prob.routes[best].path.nodes if best is not None else f.path.nodes
        paths.append(np.asarray(nodes, dtype=np.int64))
    pts = np.concatenate(paths) if paths else np.arange(network.n_nodes)
    open_nodes = [prob.candidates[k].node for k in np.flatnonzero(outcome.open_mask)]
    allpts = np.concatenate([pts, np.asarray(open_nodes, dtype=np.int64)])
    xs, ys = network.x[allpts], network.y[allpts]
    k = math.cos(math.radians(float(ys.mean()))) if network.geographic else 1.0
    pad_x = max((xs.max() - xs.min()) * 0.06, 0.2 if network.geographic else 0.5)
    pad_y = max((ys.max() - ys.min()) * 0.06, 0.15 if network.geographic else 0.5)
    x0, x1, y0, y1 = xs.min() - pad_x, xs.max() + pad_x, ys.min() - pad_y, ys.max() + pad_y
    scale = WIDTH / max((x1 - x0) * k, 1e-9)
    height = max(240.0, (y1 - y0) * scale)

    def xy(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (network.x[nodes] - x0) * k * scale, (y1 - network.y[nodes]) * scale

    if network.geographic:
        written = _leaflet(path, outcome, network, rows, paths, summary, (y0, y1, x0, x1))
        if written is not None:
            return written
        notice = leaflet_map.FALLBACK_NOTICE
    else:
        notice = ""
    parts = []
    inside = (network.x >= x0) & (network.x <= x1) & (network.y >= y0) & (network.y <= y1)
    keep = inside[network.u] | inside[network.v]
    ax, ay = xy(network.u[keep])
    bx, by = xy(network.v[keep])
    d = "".join(
        f"M{a:.1f} {b:.1f}L{c:.1f} {e:.1f}" for a, b, c, e in zip(ax, ay, bx, by, strict=True)
    )
    parts.append(f'<path d="{d}" class="road"/>')
    vmax = max((f.volume for f in prob.flows), default=1.0) or 1.0
    order = sorted(range(len(rows)), key=lambda q: (rows[q]["covered"], rows[q]["flow"]))
    for q in order:
        row = rows[q]
        px, py = xy(paths[q])
        color = SERVED if row["covered"] else (PARTIAL if row["served_share"] > 0 else UNSERVED)
        width = 1.5 + 6.0 * math.sqrt(row["flow"] / vmax)
        label = f"{row['origin']} → {row['destination']}: {row['flow']:.1f}, " + (
            "served via " + ", ".join(row["stations"])
            if row["covered"]
            else row.get("reason", "not served")
        )
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
        dash = "" if row["covered"] else ' stroke-dasharray="6 4"'
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="{width:.1f}" '
            f'stroke-opacity="0.55" stroke-linejoin="round"{dash}><title>{html.escape(label)}</title></polyline>'
        )
    ends: dict[int, str] = {}
    for f in prob.flows:
        ends.setdefault(f.origin_node, f.origin)
        ends.setdefault(f.destination_node, f.destination)
    for node, name in ends.items():
        cx, cy = xy(np.array([node]))
        parts.append(
            f'<circle cx="{cx[0]:.1f}" cy="{cy[0]:.1f}" r="4" fill="#fff" stroke="#1f2328" stroke-width="1.5">'
            f"<title>{html.escape(name)}</title></circle>"
            f'<text x="{cx[0] + 7:.1f}" y="{cy[0] + 4:.1f}" class="place">{html.escape(name)}</text>'
        )
    for kk in np.flatnonzero(outcome.open_mask).tolist():
        c = prob.candidates[kk]
        cx, cy = xy(np.array([c.node]))
        cls = "existing" if c.existing else "new"
        extra = ""
        if outcome.sizes is not None and kk in outcome.size_of:
            s = outcome.sizes[outcome.size_of[kk]]
            extra = (
                f", {s.name} {s.kg_per_day:g} kg/day, {outcome.supply.get(kk, 0.0):.0f} kg/day used"
            )
        title = f"{'existing' if c.existing else 'new'} station {c.id}{' ' + c.name if c.name else ''}{extra}"
        parts.append(
            f'<rect x="{cx[0] - 6:.1f}" y="{cy[0] - 6:.1f}" width="12" height="12" class="{cls}">'
            f"<title>{html.escape(title)}</title></rect>"
        )
        if not c.existing:
            parts.append(
                f'<text x="{cx[0] + 8:.1f}" y="{cy[0] - 8:.1f}" class="label">{html.escape(c.id)}</text>'
            )
    if network.geographic:
        km_per_px = 111.32 / scale
        target = km_per_px * 150
        nice = 10 ** math.floor(math.log10(target))
        for m in (5, 2, 1):
            if m * nice <= target:
                nice *= m
                break
        px_len = nice / km_per_px
        parts.append(
            f'<g class="scale"><line x1="20" y1="{height - 20:.0f}" x2="{20 + px_len:.0f}" y2="{height - 20:.0f}"/>'
            f'<text x="20" y="{height - 26:.0f}">{nice:g} km</text></g>'
        )
    table = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary.items()
    )
    credit = (
        f"Road data {OSM_ATTRIBUTION} (ODbL 1.0)."
        if network.road_graph is not None
        else f"Network '{network.name}'."
    )
    doc = _TEMPLATE.format(
        notice=html.escape(notice),
        title="Hydrogen station siting",
        rows=table,
        width=WIDTH,
        height=f"{height:.0f}",
        svg="\n".join(parts),
        credit=html.escape(credit),
        legend=_legend(),
    )
    return write_text(path, doc, "--map")


def _legend() -> str:
    return (
        '<span><b style="background:#1f6feb"></b>new station</span><span><b style="background:#8250df">'
        f'</b>existing station</span><span><i style="background:{SERVED}"></i>served flow</span>'
        f'<span><i style="background:{PARTIAL}"></i>partly served</span><span><i style="background:'
        f'{UNSERVED}"></i>unserved flow (dashed)</span><span>line width ∝ √flow; hover for details</span>'
    )


def _leaflet(
    path: Path, outcome: SitingOutcome, network: SitingNetwork, rows: list[dict[str, Any]],
    paths: list[np.ndarray], summary: dict[str, Any], box: tuple[float, float, float, float],
) -> Path | None:
    """The siting answer on the dashboard's map component (None without Leaflet)."""
    prob = outcome.problem
    lat_min, lat_max, lon_min, lon_max = box
    inside = ((network.y >= lat_min) & (network.y <= lat_max) & (network.x >= lon_min)
              & (network.x <= lon_max))  # fmt: skip
    keep = inside[network.u] & inside[network.v]
    lon, lat = np.round(network.x, 4), np.round(network.y, 4)
    u, v = network.u[keep], network.v[keep]
    roads = np.stack([np.column_stack([lon[u], lat[u]]), np.column_stack([lon[v], lat[v]])], axis=1)
    vmax = max((f.volume for f in prob.flows), default=1.0) or 1.0
    routes = []
    for q in sorted(range(len(rows)), key=lambda q: (rows[q]["covered"], rows[q]["flow"])):
        row = rows[q]
        color = SERVED if row["covered"] else (PARTIAL if row["served_share"] > 0 else UNSERVED)
        label = f"{row['origin']} → {row['destination']}: {row['flow']:.1f}, " + (
            "served via " + ", ".join(row["stations"]) if row["covered"]
            else row.get("reason", "not served"))  # fmt: skip
        routes.append({
            "id": f"flow {q + 1}", "label": label, "color": color, "offset": 0,
            "weight": round(1.5 + 6.0 * math.sqrt(row["flow"] / vmax), 1), "opacity": 0.55,
            "dashArray": None if row["covered"] else "6 4",
            "coords": np.column_stack([network.y[paths[q]], network.x[paths[q]]]).round(5).tolist(),
        })  # fmt: skip
    ends: dict[int, str] = {}
    for f in prob.flows:
        ends.setdefault(f.origin_node, f.origin)
        ends.setdefault(f.destination_node, f.destination)
    places = [{"name": name, "lat": float(network.y[n]), "lon": float(network.x[n]), "priority": 2}
              for n, name in ends.items()]  # fmt: skip
    stations = []
    for kk in np.flatnonzero(outcome.open_mask).tolist():
        c = prob.candidates[kk]
        extra: list[list[str]] = [["Status", "existing" if c.existing else "new (chosen here)"]]
        if outcome.sizes is not None and kk in outcome.size_of:
            s = outcome.sizes[outcome.size_of[kk]]
            extra += [["Size", f"{s.name} {s.kg_per_day:g} kg/day"],
                      ["Used", f"{outcome.supply.get(kk, 0.0):.0f} kg/day"]]  # fmt: skip
        stations.append({
            "id": c.id, "name": c.name or c.id, "lat": float(network.y[c.node]),
            "lon": float(network.x[c.node]), "kind": "existing" if c.existing else "new",
            "rows": extra, "label": False if c.existing else c.id, "priority": 1, "minZoom": 0,
        })  # fmt: skip
    data = {
        "basemap": {"type": "FeatureCollection", "features": [{"type": "Feature",
                    "properties": {"kind": "roads"},
                    "geometry": {"type": "MultiLineString", "coordinates": roads.tolist()}}]},
        "places": places, "stations": stations, "routes": routes, "legend": False,
        "layers": ["roads", "stations", "places"],
    }  # fmt: skip
    return leaflet_map.render(
        path, "Hydrogen station siting", data,
        summary=[(str(k), str(v)) for k, v in summary.items()], legend_html=_legend(),
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f6f8fa;color:#1f2328}}
header{{padding:10px 16px;background:#fff;border-bottom:1px solid #d0d7de}}
h1{{font-size:18px;margin:0 0 6px}} table{{border-collapse:collapse;font-size:13px}}
th{{text-align:left;padding:2px 12px 2px 0;color:#57606a;font-weight:500}} td{{padding:2px 16px 2px 0}}
#map{{background:#fff;display:block;margin:8px auto;border:1px solid #d0d7de;max-width:98vw;height:auto}}
.road{{stroke:#d5d9de;stroke-width:0.6;fill:none}}
.new{{fill:#1f6feb;stroke:#fff;stroke-width:1.5}} .existing{{fill:#8250df;stroke:#fff;stroke-width:1.5}}
.label{{font-size:12px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px;fill:#1f6feb}}
.place{{font-size:12px;paint-order:stroke;stroke:#fff;stroke-width:3px;fill:#1f2328}}
.scale line{{stroke:#1f2328;stroke-width:2}} .scale text{{font-size:12px}}
.legend span{{margin-right:14px;font-size:13px}} .legend i{{display:inline-block;width:18px;height:5px;margin-right:5px;vertical-align:middle}}
.legend b{{display:inline-block;width:10px;height:10px;margin-right:5px;vertical-align:middle}}
footer{{font-size:12px;color:#57606a;text-align:center;padding:4px 0 12px}}
.notice{{font-size:12px;color:#9a6700;margin:0 0 4px}} .notice:empty{{display:none}}
</style></head><body>
<header><h1>{title}</h1><p class="notice">{notice}</p><table>{rows}</table><div class="legend">
{legend}</div></header>
<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
{svg}
</svg>
<footer>{credit} Drawn offline by h2lane.</footer>
</body></html>
"""
