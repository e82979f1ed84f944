"""``h2lane kernels``: compile the trip planner's kernels ahead of time, and show their state."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from h2lane import aot
from h2lane.cli.common import JsonOpt, emit, guarded
from h2lane.output import console, err_console

app = typer.Typer(
    help="Kernels compiled ahead of time, so a trip plan does not start numba (about 0.7 s).",
    no_args_is_help=True,
)


def _status() -> dict[str, Any]:
    path = aot.module_path()
    return {
        "path": None if path is None else str(path),
        "built": path is not None and path.exists(),
        "enabled": aot.enabled(),
        "in_use": aot.available(),
        "kernels": sorted(aot.KERNELS),
    }


@app.command("build")
def build(
    force: Annotated[bool, typer.Option("--force", help="Compile again even if built.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compile the kernels for the installed sources into the cache directory (once, about a
    minute; needs a C compiler). Without them h2lane uses numba's JIT kernels."""

    def run() -> dict[str, Any]:
        if as_json:
            return aot.build(force=force)
        with err_console.status("Compiling the trip planner's kernels ahead of time (~1 min)"):
            return aot.build(force=force)

    info = guarded(run, as_json)
    if as_json:
        emit(info)
    elif info["built"]:
        console.print(
            f"[green]built[/] {len(info['kernels'])} kernels in {info['seconds']} s: {info['path']}"
        )
    else:
        console.print(f"[green]up to date[/]: {info['path']}", soft_wrap=True)


@app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Whether the ahead-of-time kernels are built for the installed sources and in use."""
    info = _status()
    if as_json:
        emit(info)
        return
    state = "[green]in use[/]" if info["in_use"] else "[yellow]not in use[/]"
    why = ""
    if not info["in_use"]:
        if not info["enabled"]:
            why = " (H2LANE_AOT=0)"
        elif info["path"] is None:
            why = " (the cache directory is switched off)"
        elif not info["built"]:
            why = " (not built for these sources: run 'h2lane kernels build')"
    console.print(f"{state}{why}: {', '.join(info['kernels'])}", soft_wrap=True)
    console.print(f"module: {info['path']}", soft_wrap=True)
