"""FTL search speed (issue 14, item 4): iterations per second of the ruin-and-recreate search.

On fixed instances (:mod:`ftl_instances`, seed 1: ``small`` 50 × 10, ``medium`` 200 × 40,
``large`` 1,000 × 150; ``xlarge`` 2,000 × 300 on request) and a fixed search seed, the FTL search of
:mod:`h2lane.routing.vrp.ftl` runs for a fixed number of iterations (``--iterations``, per
size) with no time limit that could stop it first, so a run is deterministic: the final
objective (the search's internal one, truck-hours with its tie-breaks and the unserved
penalty) must be the same for any evaluator that gives the same evaluations. Reported per
size: construction seconds, search seconds after the construction, iterations per second
(iterations ÷ those seconds), the final objective and served orders.

``--engine`` picks the evaluator when the search has several (``compiled``: the numba kernels
of :mod:`h2lane.routing.vrp.ftlkernels`; ``python``: the reference evaluator); on code
without that choice it is ignored. ``--save-before`` keeps the run as the *before* column
(machine-readable, in the section's HTML comment); ``--write`` writes the section with the
before column kept as it was measured and this run as *after*.

    python benchmarks/bench_ftl_speed.py [--sizes small,medium,large] [--engine compiled]
        [--iterations small=2000,medium=400,large=60] [--save-before | --write]

Timed runs for RESULTS.md hold the shared lock:
``flock /tmp/h2lane-bench.lock nice -n 0 python benchmarks/bench_ftl_speed.py --write``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, machine, today, write_section
from ftl_instances import SIZES, generate

DEPART = datetime(2026, 12, 1, 6, 0)
ITERATIONS = {"small": 2000, "medium": 400, "large": 60, "xlarge": 20}
SECTION = "ftl_speed"
MARK = "<!-- ftl-speed-before: "


def _instance(size: str, seed: int) -> Any:
    from h2lane.roads.graph import RoadGraph
    from h2lane.routing.vrp.ftlbuild import build_instance
    from h2lane.scenario import load_scenario

    orders, trucks = SIZES[size]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"ftl-{size}-s{seed}.yaml"
        doc = generate(orders, trucks, seed=seed)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
        scen = load_scenario(str(path))
    return build_instance(scen, RoadGraph.bundled(), default_depart=DEPART).instance


def run(size: str, iterations: int, seed: int, engine: str) -> dict[str, Any]:
    """One deterministic search of ``iterations`` iterations on the ``size`` instance."""
    from h2lane.routing.vrp import ftl

    inst = _instance(size, 1)
    kwargs: dict[str, Any] = {}
    if "engine" in inspect.signature(ftl.solve_ftl).parameters:
        kwargs["engine"] = engine
    else:
        engine = "python (no choice)"
    t0 = time.perf_counter()
    sol = ftl.solve_ftl(inst, time_limit=1e9, max_iterations=iterations, seed=seed, **kwargs)
    wall = time.perf_counter() - t0
    search = sol.seconds - sol.first_feasible_s
    return {
        "size": size,
        "engine": engine,
        "iterations": sol.iterations,
        "construction_s": sol.first_feasible_s,
        "search_s": search,
        "wall_s": wall,
        "it_per_s": sol.iterations / search if search > 0 else float("nan"),
        "objective": sol.history[-1][1],
        "truck_hours": sol.truck_hours,
        "served": len(inst.orders) - len(sol.unserved),
        "routes": sorted(tuple(r.orders) for r in sol.routes),
    }


def warm_up(engine: str) -> float:
    """Seconds to compile (or load from numba's cache) the kernels: a short search on the small
    instance with few candidate trucks, so every kernel is used once before the timed runs."""
    from h2lane.routing.vrp import ftl

    if engine != "compiled" or "engine" not in inspect.signature(ftl.solve_ftl).parameters:
        return 0.0
    inst = _instance("small", 1)
    t0 = time.perf_counter()
    params = ftl.FTLParams(candidate_trucks=2)
    ftl.solve_ftl(inst, time_limit=1e9, max_iterations=3, params=params, engine=engine)
    return time.perf_counter() - t0


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _before() -> dict[str, Any] | None:
    path = HERE / "results" / f"{SECTION}.md"
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) : -len(" -->")])
    return None


def _section(before: dict[str, Any], after: dict[str, Any] | None) -> str:
    lines = [
        "## FTL search speed (issue 14)\n",
        "`python benchmarks/bench_ftl_speed.py` — the FTL ruin-and-recreate search "
        "(`h2lane.routing.vrp.ftl`) for a fixed number of iterations on the generated instances "
        "(`ftl_instances.py`, seed 1), search seed 0, no time limit: deterministic, so *before* "
        "and *after* must end on the same objective when the evaluations are identical. "
        "*it/s* = iterations ÷ search seconds after the construction.\n",
        f"- before: {before['date']}, commit {before['commit']}, engine {before['engine']}, "
        f"load {before['load_start']} at start, {before['load_end']} at end; {before['machine']}",
    ]
    if after is not None:
        lines.append(
            f"- after: {after['date']}, commit {after['commit']}, engine {after['engine']}, "
            f"load {after['load_start']} at start, {after['load_end']} at end; {after['machine']}"
        )
    lines.append("")
    if after is None:
        lines += [
            "| instance | iterations | construction | search | it/s | objective | served |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in before["rows"]:
            o, t = SIZES[r["size"]]
            lines.append(
                f"| {r['size']} ({o} × {t}) | {r['iterations']} | {r['construction_s']:.2f} s | "
                f"{r['search_s']:.2f} s | {r['it_per_s']:.1f} | {r['objective']:.9f} | "
                f"{r['served']} |"
            )
    else:
        lines += [
            "| instance | iterations | construction before → after | it/s before | it/s after "
            "| speed-up | objective before | objective after | same routes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        refs = [r for r in after["rows"] if "reference" in r]
        by = {r["size"]: r for r in before["rows"]}
        for r in after["rows"]:
            b = by.get(r["size"])
            o, t = SIZES[r["size"]]
            if b is None or b["iterations"] != r["iterations"]:
                lines.append(f"| {r['size']} ({o} × {t}) | {r['iterations']} | no before run "
                             f"at this iteration count | | {r['it_per_s']:.1f} | | | "
                             f"{r['objective']:.9f} | |")  # fmt: skip
                continue
            same = "yes" if b["routes"] == r["routes"] else "NO"
            lines.append(
                f"| {r['size']} ({o} × {t}) | {r['iterations']} | "
                f"{b['construction_s']:.2f} s → {r['construction_s']:.2f} s | "
                f"{b['it_per_s']:.1f} | {r['it_per_s']:.1f} | {r['it_per_s'] / b['it_per_s']:.1f}× | "
                f"{b['objective']:.9f} | {r['objective']:.9f} | {same} |"
            )
        if refs:
            lines += [
                "",
                "The Python reference engine (`--engine python`, the evaluator the kernels must "
                "match) in the same *after* run, under the same load — the like-for-like "
                "comparison, since *before* and *after* ran at different times on 2 cores shared "
                "with other jobs (loads above):",
                "",
                "| instance | iterations | it/s python | it/s compiled | speed-up | objective "
                "python | objective compiled | same routes |",
                "|---|---:|---:|---:|---:|---:|---:|---|",
            ]
            for r in refs:
                p = r["reference"]
                o, t = SIZES[r["size"]]
                same = "yes" if p["routes"] == r["routes"] else "NO"
                lines.append(
                    f"| {r['size']} ({o} × {t}) | {r['iterations']} | {p['it_per_s']:.1f} | "
                    f"{r['it_per_s']:.1f} | {r['it_per_s'] / p['it_per_s']:.1f}× | "
                    f"{p['objective']:.9f} | {r['objective']:.9f} | {same} |"
                )
        if after.get("warm_up_s"):
            lines += ["", f"Compiling the kernels (or loading them from numba's on-disk cache) "
                      f"took {after['warm_up_s']:.1f} s before the timed runs (not counted)."]  # fmt: skip
    lines.append("")
    lines.append(MARK + json.dumps(before, separators=(",", ":")) + " -->")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="small,medium,large")
    ap.add_argument("--iterations", default="", help="per size, e.g. small=2000,medium=400")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", default="compiled", choices=["compiled", "python"])
    ap.add_argument("--reference", action="store_true",
                    help="also run the Python reference engine in the same run (same load)")  # fmt: skip
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--save-before", action="store_true", help="write the section: before only")
    g.add_argument("--write", action="store_true", help="write the section: before and after")
    args = ap.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    for s in sizes:
        if s not in ITERATIONS:
            ap.error(f"unknown size {s!r}: choose among {', '.join(ITERATIONS)}")
    its = dict(ITERATIONS)
    for part in filter(None, args.iterations.split(",")):
        name, _, value = part.partition("=")
        if name not in its or not value.isdigit():
            ap.error(f"--iterations wants size=count pairs, not {part!r}")
        its[name] = int(value)
    before = _before() if args.write else None
    if args.write and before is None:
        ap.error("--write needs a before run in the section: run with --save-before first")
    run_info: dict[str, Any] = {
        "date": today(),
        "commit": _commit(),
        "engine": args.engine,
        "machine": machine(),
        "load_start": _load(),
        "rows": [],
    }
    run_info["warm_up_s"] = warm_up(args.engine)
    print(f"warm-up (compile or load the kernels): {run_info['warm_up_s']:.1f} s", flush=True)
    for s in sizes:
        engines = [args.engine] + (["python"] if args.reference and args.engine != "python" else [])
        for engine in engines:
            r = run(s, its[s], args.seed, engine)
            if engine == args.engine:
                run_info["engine"] = r["engine"]
                run_info["rows"].append(r)
            else:
                run_info["rows"][-1]["reference"] = r
            print(f"{s:7s} {r['engine']:9s} {r['iterations']:6d} it  construction "
                  f"{r['construction_s']:7.2f} s  search {r['search_s']:7.2f} s  "
                  f"{r['it_per_s']:8.1f} it/s  objective {r['objective']:.9f}  "
                  f"served {r['served']}", flush=True)  # fmt: skip
    run_info["load_end"] = _load()
    print(f"load: {run_info['load_start']} at start, {run_info['load_end']} at end")
    for r in run_info["rows"]:
        r["routes"] = [list(x) for x in r["routes"]]
        if "reference" in r:
            r["reference"]["routes"] = [list(x) for x in r["reference"]["routes"]]
    if args.save_before:
        print("wrote", write_section(SECTION, _section(run_info, None)))
    elif args.write and before is not None:
        print("wrote", write_section(SECTION, _section(before, run_info)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
