"""``h2lane scenario``: show, list fields, validate, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from h2lane.app import scenario as use
from h2lane.cli.common import DEFAULT_SCENARIO, JsonOpt, ScenarioOpt, emit, guarded
from h2lane.output import console
from h2lane.render.tables import print_fields, print_scenario
from h2lane.scenario import io as scenario_io

app = typer.Typer(help="Inspect, validate and convert scenarios.", no_args_is_help=True)


@app.command("validate")
def validate(
    file: Annotated[str, typer.Argument(help="Scenario YAML file, directory or bundled name.")],
    roads: Annotated[
        bool,
        typer.Option(
            "--roads/--no-roads",
            help="Also check that places, sites and stations lie on or near the road graph.",
        ),
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Validate a scenario; one sentence naming file, row and field if it is wrong (exit 2)."""
    report = guarded(lambda: use.validate(file, roads=roads), as_json)
    if as_json:
        emit(report.to_dict())
    else:
        listed = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
        for f in report.findings:
            console.print(f"[red]error:[/] {f.message}", soft_wrap=True)
        for w in report.warnings:
            console.print(f"[yellow]warning:[/] {w.message}", soft_wrap=True)
        if report.ok:
            console.print(f"[green]valid[/]: scenario '{report.scenario}' with {listed}.")
    if not report.ok:
        raise SystemExit(2)


@app.command("show")
def show(scenario: ScenarioOpt = DEFAULT_SCENARIO, as_json: JsonOpt = False) -> None:
    """List a scenario's components."""
    scen = guarded(lambda: scenario_io.load_scenario(scenario), as_json)
    if as_json:
        emit(use.scenario_dict(scen))
    else:
        print_scenario(console, scen)


@app.command("fields")
def fields(as_json: JsonOpt = False) -> None:
    """Every component field with unit, default and the default's source and year."""
    rows = use.fields()
    if as_json:
        emit(rows)
    else:
        print_fields(console, rows)


@app.command("export")
def export(
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="Write places, sites and stations as GeoJSON.")
    ] = None,
    yaml_file: Annotated[
        Path | None, typer.Option("--yaml", help="Write the scenario as one YAML file.")
    ] = None,
    csv_dir: Annotated[
        Path | None,
        typer.Option(
            "--csv-dir", help="Write scenario.yaml plus one CSV per section (created if missing)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Convert a scenario to YAML, CSV tables or GeoJSON."""
    written = guarded(
        lambda: use.export(scenario, geojson=geojson, yaml_file=yaml_file, csv_dir=csv_dir),
        as_json,
    )
    if as_json:
        emit({"written": written})
    else:
        for w in written:
            console.print(f"wrote {w}")
