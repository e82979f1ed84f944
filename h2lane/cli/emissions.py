"""``h2lane emissions``: parse the options, call the use case, render tables or JSON.

Register with ``app.command("emissions")(emissions)``. The road network answers shipments
without a shortest feasible distance: by default the command asks
``h2lane.app.oracles.road_distance_oracle()`` (a ``(origin, destination) -> km | None``
callable for scenario place names and ``"lat,lon"`` texts), loaded only when some shipment
needs it. :func:`register_distance_oracle` replaces that provider (tests, other scenarios).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from h2lane import output
from h2lane.app.emissions import (
    EmissionsRequest,
    LazyOracle,
    OracleProvider,
    account_emissions,
    pathways_document,
    wtt_config,
)
from h2lane.app.oracles import road_distance_oracle
from h2lane.cli.common import guarded, progress_bar
from h2lane.emissions.accounting import DistanceOracle
from h2lane.emissions.factors import DEFAULT_GRID, GRID_FACTORS
from h2lane.emissions.render import print_pathways, print_summary

_ORACLE_PROVIDER: OracleProvider | None = None


def register_distance_oracle(provider: OracleProvider | None) -> None:
    """Use ``provider()`` for the road distance (None: back to the default provider)."""
    global _ORACLE_PROVIDER
    _ORACLE_PROVIDER = provider


def default_distance_oracle() -> DistanceOracle | None:
    """The bundled scenario's road network."""
    return road_distance_oracle()


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
        typer.Option(
            "--plan",
            help="Plan JSON (version 2) written by 'h2lane trip', 'dispatch' or 'vrp solve'.",
        ),
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
    allocation: Annotated[
        str | None,
        typer.Option(
            "--allocation",
            help="Allocation of the coking plant's burden to COG hydrogen: cut-off, mass, "
            "energy (default) or economic.",
        ),
    ] = None,
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
    h2_band: Annotated[
        str | None,
        typer.Option(
            "--h2-band",
            help="Plausible kg H2/100 km: LOW:HIGH and/or TYPE=LOW:HIGH (default 2.75:18).",
        ),
    ] = None,
    max_payload_t: Annotated[
        float | None,
        typer.Option("--max-payload-t", help="Largest payload of the fleet, t (default 31)."),
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

    def run() -> None:
        request = EmissionsRequest.build(
            ledger=ledger,
            plan=plan,
            toc_by=toc_by,
            h2_pathway=h2_pathway,
            h2_wtt_kg_per_kg=h2_wtt_kg_per_kg,
            grid=grid,
            allocation=allocation,
            cog_allocation=cog_allocation,
            cog_burden=cog_burden,
            delivery_km=delivery_km,
            diesel_l_per_100km=diesel_l_per_100km,
            diesel_empty_l_per_100km=diesel_empty_l_per_100km,
            diesel_wtw_kg_per_l=diesel_wtw_kg_per_l,
            hubs=hubs,
            h2_band=h2_band,
            max_payload_t=max_payload_t,
            report=report,
            csv=csv,
            ileap=ileap,
        )
        if list_pathways_:
            if as_json:
                output.print_json(pathways_document(request))
            else:
                print_pathways(output.console, wtt_config(request))
            return
        oracle = LazyOracle(_ORACLE_PROVIDER or default_distance_oracle)
        with progress_bar(not as_json) as progress:
            result = account_emissions(request, distance_oracle=oracle, progress=progress)
        if as_json:
            output.print_json(result.document())
        else:
            doc = result.document(shipments_limit=0)
            print_summary(output.console, result.accounting, doc, result.outputs)

    guarded(run, as_json)
