"""Rich tables of an emissions accounting (for the command line; the library never prints)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from h2lane.emissions.accounting import Accounting
from h2lane.emissions.factors import GRID_FACTORS, WttConfig, list_pathways
from h2lane.emissions.report import one_shipment

CONSOLE_ROWS = 20


def print_pathways(console: Console, config: WttConfig) -> None:
    """Each hydrogen pathway part by part, as Rich tables."""
    con = console
    for p in list_pathways(config):
        c2g = p.cradle_to_gate
        title = (
            f"{p.name}: {p.total:.3f} kg CO2e/kg H2 delivered; cradle-to-gate "
            f"{c2g:.3f} → T/CAB 0078-2020 '{p.tcab_class}'"
        )
        t = Table(title=title, title_justify="left")
        for col in ("part", "kg CO2e/kg H2", "formula", "inputs (status)"):
            t.add_column(col)
        for part in p.parts:
            inputs = "; ".join(f"{i.name} {i.value:g} {i.unit} [{i.status}]" for i in part.inputs)
            t.add_row(part.label, f"{part.value:.4f}", part.formula, inputs)
        con.print(t)
        con.print(f"  included: {p.included}\n", highlight=False)
    con.print(
        "grids: " + ", ".join(f"{k} {v.value:g}" for k, v in GRID_FACTORS.items()),
        highlight=False,
    )


def print_summary(
    console: Console, acc: Accounting, doc: dict[str, Any], outputs: dict[str, str]
) -> None:
    """The TOC table, the totals, the factors and the top shipments, as Rich output."""
    con = console
    tot = doc["totals"]
    t = Table(title=f"Transport operation categories (by {acc.toc_by})", title_justify="left")
    for col in (
        "TOC",
        "legs",
        "t·km",
        "WTT kg",
        "TTW kg",
        "WTW kg",
        "g/t·km",
        "diesel kg",
        "avoided kg",
    ):
        if col == "TOC":
            t.add_column(col, overflow="fold")
        else:
            t.add_column(col, justify="right")
    tocs = doc["tocs"]
    shown = (
        sorted(tocs, key=lambda r: -r["wtw_kg"])[:CONSOLE_ROWS]
        if len(tocs) > CONSOLE_ROWS
        else tocs
    )
    for r in shown:
        inten = r["intensity_g_per_tkm"]
        t.add_row(
            r["toc_id"],
            f"{r['legs']:,}",
            f"{r['tkm']:,.0f}",
            f"{r['wtt_kg']:,.1f}",
            f"{r['ttw_kg']:,.1f}",
            f"{r['wtw_kg']:,.1f}",
            "[yellow]none (no t·km)[/]" if inten is None else f"{inten:,.2f}",
            f"{r['diesel_baseline_wtw_kg']:,.1f}",
            f"{r['avoided_kg']:,.1f}",
        )
    con.print(t)
    if len(tocs) > CONSOLE_ROWS:
        con.print(f"  ({CONSOLE_ROWS} of {len(tocs)} TOCs shown, highest emissions first)")
    inten = tot["intensity_g_per_tkm"]
    dint = tot["diesel_intensity_g_per_tkm"]
    share = tot["avoided_share"]
    con.print(
        f"Shipments: {tot['shipments']:,} ({tot['legs']:,} legs, {tot['tkm']:,.0f} t·km). "
        f"Hydrogen WTW {tot['wtw_kg']:,.1f} kg CO2e (WTT {tot['wtt_kg']:,.1f}, TTW "
        f"{tot['ttw_kg']:,.1f}); diesel baseline {tot['diesel_baseline_wtw_kg']:,.1f} kg; "
        f"avoided {tot['avoided_kg']:,.1f} kg"
        + (f" ({share * 100:.1f} %)" if share is not None else "")
        + (f"; {inten:,.2f} vs {dint:,.2f} g CO2e/t·km." if inten is not None else "."),
        highlight=False,
    )
    for f in acc.factors:
        con.print(
            f"Hydrogen {f.name}: {f.total:.3f} kg CO2e/kg (T/CAB 0078-2020: {f.tcab_class}); "
            + ", ".join(f"{p.part} {p.value:.3f}" for p in f.parts),
            highlight=False,
        )
    alloc = doc.get("allocation")
    if alloc is not None:
        at = Table(
            title=f"Allocation of the coking plant's burden (chosen: {alloc['label']}; "
            f"default {alloc['default']})",
            title_justify="left",
        )
        for col in (
            "method",
            "share",
            "cradle-to-gate kg/kg",
            "T/CAB",
            "WTW kg",
            "per shipment kg",
        ):
            at.add_column(col, justify="left" if col in ("method", "T/CAB") else "right")
        for r in doc["sensitivity"]["allocation"]:
            mean = r["shipment_wtw_mean_kg"]
            at.add_row(
                r["method"] + (" ◀" if r["chosen"] else ""),
                f"{(r['share'] or 0.0) * 100:.2f} %",
                f"{r['cradle_to_gate_kg_per_kg']:.3f}",
                r["tcab_0078_2020_class"],
                f"{r['wtw_kg']:,.1f}",
                "—" if mean is None else f"{mean:,.1f}",
            )
        con.print(at)
        prov = doc["provenance"]
        con.print(
            f"provenance: {', '.join(i['name'] for i in prov['inputs'])}; h2lane "
            f"{prov['version']}; factor table {prov['factor_table']['version']} "
            f"({prov['factor_table']['sha256'][:12]}…); {prov['generated_at']}",
            highlight=False,
        )
    order = np.argsort(-acc.shipments["wtw_kg"], kind="stable")[:5].tolist()
    top = [one_shipment(acc, i) for i in order]
    if top:
        st = Table(title="Shipments with the highest emissions", title_justify="left")
        for col in ("shipment", "TOC", "t·km", "WTW kg", "diesel WTW kg", "avoided kg", "SFD from"):
            st.add_column(
                col, justify="left" if col in ("shipment", "TOC", "SFD from") else "right"
            )
        for r in top:
            st.add_row(
                r["shipment_id"],
                r["toc_id"],
                f"{r['tkm']:,.0f}",
                f"{r['wtw_kg']:,.2f}",
                f"{r['diesel_baseline_wtw_kg']:,.2f}",
                f"{r['avoided_kg']:,.2f}",
                r["sfd_source"],
            )
        con.print(st)
    for w in acc.warnings:
        con.print(f"[yellow]warning:[/] {w}", highlight=False)
    for k, v in outputs.items():
        con.print(f"wrote {k}: {v}", highlight=False)
