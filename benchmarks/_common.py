"""Shared helpers for benchmarks: machine description and the RESULTS.md assembly."""

from __future__ import annotations

import os
import platform
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
# ../shared beside the repository, or H2LANE_SHARED; the instances in H2LANE_BENCHMARKS if set.
SHARED = Path(os.environ.get("H2LANE_SHARED", HERE.parent.parent / "shared"))
BENCH = Path(os.environ.get("H2LANE_BENCHMARKS", SHARED / "benchmarks"))


def machine() -> str:
    """One line: CPU model, cores, memory, Python."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()} {platform.machine()}"


def today() -> str:
    return date.today().isoformat()


def timeit(fn, repeat: int = 5) -> tuple[float, object]:
    """Best-of-``repeat`` wall time in seconds and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def write_section(name: str, markdown: str) -> Path:
    """Write ``results/<name>.md`` and rebuild ``RESULTS.md`` from every section.

    Benchmarks call this only when run with ``--write``: the files are tracked in git.
    """
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"{name}.md").write_text(markdown.rstrip() + "\n", encoding="utf-8")
    parts = [
        "# Benchmark results\n",
        "Each section is written by its benchmark script (`python benchmarks/bench_<name>.py`)",
        "with the machine and date it ran on. Targets come from the issues; a missed target is",
        "reported as measured, with what limits it.\n",
    ]
    for f in sorted(results.glob("*.md")):
        parts.append(f.read_text(encoding="utf-8").rstrip() + "\n")
    out = HERE / "RESULTS.md"
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
