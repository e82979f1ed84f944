"""Self-contained HTML report an auditor can sign: inline CSS and SVG, no scripts, no network.

The first screen states the choice that moves the result most — how the coking plant's
burden is allocated to coke-oven-gas hydrogen — with the WTW and T/CAB 0078-2020 class under
every method, and the same for the grid factor. Then: provenance (tool and factor-table
versions with checksum, input files with SHA-256, time), data quality, warnings and
plausibility checks, like-for-like charts (T/CAB classes on cradle-to-gate intensity against
the thresholds; well-to-tank by part without thresholds; the same transport by each pathway
and by diesel), TOCs with their loaded/empty split, customers, orders, trucks, months, hubs
and every factor row. ``@media print`` lays it out on A4.

Large ledgers are summarised: at most 100 TOCs/trucks (highest emissions) and the 50
shipments with the highest emissions plus the first 50, with a note pointing to the CSV.
No absolute path is written: inputs and outputs are named by file name.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from h2lane import OSM_ATTRIBUTION
from h2lane.emissions.accounting import ALL_PARTS, Accounting, GroupTable, part_labels
from h2lane.emissions.allocation import (
    ALLOCATION_LABELS,
    ALLOCATION_METHODS,
    DEFAULT_ALLOCATION,
    DEFAULT_JUSTIFICATION,
)
from h2lane.emissions.charts import hbar_chart, pair_chart
from h2lane.emissions.errors import ExportError
from h2lane.emissions.factors import (
    CRADLE_TO_GATE,
    TCAB_CLEAN,
    TCAB_LOW_CARBON,
    factor_table,
    hydrogen_wtt,
)
from h2lane.emissions.quality import data_quality, provenance
from h2lane.emissions.results import METHOD, shipment_records
from h2lane.emissions.sensitivity import (
    allocation_sensitivity,
    allocation_vectors,
    grid_sensitivity,
    pathway_comparison,
)

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
PATHWAY_COLOURS = {
    "cog-psa": "#264653",
    "grid-electrolysis": "#e76f51",
    "wind-pv-electrolysis": "#2a9d8f",
    "diesel": DIESEL_COLOUR,
}
PATHWAY_LABELS = {
    "cog-psa": "coke-oven gas (PSA)",
    "grid-electrolysis": "grid electrolysis",
    "wind-pv-electrolysis": "wind/PV electrolysis",
    "diesel": "diesel trucks",
}
SHORT_METHOD = {
    "cut-off": "cut-off",
    "mass": "mass",
    "energy": "energy (LHV)",
    "economic": "economic (value)",
    "full": "full (upper bound)",
    "share": "given share",
}
CLASS_NOTE = {
    "renewable": "≤ 4.9 and renewable input",
    "clean": "≤ 4.9",
    "low-carbon": "≤ 14.51",
    "conventional": "above 14.51: no T/CAB class",
    "unclassified": "boundary unknown",
}

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans',sans-serif;margin:1.2rem auto;
max-width:1160px;color:#1d2939;padding:0 1rem;font-size:15px;line-height:1.35}
h1{font-size:1.45rem;margin:.1rem 0}h2{font-size:1.15rem;margin-top:1.8rem;
border-bottom:1px solid #d0d5dd;padding-bottom:.25rem}h3{font-size:1rem;margin:.9rem 0 .3rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.82rem;width:100%}
th,td{border:1px solid #e4e7ec;padding:.18rem .4rem;text-align:right;vertical-align:top}
th{background:#f2f4f7}td.l,th.l{text-align:left}
tr.chosen td{background:#ecfdf3;font-weight:600}
.prov{color:#475467;font-size:.78rem;margin:.15rem 0 .5rem;word-break:break-all}
.claim{border:2px solid #264653;border-radius:8px;padding:.5rem .8rem;margin:.5rem 0}
.claim p{margin:.15rem 0}.big{font-size:1.05rem}
.cls{display:inline-block;padding:0 .35rem;border-radius:4px;font-weight:700}
.cls-clean,.cls-renewable{background:#d1fadf}.cls-low-carbon{background:#fef0c7}
.cls-conventional{background:#fee4e2}.cls-unclassified{background:#eaecf0}
.sens table{font-size:.76rem;margin:.3rem 0}.sens td{white-space:nowrap}
.sens td:first-child{white-space:normal}.sens h3{margin:.4rem 0 .1rem;font-size:.9rem}
.cards{display:flex;flex-wrap:wrap;gap:.5rem;margin:.6rem 0}
.card{border:1px solid #d0d5dd;border-radius:8px;padding:.35rem .7rem;min-width:9.5rem;
font-size:.82rem}
.card b{display:block;font-size:1.05rem}.note{color:#475467;font-size:.8rem}
.warn{background:#fffaeb;border:1px solid #fec84b;padding:.4rem .8rem;border-radius:6px}
svg{max-width:100%;height:auto;display:block;margin:.6rem 0}
svg text{font-family:system-ui,'Noto Sans',sans-serif}
code{font-size:.8rem}
@page{size:A4;margin:12mm 10mm 13mm}
@media print{
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{max-width:none;margin:0;padding:0;font-size:9pt}
h1{font-size:14pt}h2{font-size:11.5pt;margin-top:10pt;break-after:avoid;page-break-after:avoid}
h3{break-after:avoid;page-break-after:avoid}
table{font-size:7pt}.sens table{font-size:7pt}th,td{padding:1pt 2.5pt}
thead{display:table-header-group}tr{break-inside:avoid;page-break-inside:avoid}
svg,.claim,.card,.keep{break-inside:avoid;page-break-inside:avoid}
.cards{gap:4pt}.card{min-width:0;padding:2pt 6pt}
.prov{font-size:7pt}.note{font-size:7.5pt}.big{font-size:10pt}.card b{font-size:9.5pt}
code{font-size:6.5pt}
}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(x: Any, digits: int = 1) -> str:
    if x is None:
        return "—"
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return f"{int(x):,}"
    x = float(x)
    if math.isnan(x):
        return "—"
    return f"{x:,.{digits}f}"


def _local(text: str, source: str) -> str:
    """``text`` with the input's path replaced by its file name (no local paths in reports)."""
    name = Path(source).name
    return text.replace(source, name) if source and source != name else text


def _cls(c: str | None) -> str:
    if c is None:
        return "—"
    return f'<span class="cls cls-{_e(c)}">{_e(c)}</span>'


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    left: int = 1,
    text_cols: Sequence[int] = (),
    row_classes: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    """An HTML table; the first ``left`` columns and ``text_cols`` are left-aligned."""
    lefts = set(range(left)) | set(text_cols)
    cell = ['class="l"' if i in lefts else "" for i in range(len(headers))]
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th {cell[i]}>{_e(h)}</th>" for i, h in enumerate(headers)]
    out.append("</tr></thead><tbody>")
    for k, row in enumerate(rows):
        rc = row_classes[k] if row_classes else ""
        out.append(f'<tr class="{rc}">' if rc else "<tr>")
        out += [f"<td {cell[i]}>{c}</td>" for i, c in enumerate(row)]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# ---------------------------------------------------------------------------
# First screen: the allocation choice and its sensitivity
# ---------------------------------------------------------------------------


def _per_shipment(r: dict[str, Any]) -> str:
    mean = r["shipment_wtw_mean_kg"]
    if mean is None:
        return "—"
    lo, hi = r["shipment_wtw_min_kg"], r["shipment_wtw_max_kg"]
    if hi - lo <= 0.02 * abs(mean):
        return _fmt(mean, 1)
    return f"{_fmt(mean, 1)} <span class='note'>({_fmt(lo, 0)}–{_fmt(hi, 0)})</span>"


def _first_screen(acc: Accounting, alloc: list[dict[str, Any]], grids: list[dict[str, Any]]) -> str:
    chosen = next(r for r in alloc if r["chosen"])
    method = chosen["method"]
    cog = [f for f in acc.factors if f.pathway == "cog-psa"]
    default = acc.factors[0]
    out = ['<section id="allocation" class="sens">', '<div class="claim">']
    label = ALLOCATION_LABELS[method]
    tag = "h2lane default" if method == DEFAULT_ALLOCATION else "chosen with --allocation"
    if method == "share":
        tag = "share given with --cog-allocation"
    share = chosen["share"] or 0.0
    out.append(
        f'<p class="big">Coke-oven-gas hydrogen carries <b>{share * 100:.2f} %</b> of the coking '
        f"plant's burden by <b>{_e(label)}</b> allocation ({_e(tag)}): production "
        f"{chosen['production_kg_per_kg']:.3f} + plant purification/compression = cradle-to-gate "
        f"<b>{chosen['cradle_to_gate_kg_per_kg']:.3f} kg CO2e/kg H2</b> → T/CAB 0078-2020 "
        f"{_cls(chosen['tcab_0078_2020_class'])} "
        f"<span class='note'>({_e(CLASS_NOTE[chosen['tcab_0078_2020_class']])})</span>.</p>"
    )
    if not cog:
        out.append(
            f"<p class='note'>This report's hydrogen ({_e(default.name)}) is not from coke-oven "
            "gas: the allocation does not change its numbers; the rows below show what it "
            "would be.</p>"
        )
    out.append(
        f"<p class='note'><b>Why this default:</b> {_e(DEFAULT_JUSTIFICATION)}. Choose with "
        "<code>--allocation cut-off|mass|energy|economic</code>; the plant's own LCA or "
        "certificate should replace the K (unverified) inputs.</p></div>"
    )
    rows, classes = [], []
    for r in alloc:
        mark = " ◀ chosen" if r["chosen"] else ""
        rows.append(
            [
                _e(SHORT_METHOD[r["method"]]) + mark,
                _fmt((r["share"] or 0.0) * 100, 2) + " %",
                _fmt(r["production_kg_per_kg"], 3),
                _fmt(r["cradle_to_gate_kg_per_kg"], 3),
                _cls(r["tcab_0078_2020_class"]),
                _fmt(r["wtt_kg_per_kg"], 3),
                _fmt(r["wtw_kg"] / 1000, 3),
                _per_shipment(r),
                _fmt(r["intensity_g_per_tkm"], 1),
            ]
        )
        classes.append("chosen" if r["chosen"] else "")
    out.append(
        "<h3>Allocation of the coking plant's burden: sensitivity</h3>"
        + _table(
            [
                "method",
                "share to H2",
                "production kg/kg",
                "cradle-to-gate kg/kg",
                "T/CAB 0078-2020",
                "WTT delivered kg/kg",
                "WTW t CO2e",
                "WTW per shipment kg",
                "g CO2e/t·km",
            ],
            rows,
            text_cols=(4,),
            row_classes=classes,
        )
    )
    rows, classes = [], []
    for r in grids:
        rows.append(
            [
                _e(r["grid"]) + (" ◀ chosen" if r["chosen"] else ""),
                _e(r["level"]),
                _fmt(r["kg_co2_per_kwh"], 4),
                _e(r["data_year"]),
                _fmt(r["grid_electrolysis_cradle_to_gate_kg_per_kg"], 2),
                _cls(r["grid_electrolysis_tcab_0078_2020_class"]),
                _fmt(r["wtt_kg_per_kg"], 3),
                _fmt(r["wtw_kg"] / 1000, 3),
                _per_shipment(r),
            ]
        )
        classes.append("chosen" if r["chosen"] else "")
    out.append(
        "<h3>Grid factor (MEE &amp; NBS, CO2 only): national, regional, provincial</h3>"
        + _table(
            [
                "grid",
                "level",
                "kg CO2/kWh",
                "published",
                "grid-electrolysis cradle-to-gate",
                "T/CAB",
                f"{default.pathway} WTT kg/kg",
                "WTW t CO2e",
                "WTW per shipment kg",
            ],
            rows,
            text_cols=(1, 3, 5),
            row_classes=classes,
        )
    )
    out.append(
        "<p class='note'>WTW per shipment: mean over the shipments with freight (lowest–highest "
        "when they differ by more than 2 %); every shipment under every method is in the order "
        "table and the JSON. The 2023 provincial factors are not yet published in the sources "
        "read: the provincial rows are 2022 data.</p></section>"
    )
    return "".join(out)


# ---------------------------------------------------------------------------
# Provenance and data quality
# ---------------------------------------------------------------------------


def _provenance_line(prov: dict[str, Any]) -> str:
    inputs = " · ".join(
        f"{_e(i.get('option', 'input'))} {_e(i['name'])}"
        + (f" (SHA-256 {_e(i['sha256'][:16])}…)" if i.get("sha256") else "")
        for i in prov["inputs"]
    )
    ft = prov["factor_table"]
    return (
        f'<p class="prov">{inputs} · {_e(prov["tool"])} {_e(prov["version"])} · factor table '
        f"{_e(ft['version'])} (SHA-256 {_e(ft['sha256'][:16])}…) · generated "
        f"{_e(prov['generated_at'])}</p>"
    )


def _provenance_block(prov: dict[str, Any]) -> str:
    rows = [
        ["tool", f"{_e(prov['tool'])} {_e(prov['version'])}"],
        [
            "factor table",
            f"version {_e(prov['factor_table']['version'])}, SHA-256 "
            f"<code>{_e(prov['factor_table']['sha256'])}</code> (rows in the last section)",
        ],
    ]
    for i in prov["inputs"]:
        detail = _e(i["name"])
        if i.get("sha256"):
            detail += f", {i['bytes']:,} bytes, SHA-256 <code>{_e(i['sha256'])}</code>"
        else:
            detail += " (accounted from memory: no file checksum)"
        rows.append([_e(i.get("option", "input")), detail])
    if prov.get("options"):
        opts = ", ".join(f"{_e(k)} = {_e(v)}" for k, v in prov["options"].items())
        rows.append(["options", opts])
    rows.append(["generated", _e(prov["generated_at"])])
    return (
        '<section id="provenance" class="keep"><h2>Provenance</h2>'
        + _table(["item", "value"], rows, left=2)
        + "</section>"
    )


def _quality_block(dq: dict[str, Any], acc: Accounting) -> str:
    act = dq["activity_data"]
    ef = dq["emission_factors"]["wtt_share_by_status"]

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x * 100:.1f} %"

    out = ['<section id="data-quality"><h2>Data quality</h2>']
    out.append(
        _table(
            ["GLEC / ISO 14083 data type", "share of WTW emissions"],
            [
                ["primary (measured fuel)", pct(act["primary_share"])],
                ["modelled (fuel from the truck type's consumption)", pct(act["modelled_share"])],
                ["default (default intensity values)", pct(act["default_share"])],
            ],
            cls="keep",
        )
    )
    out.append(f"<p class='note'>Activity data: {_e(act['basis'])}.</p>")
    out.append(
        _table(
            ["emission-factor status (weakest input of each part)", "share of WTT emissions"],
            [
                ["V — read in the cited source", pct(ef.get("V"))],
                ["D — derived by h2lane from V/K inputs", pct(ef.get("D"))],
                ["user — given on the command line", pct(ef.get("user"))],
                ["K — background knowledge, still to verify", pct(ef.get("K"))],
            ],
            cls="keep",
        )
    )
    parts = dq["emission_factors"]["parts"]
    prow = [
        [
            _e(p["factor"]),
            _e(part_labels().get(p["part"], p["part"])),
            _e(p["status"]),
            _e(", ".join(f"{k} {v}" for k, v in p["inputs"].items())),
        ]
        for p in parts
    ]
    out.append(
        _table(["factor", "part", "status", "inputs (status)"], prow, left=2, text_cols=(2, 3))
    )
    idx = dq["glec_data_quality_index"]
    shown = idx["tocs"][:CHART_BARS]
    irow = [
        [_e(t["toc_id"]), str(t["index"])] + ["yes" if v else "no" for v in t["criteria"].values()]
        for t in shown
    ]
    out.append(
        "<h3>iLEAP glecDataQualityIndex per TOC</h3>"
        + _table(
            ["TOC", "index 0–4", "primary fuel", "SFD", "V factors", "supply-specific"],
            irow,
            text_cols=(2, 3, 4, 5),
        )
        + (
            f"<p class='note'>The first {CHART_BARS} of {len(idx['tocs']):,} TOCs; the JSON and "
            "tocs.json give every one.</p>"
            if len(idx["tocs"]) > CHART_BARS
            else ""
        )
        + f"<p class='note'>{_e(idx['rule'])}.</p></section>"
    )
    return "".join(out)


# ---------------------------------------------------------------------------
# Like-for-like charts
# ---------------------------------------------------------------------------


def _tcab_chart(acc: Accounting, alloc: list[dict[str, Any]]) -> str:
    """Cradle-to-gate (production + plant purification/compression) against T/CAB lines."""
    rows: list[tuple[str, dict[str, float]]] = []
    seen: set[str] = set()
    for f in acc.factors:
        if f.cradle_to_gate is None or f.name in seen:
            continue
        seen.add(f.name)
        name = f"{f.name} ◀ this report"
        if f.pathway == "cog-psa" and f.allocation is not None:
            name = f"cog-psa, {SHORT_METHOD[f.allocation]} ◀ this report"
        rows.append((name, {p: f.part_value(p) for p in CRADLE_TO_GATE}))
    cfg = acc.config
    base = next((f for f in acc.factors if f.pathway == "cog-psa"), None)
    cog_name = base.name if base is not None else f"cog-psa@{cfg.grid}"
    for r in alloc:
        if r["chosen"] and base is not None:
            continue
        rows.append(
            (
                f"cog-psa, {SHORT_METHOD[r['method']]}",
                {
                    "production": r["production_kg_per_kg"],
                    "purification_compression": r["cradle_to_gate_kg_per_kg"]
                    - r["production_kg_per_kg"],
                },
            )
        )
    for pathway in ("grid-electrolysis", "wind-pv-electrolysis"):
        f = hydrogen_wtt(pathway, cfg)
        if f.name not in seen:
            rows.append((f.name, {p: f.part_value(p) for p in CRADLE_TO_GATE}))
    labels = part_labels()
    return hbar_chart(
        rows,
        title="T/CAB 0078-2020: cradle-to-gate intensity against its thresholds",
        unit="kg CO2e per kg H2, cradle-to-gate (production + purification & compression)",
        colours=PART_COLOURS,
        labels=labels,
        order=ALL_PARTS,
        thresholds=[
            (TCAB_CLEAN.value, f"clean / renewable ≤ {TCAB_CLEAN.value:g}"),
            (TCAB_LOW_CARBON.value, f"low-carbon ≤ {TCAB_LOW_CARBON.value:g}"),
        ],
        note=f"{cog_name} rows: the coking burden under each allocation method.",
        chart_id="tcab-chart",
    )


def _wtt_chart(acc: Accounting) -> str:
    rows = [(f.name, {p.part: p.value for p in f.parts}) for f in acc.factors]
    return hbar_chart(
        rows,
        title="Well-to-tank per kg H2 delivered to the truck, by part (no T/CAB thresholds: "
        "they are cradle-to-gate)",
        unit="kg CO2e per kg H2 delivered",
        colours=PART_COLOURS,
        labels=part_labels(),
        order=ALL_PARTS,
        chart_id="wtt-chart",
    )


def _pathway_chart(rows: list[dict[str, Any]]) -> str:
    data = [
        (
            f"{PATHWAY_LABELS[r['pathway']]}"
            + (f" ({r['tcab_0078_2020_class']})" if r["tcab_0078_2020_class"] else ""),
            {r["pathway"]: r["wtw_kg"] / 1000},
        )
        for r in rows
    ]
    return hbar_chart(
        data,
        title="The same transport by hydrogen pathway and by diesel trucks (WTW)",
        unit="t CO2e well-to-wheel (hub operations excluded: the same for every case)",
        colours=PATHWAY_COLOURS,
        labels=PATHWAY_LABELS,
        order=tuple(PATHWAY_COLOURS),
        digits=3,
        chart_id="pathway-chart",
    )


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


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
        warn = "" if table["tkm"][i] > 0 else " ⚠ no t·km"
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
        key, "rows", "km", "empty km", "H2 kg", "t·km", "WTT t", "TTW t", "WTW t",
        "g CO2e/t·km", "diesel WTW t", "avoided t",
    ]  # fmt: skip
    chart_idx = idx[:CHART_BARS]
    chart = pair_chart(
        [table.names[i] for i in chart_idx],
        [table["wtw_kg"][i] / 1000 for i in chart_idx],
        [table["diesel_baseline_wtw_kg"][i] / 1000 for i in chart_idx],
        title=f"Hydrogen vs diesel by {key}"
        + (f" (first {len(chart_idx)} shown)" if len(chart_idx) < len(idx) else ""),
        names=("hydrogen WTW", "diesel baseline WTW"),
        colours=(H2_COLOUR, DIESEL_COLOUR),
    )
    stacked = hbar_chart(
        [(table.names[i], dict(zip(ALL_PARTS, parts[i].tolist(), strict=True))) for i in chart_idx],
        title=f"Hydrogen well-to-tank by part of the chain, per {key}",
        unit="kg CO2e",
        colours=PART_COLOURS,
        labels=part_labels(),
        order=ALL_PARTS,
    )
    return f"<h2>{_e(title)}</h2>{note}{_table(headers, rows)}{chart}{stacked}"


def _loaded_empty(acc: Accounting) -> str:
    t = acc.tocs
    idx = list(range(len(t)))
    if len(idx) > MAX_GROUP_ROWS:
        idx = np.argsort(-t["wtw_kg"], kind="stable")[:MAX_GROUP_ROWS].tolist()
    rows = [
        [
            _e(t.names[i]),
            _fmt(t["loaded_km"][i], 0),
            _fmt(t["empty_km"][i], 0),
            _fmt(t["empty_distance_factor"][i] * 100, 1),
            _fmt(t["loaded_h2_kg"][i], 1),
            _fmt(t["empty_h2_kg"][i], 1),
            _fmt(t["loaded_wtw_kg"][i] / 1000, 3),
            _fmt(t["empty_wtw_kg"][i] / 1000, 3),
            _fmt(t["empty_wtw_share"][i] * 100, 1),
        ]
        for i in idx
    ]
    return (
        "<h3>Loaded and empty running per TOC</h3>"
        + _table(
            [
                "TOC",
                "loaded km",
                "empty km",
                "empty % of km",
                "H2 kg loaded",
                "H2 kg empty",
                "WTW t loaded",
                "WTW t empty",
                "empty % of WTW",
            ],
            rows,
        )
        + "<p class='note'>Empty running stays in its TOC (ISO 14083): its emissions are "
        "carried by the TOC's shipments through the TOC intensity.</p>"
    )


def _customers(acc: Accounting) -> str:
    c = acc.customers
    if c is None or not len(c):
        return ""
    idx = np.argsort(-c["wtw_kg"], kind="stable")[:MAX_GROUP_ROWS].tolist()
    rows = [
        [
            _e(c.names[i]),
            _fmt(int(c["shipments"][i])),
            _fmt(c["tonnes"][i], 1),
            _fmt(c["tkm"][i], 0),
            _fmt(c["wtw_kg"][i], 1),
            _fmt(c["intensity_g_per_tkm"][i], 2),
            _fmt(c["diesel_baseline_wtw_kg"][i], 1),
            _fmt(c["avoided_kg"][i], 1),
        ]
        for i in idx
    ]
    note = (
        f"<p class='note'>The {MAX_GROUP_ROWS} customers with the highest emissions of "
        f"{len(c):,}.</p>"
        if len(c) > MAX_GROUP_ROWS
        else ""
    )
    return (
        '<section id="customers"><h2>Per customer (consignee)</h2>'
        + note
        + _table(
            [
                "customer",
                "orders",
                "t",
                "t·km",
                "WTW kg",
                "g CO2e/t·km",
                "diesel WTW kg",
                "avoided kg",
            ],
            rows,
        )
        + "<p class='note'>The customer of an order is its consignee: the plan's order "
        "destination, or the ledger's destination.</p></section>"
    )


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


def _shipment_table(
    acc: Accounting, recs: list[dict[str, Any]], index: list[int], by_method: dict[str, np.ndarray]
) -> str:
    rows = []
    for r, i in zip(recs, index, strict=True):
        rows.append(
            [
                _e(r["shipment_id"]) + (" (empty running)" if r["empty_running"] else ""),
                _e(acc.shipment_customer[i] if acc.shipment_customer else ""),
                _e(r["toc_id"]),
                _fmt(r["legs"]),
                _fmt(r["tonnes"], 2),
                _fmt(r["sfd_km"], 1),
                _e(r["sfd_source"]),
                _fmt(r["tkm"], 1),
                _fmt(r["wtt_kg"], 2),
                _fmt(r["ttw_kg"], 2),
                _fmt(r["wtw_kg"], 2),
                *[_fmt(by_method[m][i], 1) for m in ALLOCATION_METHODS],
                _fmt(r["diesel_baseline_wtw_kg"], 2),
                _fmt(r["avoided_kg"], 2),
            ]
        )
    return _table(
        [
            "order",
            "customer",
            "TOC",
            "legs",
            "t",
            "SFD km",
            "SFD from",
            "t·km",
            "WTT kg",
            "TTW kg",
            "WTW kg",
            *[f"WTW kg {m}" for m in ALLOCATION_METHODS],
            "diesel WTW kg",
            "avoided kg",
        ],
        rows,
        left=3,
        text_cols=(6,),
    )


def _factor_rows(acc: Accounting) -> str:
    out = ['<section id="factors"><h2>Hydrogen well-to-tank factors</h2>']
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
                _cls(f.tcab_class),
                '<span class="note">' + _e(f.included) + "</span>",
            ]
        )
    out.append(
        _table(
            ["pathway", "rows", "WTT kg CO2e/kg", "cradle-to-gate", "T/CAB 0078-2020", "included"],
            frows,
            text_cols=(4, 5),
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
    out.append("<h3>Every input of every part</h3>")
    out.append(
        _table(
            ["pathway", "part", "input", "value", "unit", "source", "year", "status", "licence"],
            prow,
            left=3,
            text_cols=(4, 5, 7, 8),
        )
    )
    d = acc.diesel
    out.append("<h3>Diesel baseline factors</h3>")
    out.append(
        _table(
            ["factor", "value", "unit", "source", "year", "status"],
            [
                [_e(i.name), _fmt(i.value, 5), _e(i.unit), _e(i.source), _e(i.year), _e(i.status)]
                for i in (d.loaded, d.empty, d.ttw, d.wtw)
            ],
            text_cols=(2, 3, 5),
        )
    )
    table = factor_table()
    out.append(
        f"<h3>Factor table {_e(table['version'])} (SHA-256 <code>{_e(table['sha256'])}</code>)</h3>"
    )
    out.append(
        _table(
            ["row", "value", "unit", "source", "year", "status", "note"],
            [
                [
                    _e(r["id"]),
                    _fmt(r["value"], 4),
                    _e(r["unit"]),
                    _e(r["source"]),
                    _e(r["year"]),
                    _e(r["status"]),
                    _e(r["note"]),
                ]
                for r in table["rows"]
            ],
            text_cols=(2, 3, 4, 5, 6),
        )
    )
    out.append(f"<p class='note'>{_e(table['checksum_of'])}.</p></section>")
    return "".join(out)


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


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
    prov = acc.provenance or provenance(acc)
    alloc = allocation_sensitivity(acc, shipments_listed=0)
    grids = grid_sensitivity(acc, shipments_listed=0)
    pathways = pathway_comparison(acc)
    dq = data_quality(acc)
    what = (
        f"{n:,} ledger rows"
        if led.kind == "ledger"
        else f"{led.kind} plan: {tot['shipments']:,} shipment{'' if tot['shipments'] == 1 else 's'}"
        f", {tot['legs']:,} leg{'' if tot['legs'] == 1 else 's'}"
    )
    h: list[str] = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="note">{_e(Path(led.source).name)} · {_e(what)} · '
        f"{_e(METHOD['standard'])}, TOCs by {_e(acc.toc_by)}, hydrogen "
        f"{_e(acc.factors[0].name)}</p>",
        _provenance_line(prov),
        _first_screen(acc, alloc, grids),
    ]
    share = tot["avoided_share"]
    cards = [
        ("Hydrogen WTW", f"{tot['wtw_kg'] / 1000:,.3f} t CO2e"),
        ("of which TTW", f"{tot['ttw_kg'] / 1000:,.3f} t CO2e"),
        ("Diesel baseline WTW", f"{tot['diesel_baseline_wtw_kg'] / 1000:,.3f} t CO2e"),
        (
            "Avoided",
            f"{tot['avoided_kg'] / 1000:,.3f} t CO2e"
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
        h.append('<div class="warn" id="warnings"><b>Warnings and plausibility checks</b><ul>')
        h += [f"<li>{_e(_local(w, led.source))}</li>" for w in acc.warnings]
        h.append("</ul></div>")
    else:
        h.append(
            '<p class="note" id="warnings">Plausibility checks: hydrogen per 100 km within the '
            "band of every truck type, no load above a payload, every sum finite.</p>"
        )
    if tot["unallocated_wtw_kg"] > 0:
        h.append(
            f'<p class="warn">{tot["unallocated_wtw_kg"]:,.1f} kg CO2e WTW belong to TOCs without '
            "tonne-km and are not allocated to any shipment.</p>"
        )

    h.append("<h2>Like-for-like comparisons</h2>")
    h.append(_tcab_chart(acc, alloc))
    h.append(_wtt_chart(acc))
    h.append(_pathway_chart(pathways))
    h.append(
        _table(
            [
                "case",
                "WTT kg/kg",
                "cradle-to-gate kg/kg",
                "T/CAB 0078-2020",
                "WTW t CO2e",
                "g CO2e/t·km",
            ],
            [
                [
                    _e(r["case"]),
                    _fmt(r["wtt_kg_per_kg"], 3),
                    _fmt(r["cradle_to_gate_kg_per_kg"], 3),
                    _cls(r["tcab_0078_2020_class"]),
                    _fmt(r["wtw_kg"] / 1000, 3),
                    _fmt(r["intensity_g_per_tkm"], 1),
                ]
                for r in pathways
            ],
            text_cols=(3,),
            cls="keep",
        )
    )
    h.append(_provenance_block(prov))
    h.append(_quality_block(dq, acc))

    # method
    h.append("<h2>Method</h2><ul>")
    h += [f"<li><b>{_e(k.replace('_', ' '))}</b>: {_e(v)}</li>" for k, v in METHOD.items()]
    src_counts = np.bincount(
        acc.sfd_source[acc.ledger.shipment >= 0].astype(np.int64), minlength=3
    ).tolist()
    h.append(
        "<li><b>T/CAB 0078-2020</b>: classes are judged on cradle-to-gate intensity "
        "(production + purification and compression at the plant), never on the delivered "
        "well-to-tank figure, which adds trailer delivery and the station</li>"
        "<li><b>shortest feasible distance</b> (rows): "
        f"{src_counts[0]:,} from sfd_km, {src_counts[1]:,} from the road network, "
        f"{src_counts[2]:,} from distance_km</li></ul>"
    )

    if n:
        h.append(
            _group_section(
                "Transport operation categories",
                "TOC",
                acc.tocs,
                acc.parts_by(acc.row_toc, len(acc.tocs)),
            )
        )
        h.append(_loaded_empty(acc))
    h.append(_customers(acc))

    # orders (shipments)
    ns = len(acc.shipments)
    by_method = allocation_vectors(acc) if ns else {}
    h.append('<section id="orders"><h2>Shipments (per order)</h2>')
    if ns > 2 * SHIPMENT_ROWS:
        recs = shipment_records(acc, SHIPMENT_ROWS)
        top = np.argsort(-acc.shipments["wtw_kg"], kind="stable")[:SHIPMENT_ROWS].tolist()
        top_recs = [one_shipment(acc, i) for i in top]
        csv_name = (outputs or {}).get("csv")
        where = f" in {Path(csv_name).name}" if csv_name else " in the CSV (--csv FILE)"
        h.append(
            f'<p class="note">{ns:,} shipments: showing the {SHIPMENT_ROWS} with the highest '
            f"emissions and the first {SHIPMENT_ROWS} in ledger order. Every shipment is "
            f"listed{_e(where)}.</p>"
        )
        h.append("<h3>Highest emissions</h3>" + _shipment_table(acc, top_recs, top, by_method))
        h.append(
            "<h3>First in ledger order</h3>"
            + _shipment_table(acc, recs, list(range(len(recs))), by_method)
        )
    else:
        recs = [one_shipment(acc, i) for i in range(ns)]
        h.append(_shipment_table(acc, recs, list(range(ns)), by_method))
    h.append("</section>")
    if n:
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
    h.append(_factor_rows(acc))
    if outputs:
        h.append("<h2>Files</h2><ul>")
        h += [f"<li>{_e(k)}: {_e(Path(v).name)}</li>" for k, v in outputs.items()]
        h.append("</ul>")
    credit = (
        f" Shortest feasible distances from the road network: road data {OSM_ATTRIBUTION}."
        if src_counts[1]
        else ""
    )
    h.append(
        '<p class="note">Status marks: V read in the cited source, K background knowledge to '
        "verify, D derived by h2lane, user given on the command line. Grid factors are CO2 "
        f"only.{_e(credit)}</p></body></html>"
    )
    return "\n".join(h)


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
