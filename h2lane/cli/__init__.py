"""The ``h2lane`` command line: thin commands (parse → call a use case → render)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from h2lane import __version__
from h2lane.output import console, print_json


class _JsonAwareGroup(TyperGroup):
    """With ``--json`` anywhere on the line, usage errors are JSON on stdout too (exit 2)."""

    def main(self, args: Sequence[str] | None = None, *pos: Any, **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if "--json" not in argv:
            return super().main(argv, *pos, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(argv, *pos, **kwargs)
        except typer.Abort:
            print_json({"error": "Aborted", "message": "Aborted."})
            sys.exit(1)
        except Exception as exc:  # click's usage errors (bad choice, not a number, missing option)
            format_message = getattr(exc, "format_message", None)
            if format_message is None:
                raise
            print_json({"error": "UsageError", "message": format_message()})
            sys.exit(getattr(exc, "exit_code", 2))
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_JsonAwareGroup,
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
    from h2lane.cli import simulate, supply

    app.command("supply")(supply.supply)
    app.add_typer(simulate.app, name="simulate")
    from h2lane.cli.site import site

    app.command("site")(site)
    from h2lane.cli import serve

    app.command("serve")(serve.serve)
    app.add_typer(serve.db_app, name="db")
    app.add_typer(serve.admin_app, name="admin")
    from h2lane.cli.replay import replay

    app.command("replay")(replay)
    from h2lane.cli import ingest

    app.add_typer(ingest.app, name="ingest")


_register()


def main() -> None:
    """Entry point of the ``h2lane`` script."""
    app()
