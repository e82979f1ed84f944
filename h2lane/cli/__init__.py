"""The ``h2lane`` command line: thin commands (parse → call a use case → render)."""

from __future__ import annotations

from typing import Annotated

import typer

from h2lane import __version__
from h2lane.output import console

app = typer.Typer(
    name="h2lane",
    help="Plan and operate zero-carbon hydrogen truck logistics. Road data © OpenStreetMap contributors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"h2lane {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Plan and operate zero-carbon hydrogen truck logistics."""


def _register() -> None:
    from h2lane.cli import dispatch, plan, roads, scenario, trip, vrp

    app.command("trip")(trip.trip)
    app.command("dispatch")(dispatch.dispatch)
    app.add_typer(scenario.app, name="scenario")
    app.add_typer(roads.app, name="roads")
    app.add_typer(vrp.app, name="vrp")
    app.add_typer(plan.app, name="plan")
    from h2lane.cli.emissions import emissions

    app.command("emissions")(emissions)


_register()


def main() -> None:
    """Entry point of the ``h2lane`` script."""
    app()
