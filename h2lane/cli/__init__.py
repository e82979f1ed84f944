"""The ``h2lane`` command line: thin commands (parse → call a use case → render)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Sequence
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


_app = typer.Typer(
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


@_app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Plan and operate zero-carbon hydrogen truck logistics."""


def _group(name: str, module: str, attr: str = "app") -> Callable[[], None]:
    def add() -> None:
        _app.add_typer(getattr(importlib.import_module(f"h2lane.cli.{module}"), attr), name=name)

    return add


def _command(name: str, module: str, attr: str) -> Callable[[], None]:
    def add() -> None:
        _app.command(name)(getattr(importlib.import_module(f"h2lane.cli.{module}"), attr))

    return add


_COMMANDS: dict[str, Callable[[], None]] = {
    "trip": _command("trip", "trip", "trip"),
    "dispatch": _command("dispatch", "dispatch", "dispatch"),
    "scenario": _group("scenario", "scenario"),
    "roads": _group("roads", "roads"),
    "vrp": _group("vrp", "vrp"),
    "plan": _group("plan", "plan"),
    "emissions": _command("emissions", "emissions", "emissions"),
    "supply": _command("supply", "supply", "supply"),
    "simulate": _group("simulate", "simulate"),
    "site": _command("site", "site", "site"),
    "serve": _command("serve", "serve", "serve"),
    "db": _group("db", "serve", "db_app"),
    "admin": _group("admin", "serve", "admin_app"),
    "replay": _command("replay", "replay", "replay"),
    "ingest": _group("ingest", "ingest"),
    "kernels": _group("kernels", "kernels"),
}
"""Each command and how to add it; a module is imported only when its command is added, so
``h2lane trip`` does not load the database, simulation or optimisation libraries."""
_added: set[str] = set()


def _add(names: Iterable[str]) -> typer.Typer:
    for name in names:
        if name not in _added:
            _COMMANDS[name]()
            _added.add(name)
    return _app


def app_for(argv: Sequence[str]) -> typer.Typer:
    """The command line with just the command ``argv`` names (every command when it names
    none, e.g. ``--help``, or an unknown one, so click lists them all)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return _add([first] if first in _COMMANDS else _COMMANDS)


def __getattr__(name: str) -> Any:
    """``h2lane.cli.app``: the command line with every command (tests, documentation)."""
    if name == "app":
        return _add(_COMMANDS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point of the ``h2lane`` script.

    Once the command has finished, the process ends without tearing the interpreter down:
    the exit handlers run and the output is flushed, but freeing every object of the road
    graph, the scenario and the compiled kernels one by one (about 0.2 s after a trip plan)
    is left to the operating system.
    """
    try:
        app_for(sys.argv[1:])()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    _exit_now(code)


def _exit_now(code: object) -> None:
    """Exit as ``sys.exit(code)`` would, skipping the interpreter's teardown."""
    import atexit
    import os
    import threading

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for thread in threading.enumerate():  # as the interpreter would: wait for worker threads
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``) or a closed stream
            status = status or 1
    os._exit(status)
