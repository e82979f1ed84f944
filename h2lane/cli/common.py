"""What every command shares: options, error handling, the progress bar, JSON output."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from h2lane.app.context import DEFAULT_SCENARIO as DEFAULT_SCENARIO
from h2lane.app.context import ProgressFn
from h2lane.errors import H2laneError, InternalError, OptionError
from h2lane.forking import mark_fork_safe
from h2lane.output import err_console, fail, print_json

T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]
ScenarioOpt = Annotated[
    str,
    typer.Option("--scenario", help="Bundled scenario name or a scenario YAML file / directory."),
]
StationsOpt = Annotated[
    Path | None,
    typer.Option(
        "--stations", help="CSV id,name,lat,lon[,price] replacing the scenario's stations."
    ),
]
StationWaitsOpt = Annotated[
    Path | None,
    typer.Option(
        "--station-waits",
        help="Station-waits file of 'h2lane simulate --waits': every stop waits the expected "
        "queue for its clock hour (docs/station-waits.md).",
    ),
]
RestOpt = Annotated[
    bool,
    typer.Option(
        "--rest/--no-rest",
        help="Driver rest rules: ≤ 4 h driving without a 20 min break, ≤ 8 h driving a day "
        "then 10 h rest (default on).",
    ),
]


class Optimize(StrEnum):
    time = "time"
    cost = "cost"


class RefuelPolicy(StrEnum):
    partial = "partial"
    full = "full"


def guarded(fn: Callable[[], T], as_json: bool) -> T:
    """Run ``fn``; an h2lane error becomes one sentence (or JSON) and its exit code."""
    try:
        return fn()
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    except (OSError, UnicodeError) as exc:  # the one edge where file-system errors are caught
        fail(OptionError(f"cannot read or write a file: {exc}"), as_json=as_json)
    except RecursionError:
        fail(OptionError("the input is nested too deeply to read"), as_json=as_json)
    except Exception as exc:  # a bug: one sentence and exit 4; H2LANE_DEBUG=1 shows the traceback
        if os.environ.get("H2LANE_DEBUG"):
            raise
        fail(
            InternalError(
                f"internal error {type(exc).__name__}: {exc} (this is a bug in h2lane; "
                "run again with H2LANE_DEBUG=1 for the traceback and report it)"
            ),
            as_json=as_json,
        )


def emit(obj: Any) -> None:
    print_json(obj)


@contextlib.contextmanager
def progress_bar(enabled: bool) -> Iterator[ProgressFn | None]:
    """A Rich bar on stderr fed by the use cases' ``progress(task, done, total)`` callback."""
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(task: str, done: float, total: float | None) -> None:
        key = task.split(" (")[0]
        if key not in tasks:
            tasks[key] = bar.add_task(task, total=total)
        bar.update(tasks[key], description=task, completed=done, total=total)

    before = set(threading.enumerate())
    with bar:
        for thread in set(threading.enumerate()) - before:  # the bar's redraw thread
            mark_fork_safe(thread)
        yield update
