"""Arc-cover / path-cover MILP on HiGHS (Capar & Kuby 2012; Capar et al. 2013).

Variables: ``x_k ∈ {0,1}`` open candidate k (existing sites fixed at 1), ``y_r ∈ [0,1]``
route r served. Rows: for every arc-cover set C of route r, ``Σ_{k∈C} x_k − y_r ≥ 0``; for a
flow with several routes (deviation model) ``Σ_r y_r ≤ 1``. With binary x the y are 0/1 at an
optimum, so they stay continuous.

Models:

* **max-flow** — ``Σ x_k = p`` new stations, maximise ``Σ_r f_q w_r y_r``;
* **min-stations** — minimise ``Σ cost_k x_k`` subject to ``Σ_r f_q w_r y_r ≥ target``;
* **capacitated** (after Upchurch, Kuby & Lim 2009) — each open site takes one size class s
  (``Σ_s u_{ks} = x_k``); route r's daily hydrogen ``h_q y_r`` is supplied by open sites on its
  path (``Σ_k z_{rk} = h_q y_r``) within capacity (``Σ_r z_{rk} ≤ Σ_s cap_s u_{ks}``); y may be
  fractional (part of a flow served). Ties in served flow go to the cheaper sizes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from numpy.typing import NDArray

from h2lane.siting.problem import SitingProblem, SizeClass
from h2lane.siting.reduce import reduce

_banner_lock = threading.Lock()
_banner_done = False


def _new_highs() -> highspy.Highs:
    """A ``Highs`` instance; the first of the process is built with fd 1 muted (its banner)."""
    global _banner_done
    with _banner_lock:
        if _banner_done:
            return highspy.Highs()
        _banner_done = True
        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError, AttributeError):
            return highspy.Highs()
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
            finally:
                os.close(devnull)
            highs = highspy.Highs()
            with contextlib.suppress(Exception):
                ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        return highs


@dataclass(slots=True)
class MilpResult:
    """What HiGHS returned, in problem terms."""

    open_mask: NDArray
    route_value: NDArray  # y per route
    objective: float
    bound: float
    mip_gap: float
    status: str
    seconds: float
    optimal: bool
    size_of: dict[int, int] = field(default_factory=dict)  # candidate → size class index
    supply: dict[int, float] = field(default_factory=dict)  # candidate → kg/day supplied
    rows: int = 0
    columns: int = 0
    removed_candidates: int = 0  # dominated candidates left out of the model
    merged_routes: int = 0  # routes served together with an equal one


class _Model:
    """Rows and columns collected before one ``passModel``."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []
        self.ptr: list[int] = [0]
        self.idx: list[int] = []
        self.val: list[float] = []

    def col(self, cost: float, lo: float, hi: float, integer: bool = False) -> int:
        self.cost.append(cost)
        self.lower.append(lo)
        self.upper.append(hi)
        self.integer.append(1 if integer else 0)
        return len(self.cost) - 1

    def row(self, cols: list[int], vals: list[float], lo: float, hi: float) -> None:
        self.idx.extend(cols)
        self.val.extend(vals)
        self.ptr.append(len(self.idx))
        self.row_lo.append(lo)
        self.row_hi.append(hi)

    def highs(self, maximize: bool, time_limit: float, gap: float, threads: int) -> highspy.Highs:
        h = _new_highs()
        for name, value in (
            ("output_flag", False),
            ("log_to_console", False),
            ("time_limit", float(time_limit)),
            ("mip_rel_gap", float(gap)),
            ("threads", int(threads)),
            ("random_seed", 1),
        ):
            h.setOptionValue(name, value)
        inf = highspy.kHighsInf
        h.passModel(
            len(self.cost),
            len(self.row_lo),
            len(self.idx),
            2,  # row-wise matrix
            -1 if maximize else 1,
            0.0,
            np.asarray(self.cost, dtype=float),
            np.asarray(self.lower, dtype=float),
            np.clip(np.asarray(self.upper, dtype=float), -inf, inf),
            np.asarray(self.row_lo, dtype=float),
            np.asarray(self.row_hi, dtype=float),
            np.asarray(self.ptr, dtype=np.int32),
            np.asarray(self.idx, dtype=np.int32),
            np.asarray(self.val, dtype=float),
            np.asarray(self.integer, dtype=np.int32),
        )
        return h


def solve(
    prob: SitingProblem,
    *,
    p: int | None = None,
    target_flow: float | None = None,
    allowed: NDArray | None = None,
    sizes: list[SizeClass] | None = None,
    kg_per_flow: NDArray | None = None,
    warm_start: NDArray | None = None,
    time_limit: float = 300.0,
    gap: float = 1e-4,
    threads: int = 1,
    reduce_model: bool = True,
) -> MilpResult:
    """Solve the max-flow (``p``) or min-stations (``target_flow``) model, optionally capacitated.

    ``allowed`` marks candidates that may be opened (default all); existing ones are always
    open. ``sizes`` with ``kg_per_flow`` (kg/day per unit of each flow) makes it capacitated.
    ``warm_start`` is an open mask (existing included) given to HiGHS as a MIP start.
    ``reduce_model`` applies the exact reductions of :mod:`h2lane.siting.reduce` (uncapacitated
    model only; False builds the full model, for comparison). ``time_limit`` counts building
    the model too (HiGHS gets what is left, at least 1 s).
    """
    n = prob.n_candidates
    allowed = np.ones(n, dtype=bool) if allowed is None else allowed.copy()
    if sizes is None:
        return _solve_cover(
            prob, p, target_flow, allowed, warm_start, time_limit, gap, threads, reduce_model
        )
    return _solve_capacitated(
        prob, p, target_flow, allowed, sizes, kg_per_flow, time_limit, gap, threads
    )


def _solve_cover(
    prob: SitingProblem,
    p: int | None,
    target_flow: float | None,
    allowed: NDArray,
    warm_start: NDArray | None,
    time_limit: float,
    gap: float,
    threads: int,
    reduce_model: bool,
) -> MilpResult:
    """The uncapacitated model on the reduced rows: one y per group of equal routes."""
    t0 = time.perf_counter()
    inf = highspy.kHighsInf
    existing = prob.existing
    maximize = target_flow is None
    red = reduce(prob, allowed, cost_matters=not maximize, keep_all=not reduce_model)
    m = _Model()
    x_col = {
        int(k): m.col(0.0 if maximize else prob.candidates[k].cost, 0.0, 1.0, True)
        for k in red.columns
    }
    volumes = prob.volumes
    weight = [
        sum(float(volumes[prob.routes[r].flow] * prob.routes[r].weight) for r in g)
        for g in red.groups
    ]
    y_col = []
    for g, sets in enumerate(red.group_sets):
        servable = not any(not s for s in sets)
        y_col.append(m.col(weight[g] if maximize else 0.0, 0.0, 1.0 if servable else 0.0))
        if servable:
            for s in sets:
                cols = [x_col[k] for k in sorted(s)]
                m.row([*cols, y_col[g]], [1.0] * len(cols) + [-1.0], 0.0, inf)
    group_of = np.empty(len(prob.routes), dtype=np.int64)
    for g, rs in enumerate(red.groups):
        group_of[rs] = g
    by_flow: dict[int, list[int]] = {}
    for r, route in enumerate(prob.routes):
        by_flow.setdefault(route.flow, []).append(int(group_of[r]))
    for gs in by_flow.values():
        if len(gs) > 1:
            m.row([y_col[g] for g in gs], [1.0] * len(gs), -inf, 1.0)
    new_cols = list(x_col.values())
    need = min(p or 0, len(new_cols))
    if maximize:
        m.row(new_cols, [1.0] * len(new_cols), float(need), float(need))
    else:
        assert target_flow is not None
        m.row(y_col, weight, target_flow, inf)
    h = m.highs(maximize, max(1.0, time_limit - (time.perf_counter() - t0)), gap, threads)
    if warm_start is not None and maximize:
        start = red.lift(warm_start | existing, existing)
        sol = np.zeros(len(m.cost))
        for k, c in x_col.items():
            sol[c] = 1.0 if start[k] else 0.0
        count = int(sol[new_cols].sum()) if new_cols else 0
        for c in new_cols:  # the lifted start may hold fewer than p: pad
            if count >= need:
                break
            if sol[c] < 0.5:
                sol[c], count = 1.0, count + 1
        opened = existing.copy()
        for k, c in x_col.items():
            opened[k] |= sol[c] > 0.5
        for g, sets in enumerate(red.group_sets):
            sol[y_col[g]] = 1.0 if all(any(opened[k] for k in s) for s in sets) else 0.0
        for gs in by_flow.values():  # one route per flow: keep the best
            served = [g for g in gs if sol[y_col[g]] > 0.5]
            for g in sorted(served, key=lambda g: -weight[g])[1:]:
                sol[y_col[g]] = 0.0
        if count == need:
            warm = highspy.HighsSolution()
            warm.col_value = sol.tolist()
            warm.value_valid = True
            h.setSolution(warm)
    h.run()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value, dtype=float)
    has_solution = info.primal_solution_status == 2 and values.size == len(m.cost)
    open_mask = existing.copy()
    route_value = np.zeros(len(prob.routes))
    if has_solution:
        for k, c in x_col.items():
            open_mask[k] |= values[c] > 0.5
        y = np.clip(np.array([values[c] for c in y_col]), 0.0, 1.0)
        route_value = y[group_of]
    if maximize and p is not None:
        _pad(open_mask, existing, allowed, p, int((allowed & ~existing).sum()))
    objective = prob.evaluate(open_mask)[0] if has_solution else 0.0
    res = _result(h, m, has_solution, open_mask, route_value, objective, t0)
    res.removed_candidates = len(red.dominator)
    res.merged_routes = len(prob.routes) - len(red.groups)
    return res


def _result(
    h: highspy.Highs,
    m: _Model,
    has_solution: bool,
    open_mask: NDArray,
    route_value: NDArray,
    objective: float,
    t0: float,
) -> MilpResult:
    """A :class:`MilpResult` from HiGHS's status, gap and bound."""
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    optimal = status == "Optimal"
    mip_gap = float(info.mip_gap) if has_solution else float("inf")
    if optimal and not np.isfinite(mip_gap):
        mip_gap = 0.0
    return MilpResult(
        open_mask,
        route_value,
        objective,
        float(info.mip_dual_bound),
        max(0.0, mip_gap),
        status,
        time.perf_counter() - t0,
        optimal,
        rows=len(m.row_lo),
        columns=len(m.cost),
    )


def _solve_capacitated(
    prob: SitingProblem,
    p: int | None,
    target_flow: float | None,
    allowed: NDArray,
    sizes: list[SizeClass],
    kg_per_flow: NDArray | None,
    time_limit: float,
    gap: float,
    threads: int,
) -> MilpResult:
    """The capacitated model (size classes, hydrogen assigned to stations on the path)."""
    t0 = time.perf_counter()
    inf = highspy.kHighsInf
    n = prob.n_candidates
    existing = prob.existing
    relevant = prob.relevant_candidates() | existing
    m = _Model()
    maximize = target_flow is None
    volumes = prob.volumes
    x_col = np.full(n, -1, dtype=np.int64)
    for k in range(n):
        if existing[k]:
            if relevant[k]:
                x_col[k] = m.col(0.0, 1.0, 1.0, integer=True)
        elif relevant[k] and allowed[k]:
            cost = 0.0 if maximize else prob.candidates[k].cost
            x_col[k] = m.col(cost, 0.0, 1.0, integer=True)
    y_col = []
    for route in prob.routes:
        w = volumes[route.flow] * route.weight
        y_col.append(m.col(w if maximize else 0.0, 0.0, 1.0))
    # cover rows (sets already satisfied by an existing site are skipped)
    for r, sets in enumerate(prob.route_sets):
        for s in sets:
            if any(existing[k] for k in s):
                continue
            cols = [int(x_col[k]) for k in s if x_col[k] >= 0]
            m.row([*cols, y_col[r]], [1.0] * len(cols) + [-1.0], 0.0, inf)
    # one route per flow at most
    by_flow: dict[int, list[int]] = {}
    for r, route in enumerate(prob.routes):
        by_flow.setdefault(route.flow, []).append(r)
    for rs in by_flow.values():
        if len(rs) > 1:
            m.row([y_col[r] for r in rs], [1.0] * len(rs), -inf, 1.0)
    new_cols = [int(x_col[k]) for k in range(n) if x_col[k] >= 0 and not existing[k]]
    n_new_allowed = int((allowed & ~existing).sum())
    if maximize:
        assert p is not None
        # stations beyond the relevant ones add nothing: they are padded afterwards
        need = min(p, len(new_cols))
        m.row(new_cols, [1.0] * len(new_cols), float(need), float(need))
    else:
        assert target_flow is not None
        m.row(y_col, [float(volumes[r.flow] * r.weight) for r in prob.routes], target_flow, inf)
    size_cols: dict[int, list[int]] = {}
    z_cols: dict[int, list[tuple[int, int]]] = {}
    assert kg_per_flow is not None
    for k in range(n):
        if x_col[k] < 0:
            continue
        cols = [m.col(0.0 if maximize else s.cost, 0.0, 1.0, integer=True) for s in sizes]
        size_cols[k] = cols
        m.row([*cols, int(x_col[k])], [1.0] * len(cols) + [-1.0], 0.0, 0.0)
    for r, route in enumerate(prob.routes):
        ks = sorted({k for _, k in prob.route_stops[r] if x_col[k] >= 0})
        kg = float(kg_per_flow[route.flow])
        cols = []
        for k in ks:
            zc = m.col(0.0, 0.0, inf)
            cols.append(zc)
            z_cols.setdefault(k, []).append((r, zc))
        m.row([*cols, y_col[r]], [1.0] * len(cols) + [-kg], 0.0, 0.0)
    for k, cols in size_cols.items():
        zs = [zc for _, zc in z_cols.get(k, [])]
        m.row(zs + cols, [1.0] * len(zs) + [-s.kg_per_day for s in sizes], -inf, 0.0)
    h = m.highs(maximize, max(1.0, time_limit - (time.perf_counter() - t0)), gap, threads)
    h.run()
    if maximize and h.getInfo().primal_solution_status == 2:
        h = _cheapest_at_best_flow(
            h,
            m,
            y_col,
            size_cols,
            sizes,
            prob,
            threads,
            gap,
            time_limit - (time.perf_counter() - t0),
        )
    info = h.getInfo()
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=float)
    has_solution = info.primal_solution_status == 2 and values.size == len(m.cost)
    open_mask = existing.copy()
    route_value = np.zeros(len(prob.routes))
    size_of: dict[int, int] = {}
    supply: dict[int, float] = {}
    if has_solution:
        for k in range(n):
            if x_col[k] >= 0 and values[x_col[k]] > 0.5:
                open_mask[k] = True
        route_value = np.clip(np.array([values[c] for c in y_col]), 0.0, 1.0)
        for k, cols in size_cols.items():
            if open_mask[k]:
                size_of[k] = int(np.argmax([values[c] for c in cols]))
                supply[k] = float(sum(values[zc] for _, zc in z_cols.get(k, [])))
    if maximize and p is not None:
        _pad(open_mask, existing, allowed, p, n_new_allowed)
    objective = float(route_value @ np.array([volumes[r.flow] * r.weight for r in prob.routes]))
    res = _result(h, m, has_solution, open_mask, route_value, objective, t0)
    res.size_of, res.supply = size_of, supply
    return res


def _cheapest_at_best_flow(
    h: highspy.Highs,
    m: _Model,
    y_col: list[int],
    size_cols: dict[int, list[int]],
    sizes: list[SizeClass],
    prob: SitingProblem,
    threads: int,
    gap: float,
    time_left: float,
) -> highspy.Highs:
    """Second phase of the capacitated model: the cheapest sizes that keep the served flow.

    A fresh model: the first one plus a served-flow row, with costs on the size classes. (With
    the first answer given as a MIP start, HiGHS 1.16 reported the better objective but
    returned the start's column values, so no start is given.)
    """
    served = float(h.getInfo().objective_function_value)
    weights = [float(prob.volumes[r.flow] * r.weight) for r in prob.routes]
    m.row(list(y_col), weights, served - 1e-7 * max(1.0, abs(served)), highspy.kHighsInf)
    m.cost = [0.0] * len(m.cost)
    for cols in size_cols.values():
        for c, size in zip(cols, sizes, strict=True):
            m.cost[c] = size.cost
    h2 = m.highs(False, max(1.0, time_left), gap, threads)
    h2.run()
    if h2.getInfo().primal_solution_status != 2:  # no answer in time: keep the first phase's
        return h
    return h2


def _pad(open_mask: NDArray, existing: NDArray, allowed: NDArray, p: int, n_allowed: int) -> None:
    """Open further allowed candidates (file order) until p new ones are open."""
    missing = min(p, n_allowed) - int((open_mask & ~existing).sum())
    for k in np.flatnonzero(allowed & ~existing & ~open_mask)[: max(0, missing)]:
        open_mask[k] = True
