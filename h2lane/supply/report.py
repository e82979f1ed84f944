"""Self-contained offline HTML report of a simulation: tables and inline SVG plots."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from h2lane.app.simulate import SimulationResult

W, H, PAD = 560, 150, 36
MAX_POINTS = 1500
MAX_STATIONS = 12


def _esc(x: object) -> str:
    return html.escape(str(x))


def _downsample(values: list[float], agg: str) -> tuple[np.ndarray, int]:
    """At most MAX_POINTS values (max or min per bucket) and the bucket size in hours."""
    x = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    if x.size <= MAX_POINTS:
        return x, 1
    k = math.ceil(x.size / MAX_POINTS)
    pad = (-x.size) % k
    y = np.concatenate([x, np.full(pad, np.nan)]).reshape(-1, k)
    with np.errstate(all="ignore"):
        out = np.nanmax(y, axis=1) if agg == "max" else np.nanmin(y, axis=1)
    return out, k


def line_svg(
    values: list[float], title: str, unit: str, agg: str = "max", cap: float | None = None
) -> str:
    """A line chart of an hourly series (hours on x)."""
    y, k = _downsample(values, agg)
    if y.size == 0 or np.all(np.isnan(y)):
        return f"<p class='muted'>{_esc(title)}: no data</p>"
    top = float(np.nanmax(y))
    if cap is not None:
        top = max(top, cap)
    top = top if top > 0 else 1.0
    n = y.size
    pts = []
    for i, v in enumerate(y):
        if np.isnan(v):
            continue
        px = PAD + (W - PAD - 8) * (i / max(n - 1, 1))
        py = H - 20 - (H - 40) * (v / top)
        pts.append(f"{px:.1f},{py:.1f}")
    days = n * k / 24.0
    cap_line = ""
    if cap is not None:
        cy = H - 20 - (H - 40) * (cap / top)
        cap_line = (
            f"<line x1='{PAD}' x2='{W - 8}' y1='{cy:.1f}' y2='{cy:.1f}' class='cap'/>"
            f"<text x='{W - 10}' y='{cy - 3:.1f}' text-anchor='end' class='ax'>capacity</text>"
        )
    return (
        f"<svg viewBox='0 0 {W} {H}' width='{W}' height='{H}' role='img'><title>{_esc(title)}</title>"
        f"<text x='{PAD}' y='12' class='t'>{_esc(title)}</text>"
        f"<line x1='{PAD}' x2='{PAD}' y1='18' y2='{H - 20}' class='axis'/>"
        f"<line x1='{PAD}' x2='{W - 8}' y1='{H - 20}' y2='{H - 20}' class='axis'/>"
        f"<text x='{PAD - 4}' y='24' text-anchor='end' class='ax'>{top:,.0f}</text>"
        f"<text x='{PAD - 4}' y='{H - 20}' text-anchor='end' class='ax'>0</text>"
        f"<text x='{W - 8}' y='{H - 6}' text-anchor='end' class='ax'>{days:,.1f} days ({unit})</text>"
        f"{cap_line}<polyline points='{' '.join(pts)}' class='line'/></svg>"
    )


def hist_svg(waits: list[float], title: str) -> str:
    """Histogram of waits (min)."""
    x = np.asarray(waits, dtype=np.float64)
    if x.size == 0:
        return f"<p class='muted'>{_esc(title)}: no fills</p>"
    hi = max(float(np.percentile(x, 99.5)), 1.0)
    counts, edges = np.histogram(np.clip(x, 0, hi), bins=30, range=(0, hi))
    top = max(int(counts.max()), 1)
    bw = (W - PAD - 8) / len(counts)
    bars = "".join(
        f"<rect x='{PAD + i * bw:.1f}' y='{H - 20 - (H - 40) * c / top:.1f}' width='{bw - 1:.1f}' "
        f"height='{(H - 40) * c / top:.1f}' class='bar'><title>{edges[i]:.1f}–{edges[i + 1]:.1f} min: {c}</title></rect>"
        for i, c in enumerate(counts)
    )
    return (
        f"<svg viewBox='0 0 {W} {H}' width='{W}' height='{H}' role='img'><title>{_esc(title)}</title>"
        f"<text x='{PAD}' y='12' class='t'>{_esc(title)}</text>{bars}"
        f"<line x1='{PAD}' x2='{W - 8}' y1='{H - 20}' y2='{H - 20}' class='axis'/>"
        f"<text x='{PAD}' y='{H - 6}' class='ax'>0</text>"
        f"<text x='{W - 8}' y='{H - 6}' text-anchor='end' class='ax'>{hi:,.1f} min (fills: {x.size:,})</text>"
        f"<text x='{PAD - 4}' y='24' text-anchor='end' class='ax'>{top:,}</text></svg>"
    )


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str, str]]) -> str:
    head = "".join(f"<th>{_esc(label)}</th>" for _, label, _ in cols)
    body = []
    for r in rows:
        cells = []
        for key, _, fmt in cols:
            v = r.get(key)
            cells.append(
                f"<td>{_esc(format(v, fmt) if isinstance(v, int | float) and fmt else ('—' if v is None else v))}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


CSS = """body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}.muted{color:#777}.grid{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid #ddd;padding:8px;border-radius:4px}svg .line{fill:none;stroke:#1f6fb2;stroke-width:1.2}
svg .bar{fill:#4c9a63}svg .axis{stroke:#888}svg .cap{stroke:#c33;stroke-dasharray:4 3}
svg .t{font-size:12px;font-weight:600}svg .ax{font-size:10px;fill:#555}.ok{color:#2a7}.bad{color:#c33}"""


def simulation_html(result: SimulationResult) -> str:
    """The report: network summary, balance, stations, supply plan, plots of the busiest stations."""
    d = result.summary
    n, b = d["network"], d["balance"]
    stations = d["stations"]
    busiest = sorted(stations, key=lambda s: (-s["wait_p95_min"], -s["refused"], -s["fills"]))[
        :MAX_STATIONS
    ]
    cards = []
    for s in busiest:
        ser = result.series.get(s["station_id"], {})
        cards.append(
            f"<div class='card'><h3>{_esc(s['station_id'])} — {_esc(s['name'])}</h3>"
            + line_svg(ser.get("queue_max", []), "trucks waiting (hourly max)", "hours", "max")
            + line_svg(
                ser.get("storage_kg", []),
                "storage, kg (end of each hour)",
                "hours",
                "min",
                ser.get("storage_cap_kg"),
            )
            + hist_svg(ser.get("waits_min", []), "wait distribution, min")
            + "</div>"
        )
    sup = d["supply"]
    cp = d.get("capacity_proposals")
    cp_html = ""
    if cp:
        rows = [
            {
                "station_id": s["station_id"],
                "dispensers": f"{s['dispensers'][0]} → {s['dispensers'][1]}",
                "storage": f"{s['storage_kg'][0]:,.0f} → {s['storage_kg'][1]:,.0f}",
                "p95": s["after"]["wait_p95_min"],
                "refused": s["after"]["refused_share"],
            }
            for s in cp["stations"]
        ]
        cp_html = (
            f"<h2>Capacity proposals (p95 ≤ {cp['target_p95_min']:g} min, refused ≤ "
            f"{cp['max_refused_share']:.0%}): <span class='{'ok' if cp['met'] else 'bad'}'>"
            f"{'met' if cp['met'] else 'not met'}</span></h2>"
            + _table(
                rows,
                [
                    ("station_id", "station", ""),
                    ("dispensers", "dispensers", ""),
                    ("storage", "storage kg", ""),
                    ("p95", "p95 wait after, min", ".1f"),
                    ("refused", "refused after", ".1%"),
                ],
            )
            + f"<p>Trailers added: {_esc(cp['trailers_added'] or 'none')}</p>"
            + "".join(
                f"<p class='bad'>{_esc(u['station_id'])} has no supplying site: {_esc(u['reason'])}</p>"
                for u in cp.get("unsupplied", [])
            )
        )
    exact = "<span class='ok'>exact</span>" if b["exact"] else "<span class='bad'>NOT exact</span>"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>h2lane simulation — {_esc(d["scenario"])}</title><style>{CSS}</style></head><body>
<h1>Station network simulation — {_esc(d["scenario"])}</h1>
<p>{d["days"]:g} days from {_esc(d["start"])} (warm-up {
        d["warmup_days"]:g} days not counted); arrivals:
{_esc(d["arrivals"])}; {_esc(d["trailer_mode"])} trailers; seed {d["seed"]}; {
        d["events"]:,} events.</p>
<h2>Network</h2>
<p>{n["fills"]:,} fills, {n["refused"]:,} refused for lack of hydrogen ({n["refused_share"]:.1%});
waits p50 {n["wait_p50_min"]:.1f}, p95 {n["wait_p95_min"]:.1f}, max {n["wait_max_min"]:.1f} min;
{n["kg_dispensed"]:,.0f} kg dispensed; stock-out {n["stockout_h"]:,.1f} station-hours; dispensers
{n["dispenser_utilisation"]:.0%} busy over opening hours; {n["trailers"]} trailers {
        n["trailer_utilisation"]:.0%}
away from their site, {n["trailer_trips"]:,} deliveries, {n["trailer_km"]:,.0f} trailer km
({n["trailer_km_per_kg"]:.3f} km per kg dispensed).</p>
<p>Hydrogen balance ({exact}): produced {b["produced_kg"]:,.3f} kg = dispensed {
        b["dispensed_kg"]:,.3f}
+ Δ storage {b["storage_change_kg"]:,.3f} + Δ trailers {b["trailer_change_kg"]:,.3f} (residual {
        b["residual_g"]
    } g).</p>
<h2>Stations</h2>
{
        _table(
            stations,
            [
                ("station_id", "station", ""),
                ("site", "site", ""),
                ("dispensers", "disp.", "d"),
                ("fills", "fills", ",d"),
                ("refused", "refused", ",d"),
                ("wait_p50_min", "wait p50", ".1f"),
                ("wait_p95_min", "p95", ".1f"),
                ("wait_max_min", "max", ".1f"),
                ("stockout_h", "stock-out h", ".1f"),
                ("utilisation", "util.", ".0%"),
                ("kg_dispensed", "kg", ",.0f"),
                ("deliveries", "deliveries", ",d"),
            ],
        )
    }
{cp_html}
<h2>Supply plan (HiGHS) it ran on</h2>
{
        _table(
            sup["assignments"],
            [
                ("site_id", "site", ""),
                ("station_id", "station", ""),
                ("kg_per_day", "kg/day", ",.0f"),
                ("one_way_km", "one-way km", ",.0f"),
                ("trips_per_day", "trips/day", ".2f"),
                ("km_per_day", "km/day", ",.0f"),
                ("cost_per_day", "yuan/day", ",.0f"),
            ],
        )
    }
<p>{
        _esc(
            "; ".join(f"{u['station_id']}: {u['reason']}" for u in sup["unserved"])
            or "Every station is served."
        )
    }</p>
<h2>Busiest stations (by p95 wait, then refusals)</h2>
<div class='grid'>{"".join(cards)}</div>
<p class='muted'>Model: {_esc(" ".join(f"{k}: {v}." for k, v in d["model"].items()))}
Road distances from the OpenStreetMap road graph, {_esc(d["road_data"])}. Generated by h2lane.</p>
</body></html>
"""
