"""Self-contained HTML report: tables and inline SVG charts, no scripts, no network.

Large ledgers are summarised: per-TOC, per-truck and per-month aggregates, and the top and
first shipments with a note pointing to the CSV that lists every shipment.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from h2lane.emissions.accounting import ALL_PARTS, Accounting, GroupTable, part_labels
from h2lane.emissions.errors import ExportError
from h2lane.emissions.factors import TCAB_CLEAN, TCAB_LOW_CARBON
from h2lane.emissions.results import METHOD, shipment_records

MAX_GROUP_ROWS = 100
SHIPMENT_ROWS = 50
CHART_BARS = 25
H2_COLOUR = "#2a9d8f"
DIESEL_COLOUR = "#8d99ae"
PART_COLOURS = {
    "production": "#264653",
    "purification_compression": "#2a9d8f",
    "delivery": "#e9c46a",
    "station": "#f4a261",
    "user": "#e76f51",
}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2939;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d5dd;
padding-bottom:.3rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.86rem;width:100%}
th,td{border:1px solid #e4e7ec;padding:.25rem .45rem;text-align:right}
th{background:#f2f4f7}td.l,th.l{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #d0d5dd;border-radius:8px;padding:.6rem .9rem;min-width:10rem}
.card b{display:block;font-size:1.25rem}.note{color:#475467;font-size:.85rem}
.warn{background:#fffaeb;border:1px solid #fec84b;padding:.5rem .8rem;border-radius:6px}
svg text{font-family:system-ui,sans-serif}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(x: Any, digits: int = 1) -> str:
    if x is None:
        return "—"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    x = float(x)
    if math.isnan(x):
        return "—"
    return f"{x:,.{digits}f}"


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    left: int = 1,
    text_cols: Sequence[int] = (),
) -> str:
    """An HTML table; the first ``left`` columns and ``text_cols`` are left-aligned."""
    lefts = set(range(left)) | set(text_cols)
    cls = ['class="l"' if i in lefts else "" for i in range(len(headers))]
    out = ["<table><thead><tr>"]
    out += [f"<th {cls[i]}>{_e(h)}</th>" for i, h in enumerate(headers)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        out += [f"<td {cls[i]}>{c}</td>" for i, c in enumerate(row)]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _pair_chart(labels: list[str], h2: list[float], diesel: list[float], title: str) -> str:
    """Horizontal grouped bars: hydrogen WTW vs diesel baseline WTW (t CO2e)."""
    if not labels:
        return ""
    width, left, bar, gap = 760, 170, 9, 8
    height = 40 + len(labels) * (2 * bar + gap) + 30
    vmax = max(max(h2, default=0), max(diesel, default=0)) or 1.0
    scale = (width - left - 90) / vmax
    digits = 2 if vmax < 10 else 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="600">{_e(title)}</text>',
        f'<rect x="{left}" y="24" width="10" height="10" fill="{H2_COLOUR}"/>'
        f'<text x="{left + 14}" y="33" font-size="11">hydrogen WTW</text>'
        f'<rect x="{left + 110}" y="24" width="10" height="10" fill="{DIESEL_COLOUR}"/>'
        f'<text x="{left + 124}" y="33" font-size="11">diesel baseline WTW</text>',
    ]
    y = 44
    for lab, a, b in zip(labels, h2, diesel, strict=True):
        short = lab if len(lab) <= 26 else lab[:25] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + bar + 3}" font-size="11" text-anchor="end">'
            f"{_e(short)}</text>"
        )
        for k, (v, colour) in enumerate(((a, H2_COLOUR), (b, DIESEL_COLOUR))):
            w = max(v * scale, 0.5)
            yy = y + k * bar
            parts.append(
                f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar - 1}" fill="{colour}">'
                f"<title>{_e(lab)}: {v:,.2f} t CO2e</title></rect>"
                f'<text x="{left + w + 4:.1f}" y="{yy + bar - 2}" font-size="9">{v:,.{digits}f}</text>'
            )
        y += 2 * bar + gap
    parts.append(f'<text x="{left}" y="{y + 14}" font-size="10" fill="#475467">t CO2e</text></svg>')
    return "".join(parts)


def _stacked_chart(
    rows: list[tuple[str, dict[str, float]]], title: str, unit: str, thresholds: bool = False
) -> str:
    """Horizontal stacked bars by part of the hydrogen chain."""
    if not rows:
        return ""
    width, left, bar, gap, right = 820, 210, 18, 10, 120
    labels = part_labels()
    legend: list[tuple[float, float, str]] = []
    lx, ly = float(left), 26.0
    for p in ALL_PARTS:
        if not any(d.get(p, 0) > 0 for _, d in rows):
            continue
        w = 24 + 6.3 * len(labels[p])
        if lx + w > width and lx > left:
            lx, ly = float(left), ly + 15
        legend.append((lx, ly, p))
        lx += w
    top = ly + 20
    height = top + len(rows) * (bar + gap) + 34
    totals = [sum(v for v in d.values() if v > 0) for _, d in rows]
    vmax = max([*totals, TCAB_LOW_CARBON.value * 1.05 if thresholds else 0.0]) or 1.0
    scale = (width - left - right) / vmax
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'role="img" aria-label="{_e(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="600">{_e(title)}</text>',
    ]
    for x0, y0, p in legend:
        out.append(
            f'<rect x="{x0:.0f}" y="{y0:.0f}" width="10" height="10" fill="{PART_COLOURS[p]}"/>'
            f'<text x="{x0 + 14:.0f}" y="{y0 + 9:.0f}" font-size="11">{_e(labels[p])}</text>'
        )
    y = top
    for (name, d), total in zip(rows, totals, strict=True):
        short = name if len(name) <= 32 else name[:31] + "…"
        out.append(
            f'<text x="{left - 6}" y="{y + bar - 5:.0f}" font-size="11" text-anchor="end">'
            f"{_e(short)}</text>"
        )
        x = float(left)
        for p in ALL_PARTS:
            v = d.get(p, 0.0)
            if v <= 0:
                continue
            w = v * scale
            out.append(
                f'<rect x="{x:.1f}" y="{y:.0f}" width="{w:.1f}" height="{bar}" '
                f'fill="{PART_COLOURS[p]}"><title>{_e(labels[p])}: {v:,.3f} {_e(unit)}'
                "</title></rect>"
            )
            x += w
        out.append(
            f'<text x="{x + 4:.1f}" y="{y + bar - 5:.0f}" font-size="10">{total:,.2f}</text>'
        )
        y += bar + gap
    if thresholds:
        for thr, lab in (
            (TCAB_CLEAN.value, "T/CAB clean ≤ 4.9"),
            (TCAB_LOW_CARBON.value, "T/CAB low-carbon ≤ 14.51"),
        ):
            x = left + thr * scale
            out.append(
                f'<line x1="{x:.1f}" y1="{top - 4:.0f}" x2="{x:.1f}" y2="{y:.0f}" '
                f'stroke="#d92d20" stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="{y + 12:.0f}" '
                f'font-size="10" fill="#d92d20">{_e(lab)}</text>'
            )
    out.append(f'<text x="{left}" y="{y + 28:.0f}" font-size="10" fill="#475467">{_e(unit)}</text>')
    out.append("</svg>")
    return "".join(out)


def _group_section(
    title: str, key: str, table: GroupTable, parts: np.ndarray, order: str = "wtw"
) -> str:
    n = len(table)
    idx = list(range(n))
    note = ""
    if n > MAX_GROUP_ROWS:
        idx = np.argsort(-table["wtw_kg"], kind="stable")[:MAX_GROUP_ROWS].tolist()
        if order == "name":
            idx.sort()
        note = (
            f'<p class="note">Showing the {MAX_GROUP_ROWS} {key}s with the highest emissions '
            f"of {n:,}; the JSON output lists all.</p>"
        )
    rows = []
    for i in idx:
        warn = ""
        if not table["tkm"][i] > 0:
            warn = " ⚠ no t·km"
        rows.append(
            [
                _e(table.names[i]) + warn,
                _fmt(int(table["rows"][i])),
                _fmt(table["distance_km"][i], 0),
                _fmt(table["empty_km"][i], 0),
                _fmt(table["h2_kg"][i], 1),
                _fmt(table["tkm"][i], 0),
                _fmt(table["wtt_kg"][i] / 1000, 3),
                _fmt(table["ttw_kg"][i] / 1000, 3),
                _fmt(table["wtw_kg"][i] / 1000, 3),
                _fmt(table["intensity_g_per_tkm"][i], 2),
                _fmt(table["diesel_baseline_wtw_kg"][i] / 1000, 3),
                _fmt(table["avoided_kg"][i] / 1000, 3),
            ]
        )
    headers = [
        key,
        "rows",
        "km",
        "empty km",
        "H2 kg",
        "t·km",
        "WTT t",
        "TTW t",
        "WTW t",
        "g CO2e/t·km",
        "diesel WTW t",
        "avoided t",
    ]
    chart_idx = idx[:CHART_BARS] if len(idx) > CHART_BARS else idx
    chart = _pair_chart(
        [table.names[i] for i in chart_idx],
        [table["wtw_kg"][i] / 1000 for i in chart_idx],
        [table["diesel_baseline_wtw_kg"][i] / 1000 for i in chart_idx],
        f"Hydrogen vs diesel by {key}"
        + (f" (first {len(chart_idx)} shown)" if len(chart_idx) < len(idx) else ""),
    )
    stacked = _stacked_chart(
        [(table.names[i], dict(zip(ALL_PARTS, parts[i].tolist(), strict=True))) for i in chart_idx],
        f"Hydrogen well-to-tank by part of the chain, per {key}",
        "kg CO2e",
    )
    return f"<h2>{_e(title)}</h2>{note}{_table(headers, rows)}{chart}{stacked}"


def render_html(
    acc: Accounting,
    *,
    title: str = "h2lane emissions report",
    outputs: dict[str, str] | None = None,
) -> str:
    """The report as one HTML string (inline CSS and SVG only)."""
    led = acc.ledger
    tot = acc.totals()
    n = len(led)
    generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    what = (
        f"{n:,} ledger rows"
        if led.kind == "ledger"
        else f"{led.kind} plan: {tot['shipments']:,} shipments, {tot['legs']:,} legs"
    )
    h: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="note">Source: {_e(led.source)} · {_e(what)} · generated {_e(generated)}'
        f" · method {_e(METHOD['standard'])}, TOCs by {_e(acc.toc_by)}</p>",
    ]
    share = tot["avoided_share"]
    cards = [
        ("Hydrogen WTW", f"{tot['wtw_kg'] / 1000:,.2f} t CO2e"),
        ("of which TTW", f"{tot['ttw_kg'] / 1000:,.2f} t CO2e"),
        ("Diesel baseline WTW", f"{tot['diesel_baseline_wtw_kg'] / 1000:,.2f} t CO2e"),
        (
            "Avoided",
            f"{tot['avoided_kg'] / 1000:,.2f} t CO2e"
            + (f" ({share * 100:.1f} %)" if share is not None else ""),
        ),
        ("Transport activity", f"{tot['tkm']:,.0f} t·km"),
        (
            "Intensity (H2 / diesel)",
            f"{_fmt(tot['intensity_g_per_tkm'], 1)} / "
            f"{_fmt(tot['diesel_intensity_g_per_tkm'], 1)} g/t·km",
        ),
    ]
    h.append('<div class="cards">')
    h += [f'<div class="card">{_e(k)}<b>{_e(v)}</b></div>' for k, v in cards]
    h.append("</div>")
    if acc.warnings:
        h.append('<div class="warn"><b>Warnings</b><ul>')
        h += [f"<li>{_e(w)}</li>" for w in acc.warnings]
        h.append("</ul></div>")
    if tot["unallocated_wtw_kg"] > 0:
        h.append(
            f'<p class="warn">{tot["unallocated_wtw_kg"]:,.1f} kg CO2e WTW belong to TOCs without '
            "tonne-km and are not allocated to any shipment.</p>"
        )

    # method
    h.append("<h2>Method</h2><ul>")
    h += [f"<li><b>{_e(k.replace('_', ' '))}</b>: {_e(v)}</li>" for k, v in METHOD.items()]
    src_counts = np.bincount(
        acc.sfd_source[acc.ledger.shipment >= 0].astype(np.int64), minlength=3
    ).tolist()
    h.append(
        "<li><b>shortest feasible distance</b> (rows): "
        f"{src_counts[0]:,} from sfd_km, {src_counts[1]:,} from the road network, "
        f"{src_counts[2]:,} from distance_km</li></ul>"
    )

    # hydrogen factors
    h.append("<h2>Hydrogen well-to-tank factors</h2>")
    rows_per_factor = np.bincount(acc.row_factor, minlength=len(acc.factors)).tolist()
    frows = []
    for f, cnt in zip(acc.factors, rows_per_factor, strict=True):
        c2g = f.cradle_to_gate
        frows.append(
            [
                _e(f.name),
                _fmt(cnt),
                _fmt(f.total, 3),
                _fmt(c2g, 3) if c2g is not None else "—",
                _e(f.tcab_class),
                '<span class="note">' + _e(f.included) + "</span>",
            ]
        )
    h.append(
        _table(
            ["pathway", "rows", "WTT kg CO2e/kg", "cradle-to-gate", "T/CAB 0078-2020", "included"],
            frows,
            text_cols=(4, 5),
        )
    )
    h.append(
        _stacked_chart(
            [(f.name, {p.part: p.value for p in f.parts}) for f in acc.factors],
            "Well-to-tank per kg H2 delivered, by part (T/CAB thresholds are cradle-to-gate)",
            "kg CO2e/kg H2",
            thresholds=True,
        )
    )
    prow = []
    for f in acc.factors:
        for p in f.parts:
            for inp in p.inputs:
                prow.append(
                    [
                        _e(f.name),
                        _e(part_labels().get(p.part, p.part)),
                        _e(inp.name),
                        _fmt(inp.value, 4),
                        _e(inp.unit),
                        _e(inp.source),
                        _e(inp.year),
                        _e(inp.status),
                        _e(inp.licence),
                    ]
                )
    h.append("<details><summary>Every input of every part</summary>")
    h.append(
        _table(
            ["pathway", "part", "input", "value", "unit", "source", "year", "status", "licence"],
            prow,
            left=3,
            text_cols=(4, 5, 8),
        )
    )
    h.append("</details>")
    d = acc.diesel
    h.append("<h2>Diesel baseline factors</h2>")
    h.append(
        _table(
            ["factor", "value", "unit", "source", "year", "status"],
            [
                [_e(i.name), _fmt(i.value, 5), _e(i.unit), _e(i.source), _e(i.year), _e(i.status)]
                for i in (d.loaded, d.empty, d.ttw, d.wtw)
            ],
            text_cols=(2, 3),
        )
    )

    # totals by part
    h.append(
        _stacked_chart(
            [("all legs", tot["wtt_parts_kg"])],
            "Total hydrogen well-to-tank by part of the chain",
            "kg CO2e",
        )
    )

    # groups
    if n:
        h.append(
            _group_section(
                "Transport operation categories",
                "TOC",
                acc.tocs,
                acc.parts_by(acc.row_toc, len(acc.tocs)),
            )
        )
        h.append(
            _group_section(
                "Per truck (each row's own emissions)",
                "truck",
                acc.trucks,
                acc.parts_by(led.truck, len(acc.trucks)),
            )
        )
        h.append(
            _group_section(
                "Per month (each row's own emissions)",
                "month",
                acc.months,
                acc.parts_by(led.month, len(acc.months)),
                order="name",
            )
        )
    if len(acc.hocs):
        hrows = [
            [
                _e(name),
                _e(acc.hubs[name].hub_type),
                _fmt(int(acc.hocs["rows"][i])),
                _fmt(acc.hocs["tonnes"][i], 1),
                _fmt(acc.hubs[name].wtw_kg_per_t, 3),
                _fmt(acc.hocs["wtw_kg"][i], 2),
                _fmt(acc.hocs["ttw_kg"][i], 2),
            ]
            for i, name in enumerate(acc.hocs.names)
        ]
        h.append("<h2>Hub operations</h2>")
        h.append(_table(["hub", "type", "rows", "tonnes", "kg CO2e/t", "WTW kg", "TTW kg"], hrows))

    # shipments
    ns = len(acc.shipments)
    h.append("<h2>Shipments</h2>")
    recs = shipment_records(acc, None if ns <= 2 * SHIPMENT_ROWS else SHIPMENT_ROWS)
    if ns > 2 * SHIPMENT_ROWS:
        top = np.argsort(-acc.shipments["wtw_kg"], kind="stable")[:SHIPMENT_ROWS].tolist()
        top_recs = [one_shipment(acc, i) for i in top]
        csv_name = (outputs or {}).get("csv")
        where = f" in {csv_name}" if csv_name else " in the CSV (--csv FILE)"
        h.append(
            f'<p class="note">{ns:,} shipments: showing the {SHIPMENT_ROWS} with the highest '
            f"emissions and the first {SHIPMENT_ROWS} in ledger order. Every shipment is "
            f"listed{_e(where)}.</p>"
        )
        h.append("<h3>Highest emissions</h3>" + _shipment_table(top_recs))
        h.append("<h3>First in ledger order</h3>" + _shipment_table(recs))
    else:
        h.append(_shipment_table(recs))
    if outputs:
        h.append("<h2>Files</h2><ul>")
        h += [f"<li>{_e(k)}: {_e(v)}</li>" for k, v in outputs.items()]
        h.append("</ul>")
    h.append(
        '<p class="note">Status marks: V read in the cited source, K background knowledge to '
        "verify, D derived by h2lane, user given on the command line. Grid factors are CO2 "
        "only.</p></body></html>"
    )
    return "\n".join(h)


def one_shipment(acc: Accounting, i: int) -> dict[str, Any]:
    s = acc.shipments
    return {
        "shipment_id": s.names[i],
        "toc_id": acc.shipment_toc[i],
        "legs": int(s["legs"][i]),
        "tonnes": float(s["tonnes"][i]),
        "sfd_km": float(s["sfd_km"][i]),
        "sfd_source": acc.shipment_sfd_source[i],
        "tkm": float(s["tkm"][i]),
        "wtt_kg": float(s["wtt_kg"][i]),
        "ttw_kg": float(s["ttw_kg"][i]),
        "wtw_kg": float(s["wtw_kg"][i]),
        "diesel_baseline_wtw_kg": float(s["diesel_baseline_wtw_kg"][i]),
        "avoided_kg": float(s["avoided_kg"][i]),
        "empty_running": bool(s["loaded_legs"][i] == 0),
    }


def _shipment_table(recs: list[dict[str, Any]]) -> str:
    rows = [
        [
            _e(r["shipment_id"]) + (" (empty running)" if r["empty_running"] else ""),
            _e(r["toc_id"]),
            _fmt(r["legs"]),
            _fmt(r["tonnes"], 2),
            _fmt(r["sfd_km"], 1),
            _e(r["sfd_source"]),
            _fmt(r["tkm"], 1),
            _fmt(r["wtt_kg"], 2),
            _fmt(r["ttw_kg"], 2),
            _fmt(r["wtw_kg"], 2),
            _fmt(r["diesel_baseline_wtw_kg"], 2),
            _fmt(r["avoided_kg"], 2),
        ]
        for r in recs
    ]
    return _table(
        [
            "shipment",
            "TOC",
            "legs",
            "t",
            "SFD km",
            "SFD from",
            "t·km",
            "WTT kg",
            "TTW kg",
            "WTW kg",
            "diesel WTW kg",
            "avoided kg",
        ],
        rows,
        left=2,
    )


def write_html(acc: Accounting, path: str | Path, *, outputs: dict[str, str] | None = None) -> None:
    """Write the report to ``path``."""
    text = render_html(acc, outputs=outputs)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write the HTML report {path}: {exc.strerror or exc}.") from None
    except UnicodeEncodeError:
        raise ExportError(
            f"cannot write the HTML report {path}: a name is not valid Unicode text."
        ) from None
