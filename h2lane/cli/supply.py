"""``h2lane supply``: which production site supplies which station by tube trailer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from h2lane import params
from h2lane.app.context import Context
from h2lane.app.supply import SupplyOptions, SupplyResult, plan_supply, unserved_message
from h2lane.cli.common import (
    DEFAULT_SCENARIO,
    JsonOpt,
    ScenarioOpt,
    StationsOpt,
    emit,
    guarded,
    progress_bar,
)
from h2lane.output import console, err_console


def supply(
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    stations: StationsOpt = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Plan document (trip/dispatch/vrp --json): its refuelling stops are the demand.",
        ),
    ] = None,
    demand: Annotated[
        Path | None, typer.Option("--demand", help="CSV station_id,kg_per_day.")
    ] = None,
    kg_per_day: Annotated[
        float | None, typer.Option("--kg-per-day", help="The same demand at every station, kg/day.")
    ] = None,
    period_days: Annotated[
        int, typer.Option("--period-days", help="Planning period: whole trailer trips per period.")
    ] = 7,
    split: Annotated[
        bool,
        typer.Option("--split", help="Let several sites share a station (default: one site each)."),
    ] = False,
    keep_assignments: Annotated[
        bool,
        typer.Option("--keep-assignments", help="Keep each station's scenario supplied_by site."),
    ] = False,
    trailer_mode: Annotated[
        str,
        typer.Option(
            "--trailer-mode", help="swap (drop a full trailer) or unload (stay until empty)."
        ),
    ] = "swap",
    max_km: Annotated[
        float, typer.Option("--max-km", help="Longest one-way trailer run, km.")
    ] = 600.0,
    cost_per_km: Annotated[
        float, typer.Option("--cost-per-km", help="Trailer running cost, yuan/km.")
    ] = params.TRAILER_COST_PER_KM.value,
    cost_per_trailer_day: Annotated[
        float, typer.Option("--cost-per-trailer-day", help="Trailer capital cost, yuan/day.")
    ] = params.TRAILER_COST_PER_DAY.value,
    time_limit: Annotated[float, typer.Option("--time-limit", help="MILP time limit, s.")] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Plan tube-trailer supply: site → station, trips/day, trailer fleet, km and cost (HiGHS MILP).

    Exits 3 when a station cannot be served (each is named with the reason).
    """

    def run() -> SupplyResult:
        options = SupplyOptions.build(
            scenario=scenario,
            stations=str(stations) if stations else None,
            plan=str(plan) if plan else None,
            demand=str(demand) if demand else None,
            kg_per_day=kg_per_day,
            period_days=period_days,
            split=split,
            keep_assignments=keep_assignments,
            trailer_mode=trailer_mode,
            max_km=max_km,
            cost_per_km=cost_per_km,
            cost_per_trailer_day=cost_per_trailer_day,
            time_limit=time_limit,
        )
        with progress_bar(not as_json) as progress:
            ctx = Context(
                scenario_spec=options.scenario, stations_file=options.stations, progress=progress
            )
            return plan_supply(options, ctx)

    result = guarded(run, as_json)
    doc = result.to_dict()
    if as_json:
        emit(doc)
    else:
        print_supply(doc)
    if not result.complete:
        if not as_json:
            err_console.print(f"[bold red]error:[/] {unserved_message(result)}.", highlight=False)
        raise SystemExit(3)


def print_supply(doc: dict) -> None:
    t = doc["totals"]
    console.print(
        f"[bold]Supply plan[/] ({doc['scenario']}; demand: {doc['demand_source']}; "
        f"{doc['trailer_mode']} model, {doc['period_days']}-day period)"
    )
    table = Table(
        "site", "station", "kg/day", "one-way km", "trips/day", "h/trip", "km/day", "yuan/day"
    )
    for a in doc["assignments"]:
        table.add_row(
            a["site_id"],
            a["station_id"],
            f"{a['kg_per_day']:,.0f}",
            f"{a['one_way_km']:,.0f}",
            f"{a['trips_per_day']:.2f}",
            f"{a['trailer_h_per_trip']:.1f}",
            f"{a['km_per_day']:,.0f}",
            f"{a['cost_per_day']:,.0f}",
        )
    console.print(table)
    sites = Table(
        "site", "capacity kg/day", "used", "trailers: available", "in circulation", "on bays"
    )
    for s in doc["sites"]:
        avail = "—" if s["trailers_available"] is None else str(s["trailers_available"])
        sites.add_row(
            s["site_id"],
            f"{s['capacity_kg_per_day']:,.0f}",
            f"{s['utilisation']:.0%}",
            avail,
            str(s["trailers_in_circulation"]),
            str(s["trailers_on_station_bays"]),
        )
    console.print(sites)
    f = doc["emissions_feed"]
    console.print(
        f"Delivered {t['delivered_kg_per_day']:,.0f} of {t['demand_kg_per_day']:,.0f} kg/day; "
        f"{t['trailer_trips_per_day']:.1f} trips/day, {t['trailer_km_per_day']:,.0f} trailer km/day, "
        f"{t['trailers_in_circulation']} trailers in circulation + {t['trailers_on_station_bays']} on bays; "
        f"{t['cost_per_day']:,.0f} yuan/day ({(t['cost_per_kg'] or 0):.2f} yuan/kg). "
        f"Trailer km per kg: {f['trailer_km_per_kg']:.3f} (emissions: --delivery-km "
        f"{(f['delivery_km_equivalent'] or 0):.0f}). Road data {doc['road_data']}."
    )
    for u in doc["unserved"]:
        console.print(
            f"[yellow]not served:[/] {u['station_id']} ({u['kg_per_day']:,.0f} kg/day): {u['reason']}"
        )
