"""``h2lane dispatch``: the scenario's freight orders on its trucks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from h2lane import OSM_ATTRIBUTION, params
from h2lane.app.context import Context
from h2lane.app.dispatch import DispatchOptions, DispatchResult, dispatch_orders
from h2lane.app.outputs import check_output_file
from h2lane.cli.common import (
    DEFAULT_SCENARIO,
    JsonOpt,
    Optimize,
    RestOpt,
    ScenarioOpt,
    StationsOpt,
    StationWaitsOpt,
    emit,
    guarded,
    progress_bar,
)
from h2lane.output import console
from h2lane.render.plan_maps import dispatch_map
from h2lane.render.tables import print_dispatch


def dispatch(
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    optimize: Annotated[
        Optimize, typer.Option("--optimize", help="Minimise truck-hours or hydrogen cost.")
    ] = Optimize.time,
    reserve_kg: Annotated[
        float, typer.Option("--reserve-kg", help="Minimum hydrogen on arrival anywhere, kg.")
    ] = params.DEFAULT_RESERVE_KG.value,
    stations: StationsOpt = None,
    station_waits: StationWaitsOpt = None,
    depart: Annotated[
        str | None,
        typer.Option(
            "--depart",
            help="Departure for orders without a ready time: HH:MM today or ISO date-time "
            "(no offset = China time). Default 08:00 today.",
        ),
    ] = None,
    rest: RestOpt = True,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="vrp: full-truckload search on the VRP engine (default); greedy: the "
            "insertion baseline (every evaluation an exact trip plan).",
        ),
    ] = "vrp",
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds of search at most (vrp engine).")
    ] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the search.")] = 0,
    return_to_depot: Annotated[
        bool,
        typer.Option(
            "--return/--stay-out",
            help="End every truck's chain at its depot (default) or at its last delivery.",
        ),
    ] = True,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Write an offline HTML map of every truck's route.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign a scenario's freight orders to its trucks, with exact refuelling stops per truck.

    Exits 3 when an order cannot be served (each is listed with its reason).
    """

    def run() -> DispatchResult:
        map_path = check_output_file(map_file, "--map")
        options = DispatchOptions.build(
            scenario=scenario,
            optimize=optimize.value,
            reserve_kg=reserve_kg,
            stations=str(stations) if stations is not None else None,
            station_waits=str(station_waits) if station_waits is not None else None,
            depart=depart,
            rest=rest,
            engine=engine,
            time_limit=time_limit,
            seed=seed,
            return_to_depot=return_to_depot,
        )
        with progress_bar(not as_json) as progress:
            ctx = Context(
                scenario_spec=options.scenario, stations_file=options.stations, progress=progress
            )
            result = dispatch_orders(options, ctx)
        if map_path is not None:
            dispatch_map(map_path, result.document, result.graph, result.stations)
            result.document.map = str(map_path)
        return result

    result = guarded(run, as_json)
    doc = result.document
    if as_json:
        emit(doc.to_json_dict())
    else:
        print_dispatch(console, doc)
        if doc.map is not None:
            console.print(f"Map written to [bold]{doc.map}[/] (road data {OSM_ATTRIBUTION}).")
    if not result.complete:
        raise SystemExit(3)
