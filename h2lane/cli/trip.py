"""``h2lane trip``: one truck's trip with refuelling stops."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from h2lane import OSM_ATTRIBUTION, params
from h2lane.app.context import Context
from h2lane.app.outputs import check_output_file
from h2lane.app.trip import TripOptions, plan_trip
from h2lane.cli.common import (
    DEFAULT_SCENARIO,
    JsonOpt,
    Optimize,
    RefuelPolicy,
    RestOpt,
    ScenarioOpt,
    StationsOpt,
    StationWaitsOpt,
    emit,
    guarded,
    progress_bar,
)
from h2lane.output import console
from h2lane.render.tables import print_trip


def trip(
    origin: Annotated[str, typer.Option("--from", help="Place name or 'lat,lon'.")],
    destination: Annotated[str, typer.Option("--to", help="Place name or 'lat,lon'.")],
    via: Annotated[
        list[str] | None, typer.Option("--via", help="Intermediate place (repeatable, in order).")
    ] = None,
    round_trip: Annotated[
        bool,
        typer.Option(
            "--round-trip", help="Come back to the origin (directly) after the destination."
        ),
    ] = False,
    return_loaded: Annotated[
        bool,
        typer.Option(
            "--return-loaded/--return-empty",
            help="Whether the return leg of a round trip is loaded (default empty, as for coal haul).",
        ),
    ] = False,
    truck: Annotated[
        str | None,
        typer.Option("--truck", help="Truck type id from the scenario (default: its first)."),
    ] = None,
    tank_kg: Annotated[
        float | None, typer.Option("--tank-kg", help="Usable tank, kg (custom truck).")
    ] = None,
    kg_per_100km: Annotated[
        float | None,
        typer.Option("--kg-per-100km", help="Loaded consumption, kg/100 km (custom truck)."),
    ] = None,
    kg_per_100km_empty: Annotated[
        float | None,
        typer.Option(
            "--kg-per-100km-empty",
            help="Empty consumption, kg/100 km (custom truck default: 0.6 × loaded, parameters row 4, K).",
        ),
    ] = None,
    speed_kmh: Annotated[
        float | None, typer.Option("--speed-kmh", help="Average speed, km/h.")
    ] = None,
    start_kg: Annotated[
        float | None,
        typer.Option("--start-kg", help="Hydrogen on board at departure, kg (default: full)."),
    ] = None,
    reserve_kg: Annotated[
        float,
        typer.Option(
            "--reserve-kg",
            help="Minimum hydrogen on arrival anywhere, kg. Default 5 kg ≈ 55 km at 9 kg/100 km.",
        ),
    ] = params.DEFAULT_RESERVE_KG.value,
    optimize: Annotated[
        Optimize, typer.Option("--optimize", help="Minimise total time or hydrogen cost.")
    ] = Optimize.time,
    refuel: Annotated[
        RefuelPolicy,
        typer.Option(
            "--refuel", help="partial: buy the optimal amount; full: always fill the tank."
        ),
    ] = RefuelPolicy.partial,
    depart: Annotated[
        str | None,
        typer.Option(
            "--depart",
            help="Departure: HH:MM today or ISO date-time; no offset = China time (UTC+08:00). "
            "Default 08:00 today.",
        ),
    ] = None,
    tonnes: Annotated[
        float | None,
        typer.Option("--tonnes", help="Freight on loaded legs, t (default: truck payload)."),
    ] = None,
    rest: RestOpt = True,
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    stations: StationsOpt = None,
    station_waits: StationWaitsOpt = None,
    roads: Annotated[
        str | None,
        typer.Option(
            "--roads", help="Road graph: bundled name or directory with nodes.csv, edges.csv."
        ),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Write an offline HTML map of the route and stops.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan one truck's trip with refuelling stops: where, how much, how long, at what cost."""

    def run() -> dict:
        map_path = check_output_file(map_file, "--map")
        options = TripOptions.build(
            **{"from": origin},
            to=destination,
            via=via or [],
            round_trip=round_trip,
            return_loaded=return_loaded,
            truck=truck,
            tank_kg=tank_kg,
            kg_per_100km=kg_per_100km,
            kg_per_100km_empty=kg_per_100km_empty,
            speed_kmh=speed_kmh,
            start_kg=start_kg,
            reserve_kg=reserve_kg,
            optimize=optimize.value,
            refuel=refuel.value,
            depart=depart,
            tonnes=tonnes,
            rest=rest,
            scenario=scenario,
            stations=str(stations) if stations is not None else None,
            station_waits=str(station_waits) if station_waits is not None else None,
            roads=roads,
        )
        with progress_bar(not as_json) as progress:
            ctx = Context(
                scenario_spec=options.scenario,
                stations_file=options.stations,
                roads_spec=options.roads,
                progress=progress,
            )
            result = plan_trip(options, ctx)
        if map_path is not None:
            from h2lane.render.plan_maps import trip_map  # only with --map

            trip_map(map_path, result.document, result.graph, result.stations)
            result.document.map = str(map_path)
        return {"doc": result.document}

    out = guarded(run, as_json)
    doc = out["doc"]
    if as_json:
        emit(doc.to_json_dict())
        return
    print_trip(console, doc)
    if doc.map is not None:
        console.print(f"Map written to [bold]{doc.map}[/] (road data {OSM_ATTRIBUTION}).")
