"""Benchmark: 1,000,000 ledger rows → full emissions report (issue 4, target ≤ 10 s on 2 cores).

Generates a synthetic ledger in a temporary directory (500 trucks, 12 months, ≈10 % empty
running, some multi-leg shipments, a share of rows with ``sfd_km``), then times each stage:
parse → accounting → shipments CSV → iLEAP JSON → HTML report. Prints a table; with
``--write`` it also records it in ``benchmarks/results/emissions.md`` with the machine and date
(and rebuilds ``RESULTS.md``).

Run: ``python benchmarks/bench_emissions.py [--rows N] [--toc-by truck] [--repeat K] [--write]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_section

from h2lane.emissions.accounting import account
from h2lane.emissions.ileap import write_ileap
from h2lane.emissions.ledger import read_ledger
from h2lane.emissions.report import write_html
from h2lane.emissions.results import _idle_cores, write_outputs, write_shipments_csv

RESULTS = Path(__file__).resolve().parent / "results" / "emissions.md"
TARGET_S = 10.0


def generate(path: Path, rows: int, seed: int = 14083) -> None:
    """Write a synthetic ledger with ``rows`` rows."""
    rng = np.random.default_rng(seed)
    truck = rng.integers(0, 500, rows)
    empty = rng.random(rows) < 0.10
    km = np.round(rng.uniform(40.0, 800.0, rows), 1)
    tonnes = np.where(empty, 0.0, np.round(rng.uniform(5.0, 31.0, rows), 2))
    h2 = np.round(km * np.where(empty, 0.055, 0.09) * rng.uniform(0.9, 1.1, rows), 2)
    day = rng.integers(0, 365, rows)
    dates = (np.datetime64("2025-01-01") + day).astype(str).tolist()
    # ≈5 % of shipments continue as a second leg (same shipment_id as the previous row)
    ship = np.arange(rows)
    second = (rng.random(rows) < 0.05) & ~empty
    second[0] = False
    ship[second] = ship[np.flatnonzero(second) - 1]
    has_sfd = (rng.random(rows) < 0.3) & ~empty
    sfd = np.round(km * 0.95, 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("shipment_id,date,truck_id,tonnes,distance_km,h2_kg,sfd_km\n")
        block = []
        for s, d, t, w, k, h, hs, sf in zip(
            ship.tolist(),
            dates,
            truck.tolist(),
            tonnes.tolist(),
            km.tolist(),
            h2.tolist(),
            has_sfd.tolist(),
            sfd.tolist(),
            strict=True,
        ):
            block.append(f"S{s:07d},{d},T{t:03d},{w},{k},{h},{sf if hs else ''}\n")
            if len(block) >= 200_000:
                fh.write("".join(block))
                block.clear()
        fh.write("".join(block))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pipeline(
    ledger_csv: Path, out: Path, toc_by: str, serial: bool, parallel: bool | None
) -> list[tuple[str, float]]:
    """One timed run: parse → accounting → CSV + iLEAP → HTML."""
    size_mb = ledger_csv.stat().st_size / 1e6
    stages: list[tuple[str, float]] = []
    start = time.perf_counter()
    cpu0 = time.process_time()
    t = start
    led = read_ledger(ledger_csv)
    stages.append((f"parse + validate CSV ({size_mb:.0f} MB)", time.perf_counter() - t))
    t = time.perf_counter()
    acc = account(led, toc_by=toc_by)
    stages.append((f"accounting (toc-by {toc_by})", time.perf_counter() - t))
    n_ship = len(acc.shipments)
    if serial:
        t = time.perf_counter()
        write_shipments_csv(acc, out / "shipments.csv")
        stages.append((f"shipments CSV ({n_ship:,} shipments)", time.perf_counter() - t))
        t = time.perf_counter()
        manifest = write_ileap(acc, out / "ileap")
        label = "iLEAP JSON"
    else:
        t = time.perf_counter()
        _, manifest = write_outputs(
            acc, csv=out / "shipments.csv", ileap=out / "ileap", parallel=parallel
        )
        label = f"shipments CSV ({n_ship:,} shipments) + iLEAP JSON"
    assert manifest is not None
    stages.append(
        (
            f"{label} ({manifest['counts']['shipment_footprints']:,} footprints, "
            f"{manifest['counts']['tocs']} TOCs)",
            time.perf_counter() - t,
        )
    )
    t = time.perf_counter()
    write_html(acc, out / "report.html", outputs={"csv": "shipments.csv"})
    html_kb = (out / "report.html").stat().st_size / 1e3
    stages.append((f"HTML report ({html_kb:.0f} kB)", time.perf_counter() - t))
    stages.append(("total (wall clock)", time.perf_counter() - start))
    stages.append(("total (CPU time of this process)", time.process_time() - cpu0))
    return stages


def run(
    rows: int, toc_by: str, serial: bool, parallel: bool | None, repeat: int
) -> tuple[list[list[tuple[str, float]]], list[str]]:
    """Generate the ledger once, then time ``repeat`` runs; return stages and run notes."""
    with tempfile.TemporaryDirectory(prefix="h2lane-bench-") as tmp:
        tmpd = Path(tmp)
        ledger_csv = tmpd / "ledger.csv"
        t0 = time.perf_counter()
        generate(ledger_csv, rows)
        print(f"(generated {rows:,} rows in {time.perf_counter() - t0:.1f} s, not counted)")
        runs, notes = [], []
        for k in range(repeat):
            forked = not serial and (bool(parallel) or _idle_cores() >= 1.0)
            load = os.getloadavg()[0]
            runs.append(pipeline(ledger_csv, tmpd, toc_by, serial, parallel))
            how = "serial" if serial else ("CSV in a forked process" if forked else "one process")
            notes.append(
                f"run {k + 1}: {runs[-1][-2][1]:.2f} s wall, {runs[-1][-1][1]:.2f} s CPU, "
                f"writers {how}, 1-min load average before the run {load:.2f}"
            )
            print(notes[-1])
        return runs, notes


def main() -> None:
    """Run the benchmark; write the results file only with ``--write``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--toc-by", default="truck", choices=["all", "truck", "month"])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs on the same ledger")
    ap.add_argument("--serial", action="store_true", help="time CSV and iLEAP separately")
    ap.add_argument(
        "--fork", action="store_true", help="write the CSV in a forked process even if busy"
    )
    ap.add_argument(
        "--write", action="store_true", help="record the results in benchmarks/results/emissions.md"
    )
    args = ap.parse_args()
    runs, notes = run(
        args.rows, args.toc_by, args.serial, True if args.fork else None, max(1, args.repeat)
    )
    names = [s for s, _ in runs[0]]
    width = max(len(s) for s in names)
    lines = [
        f"| {'stage':<{width}} | median s | best s | worst s |",
        f"|{'-' * (width + 2)}|---------:|-------:|--------:|",
    ]
    for i, name in enumerate(names):
        vals = [r[i][1] for r in runs]
        lines.append(
            f"| {name:<{width}} | {statistics.median(vals):8.2f} | {min(vals):6.2f} | "
            f"{max(vals):7.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    total = statistics.median(r[-2][1] for r in runs)
    verdict = "meets" if total <= TARGET_S else "MISSES"
    print(f"{verdict} the {TARGET_S:.0f} s target for {args.rows:,} rows (median wall clock)")
    if not args.write:
        print("Results not written (add --write to record them in benchmarks/results/).")
        return
    machine = (
        f"nproc {os.cpu_count()}, CPU {cpu_model()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.system()} {platform.release()}"
    )
    flags = (" --serial" if args.serial else "") + (" --fork" if args.fork else "")
    write_section(
        "emissions",
        "## Emissions accounting (issue 4)\n\n"
        f"Date: {dt.date.today().isoformat()}  \nMachine: {machine}  \n"
        f"Command: `.venv/bin/python benchmarks/bench_emissions.py --rows {args.rows} "
        f"--toc-by {args.toc_by} --repeat {args.repeat}{flags}`\n\n"
        f"{args.rows:,} synthetic ledger rows (500 trucks, 12 months, ≈10 % empty running, "
        "≈5 % two-leg shipments, 30 % of rows with sfd_km) → parse, validate, account, "
        "write every shipment to CSV, iLEAP TOC + ShipmentFootprint JSON (schema-validated "
        "sample) and the HTML report, as `h2lane emissions --csv --ileap --report` does "
        "(the CSV is written by a forked process when a core is idle).\n\n"
        f"{table}\n\n"
        + "".join(f"* {n}\n" for n in notes)
        + "\nOther work shared this machine during the runs (see the load averages); "
        "wall-clock time above CPU time means the process waited for a core.\n\n"
        f"Target ≤ {TARGET_S:.0f} s (median wall clock): {verdict.lower()}.\n",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
