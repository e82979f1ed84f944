"""``h2lane plan``: the plan document's schema, and checking a plan file against it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from h2lane.cli.common import JsonOpt, emit, guarded
from h2lane.output import console
from h2lane.plan import PLAN_VERSION, read_plan_file, schema

app = typer.Typer(help="Plan documents: schema and validation.", no_args_is_help=True)


@app.command("schema")
def plan_schema() -> None:
    """Print the JSON schema of plan documents (trip, dispatch and vrp alike)."""
    emit(schema())


@app.command("validate")
def plan_validate(
    file: Annotated[Path, typer.Argument(help="Plan JSON written by trip, dispatch or vrp solve.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a plan file; one sentence naming the field if it is wrong."""
    doc = guarded(lambda: read_plan_file(file), as_json)
    summary = {
        "valid": True,
        "kind": doc.kind,
        "version": PLAN_VERSION,
        "routes": len(doc.routes),
        "orders": len(doc.orders),
    }
    if as_json:
        emit(summary)
    else:
        console.print(
            f"[green]valid[/]: {doc.kind} plan (version {PLAN_VERSION}) with {len(doc.routes)} "
            f"route(s) and {len(doc.orders)} order(s)."
        )
