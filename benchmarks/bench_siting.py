"""Station siting at network scale: ≥ 1,000 candidates, ≥ 10,000 O–D flows, p up to 100.

Zones are nodes of the North China OSM graph sampled (seeded) in the Shanxi – Hebei – Tianjin –
Shandong box; their weights are log-normal; flows between every pair follow the gravity model
``W_i W_j / d^β`` (β = 1.5) on tie-broken shortest paths. Flows are scaled to 100,000 trucks a day.
Candidates are the zones' nodes plus nodes sampled from the flows' paths. Range 650 km
(Pengfei 49 t). For each p: the greedy + substitution heuristic, then the arc-cover MILP on
HiGHS warm-started by it (target gap 1 %, 300 s) on the reduced model (dominated candidates
dropped, equal routes merged: :mod:`h2lane.siting.reduce`) and, with ``--compare-full``
(default on), the same solve on the full model. The path-based formulation (Kuby & Lim's
combinations) is timed on growing subsets of the flows until its combinations pass a cap or
its enumeration the time limit.

    .venv/bin/python benchmarks/bench_siting.py [--quick] [--zones N] [--candidates N]
        [--p 10,25,50,100] [--time-limit S] [--threads T] [--no-compare-full] [--write]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, today, write_section

from h2lane import params
from h2lane.errors import ResourceLimitError
from h2lane.siting import milp
from h2lane.siting.greedy import greedy
from h2lane.siting.inputs import Zone, gravity_flows
from h2lane.siting.network import SitingNetwork
from h2lane.siting.pathbased import solve_path_based
from h2lane.siting.problem import Candidate, Flow, SitingProblem

BOX = (34.5, 41.5, 110.5, 120.5)  # lat min, lat max, lon min, lon max
TOTAL_TRUCKS = 100_000.0  # flows scaled to this many trucks a day in all


def load_1min() -> float:
    """The 1-minute load average (NaN where unavailable)."""
    try:
        with open("/proc/loadavg") as fh:
            return float(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def load() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "uptime unavailable"


def build(n_zones: int, n_cands: int, seed: int) -> tuple[SitingProblem, dict[str, float]]:
    rng = np.random.default_rng(seed)
    times: dict[str, float] = {}
    t = time.perf_counter()
    net = SitingNetwork.from_road_graph("north-china")
    times["load graph"] = time.perf_counter() - t
    lat, lon = net.y, net.x
    inside = np.flatnonzero((lat >= BOX[0]) & (lat <= BOX[1]) & (lon >= BOX[2]) & (lon <= BOX[3]))
    nodes = rng.choice(inside, n_zones, replace=False)
    weights = rng.lognormal(0.0, 1.0, n_zones)
    zones = [
        Zone(f"z{i}", int(n), float(w)) for i, (n, w) in enumerate(zip(nodes, weights, strict=True))
    ]
    t = time.perf_counter()
    flows = gravity_flows(net, zones, params.SITING_GRAVITY_BETA.value)
    times["shortest paths"] = time.perf_counter() - t
    total = sum(f.volume for f in flows)
    flows = [
        Flow(
            f.origin,
            f.destination,
            f.volume * TOTAL_TRUCKS / total,
            f.path,
            f.origin_node,
            f.destination_node,
        )
        for f in flows
    ]
    # candidates: every zone (where the trucks start and end) plus nodes sampled on the paths
    on_paths = np.setdiff1d(
        np.unique(np.concatenate([np.asarray(f.path.nodes) for f in flows])), nodes
    )
    extra = rng.choice(on_paths, max(0, min(n_cands - n_zones, len(on_paths))), replace=False)
    picked = np.concatenate([nodes, extra])
    cands = [Candidate(f"c{i}", int(n)) for i, n in enumerate(sorted(picked.tolist()))]
    t = time.perf_counter()
    prob = SitingProblem.build(net, flows, cands, params.FCET_RANGE.value)
    times["cover rows"] = time.perf_counter() - t
    return prob, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="40 zones, 300 candidates, p ≤ 25")
    ap.add_argument("--zones", type=int, default=143, help="143 zones → 10,153 flows")
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--p", default="10,25,50,100")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--path-cap", type=int, default=1_000_000, help="combinations cap, path-based")
    ap.add_argument(
        "--compare-full",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also solve the full (unreduced) model at every p",
    )
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.zones, args.candidates, args.p = 40, 300, "5,25"
    ps = [int(x) for x in args.p.split(",")]
    before = load()
    prob, times = build(args.zones, args.candidates, args.seed)
    rows = sum(len(s) for s in prob.route_sets)
    nnz = sum(len(x) for s in prob.route_sets for x in s)
    servable = prob.evaluate(np.ones(prob.n_candidates, dtype=bool))[0]
    print(
        f"{len(prob.flows):,} flows, {prob.n_candidates:,} candidates, {rows:,} cover rows "
        f"({nnz:,} entries); set-up {times}",
        flush=True,
    )
    lines = []
    full_lines = []
    loads: list[float] = []
    cpu_of: dict[tuple[str, int], float] = {}  # process CPU seconds of each MILP solve
    for p in ps:
        t = time.perf_counter()
        heur = greedy(prob, p, time_limit=args.time_limit / 4)
        tg = time.perf_counter() - t
        models = [("reduced", True)] + ([("full", False)] if args.compare_full else [])
        for name, reduced in models:
            cpu = time.process_time()
            res = milp.solve(
                prob,
                p=p,
                warm_start=heur.open_mask,
                time_limit=args.time_limit,
                gap=0.01,
                threads=args.threads,
                reduce_model=reduced,
            )
            cpu_of[(name, p)] = time.process_time() - cpu
            loads.append(load_1min())
            if reduced:
                lines.append((p, heur.covered_flow, tg, heur.swaps, res))
                head = (
                    f"p={p}: greedy+subst {heur.covered_flow:.2f} in {tg:.1f} s ({heur.swaps} "
                    f"swaps); reduced MILP ({res.columns:,} columns, {res.rows:,} rows; "
                    f"{res.removed_candidates} candidates dominated, {res.merged_routes} routes "
                    "merged)"
                )
            else:
                full_lines.append((p, res))
                head = f"p={p}: full MILP ({res.columns:,} columns, {res.rows:,} rows)"
            print(
                f"{head} {res.objective:.2f}, gap {res.mip_gap:.2%}, bound {res.bound:.2f}, "
                f"{res.seconds:.1f} s, CPU {cpu_of[(name, p)]:.1f} s ({res.status})",
                flush=True,
            )
    # path-based on growing subsets of the flows (longest paths last)
    order = np.argsort([f.path.length_km for f in prob.flows], kind="stable")
    path_rows = []
    p_path = ps[0]
    for n in (100, 1000, 3000, len(prob.flows)):
        n = min(n, len(prob.flows))
        sub_flows = [prob.flows[i] for i in order[:n]]
        sub = SitingProblem.build(prob.network, sub_flows, prob.candidates, prob.range_km)
        arc = milp.solve(sub, p=p_path, time_limit=args.time_limit, gap=0.01, threads=args.threads)
        try:
            pb = solve_path_based(
                sub,
                p_path,
                cap=args.path_cap,
                time_limit=args.time_limit,
                gap=0.01,
                threads=args.threads,
            )
            path_rows.append(
                (
                    n,
                    pb.combinations,
                    pb.build_seconds,
                    pb.solve_seconds,
                    pb.objective,
                    arc.seconds,
                    arc.objective,
                    pb.status,
                )
            )
            print(
                f"path-based, {n} shortest flows: {pb.combinations:,} combinations, build {pb.build_seconds:.1f} s, solve {pb.solve_seconds:.1f} s, {pb.objective:.2f} vs arc cover {arc.objective:.2f} in {arc.seconds:.1f} s",
                flush=True,
            )
        except ResourceLimitError as exc:
            path_rows.append((n, None, None, None, None, arc.seconds, arc.objective, str(exc)))
            print(
                f"path-based, {n} shortest flows: {exc}; arc cover {arc.seconds:.1f} s", flush=True
            )
            break
        if n == len(prob.flows):
            break
    after = load()
    md = [
        "## Station siting (FRLM, issue 12)\n",
        f"Machine: {machine()}. Date: {today()}. Load before: `{before}`; after: `{after}`.",
        f"The machine was shared with other agents' work during the run (this benchmark ran "
        f"un-niced): 1-minute load average after each MILP solve "
        f"{min(loads, default=float('nan')):.1f}–{max(loads, default=float('nan')):.1f} on 2 cores, "
        "so the times are those of a loaded machine.",
        f"HiGHS threads = {args.threads}; time limit {args.time_limit:g} s per solve; target MIP gap 1 %.\n",
        f"North China OSM graph; {args.zones} zones sampled (seed {args.seed}) in lat {BOX[0]}–{BOX[1]}, "
        f"lon {BOX[2]}–{BOX[3]}, log-normal weights, gravity β = {params.SITING_GRAVITY_BETA.value}: "
        f"**{len(prob.flows):,} O–D flows** (scaled to {TOTAL_TRUCKS:,.0f} trucks/day); "
        f"**{prob.n_candidates:,} candidate sites** (the zones plus nodes sampled on the flows' paths); range {params.FCET_RANGE.value:g} km. Cover rows: {rows:,} ({nnz:,} entries). "
        f"Served with every candidate open: {servable / prob.total_flow:.1%} of the flow.",
        "Set-up: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()) + ".\n",
        "| p | greedy + substitution served | greedy s | model | MILP served | MIP gap | bound | MILP s | CPU s | status |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    total = prob.total_flow

    def status(r: milp.MilpResult) -> str:
        if r.optimal:
            return "gap ≤ 1 % (met)" if r.mip_gap > 1e-9 else "optimal (met)"
        return f"{r.status}: **target missed**" if r.mip_gap > 0.01 else r.status

    full_of = dict(full_lines)
    for p, g, tg, _, res in lines:
        rows_ = [("reduced", res)] + ([("full", full_of[p])] if p in full_of else [])
        for name, r in rows_:
            md.append(
                f"| {p} | {g / total:.2%} | {tg:.1f} | {name} ({r.columns:,} cols, {r.rows:,} rows) "
                f"| {r.objective / total:.2%} | {r.mip_gap:.2%} | {r.bound / total:.2%} "
                f"| {r.seconds:.1f} | {cpu_of[(name, p)]:.1f} | {status(r)} |"
            )
    red = lines[0][4] if lines else None
    md.append(
        "\nServed shares are of the total flow; the bound is HiGHS's dual bound. Both models "
        "start from the heuristic's answer. MILP s is wall time including building the model "
        "(the 300 s limit counts it); CPU s is the CPU time the process got meanwhile (2 threads "
        "on an unshared machine would give up to twice the wall time). "
        + (
            f"The reduced model leaves out {red.removed_candidates} dominated candidates (their "
            f"cover rows all hold another candidate) and merges {red.merged_routes} routes with "
            "equal cover rows; it has the same optimum as the full model (tests/siting/"
            "test_siting_reduce.py checks that against the full model and enumeration), so its "
            "bound is a bound on the original problem.\n"
            if red is not None
            else "\n"
        )
    )
    md.append(
        f"Path-based formulation (combinations), p = {p_path}, on the n shortest flows; both "
        "formulations solved to a 1 % gap, so their served flows may differ within it:\n"
    )
    md.append(
        "| flows | combinations | build s | solve s | path-based served | arc cover s | arc cover served | status |"
    )
    md.append("|---|---|---|---|---|---|---|---|")
    for n, c, b, s, o, asec, aobj, st in path_rows:
        if c is None:
            md.append(f"| {n:,} | > cap | – | – | – | {asec:.1f} | {aobj:.2f} | {st} |")
        else:
            md.append(
                f"| {n:,} | {c:,} | {b:.1f} | {s:.1f} | {o:.2f} | {asec:.1f} | {aobj:.2f} | {st} |"
            )
    text = "\n".join(md)
    print(text)
    if args.write:
        if args.quick:
            print("--quick results are not written", file=sys.stderr)
        else:
            print(f"written: {write_section('siting', text)}")


if __name__ == "__main__":
    main()
