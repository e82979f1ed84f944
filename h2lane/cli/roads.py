"""``h2lane roads``: the road network's size and shortest routes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from h2lane import OSM_ATTRIBUTION
from h2lane.app import roads as use
from h2lane.app.context import Context
from h2lane.cli.common import DEFAULT_SCENARIO, JsonOpt, ScenarioOpt, emit, guarded
from h2lane.output import console

app = typer.Typer(help="The road network: info and shortest routes.", no_args_is_help=True)


@app.command("info")
def info(
    roads: Annotated[
        str, typer.Option("--roads", help="Bundled graph name or CSV directory.")
    ] = "north-china",
    as_json: JsonOpt = False,
) -> None:
    """Size and extent of a road graph."""
    data = guarded(lambda: use.info(roads), as_json)
    if as_json:
        emit(data)
        return
    table = Table(title=f"Road graph '{data['name']}'", show_header=False, title_justify="left")
    for k, v in data.items():
        table.add_row(k, str(v))
    console.print(table)


@app.command("route")
def route(
    origin: Annotated[str, typer.Option("--from", help="Place name or 'lat,lon'.")],
    destination: Annotated[str, typer.Option("--to", help="Place name or 'lat,lon'.")],
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    as_json: JsonOpt = False,
) -> None:
    """Shortest road distance between two places (no refuelling)."""
    data = guarded(lambda: use.route(origin, destination, Context(scenario_spec=scenario)), as_json)
    if as_json:
        emit(data)
    else:
        console.print(
            f"{data['from']} → {data['to']}: [bold]{data['distance_km']:.1f} km[/] by road "
            f"({data['nodes']} graph nodes)."
        )
        console.print(f"[dim]Road data {OSM_ATTRIBUTION}.[/]")
