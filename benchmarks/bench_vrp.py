"""Refuelling-VRP benchmark (issue 3): h2lane's ``solve_vrp`` against an OR-Tools peer.

For every instance of a family both solvers get the same time limit in the same run, and both
results are verified by :func:`h2lane.routing.vrp.checker.check_solution`. Families (data in
``../shared/benchmarks``, see each ``PROVENANCE.md``):

* ``emh``: G-VRP, Erdogan & Miller-Hooks 2012, 40 small instances (TL 10.75 h), 10 s each;
* ``emh-large``: G-VRP, the nine large EMH instances (111–500 customers), 120 s each;
* ``emh-large-n``: the same, the servable customers cut to the BKS's count (the ones with the
  longest shortest route of their own left out; see :func:`match_bks_count`);
* ``evrptw-small``: E-VRPTW, Schneider et al. 2014, 36 instances with 5/10/15 customers, 10 s;
* ``evrptw-100``: the 56 instances with 100 customers, 120 s;
* ``evrptw-pr``: the same 56 files with partial recharging (EVRPTW-PR, Keskin & Çatay 2016),
  30 s, against ``bks_partial_recharge.csv``; no OR-Tools run (its model recharges to full),
  the published RoutingBlocks ALNS and Schiffer et al. (2017) results are the reference peers;
* ``cec``: CEC-2020 EVRP, 7 instances, 60 s.

``--scaling`` instead generates G-VRP-like instances with 200, 500 and 1,000 customers
(:func:`make_gvrp_like`) and compares h2lane with OR-Tools (no BKS exists for them).

Usage::

    python benchmarks/bench_vrp.py [--family emh|emh-large|emh-large-n|evrptw-small|evrptw-100|evrptw-pr|cec|all]
        [--time-limit S] [--instances N] [--seed K] [--jobs J] [--no-ortools] [--quick]
        [--scaling [--sizes 200,500,1000]] [--write]

``--quick`` runs 2 s on the first 3 instances. ``--jobs J`` solves J instances at a time with
h2lane in worker processes (each solve is single-threaded: use at most one per core, and say
so with the results; OR-Tools still runs one instance at a time). Results are printed; only with ``--write`` is
the family's block of ``benchmarks/results/vrp.md`` replaced (blocks of families not run are
kept) and ``RESULTS.md`` rebuilt (``--write`` is refused with ``--quick``). The data folder is
``../shared/benchmarks`` or ``$H2LANE_BENCHMARKS``; without it the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib.util
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH, HERE, machine, today, write_section

from h2lane.routing.vrp.checker import CheckReport, check_result, check_solution
from h2lane.routing.vrp.model import CUSTOMER, DEPOT, STATION, VRPInstance

RESULT_FILE = HERE / "results" / "vrp.md"
BLOCK_ORDER = (
    "emh",
    "emh-large",
    "emh-large-n",
    "evrptw-small",
    "evrptw-100",
    "evrptw-pr",
    "cec",
    "scaling",
)
TIME_TOL = 1.02  # "≤ T s each": wall time of the solve call, 2 % allowed for the stop check
TIE = 1e-5  # relative difference treated as a tie
STATS_COLS = [
    "solver",
    "feasible",
    "mean gap %",
    "max gap %",
    "≤0.1 %",
    "≤0.5 %",
    "≤2 %",
    "veh = / < / > BKS",
    "mean gap % at BKS veh",
    "max s",
]


@dataclass(frozen=True)
class Family:
    """One benchmark family and the issue's targets for it."""

    key: str
    title: str
    folder: str
    fmt: str
    time_limit: float
    files: Callable[[Path], list[Path]]
    vehicles_first: bool = False
    full_refuel: bool = True  # False: the files are read, then ``inst.full_refuel = False``
    bks_file: str = "bks.csv"
    ortools: bool = True  # False: the OR-Tools peer does not model this variant; never run it
    match_bks_count: bool = False
    """Leave out the customers with the longest shortest route of their own until as many are
    served as the BKS's source served (the ``n=… customers served`` of its note)."""


def _natural(p: Path) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.stem)]


def _large_emh(d: Path) -> list[Path]:
    return sorted((d / "instances" / "large").glob("*.txt"), key=_natural)


FAMILIES: dict[str, Family] = {
    "emh": Family(
        "emh",
        "G-VRP (Erdogan & Miller-Hooks 2012), 40 small instances",
        "gvrp_emh",
        "emh",
        10.0,
        lambda d: sorted((d / "instances" / "small").glob("*.txt"), key=_natural),
    ),
    "emh-large": Family(
        "emh-large",
        "G-VRP (Erdogan & Miller-Hooks 2012), 9 large instances (111–500 customers)",
        "gvrp_emh",
        "emh",
        120.0,
        _large_emh,
    ),
    "emh-large-n": Family(
        "emh-large-n",
        "G-VRP (Erdogan & Miller-Hooks 2012), 9 large instances, customers matched to the BKS's count",
        "gvrp_emh",
        "emh",
        120.0,
        _large_emh,
        match_bks_count=True,
    ),
    "evrptw-small": Family(
        "evrptw-small",
        "E-VRPTW (Schneider, Stenger & Goeke 2014), 36 small instances",
        "evrptw_schneider",
        "evrptw",
        10.0,
        lambda d: [
            p
            for size in ("5", "10", "15")
            for p in sorted((d / "instances" / size).glob("*.txt"), key=_natural)
        ],
        vehicles_first=True,
    ),
    "evrptw-100": Family(
        "evrptw-100",
        "E-VRPTW (Schneider, Stenger & Goeke 2014), 56 instances with 100 customers",
        "evrptw_schneider",
        "evrptw",
        120.0,
        lambda d: sorted((d / "instances" / "100").glob("*.txt"), key=_natural),
        vehicles_first=True,
    ),
    "evrptw-pr": Family(
        "evrptw-pr",
        "EVRPTW-PR (partial recharging, Keskin & Çatay 2016), 56 instances with 100 customers",
        "evrptw_schneider",
        "evrptw",
        30.0,
        lambda d: sorted((d / "instances" / "100").glob("*.txt"), key=_natural),
        vehicles_first=True,
        full_refuel=False,
        bks_file="bks_partial_recharge.csv",
        ortools=False,
    ),
    "cec": Family(
        "cec",
        "CEC-2020 EVRP (Mavrovouniotis et al. 2020), 7 instances",
        "cec2020_evrp",
        "cec",
        60.0,
        lambda d: sorted(
            d.glob("instances/*.evrp"), key=lambda p: int(re.search(r"n(\d+)", p.stem)[1])
        ),
    ),
}


# ----------------------------------------------------------------------------- solving


@dataclass
class Run:
    """One solver's result on one instance, as verified by the checker."""

    cost: float | None = None
    vehicles: int | None = None
    seconds: float = 0.0
    ok: bool = False
    verdict: str = "n/a"
    charge_stops: int | None = None  # partial refuelling only: charging stops ...
    partial_stops: int | None = None  # ... and those leaving the battery below full


@dataclass
class Row:
    """One instance: its reference values, both solvers' runs and any published peers."""

    name: str
    n_customers: int
    bks: float | None
    bks_vehicles: int | None
    h2: Run | None
    ort: Run | None
    peers: dict[str, Run] = field(default_factory=dict)
    bks_served: int | None = None
    """Customers the BKS's source served (``n=… customers served`` in its note), if given."""


def _bks_served(rec: dict | None) -> int | None:
    m = re.search(r"n=(\d+) customers served", str((rec or {}).get("note", "")))
    return int(m.group(1)) if m else None


def _load_h2lane() -> tuple[Callable | None, str]:
    """``solve_vrp`` and ``""``, or ``None`` and why it cannot be imported."""
    try:
        from h2lane.routing.vrp.solver import solve_vrp
    except Exception as exc:  # the solver may not be importable yet
        return None, f"{type(exc).__name__}: {exc}"
    return solve_vrp, ""


def _verdict(rep: CheckReport) -> tuple[bool, str, float, int]:
    """Checker verdict: feasible?, text, distance, vehicles."""
    if rep.ok:
        return True, "feasible", float(rep.distance), int(rep.vehicles)
    kinds = sorted({v.kind for v in rep.violations})
    return False, "INFEASIBLE (" + ", ".join(kinds) + ")", float(rep.distance), int(rep.vehicles)


def run_h2lane(solve: Callable, inst: VRPInstance, tl: float, seed: int) -> Run:
    """Run h2lane's solver and check its routes."""
    t = time.perf_counter()
    try:
        sol = solve(inst, tl, seed=seed)
    except Exception as exc:
        return Run(seconds=time.perf_counter() - t, verdict=f"error: {type(exc).__name__}")
    secs = time.perf_counter() - t
    ok, verdict, dist, veh = _verdict(check_result(inst, sol))
    run = Run(dist, veh, secs, ok, verdict)
    if not inst.full_refuel and ok:
        run.charge_stops, run.partial_stops = _partial_stops(inst, sol)
    return run


def _partial_stops(inst: VRPInstance, sol: object) -> tuple[int, int]:
    """Charging stops of a partial-refuelling solution, and those ending below a full battery.

    Replays each route's energy (start level, ``consumption`` × distance per arc, plus
    ``sol.refuel_amounts`` at mid-route charging stops) and counts a stop as partial when the
    level after charging is below the vehicle type's tank (relative tolerance 1e-6). A stop
    without a given amount is charged "just enough" by the checker and counted as partial when
    that is below full.
    """
    amounts = getattr(sol, "refuel_amounts", None) or {}
    types = getattr(sol, "route_types", None) or []
    fleet = inst.fleet
    stops = partial = 0
    for r, route in enumerate(sol.routes):  # type: ignore[attr-defined]
        vt = fleet[types[r] if r < len(types) else 0]
        tol = 1e-6 * max(1.0, vt.tank)
        e = float(vt.initial_energy)
        last = len(route) - 1
        for p in range(1, last):
            a, b = int(route[p - 1]), int(route[p])
            e -= vt.consumption * float(inst.dist[a, b])
            kind = inst.kinds[b]
            if not (kind == STATION or (kind == DEPOT and inst.depot_refuels)):
                continue
            if (r, p) in amounts:
                amount = float(amounts[(r, p)])
            else:  # the checker's default: just enough for the next leg
                need, q = 0.0, p
                while q < last:
                    q += 1
                    need += vt.consumption * float(inst.dist[int(route[q - 1]), int(route[q])])
                    k = inst.kinds[int(route[q])]
                    if k == STATION or (k == DEPOT and inst.depot_refuels):
                        break
                amount = min(max(need - max(e, 0.0), 0.0), vt.tank - max(e, 0.0))
            e = max(e, 0.0) + amount
            stops += 1
            partial += e < vt.tank - tol
    return stops, partial


def run_ortools(inst: VRPInstance, tl: float, seed: int) -> Run:
    """Run the OR-Tools peer and check its routes."""
    from ortools_peer import solve_ortools

    t = time.perf_counter()
    try:
        sol = solve_ortools(inst, tl, seed=seed)
    except Exception as exc:
        return Run(seconds=time.perf_counter() - t, verdict=f"error: {type(exc).__name__}")
    secs = time.perf_counter() - t
    if sol is None:
        return Run(seconds=secs, verdict="no solution")
    ok, verdict, dist, veh = _verdict(check_solution(inst, sol.routes))
    return Run(dist, veh, secs, ok, verdict)


def _bks_vehicles(rec: dict | None) -> int | None:
    if not rec:
        return None
    if isinstance(rec.get("bks_vehicles"), int):
        return rec["bks_vehicles"]
    m = re.search(r"vehicles=(\d+)", str(rec.get("note", "")))
    return int(m[1]) if m else None


PR_PEERS = {  # reference peer -> (cost column, vehicles column, runtime column or None)
    "RoutingBlocks": ("routingblocks_cost", "routingblocks_vehicles", "routingblocks_runtime_s"),
    "Schiffer 2017": ("schiffer2017_best", "schiffer2017_vehicles", None),
}


def _instance_key(name: str) -> str:
    """Canonical instance name: lower case, no ``.txt``, no ``_21`` station-count suffix."""
    return re.sub(r"(_\d+)?(\.txt)?$", "", name.strip().lower())


def load_partial_bks(path: Path, stems: list[str]) -> dict[str, dict]:
    """The EVRPTW-PR table (``bks_partial_recharge.csv``), keyed by instance file stem.

    Each value holds ``bks`` (float), ``bks_vehicles`` (int) and ``peers``
    ({peer: :class:`Run`} with the published cost, vehicles and runtime). CSV names are
    matched to the file stems exactly, else by :func:`_instance_key`; a stem without a row,
    a row matching no stem or two rows for one stem raises ``SystemExit``.
    """
    need = ["instance", "bks", "bks_vehicles"] + [c for t in PR_PEERS.values() for c in t if c]
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing_cols = [c for c in need if c not in (reader.fieldnames or [])]
        if missing_cols:
            raise SystemExit(f"{path}: missing column(s) {', '.join(missing_cols)}")
        rows = list(reader)
    by_key: dict[str, str] = {}
    for st in stems:
        k = _instance_key(st)
        if k in by_key:
            raise SystemExit(f"{path}: files {by_key[k]} and {st} map to the same name {k!r}")
        by_key[k] = st

    def num(row: dict, col: str, ln: int, required: bool) -> float | None:
        txt = (row.get(col) or "").strip()
        if not txt:
            if required:
                raise SystemExit(f"{path}, line {ln}: empty '{col}'")
            return None
        try:
            return float(txt)
        except ValueError:
            raise SystemExit(f"{path}, line {ln}: '{col}' = {txt!r} is not a number") from None

    out: dict[str, dict] = {}
    unmatched: list[str] = []
    for ln, row in enumerate(rows, start=2):
        name = (row["instance"] or "").strip()
        stem = name if name in stems else by_key.get(_instance_key(name))
        if stem is None:
            unmatched.append(name)
            continue
        if stem in out:
            raise SystemExit(f"{path}, line {ln}: a second row ({name!r}) for instance {stem}")
        peers = {}
        for peer, (c_cost, c_veh, c_sec) in PR_PEERS.items():
            cost, veh = num(row, c_cost, ln, False), num(row, c_veh, ln, False)
            sec = num(row, c_sec, ln, False) if c_sec else None
            peers[peer] = Run(
                cost,
                None if veh is None else int(veh),
                float("nan") if sec is None else sec,
                cost is not None and veh is not None,
                "published" if cost is not None else "no result",
            )
        out[stem] = {
            "bks": num(row, "bks", ln, True),
            "bks_vehicles": int(num(row, "bks_vehicles", ln, True) or 0),
            "peers": peers,
        }
    absent = [st for st in stems if st not in out]
    if absent or unmatched:
        raise SystemExit(
            f"{path} does not match the instance files: "
            + (f"no row for {', '.join(absent)}" if absent else "")
            + ("; " if absent and unmatched else "")
            + (f"rows matching no file: {', '.join(unmatched)}" if unmatched else "")
        )
    return out


# ----------------------------------------------------------------------------- summaries


def _gap(cost: float | None, ref: float | None) -> float | None:
    if cost is None or ref is None or ref <= 0:
        return None
    return 100.0 * (cost / ref - 1.0)


def _f(x: float | None, fmt: str = "{:.2f}") -> str:
    if x is None:
        return "–"
    out = fmt.format(x)
    return fmt.format(0.0) if float(out) == 0 else out


def _compare(a: Run | None, b: Run | None, vehicles_first: bool) -> int:
    """+1 if ``a`` is better than ``b``, 0 tie, -1 worse (infeasible is worst)."""
    fa, fb = bool(a and a.ok), bool(b and b.ok)
    if fa != fb:
        return 1 if fa else -1
    if not fa:
        return 0
    assert a is not None and b is not None and a.cost is not None and b.cost is not None
    if vehicles_first and a.vehicles != b.vehicles:
        return 1 if (a.vehicles or 0) < (b.vehicles or 0) else -1
    if abs(a.cost - b.cost) <= TIE * max(1.0, abs(b.cost)):
        return 0
    return 1 if a.cost < b.cost else -1


@dataclass
class Summary:
    """Per-solver aggregates over a family."""

    n: int = 0
    feasible: int = 0
    mean_gap: float | None = None
    max_gap: float | None = None
    max_seconds: float = 0.0
    veh_equal: int = 0
    veh_more: int = 0
    veh_less: int = 0
    veh_over_1: int = 0
    mean_gap_same_veh: float | None = None
    n_same_veh: int = 0
    within: dict[float, int] = field(default_factory=dict)


def summarize(rows: list[Row], pick: Callable[[Row], Run | None]) -> Summary:
    s = Summary(n=len(rows))
    gaps: list[float] = []
    same: list[float] = []
    for r in rows:
        run = pick(r)
        if run is None:
            continue
        s.max_seconds = max(s.max_seconds, run.seconds)
        if not run.ok:
            continue
        s.feasible += 1
        g = _gap(run.cost, r.bks)
        if g is not None:
            gaps.append(g)
        if r.bks_vehicles is not None and run.vehicles is not None:
            d = run.vehicles - r.bks_vehicles
            s.veh_equal += d == 0
            s.veh_more += d > 0
            s.veh_less += d < 0
            s.veh_over_1 += d > 1
            if d == 0 and g is not None:
                same.append(g)
    if same:
        s.mean_gap_same_veh, s.n_same_veh = float(np.mean(same)), len(same)
    if gaps:
        s.mean_gap = float(np.mean(gaps))
        s.max_gap = float(np.max(gaps))
        for t in (0.1, 0.5, 1.0, 2.0):
            s.within[t] = sum(g <= t + 1e-9 for g in gaps)
    return s


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _vehicles_within_one(h2, feas: str, all_ok: bool) -> list[str]:
    """Target row: vehicles ≤ BKS + 1 on every instance (E-VRPTW-100 and EVRPTW-PR)."""
    return [
        "vehicles ≤ BKS + 1 on every instance",
        f"{h2.veh_equal} equal, {h2.veh_less} fewer, {h2.veh_more - h2.veh_over_1} at +1, "
        f"{h2.veh_over_1} above +1 ({feas})",
        _met(all_ok and h2.veh_over_1 == 0),
    ]


def _gap_targets(
    h2: Summary, n: int, feas: str, all_ok: bool, *, mean_max: float, max_max: float, within: float
) -> list[list[str]]:
    """Target rows 'mean gap ≤ mean_max %' and 'no gap above max_max %' (G-VRP families)."""
    return [
        [
            f"mean gap ≤ {mean_max:g} %",
            f"{_f(h2.mean_gap, '{:.3f}')} % ({feas})",
            _met(all_ok and h2.mean_gap is not None and h2.mean_gap <= mean_max),
        ],
        [
            f"no gap above {max_max:g} %",
            f"max {_f(h2.max_gap, '{:.3f}')} %, {h2.within.get(within, 0)}/{n} within {within:g} %",
            _met(all_ok and h2.max_gap is not None and h2.max_gap <= max_max),
        ],
    ]


def _served_more(rows: list[Row]) -> str:
    """Why the G-VRP large gaps are not comparable where h2lane serves more customers than
    the BKS's source: the count of such instances, and the mean gap on the others."""
    more = [r for r in rows if r.bks_served is not None and r.n_customers > r.bks_served and r.h2]
    if not more:
        return ""
    extra = sorted(r.n_customers - (r.bks_served or 0) for r in more)
    skip = {r.name for r in more}
    same = [
        g
        for r in rows
        if r.name not in skip and r.h2 and r.h2.ok
        for g in [_gap(r.h2.cost, r.bks)]
        if g is not None
    ]
    text = (
        f"on {len(more)} of the {len(rows)} h2lane serves {extra[0]}–{extra[-1]} customers "
        "more than the BKS's source (n= in bks.csv), each on a long route of its own (the "
        "next table leaves them out to match the counts)"
    )
    if same:
        text += f"; on the {len(same)} with equal counts the mean gap is {np.mean(same):.3f} %"
    return text


def targets(fam: Family, rows: list[Row], h2: Summary, ort: Summary | None) -> list[list[str]]:
    """Rows ``[target, measured, verdict]`` for the issue's targets of this family."""
    n, tl = len(rows), fam.time_limit
    all_ok = h2.feasible == n
    feas = f"{h2.feasible}/{n} checker-feasible"
    out: list[list[str]] = []
    if fam.key == "emh":
        out += _gap_targets(h2, n, feas, all_ok, mean_max=0.1, max_max=0.5, within=0.5)
        out.append(
            [
                f"≤ {tl:g} s each",
                f"max {h2.max_seconds:.2f} s",
                _met(h2.max_seconds <= tl * TIME_TOL),
            ]
        )
    elif fam.key in ("emh-large", "emh-large-n"):
        gaps = _gap_targets(h2, n, feas, all_ok, mean_max=1.0, max_max=2.5, within=2.0)
        if fam.key == "emh-large":
            why = _served_more(rows)
            for row in gaps:
                if row[2] != "met" and why:
                    row[1] += f" (what limits it: {why})"
        out += gaps
        out.append(
            [
                "≤ 120 s each",
                f"max {h2.max_seconds:.1f} s at a limit of {tl:g} s",
                _met(h2.max_seconds <= 120.0 * TIME_TOL),
            ]
        )
    elif fam.key == "evrptw-small":
        out.append(
            [
                "BKS vehicle count on every instance",
                f"{h2.veh_equal} equal, {h2.veh_less} fewer, {h2.veh_more} more ({feas})",
                _met(all_ok and h2.veh_more == 0),
            ]
        )
        out.append(
            [
                "mean distance gap ≤ 0.5 %",
                f"{_f(h2.mean_gap, '{:.3f}')} % (max {_f(h2.max_gap, '{:.3f}')} %; "
                f"{_f(h2.mean_gap_same_veh, '{:.3f}')} % on the {h2.n_same_veh} with BKS vehicles)",
                _met(all_ok and h2.mean_gap is not None and h2.mean_gap <= 0.5),
            ]
        )
    elif fam.key == "evrptw-100":
        out.append(_vehicles_within_one(h2, feas, all_ok))
        out.append(
            [
                "mean distance gap ≤ 2 %",
                f"{_f(h2.mean_gap, '{:.3f}')} % (max {_f(h2.max_gap, '{:.3f}')} %; "
                f"{_f(h2.mean_gap_same_veh, '{:.3f}')} % on the {h2.n_same_veh} with BKS vehicles)",
                _met(all_ok and h2.mean_gap is not None and h2.mean_gap <= 2.0),
            ]
        )
        out.append(
            [
                f"≤ {tl:g} s each",
                f"max {h2.max_seconds:.1f} s",
                _met(h2.max_seconds <= tl * TIME_TOL),
            ]
        )
    elif fam.key == "evrptw-pr":
        out.append(_vehicles_within_one(h2, feas, all_ok))
        out.append(
            [
                "mean distance gap ≤ 2 % on the instances at BKS vehicles",
                f"{_f(h2.mean_gap_same_veh, '{:.3f}')} % on the {h2.n_same_veh} with BKS "
                f"vehicles (all: mean {_f(h2.mean_gap, '{:.3f}')} %, "
                f"max {_f(h2.max_gap, '{:.3f}')} %; {feas})",
                _met(all_ok and h2.mean_gap_same_veh is not None and h2.mean_gap_same_veh <= 2.0),
            ]
        )
        out.append(ahead_of_published(rows, "RoutingBlocks", "RoutingBlocks ALNS result"))
    elif fam.key == "cec":
        out.append(
            [
                "mean gap ≤ 0.5 %",
                f"{_f(h2.mean_gap, '{:.3f}')} % (max {_f(h2.max_gap, '{:.3f}')} %, {feas})",
                _met(all_ok and h2.mean_gap is not None and h2.mean_gap <= 0.5),
            ]
        )
    if ort is not None:
        out.append(ahead_row(fam, rows, h2, ort))
    return out


def ahead_of_published(rows: list[Row], peer: str, what: str) -> list[str]:
    """'Ahead of a published result on ≥ half of the instances' (vehicles, then distance).

    The measured figure also says on how many instances the peer already holds the best known
    result (the BKS at its vehicles, or the best of the other published peers): there, being
    ahead means finding a new best-known solution, so they bound what the target can reach.
    """
    wins = ties = losses = 0
    at_best = 0
    for r in rows:
        theirs = r.peers.get(peer)
        c = _compare(r.h2, theirs, True)
        wins += c > 0
        ties += c == 0
        losses += c < 0
        known = [p for k, p in r.peers.items() if k != peer and p.ok]
        if r.bks is not None and r.bks_vehicles is not None:
            known.append(Run(r.bks, r.bks_vehicles, ok=True))
        if theirs is not None and theirs.ok and all(_compare(k, theirs, True) <= 0 for k in known):
            at_best += 1
    n = len(rows)
    measured = f"h2lane ahead on {wins}, tied {ties}, behind {losses} of {n}"
    if n and 2 * wins < n:
        measured += (
            f" (what limits it: {peer} already equals or beats every known result "
            f"on {at_best} of the {n}, where being ahead needs a new best-known solution, so "
            f"at most {n - at_best} can be won without one; the rest is search quality: "
            "see the distance gaps above)"
        )
    return [
        f"ahead of the {what} on ≥ half of the instances (vehicles first, then distance)",
        measured,
        _met(n > 0 and 2 * wins >= n),
    ]


def ahead_row(fam: Family, rows: list[Row], h2: Summary, ort: Summary) -> list[str]:
    """'Ahead of OR-Tools at equal time': no instance worse, and a better family mean."""
    wins = ties = losses = 0
    for r in rows:
        c = _compare(r.h2, r.ort, fam.vehicles_first)
        wins += c > 0
        ties += c == 0
        losses += c < 0
    both = [
        (r.h2, r.ort, r.bks)
        for r in rows
        if r.h2 and r.ort and r.h2.ok and r.ort.ok and r.bks is not None
    ]
    mh = float(np.mean([_gap(a.cost, b) for a, _, b in both])) if both else None
    mo = float(np.mean([_gap(o.cost, b) for _, o, b in both])) if both else None
    better_mean = mh is not None and mo is not None and mh < mo - 1e-9
    extra = ""
    if fam.vehicles_first and both:
        vh = sum(a.vehicles or 0 for a, _, _ in both)
        vo = sum(o.vehicles or 0 for _, o, _ in both)
        better_mean = vh < vo or (vh == vo and better_mean)
        extra = f"; vehicles {vh} vs {vo}"
    ok = losses == 0 and (better_mean or (wins > 0 and h2.feasible > ort.feasible))
    return [
        "ahead of OR-Tools at equal time",
        f"h2lane better on {wins}, tied {ties}, worse {losses} of {len(rows)}; mean gap on "
        f"{len(both)} both-feasible: {_f(mh, '{:.3f}')} % vs {_f(mo, '{:.3f}')} %{extra}; "
        f"OR-Tools feasible {ort.feasible}/{ort.n}",
        _met(ok),
    ]


# ----------------------------------------------------------------------------- output


def _columns(
    fam_vf: bool,
    with_h2: bool,
    with_ort: bool,
    peers: tuple[str, ...] = (),
    partial: bool = False,
) -> list[str]:
    cols = ["instance", "n", "BKS"] + (["BKS veh"] if fam_vf else [])
    if with_h2:
        cols += ["h2lane", "gap %", "veh", "s", "checker"]
        if partial:
            cols.append("partial stops")
    if with_ort:
        cols += ["OR-Tools", "gap %", "veh", "s", "checker"]
    for peer in peers:
        cols += [peer, "gap %", "veh"] + ([f"h2lane vs {peer}"] if with_h2 else [])
    return cols


def _cells(
    r: Row,
    fam_vf: bool,
    with_h2: bool,
    with_ort: bool,
    peers: tuple[str, ...] = (),
    partial: bool = False,
) -> list[str]:
    out = [r.name, str(r.n_customers), _f(r.bks)]
    if fam_vf:
        out.append("–" if r.bks_vehicles is None else str(r.bks_vehicles))
    for run, use, is_h2 in ((r.h2, with_h2, True), (r.ort, with_ort, False)):
        if not use:
            continue
        if run is None:
            out += ["–"] * (6 if partial and is_h2 else 5)
            continue
        gap = _gap(run.cost, r.bks) if run.ok else None
        out += [
            _f(run.cost) if run.ok else ("–" if run.cost is None else f"({run.cost:.2f})"),
            _f(gap, "{:+.2f}"),
            "–" if run.vehicles is None else str(run.vehicles),
            f"{run.seconds:.1f}",
            run.verdict,
        ]
        if partial and is_h2:
            out.append(
                "–" if run.charge_stops is None else f"{run.partial_stops}/{run.charge_stops}"
            )
    for peer in peers:
        ref = r.peers.get(peer)
        ok = bool(ref and ref.ok)
        out += [
            _f(ref.cost) if ok and ref else "–",
            _f(_gap(ref.cost, r.bks), "{:+.2f}") if ok and ref else "–",
            "–" if not ref or ref.vehicles is None else str(ref.vehicles),
        ]
        if with_h2:
            c = _compare(r.h2, ref, fam_vf)
            out.append("ahead" if c > 0 else "tied" if c == 0 else "behind")
    return out


def rich_table(title: str, cols: list[str], rows: list[list[str]]) -> Table:
    t = Table(title=title, show_lines=False)
    for i, c in enumerate(cols):
        t.add_column(c, justify="left" if i == 0 or c == "checker" else "right")
    for r in rows:
        t.add_row(
            *[("[red]" + c + "[/]") if c.startswith(("INFEAS", "NOT", "error")) else c for c in r]
        )
    return t


def md_table(cols: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---" for _ in cols) + "|",
        *("| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows),
    ]


def _block(key: str, lines: list[str], summary: list[list[str]], title: str) -> str:
    data = json.dumps({"title": title, "targets": summary}, ensure_ascii=False)
    return "\n".join(
        [f"<!-- block:{key} -->", f"<!-- summary:{data} -->", *lines, f"<!-- /block:{key} -->"]
    )


def _existing_blocks() -> dict[str, str]:
    if not RESULT_FILE.exists():
        return {}
    text = RESULT_FILE.read_text(encoding="utf-8")
    pat = re.compile(r"<!-- block:([\w-]+) -->.*?<!-- /block:\1 -->", re.S)
    return {m[1]: m[0] for m in pat.finditer(text)}


INTRO = """## Refuelling vehicle routing (issue 3)

h2lane's `solve_vrp` (`h2lane/routing/vrp/solver.py`) against the peer a user would reach for:
OR-Tools routing with a fuel dimension and duplicated station nodes (`benchmarks/ortools_peer.py`).
Both get the same time limit, one after the other in the same run; every result is replayed by
the independent checker `h2lane.routing.vrp.checker.check_solution`, and only checker-feasible
results get a cost and a gap. Gap = 100 × (distance / BKS − 1) (for E-VRPTW the distance gap,
vehicles shown separately; the objective there is vehicles first). BKS sources and conventions:
`../shared/benchmarks/*/PROVENANCE.md` (G-VRP with TL = 10.75 h, 30 min service, 15 min refuel;
E-VRPTW recharge to full taking g × (Q − level); CEC charging to full instantly at stations and
the depot). "n" = customers to serve, "veh" = routes, "s" = wall time of the solve call
(OR-Tools: model building + search; OR-Tools checks its limit between local-search moves and
can overrun it on the largest instances, reported as measured); a cost in parentheses belongs
to an infeasible result. A negative gap is a checker-feasible solution shorter than the BKS
under the conventions above. EVRPTW-PR (partial recharging on the E-VRPTW files) has its own
BKS table and no OR-Tools run (the peer recharges to full); published results stand in as
peers there (see its block).

**OR-Tools peer** (9.15, Python routing library): k copies of every station as optional nodes
(k = clip(⌈customers / (2 stations)⌉ + 1, 3, 12), doubled up to 12 when the start solution
cannot serve every customer); a fuel dimension whose cumul is the energy used since the last
refill (transit into a station copy lowered by the tank size, the copy's cumul fixed at 0:
exact range, no over-filling); a time dimension with service, 15 min stops, windows and a span
limit, plus for E-VRPTW the recharge time g × (energy used) as a CP side constraint on the time
slack; a load dimension; distance ×1000 as arc cost and, for E-VRPTW, a per-vehicle fixed cost
above any total distance; customers in large-penalty disjunctions (a dropped customer makes the
result infeasible). `PARALLEL_CHEAPEST_INSERTION`, one-customer routes for customers it cannot
insert, then `GUIDED_LOCAL_SEARCH` to the time limit. Details in the module docstring."""


def write_results(new_blocks: dict[str, str]) -> Path:
    blocks = _existing_blocks()
    blocks.update(new_blocks)
    overview: list[list[str]] = []
    for key in BLOCK_ORDER:
        if key not in blocks:
            continue
        m = re.search(r"<!-- summary:(.*?) -->", blocks[key])
        if not m:
            continue
        info = json.loads(m[1])
        for tgt, measured, verdict in info["targets"]:
            overview.append([info["title"], tgt, measured, verdict])
    parts = [INTRO, ""]
    if overview:
        parts += ["### Targets", ""]
        parts += md_table(["family", "target", "measured", "verdict"], overview)
        parts.append("")
    parts += [blocks[k] + "\n" for k in BLOCK_ORDER if k in blocks]
    return write_section("vrp", "\n".join(parts))


# ----------------------------------------------------------------------------- families


def _prepare(path: Path, fam: Family, rec: dict | None) -> tuple[VRPInstance, int, str]:
    """The instance of ``path`` as the family runs it, its servable customer count, and the
    customers left out to match the BKS count (``""`` when none)."""
    from h2lane.routing.vrp.instances import find_unservable, read_instance

    inst = read_instance(path, fam.fmt)
    if not fam.full_refuel:
        inst.full_refuel = False
        find_unservable(inst)  # partial charging can only make more customers servable
    dropped = match_bks_count(inst, rec) if fam.match_bks_count else ""
    n_cust = int(np.sum(inst.kinds == CUSTOMER)) - len(inst.unservable)
    return inst, n_cust, dropped


WARM_UP_S = 2.0
"""Seconds of the warm-up solve (:func:`_warm_up`)."""


def _warm_up(solve: Callable, path: Path, fam: Family, rec: dict | None, seed: int) -> float:
    """Solve ``path`` briefly and untimed so that the process has compiled (or loaded from
    numba's cache) every kernel the family uses: otherwise the first timed run of a process
    pays for it inside its time limit. Returns the seconds it took."""
    t = time.perf_counter()
    inst, _n, _dropped = _prepare(path, fam, rec)
    solve(inst, WARM_UP_S, seed=seed)
    return time.perf_counter() - t


def _warm_worker(path: Path, key: str, rec: dict | None, seed: int) -> None:
    """Pool initializer of ``--jobs``: the warm-up in each worker process."""
    solve, _why = _load_h2lane()
    if solve is not None:
        _warm_up(solve, path, FAMILIES[key], rec, seed)


def _h2lane_job(path: Path, key: str, rec: dict | None, tl: float, seed: int) -> Run:
    """One h2lane run of family ``key`` in a worker process (``--jobs``)."""
    solve, why = _load_h2lane()
    if solve is None:
        return Run(verdict=f"error: {why}")
    inst, _n, _dropped = _prepare(path, FAMILIES[key], rec)
    return run_h2lane(solve, inst, tl, seed)


def _h2lane_pooled(
    files: list[Path],
    fam: Family,
    bks: dict,
    tl: float,
    args: argparse.Namespace,
    prog: Progress,
    task: TaskID,
) -> dict[str, Run]:
    """h2lane's runs of ``files``, ``args.jobs`` instances at a time in worker processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    out: dict[str, Run] = {}
    ctx = multiprocessing.get_context("spawn")
    warm = (files[0], fam.key, bks.get(files[0].stem), args.seed)
    with ProcessPoolExecutor(
        max_workers=args.jobs, mp_context=ctx, initializer=_warm_worker, initargs=warm
    ) as pool:
        futures = {
            pool.submit(_h2lane_job, p, fam.key, bks.get(p.stem), tl, args.seed): p.stem
            for p in files
        }
        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            prog.update(task, description=f"{fam.key} h2lane ({args.jobs} at a time)")
            prog.advance(task)
    return out


def run_family(
    fam: Family,
    args: argparse.Namespace,
    solve: Callable | None,
    why_no_h2: str,
    console: Console,
) -> tuple[list[Row], list[list[str]], str]:
    from h2lane.routing.vrp.instances import load_bks

    folder = BENCH / fam.folder
    files = fam.files(folder)
    n_all = len(files)
    if fam.bks_file == "bks.csv":
        bks = load_bks(folder)
    else:  # a separate table (another problem variant): every file must have its row
        bks = load_partial_bks(folder / fam.bks_file, [p.stem for p in files])
    peers = tuple(PR_PEERS) if fam.bks_file != "bks.csv" else ()
    if args.quick:
        files = files[:3]
    if args.instances:
        files = files[: args.instances]
    tl = 2.0 if args.quick and args.time_limit is None else (args.time_limit or fam.time_limit)
    fam = dataclasses.replace(fam, time_limit=tl)
    with_ort = fam.ortools and not args.no_ortools
    rows: list[Row] = []
    left_out: list[str] = []
    per = int(solve is not None) + int(with_ort)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as prog:
        task = prog.add_task(fam.key, total=len(files) * per)
        pooled: dict[str, Run] = {}
        if solve is not None and args.jobs > 1:
            pooled = _h2lane_pooled(files, fam, bks, tl, args, prog, task)
        elif solve is not None and files:
            prog.update(task, description=f"{fam.key} warm-up (untimed)")
            _warm_up(solve, files[0], fam, bks.get(files[0].stem), args.seed)
        for path in files:
            rec = bks.get(path.stem)
            inst, n_cust, dropped = _prepare(path, fam, rec)
            if dropped:
                left_out.append(f"{path.stem}: {dropped}")
            h2 = ort = None
            if path.stem in pooled:
                h2 = pooled[path.stem]
            elif solve is not None:
                prog.update(task, description=f"{fam.key} {path.stem} h2lane")
                h2 = run_h2lane(solve, inst, tl, args.seed)
                prog.advance(task)
            if with_ort:
                prog.update(task, description=f"{fam.key} {path.stem} OR-Tools")
                ort = run_ortools(inst, tl, args.seed)
                prog.advance(task)
            rows.append(
                Row(
                    path.stem,
                    n_cust,
                    rec["bks"] if rec else None,
                    _bks_vehicles(rec),
                    h2,
                    ort,
                    dict(rec.get("peers", {})) if rec else {},
                    _bks_served(rec),
                )
            )
    partial = not fam.full_refuel and solve is not None
    cols = _columns(fam.vehicles_first, solve is not None, with_ort, peers, partial)
    cells = [
        _cells(r, fam.vehicles_first, solve is not None, with_ort, peers, partial) for r in rows
    ]
    h2s = summarize(rows, lambda r: r.h2)
    ors = summarize(rows, lambda r: r.ort) if with_ort else None
    summary_rows: list[list[str]] = []
    if solve is not None:
        summary_rows = targets(fam, rows, h2s, ors)
    stats = _stats_rows(fam, h2s if solve is not None else None, ors)
    for peer in peers:
        ps = summarize(rows, lambda r, peer=peer: r.peers.get(peer))
        stats += _stats_rows(fam, None, None, [(f"{peer} (published)", ps)])
    notes: list[str] = []
    if not fam.ortools:
        notes.append(
            "The OR-Tools peer (`benchmarks/ortools_peer.py`) models only full recharging, so it "
            "is not run on this family. The published results of the RoutingBlocks example ALNS "
            "(archive INFORMSJoC/2023.0104: one run per instance, 5000 iterations, "
            'runtime in seconds on its authors\' machine, max shown under "max s") and the best '
            "results of Schiffer et al. (2017), both from `bks_partial_recharge.csv`, are shown "
            "as the reference peers instead (their cost, gap to the BKS and vehicles; "
            '"h2lane vs" compares vehicles first, then distance).'
        )
    if fam.match_bks_count:
        notes.append(
            "h2lane's unservable test (exact for these files: full refuels, no time windows, "
            "10.75 h) finds more servable customers on 250c–500c than the BKS's source served "
            "(its `n=` in `bks.csv`), and each extra one needs a route of its own of 10.5–10.7 h "
            "(about 380–395 mi, 3.5–8 % of the BKS). Which customers the source left out is not "
            "published; here the ones with the longest shortest route of their own are left "
            "out (marked unservable, so the checker rejects a plan that serves them) until the "
            "counts match, and the solvers run on that instance. Left out (label, shortest "
            "solo-route hours): " + ("; ".join(left_out) or "none") + "."
        )
    if not fam.full_refuel:
        notes.insert(
            0,
            "Partial recharging: the E-VRPTW files are read with `inst.full_refuel = False`, so "
            "a station charges any amount, taking g × amount; objective vehicles first, then "
            "distance. BKS and BKS vehicles from `evrptw_schneider/bks_partial_recharge.csv` "
            "(Erdelić 2022, as tabulated in INFORMSJoC/2023.0104), never from `bks.csv`. "
            "h2lane's routes are checked with its refuel amounts, departures and queue waits.",
        )
    if partial:
        feas = [r.h2 for r in rows if r.h2 and r.h2.ok and r.h2.charge_stops is not None]
        used = sum((run.partial_stops or 0) > 0 for run in feas)
        n_part = sum(run.partial_stops or 0 for run in feas)
        n_stop = sum(run.charge_stops or 0 for run in feas)
        notes.append(
            f"Partial charging is active: on {used} of {len(feas)} checker-feasible h2lane "
            f"solutions some charging stop leaves the battery below full ({n_part} of "
            f'{n_stop} charging stops overall; column "partial stops" = stops ending below '
            "full / charging stops, replayed from `sol.refuel_amounts` and the tank)."
        )
    console.print(rich_table(f"{fam.title}, {tl:g} s per solver", cols, cells))
    console.print(rich_table("summary", STATS_COLS, stats))
    for note in notes:
        console.print(note)
    if summary_rows:
        console.print(
            rich_table("targets (issue 3)", ["target", "measured", "verdict"], summary_rows)
        )
    elif solve is None:
        console.print(f"[yellow]h2lane solver not importable ({why_no_h2}): OR-Tools only.[/]")
    cmd = "python benchmarks/bench_vrp.py " + " ".join(sys.argv[1:])
    lines = [
        f"### {fam.title}",
        "",
        f"Machine: {machine()}. Date: {today()}. Command: `{cmd.strip()}`. "
        f"Time limit {tl:g} s per instance and solver; h2lane seed {args.seed}; "
        f"{len(rows)} of {n_all} instances"
        + (
            f"; before the timed runs each h2lane process solved {files[0].stem} for "
            f"{WARM_UP_S:g} s untimed (its kernels compiled or loaded from the cache)"
            if solve is not None and files
            else ""
        )
        + (
            f"; h2lane solved {args.jobs} instances at a time, one process per core "
            f"(load average at the end {os.getloadavg()[0]:.2f})."
            if args.jobs > 1 and solve is not None
            else "."
        ),
        "",
    ]
    if solve is None:
        only = "OR-Tools only" if with_ort else "published peers only"
        lines += [f"**h2lane's solver was not importable ({why_no_h2}); {only}.**", ""]
    for note in notes:
        lines += [note, ""]
    lines += [*md_table(cols, cells), ""]
    lines += md_table(STATS_COLS, stats)
    if summary_rows:
        lines += ["", *md_table(["target", "measured", "verdict"], summary_rows)]
    return rows, summary_rows, _block(fam.key, lines, summary_rows, fam.title)


def match_bks_count(inst: VRPInstance, rec: dict | None) -> str:
    """Mark unservable the customers with the longest shortest solo route until the servable
    count equals the ``n=… customers served`` of the BKS note; describe the ones left out."""
    from h2lane.routing.vrp.instances import _earliest_return

    served = _bks_served(rec)
    if served is None:
        return ""
    unservable = {int(c) for c in inst.unservable}
    servable = [int(c) for c in inst.customers if int(c) not in unservable]
    extra = len(servable) - served
    if extra <= 0:
        return ""
    hours = _earliest_return(inst, windows=False)
    drop = sorted(servable, key=lambda c: (-hours[c], c))[:extra]
    inst.unservable = sorted(unservable | set(drop))
    return ", ".join(f"{inst.labels[c]} {hours[c]:.2f} h" for c in drop)


def _stats_rows(
    fam: Family,
    h2: Summary | None,
    ort: Summary | None,
    others: list[tuple[str, Summary]] | None = None,
) -> list[list[str]]:
    out = []
    for name, s in [("h2lane", h2), ("OR-Tools", ort), *(others or [])]:
        if s is None:
            continue
        veh = f"{s.veh_equal}/{s.veh_less}/{s.veh_more}" if fam.vehicles_first else "–"
        out.append(
            [
                name,
                f"{s.feasible}/{s.n}",
                _f(s.mean_gap, "{:.3f}"),
                _f(s.max_gap, "{:.3f}"),
                *(f"{s.within.get(t, 0)}" for t in (0.1, 0.5, 2.0)),
                veh,
                _f(s.mean_gap_same_veh, "{:.3f}") if fam.vehicles_first else "–",
                f"{s.max_seconds:.1f}" if s.max_seconds > 0 else "–",
            ]
        )
    return out


# ----------------------------------------------------------------------------- scaling


SCALING_SIZES = (200, 500, 1000)
SCALING_TL = {200: 60.0, 500: 120.0, 1000: 240.0}


def make_gvrp_like(n_customers: int, seed: int = 0) -> VRPInstance:
    """Random G-VRP instance with EMH parameters, every customer servable.

    Depot at the centre of a 240 × 240 mile square, customers uniform in the square, stations
    on a g × g grid (cell centres; g = 3, 4, 5 for up to 200, 500, more customers). EMH
    parameters unchanged: tank 60 gal, 0.2 gal/mi (300-mile range), 40 mph, 0.5 h service,
    0.25 h refuel to full, depot refuels, route limit 10.75 h, free fleet, Euclidean miles.
    The square is sized so that the farthest corner (170 mi from the depot) is out of round-trip
    range but servable via a station within 10.75 h; customers that
    :func:`~h2lane.routing.vrp.instances.find_unservable` still rejects are redrawn.
    """
    from h2lane.routing.vrp.instances import find_unservable

    rng = np.random.default_rng([seed, n_customers])
    side = 240.0
    g = 3 if n_customers <= 200 else 4 if n_customers <= 500 else 5
    cells = (np.arange(g) + 0.5) * side / g
    sx, sy = np.meshgrid(cells, cells)
    st = np.column_stack([sx.ravel(), sy.ravel()])
    cust = rng.uniform(0.0, side, (n_customers, 2))
    for _ in range(20):
        xy = np.vstack([[side / 2, side / 2], st, cust])
        kinds = np.array([DEPOT] + [STATION] * len(st) + [CUSTOMER] * n_customers, dtype=np.int8)
        n = len(xy)
        inst = VRPInstance(
            name=f"gvrp-like-{n_customers}",
            kinds=kinds,
            labels=["D"]
            + [f"F{i}" for i in range(len(st))]
            + [f"C{i + 1}" for i in range(n_customers)],
            x=xy[:, 0].copy(),
            y=xy[:, 1].copy(),
            dist=np.hypot(xy[:, 0, None] - xy[None, :, 0], xy[:, 1, None] - xy[None, :, 1]),
            speed=40.0,
            demand=np.zeros(n),
            service=np.where(kinds == CUSTOMER, 0.5, 0.0),
            ready=np.zeros(n),
            due=np.full(n, np.inf),
            tank=60.0,
            consumption=0.2,
            max_duration=10.75,
            refuel_fixed=0.25,
            full_refuel=True,
            depot_refuels=True,
            objective="distance",
            distance_unit="mi",
            time_unit="h",
        )
        bad = find_unservable(inst)
        if not bad:
            return inst
        first = 1 + len(st)
        for b in bad:
            cust[b - first] = rng.uniform(0.0, side, 2)
    raise RuntimeError("could not draw a fully servable instance")


def run_scaling(
    args: argparse.Namespace, solve: Callable | None, why: str, console: Console
) -> str:
    sizes = args.sizes or ((200,) if args.quick else SCALING_SIZES)
    with_ort = not args.no_ortools
    rows: list[list[str]] = []
    summary: list[list[str]] = []
    per = int(solve is not None) + int(with_ort)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as prog:
        task = prog.add_task("scaling", total=len(sizes) * per)
        if solve is not None and sizes:  # untimed: kernels compiled before the first run
            prog.update(task, description="scaling warm-up (untimed)")
            solve(make_gvrp_like(min(sizes), args.seed), WARM_UP_S, seed=args.seed)
        for n in sizes:
            tl = (
                2.0
                if args.quick and args.time_limit is None
                else (args.time_limit or SCALING_TL.get(n, 120.0))
            )
            inst = make_gvrp_like(n, args.seed)
            h2 = ort = None
            if solve is not None:
                prog.update(task, description=f"scaling {n} h2lane")
                h2 = run_h2lane(solve, inst, tl, args.seed)
                prog.advance(task)
            if with_ort:
                prog.update(task, description=f"scaling {n} OR-Tools")
                ort = run_ortools(inst, tl, args.seed)
                prog.advance(task)
            gap = _gap(h2.cost, ort.cost) if h2 and ort and h2.ok and ort.ok else None
            row = [str(n), f"{int(np.sum(inst.kinds == STATION))}", f"{tl:g}"]
            for run in (h2, ort):
                row += (
                    ["–"] * 4
                    if run is None
                    else [
                        _f(run.cost) if run.ok else "–",
                        "–" if run.vehicles is None else str(run.vehicles),
                        f"{run.seconds:.1f}",
                        run.verdict,
                    ]
                )
            row.append(_f(gap, "{:+.2f}"))
            rows.append(row)
            if gap is not None or (h2 and ort):
                c = _compare(h2, ort, False)
                summary.append(
                    [
                        f"{n} customers: h2lane vs OR-Tools",
                        f"{_f(gap, '{:+.2f}')} %",
                        "ahead" if c > 0 else "tie" if c == 0 else "behind",
                    ]
                )
    cols = [
        "customers",
        "stations",
        "limit s",
        "h2lane",
        "veh",
        "s",
        "checker",
        "OR-Tools",
        "veh",
        "s",
        "checker",
        "h2lane vs OR-Tools %",
    ]
    console.print(rich_table("G-VRP-like scaling", cols, rows))
    if solve is None:
        console.print(f"[yellow]h2lane solver not importable ({why}): OR-Tools only.[/]")
    cmd = "python benchmarks/bench_vrp.py " + " ".join(sys.argv[1:])
    lines = [
        "### Scaling: random G-VRP-like instances (no BKS)",
        "",
        f"Machine: {machine()}. Date: {today()}. Command: `{cmd.strip()}`. Seed {args.seed}.",
        "Generator `make_gvrp_like` in `benchmarks/bench_vrp.py`: depot at the centre of a",
        "240 × 240 mile square, customers uniform, stations on a 3×3 / 4×4 / 5×5 grid, EMH",
        "parameters (300-mile range, 40 mph, 0.5 h service, 0.25 h refuel, 10.75 h routes),",
        "Euclidean miles, all customers servable. Last column: h2lane's distance relative to",
        "OR-Tools' (negative = h2lane shorter).",
        "",
        *md_table(cols, rows),
    ]
    return _block("scaling", lines, summary, "Scaling (G-VRP-like, 200–1000 customers)")


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", default="all", choices=[*FAMILIES, "all"])
    ap.add_argument(
        "--time-limit", type=float, default=None, help="seconds per instance and solver"
    )
    ap.add_argument("--instances", type=int, default=None, help="only the first N instances")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="h2lane instances solved at a time in worker processes (one per core at most)",
    )
    ap.add_argument("--no-ortools", action="store_true")
    ap.add_argument("--quick", action="store_true", help="2 s, first 3 instances, write nothing")
    ap.add_argument(
        "--write",
        action="store_true",
        help="replace this run's blocks of benchmarks/results/vrp.md and rebuild RESULTS.md",
    )
    ap.add_argument("--scaling", action="store_true", help="random 200/500/1000-customer study")
    ap.add_argument(
        "--sizes",
        type=lambda t: tuple(int(x) for x in t.split(",")),
        default=None,
        help="customer counts for --scaling, e.g. 200,500 (default 200,500,1000)",
    )
    args = ap.parse_args(argv)
    if args.write and args.quick:
        ap.error("--write records full runs only; drop --quick")
    if args.jobs < 1:
        ap.error(f"--jobs must be at least 1, not {args.jobs}")
    console = Console(width=None if sys.stdout.isatty() else 200)
    if not BENCH.is_dir():
        console.print(f"Benchmark data not found at {BENCH}: skipping the VRP benchmark.")
        return 0
    if not args.no_ortools and importlib.util.find_spec("ortools") is None:
        console.print(
            'OR-Tools is not installed (pip install -c constraints.txt -e ".[bench]"): '
            "running h2lane only, as with --no-ortools.",
            style="yellow",
            markup=False,
        )
        args.no_ortools = True
    solve, why = _load_h2lane()
    if solve is None:
        console.print(
            f"[yellow]h2lane's solve_vrp is not importable ({why}); running OR-Tools only.[/]"
        )
        if args.no_ortools:
            console.print("Nothing to run (--no-ortools without h2lane).")
            return 0
    blocks: dict[str, str] = {}
    if args.scaling:
        blocks["scaling"] = run_scaling(args, solve, why, console)
    else:
        keys = list(FAMILIES) if args.family == "all" else [args.family]
        for key in keys:
            fam = FAMILIES[key]
            if not (BENCH / fam.folder).is_dir():
                console.print(f"{BENCH / fam.folder} not found: skipping {key}.")
                continue
            _, _, blocks[key] = run_family(fam, args, solve, why, console)
    if args.write and blocks:
        out = write_results(blocks)
        console.print(f"Wrote {RESULT_FILE} and {out}.")
    elif blocks:
        console.print("Results not written (add --write to record them in benchmarks/results/).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
