"""Ablation: does set-partitioning recombination (HiGHS) pay at equal time?

h2lane's solver can pool the routes it meets and recombine them by a set-partitioning MILP
solved with HiGHS (``SearchParams.recombine_at``). This script runs the solver with and without
it, same seed and time limit, on the 7 CEC-2020 instances and the first two 100-customer
E-VRPTW instances of each Solomon class, and reports both (checker-verified). The outcome
decides the solver's default.

Usage::

    python benchmarks/bench_vrp_recombine.py [--time-limit S] [--instances N] [--quick] [--write]

``--quick`` runs 3 instances at 3 s. Results are printed; only ``--write`` (full runs) records
them in ``benchmarks/results/vrp_recombine.md`` and rebuilds ``RESULTS.md``. Needs
``../shared/benchmarks`` (or ``$H2LANE_BENCHMARKS``) and skips with a message without it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH, machine, today, write_section

ON = (0.3, 0.6, 0.9)


def _instances() -> list[tuple[Path, str, Path]]:
    """(file, format, family folder) for the ablation set."""
    cec = BENCH / "cec2020_evrp"
    files = sorted(cec.glob("instances/*.evrp"), key=lambda p: int(re.search(r"n(\d+)", p.stem)[1]))
    out = [(p, "cec", cec) for p in files]
    ev = BENCH / "evrptw_schneider"
    for cls in ("c1", "c2", "r1", "r2", "rc1", "rc2"):
        pick = sorted((ev / "instances" / "100").glob(f"{cls}[0-9][0-9]_21.txt"))[:2]
        out += [(p, "evrptw", ev) for p in pick]
    return out


def _run(path: Path, fmt: str, seconds: float, recombine: bool):
    from h2lane.routing.vrp.checker import check_result
    from h2lane.routing.vrp.instances import read_instance
    from h2lane.routing.vrp.solver import SearchParams, solve_vrp

    inst = read_instance(path, fmt)
    params = SearchParams(recombine_at=ON if recombine else ())
    sol = solve_vrp(inst, time_limit=seconds, seed=0, params=params)
    return sol, check_result(inst, sol).ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--instances", type=int, default=None, help="only the first N instances")
    ap.add_argument("--quick", action="store_true", help="3 instances at 3 s")
    ap.add_argument(
        "--write",
        action="store_true",
        help="record the results in benchmarks/results/ (full runs only)",
    )
    args = ap.parse_args(argv)
    if args.write and (args.quick or args.instances is not None):
        ap.error("--write records full runs only; drop --quick / --instances")
    console = Console(width=None if sys.stdout.isatty() else 160)
    if not BENCH.is_dir():
        console.print(f"Benchmark data not found at {BENCH}: skipping the recombination ablation.")
        return 0
    from h2lane.routing.vrp.instances import load_bks

    seconds = 3.0 if args.quick else args.time_limit
    items = _instances()[:3] if args.quick else _instances()
    if args.instances is not None:
        items = items[: args.instances]
    bks = {**load_bks(BENCH / "cec2020_evrp"), **load_bks(BENCH / "evrptw_schneider")}
    table = Table(title=f"recombination ablation, {seconds:g} s per run")
    cols = ["instance", "BKS", "off: veh", "off: dist", "on: veh", "on: dist", "on − off %"]
    for c in cols:
        table.add_column(c, justify="left" if c == "instance" else "right")
    rows, better, worse, diffs = [], 0, 0, []
    for path, fmt, _fam in items:
        off, ok_off = _run(path, fmt, seconds, False)
        on, ok_on = _run(path, fmt, seconds, True)
        if not (ok_off and ok_on):
            console.print(f"[red]{path.stem}: a solution failed the checker; not counted[/]")
            continue
        key_off, key_on = (off.vehicles, off.distance), (on.vehicles, on.distance)
        d = 100.0 * (on.distance - off.distance) / off.distance
        if on.vehicles == off.vehicles:
            diffs.append(d)
        if on.vehicles != off.vehicles:
            better += on.vehicles < off.vehicles
            worse += on.vehicles > off.vehicles
        elif abs(d) > 1e-6:  # relative distance differences below 1e-8 are ties
            better += d < 0
            worse += d > 0
        row = [
            path.stem,
            f"{bks[path.stem]['bks']:.2f}" if path.stem in bks else "–",
            str(off.vehicles),
            f"{off.distance:.2f}",
            str(on.vehicles),
            f"{on.distance:.2f}",
            f"{d:+.2f}",
        ]
        rows.append(row)
        table.add_row(*row)
        console.print(f"{path.stem}: off {key_off}, on {key_on}")
    console.print(table)
    mean = sum(diffs) / len(diffs) if diffs else float("nan")
    verdict = (
        f"recombination better on {better}, worse on {worse}, tied on "
        f"{len(rows) - better - worse} of {len(rows)} instances (vehicles first, then distance); "
        f"mean distance change where vehicles are equal {mean:+.2f} %"
    )
    console.print(verdict)
    if not args.write:
        console.print("Results not written (add --write to record them in benchmarks/results/).")
        return 0
    lines = [
        "## VRP: set-partitioning recombination ablation",
        "",
        f"Machine: {machine()}. Date: {today()}. Command: "
        f"`python benchmarks/bench_vrp_recombine.py --time-limit {seconds:g}`.",
        "",
        "Same solver, seed 0 and time limit, with and without pooling routes and recombining",
        f"them by set partitioning with HiGHS at {', '.join(f'{x:.0%}' for x in ON)} of the",
        "budget (`SearchParams.recombine_at`). Both answers checker-verified. Instances: the 7",
        "CEC-2020 ones and the first two 100-customer E-VRPTW instances of each class.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---" for _ in cols) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
        f"Outcome: {verdict}. The solver's default follows this measurement "
        "(recombination is on only if it helps).",
    ]
    out = write_section("vrp_recombine", "\n".join(lines))
    console.print(f"Wrote {out}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
