"""``h2lane replay``: drive a plan's trucks and stations as live telemetry (tests and demos)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from h2lane.cli.common import JsonOpt, emit, guarded
from h2lane.output import console, err_console


def replay(
    plan: Annotated[Path, typer.Option("--plan", help="Plan document (trip/dispatch --json).")],
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="Service URL (http://127.0.0.1:8000) or MQTT broker mqtt://HOST:PORT."
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", help="API token of a device or admin user (or H2LANE_TOKEN)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the messages as NDJSON instead of sending.")
    ] = None,
    speedup: Annotated[
        float, typer.Option("--speedup", help="Simulated seconds per real second (0: no pacing).")
    ] = 60.0,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between a device's reports (simulated).")
    ] = 60.0,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Inject KIND:DEVICE[:TAG][@MIN]: leak:STATION, silent-detector:STATION:TAG, "
            "silent:DEVICE, h2-drop:TRUCK; MIN = minutes after the start (repeatable).",
        ),
    ] = None,
    start: Annotated[
        str, typer.Option("--start", help="plan (the plan's own times), now, or an ISO 8601 time.")
    ] = "plan",
    seed: Annotated[int, typer.Option("--seed", help="Noise seed.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Replay a plan as truck and station telemetry, with optional injected faults."""
    from h2lane.app.replay import run_replay

    def work() -> dict:
        def progress(n: int) -> None:
            if not as_json:
                err_console.print(f"sent {n:,} messages", end="\r")

        return run_replay(
            plan,
            to=to,
            token=token or os.environ.get("H2LANE_TOKEN"),
            out=out,
            speedup=speedup,
            interval_s=interval,
            faults=fault,
            start=start,
            seed=seed,
            progress=progress,
        )

    summary = guarded(work, as_json)
    if as_json:
        emit(summary)
        return
    console.print(
        f"Replayed {summary['messages']:,} messages from {len(summary['devices'])} devices "
        f"({summary['first']} → {summary['last']}) to {summary['to']}."
    )
    for f in summary["faults"]:
        console.print(
            f"  fault {f['kind']} at {f['device']} {f['tag']} after {f['after_min']:g} min"
        )
