"""``h2lane emissions``: ISO 14083 / GLEC accounting of a ledger or a plan.

Register with ``app.command("emissions")(emissions)``. The road network can be plugged in
with :func:`register_distance_oracle`; it is only loaded when some loaded row has an origin
and a destination but no ``sfd_km``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from h2lane import output
from h2lane.emissions.accounting import TOC_BY, Accounting, DistanceOracle, account, read_hubs
from h2lane.emissions.errors import EmissionsConfigError
from h2lane.emissions.factors import (
    DEFAULT_GRID,
    GRID_FACTORS,
    DieselFactors,
    HydrogenWtt,
    WttConfig,
    hydrogen_wtt,
    list_pathways,
    user_wtt,
)
from h2lane.emissions.ledger import Ledger, read_ledger, read_plan
from h2lane.emissions.report import one_shipment
from h2lane.emissions.results import to_json, write_outputs
from h2lane.errors import H2laneError

_ORACLE_PROVIDER: Callable[[], DistanceOracle | None] | None = None
CONSOLE_ROWS = 20


def register_distance_oracle(provider: Callable[[], DistanceOracle | None] | None) -> None:
    """Install a provider of the road-network distance (called lazily, at most once per run)."""
    global _ORACLE_PROVIDER
    _ORACLE_PROVIDER = provider


def needs_road_network(ledger: Ledger) -> bool:
    """True if a loaded row has origin and destination but no ``sfd_km``."""
    need = (
        np.isnan(ledger.sfd_km)
        & (ledger.origin >= 0)
        & (ledger.destination >= 0)
        & (ledger.tonnes > 0)
    )
    return bool(need.any())


def pathways_doc(config: WttConfig) -> dict[str, Any]:
    """The built-in pathways and grid factors, for ``--list-pathways``."""
    return {
        "kind": "h2lane.emissions-pathways",
        "grid": config.grid,
        "grids": {k: p.as_dict() for k, p in GRID_FACTORS.items()},
        "pathways": [p.as_dict() for p in list_pathways(config)],
    }


def _print_pathways(config: WttConfig) -> None:
    con = output.console
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


def _print_summary(acc: Accounting, doc: dict[str, Any], outputs: dict[str, str]) -> None:
    con = output.console
    tot = doc["totals"]
    t = Table(title=f"Transport operation categories (by {acc.toc_by})", title_justify="left")
    for col in (
        "TOC",
        "rows",
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
            f"{r['rows']:,}",
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
        f"Shipments: {tot['shipments']:,} ({tot['rows']:,} rows, {tot['tkm']:,.0f} t·km). "
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


def emissions(
    ledger: Annotated[
        Path | None,
        typer.Option(
            "--ledger",
            help="Actuals ledger CSV (shipment_id,date,truck_id,tonnes,"
            "distance_km,h2_kg[,sfd_km,origin,destination,h2_pathway,hub_id]).",
        ),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="Plan JSON written by 'h2lane trip' or 'h2lane dispatch'."),
    ] = None,
    toc_by: Annotated[
        str, typer.Option("--toc-by", help="Transport operation categories: all, truck or month.")
    ] = "all",
    h2_pathway: Annotated[
        str | None,
        typer.Option(
            "--h2-pathway",
            help="Hydrogen pathway NAME or NAME@GRID (see --list-pathways); default cog-psa.",
        ),
    ] = None,
    h2_wtt_kg_per_kg: Annotated[
        float | None,
        typer.Option("--h2-wtt-kg-per-kg", help="Use this WTT factor (kg CO2e/kg H2) instead."),
    ] = None,
    grid: Annotated[
        str, typer.Option("--grid", help="Grid factor for electricity: " + ", ".join(GRID_FACTORS))
    ] = DEFAULT_GRID,
    cog_allocation: Annotated[
        float | None,
        typer.Option(
            "--cog-allocation", help="Share (0–1) of the coking burden allocated to COG H2."
        ),
    ] = None,
    cog_burden: Annotated[
        float | None,
        typer.Option("--cog-burden", help="Coking burden per kg H2 at full allocation (kg CO2e)."),
    ] = None,
    delivery_km: Annotated[
        float | None,
        typer.Option("--delivery-km", help="Tube-trailer one-way distance plant → station (km)."),
    ] = None,
    diesel_l_per_100km: Annotated[
        float | None,
        typer.Option("--diesel-l-per-100km", help="Diesel truck consumption loaded (default 38)."),
    ] = None,
    diesel_empty_l_per_100km: Annotated[
        float | None,
        typer.Option("--diesel-empty-l-per-100km", help="Diesel consumption empty (default 26)."),
    ] = None,
    diesel_wtw_kg_per_l: Annotated[
        float | None,
        typer.Option(
            "--diesel-wtw-kg-per-l", help="Diesel WTW factor (default DEFRA 2025 3.19747)."
        ),
    ] = None,
    hubs: Annotated[
        Path | None,
        typer.Option(
            "--hubs", help="Hub operations CSV: hoc_id,wtw_kg_per_t,ttw_kg_per_t[,hub_type]."
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write every shipment to a CSV file.")
    ] = None,
    ileap: Annotated[
        Path | None,
        typer.Option("--ileap", help="Write iLEAP TOC and ShipmentFootprint JSON here."),
    ] = None,
    list_pathways_: Annotated[
        bool, typer.Option("--list-pathways", help="Show each hydrogen pathway part by part.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Zero-carbon accounting (ISO 14083 / GLEC) of a ledger or plan, with a diesel baseline."""
    try:
        config = WttConfig(
            grid=grid,
            cog_allocation=cog_allocation,
            cog_burden_kg_per_kg=cog_burden,
            delivery_one_way_km=delivery_km,
        )
        if delivery_km is not None and not 0.0 <= delivery_km < float("inf"):
            raise EmissionsConfigError(f"--delivery-km must be ≥ 0, got {delivery_km:g}.")
        if cog_burden is not None and not 0.0 <= cog_burden < float("inf"):
            raise EmissionsConfigError(f"--cog-burden must be ≥ 0, got {cog_burden:g}.")
        if list_pathways_:
            if as_json:
                output.print_json(pathways_doc(config))
            else:
                _print_pathways(config)
            return
        if (ledger is None) == (plan is None):
            raise EmissionsConfigError("give exactly one of --ledger FILE.csv or --plan PLAN.json.")
        if toc_by not in TOC_BY:
            raise EmissionsConfigError(
                f"--toc-by must be one of {', '.join(TOC_BY)}, got '{toc_by}'."
            )
        if h2_pathway is not None and h2_wtt_kg_per_kg is not None:
            raise EmissionsConfigError("give --h2-pathway or --h2-wtt-kg-per-kg, not both.")
        default: HydrogenWtt = (
            user_wtt(h2_wtt_kg_per_kg)
            if h2_wtt_kg_per_kg is not None
            else hydrogen_wtt(h2_pathway or "cog-psa", config)
        )
        diesel = DieselFactors.build(
            l_per_100km=diesel_l_per_100km,
            empty_l_per_100km=diesel_empty_l_per_100km,
            wtw_kg_per_l=diesel_wtw_kg_per_l,
        )
        legs = read_ledger(ledger) if ledger is not None else read_plan(plan)  # type: ignore[arg-type]
        hub_ops = read_hubs(hubs) if hubs is not None else None
        oracle = None
        if _ORACLE_PROVIDER is not None and needs_road_network(legs):
            oracle = _ORACLE_PROVIDER()
        acc = account(
            legs,
            toc_by=toc_by,
            h2=default,
            config=config,
            diesel=diesel,
            oracle=oracle,
            hubs=hub_ops,
        )
        outputs, manifest = write_outputs(acc, csv=csv, ileap=ileap, report=report)
        doc = to_json(acc, shipments_limit=None if as_json else 0)
        doc["outputs"] = outputs
        if manifest is not None:
            doc["ileap"] = {k: manifest[k] for k in ("counts", "validation", "left_out")}
        if as_json:
            output.print_json(doc)
        else:
            _print_summary(acc, doc, outputs)
    except H2laneError as err:
        output.fail(err, as_json=as_json)
