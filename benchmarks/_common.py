"""Shared helpers for benchmarks: machine description and the RESULTS.md assembly."""

from __future__ import annotations

import os
import platform
import socket
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
# ../shared beside the repository, or H2LANE_SHARED; the instances in H2LANE_BENCHMARKS if set.
SHARED = Path(os.environ.get("H2LANE_SHARED", HERE.parent.parent / "shared"))
BENCH = Path(os.environ.get("H2LANE_BENCHMARKS", SHARED / "benchmarks"))
PG_SERVER = os.environ.get("H2LANE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
"""The PostgreSQL server the service benchmarks use (its ``test`` database must exist)."""


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


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a server a benchmark starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_pg_database(name: str) -> str | None:
    """A new empty database ``name`` on :data:`PG_SERVER` (dropped first); its URL, or None
    with a printed reason when the server is unreachable."""
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})  # fmt: skip
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL at {PG_SERVER} unreachable ({type(exc).__name__}); skipped")
        return None
    finally:
        admin.dispose()
    return f"{PG_SERVER}/{name}"
