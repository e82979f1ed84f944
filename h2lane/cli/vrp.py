"""``h2lane vrp solve``: refuelling VRP instances, answers verified by the independent checker."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from h2lane import OSM_ATTRIBUTION
from h2lane.app.context import Context
from h2lane.app.outputs import check_output_file
from h2lane.app.vrp import VRPOptions, VRPResult, solve_instance
from h2lane.cli.common import JsonOpt, RefuelPolicy, emit, guarded, progress_bar
from h2lane.output import console
from h2lane.render.plan_maps import vrp_map
from h2lane.render.tables import print_vrp

app = typer.Typer(
    help="Vehicle routing with refuelling stops on benchmark and h2lane instances.",
    no_args_is_help=True,
)


class InstanceFormat(StrEnum):
    emh = "emh"
    evrptw = "evrptw"
    cec = "cec"
    h2lane = "h2lane"


class VRPObjective(StrEnum):
    distance = "distance"
    vehicles_distance = "vehicles-distance"
    time = "time"
    cost = "cost"


@app.command("solve")
def solve(
    instance: Annotated[str, typer.Argument(help="Instance file (or a bundled h2lane example).")],
    fmt: Annotated[
        InstanceFormat,
        typer.Option(
            "--format",
            help="emh (G-VRP), evrptw (Schneider et al.), cec (CEC-2020) or h2lane (YAML/JSON: "
            "depots, vehicle types, dispensers, road distances).",
        ),
    ],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds of search.")] = 10.0,
    max_iterations: Annotated[
        int | None,
        typer.Option(
            "--max-iterations",
            help="Stop after this many iterations (deterministic for a seed; with --time-limit "
            "the first reached stops).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (deterministic per seed).")] = 0,
    max_duration_h: Annotated[
        float | None,
        typer.Option(
            "--max-duration-h", help="emh only: route limit, h (default 10.75, as the BKS)."
        ),
    ] = None,
    objective: Annotated[
        VRPObjective | None,
        typer.Option("--objective", help="Override the instance's objective."),
    ] = None,
    refuel: Annotated[
        RefuelPolicy | None,
        typer.Option("--refuel", help="Override the refuelling policy: full or partial."),
    ] = None,
    start_level: Annotated[
        float | None,
        typer.Option(
            "--start-level",
            help="Energy on leaving the depot as a fraction of the tank (0-1], every vehicle type.",
        ),
    ] = None,
    dispensers: Annotated[
        int | None,
        typer.Option(
            "--dispensers",
            help="Dispensers at every station (vehicles queue when all are busy); 0 = unlimited.",
        ),
    ] = None,
    allow_unserved: Annotated[
        bool,
        typer.Option(
            "--allow-unserved",
            help="Accept a plan that leaves customers out (benchmark convention for unreachable "
            "customers); without it such a plan exits 3 naming them.",
        ),
    ] = False,
    map_path: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="Write an offline HTML map of the routes (instances with lat/lon coordinates).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Solve a refuelling VRP; the answer is verified by the independent checker (exit 4 if not).

    INSTANCE is a file, or with --format h2lane the name of a bundled example (xiaoyi-fleet).
    """

    def run() -> VRPResult:
        out = check_output_file(map_path, "--map")
        options = VRPOptions.build(
            instance=instance,
            format=fmt.value,
            time_limit=time_limit,
            max_iterations=max_iterations,
            seed=seed,
            max_duration_h=max_duration_h,
            objective=objective.value if objective else None,
            refuel=refuel.value if refuel else None,
            start_level=start_level,
            dispensers=dispensers,
            allow_unserved=allow_unserved,
        )
        with progress_bar(not as_json) as progress:
            result = solve_instance(options, Context(progress=progress), map_wanted=out is not None)
        if out is not None:
            vrp_map(out, result.document, result.instance, result.graph)
            result.document.map = str(out)
        return result

    result = guarded(run, as_json)
    if as_json:
        emit(result.document.to_json_dict())
    else:
        print_vrp(console, result.document, result.instance)
        if result.document.map:
            console.print(
                f"Map written to [bold]{result.document.map}[/] (road data {OSM_ATTRIBUTION})."
            )
    if not result.verified:
        raise SystemExit(4)
