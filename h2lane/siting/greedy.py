"""Greedy + substitution heuristic (after Lim & Kuby 2010): warm start and fallback of the MILP.

Greedy adds, one at a time, the candidate that adds the most served flow; ties (often every
candidate adds nothing, since stations serve flows only in combination) go to the candidate that
satisfies the largest flow-weighted share of the still-open cover rows. Substitution then swaps
one chosen station for one not chosen while that serves more flow (best swap per chosen
station, passes until none improves or the time is up). The kernels are compiled with numba.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray

from h2lane.siting.problem import SitingProblem


@dataclass(slots=True)
class HeuristicResult:
    """Open candidates (existing included) and the flow they serve."""

    open_mask: NDArray
    covered_flow: float
    seconds: float
    swaps: int


class _Arrays:
    """Flat arrays of a problem for the kernels."""

    def __init__(self, prob: SitingProblem) -> None:
        row_ptr, row_cands, row_route = prob.rows()
        self.row_ptr, self.row_cands, self.row_route = row_ptr, row_cands, row_route
        n_rows = len(row_route)
        order = np.argsort(row_cands, kind="stable")
        rows_of_entry = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(row_ptr))
        self.col_rows = rows_of_entry[order]
        counts = np.bincount(row_cands, minlength=prob.n_candidates)
        self.col_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.route_flow = np.array([r.flow for r in prob.routes], dtype=np.int64)
        self.route_weight = np.array([r.weight for r in prob.routes], dtype=float)
        self.route_nrows = np.bincount(row_route, minlength=len(prob.routes)).astype(np.int64)
        self.volume = prob.volumes


@nb.njit(cache=True)
def _state(
    open_mask: NDArray,
    row_ptr: NDArray,
    row_cands: NDArray,
    row_route: NDArray,
    route_flow: NDArray,
    route_weight: NDArray,
    n_routes: int,
    volume: NDArray,
) -> tuple[NDArray, NDArray, NDArray]:
    n_rows = len(row_route)
    row_count = np.zeros(n_rows, dtype=np.int64)
    route_unsat = np.zeros(n_routes, dtype=np.int64)
    for i in range(n_rows):
        c = 0
        for j in range(row_ptr[i], row_ptr[i + 1]):
            if open_mask[row_cands[j]]:
                c += 1
        row_count[i] = c
        if c == 0:
            route_unsat[row_route[i]] += 1
    flow_value = np.zeros(len(volume))
    for r in range(n_routes):
        if route_unsat[r] == 0:
            v = volume[route_flow[r]] * route_weight[r]
            if v > flow_value[route_flow[r]]:
                flow_value[route_flow[r]] = v
    return row_count, route_unsat, flow_value


@nb.njit(cache=True)
def _gains(
    allowed: NDArray,
    col_ptr: NDArray,
    col_rows: NDArray,
    row_route: NDArray,
    route_flow: NDArray,
    route_weight: NDArray,
    route_nrows: NDArray,
    volume: NDArray,
    row_count: NDArray,
    route_unsat: NDArray,
    flow_value: NDArray,
) -> tuple[NDArray, NDArray]:
    n_cand = len(col_ptr) - 1
    gain = np.full(n_cand, -1.0)
    second = np.zeros(n_cand)
    inc = np.zeros(len(route_flow), dtype=np.int64)
    touched = np.empty(len(route_flow), dtype=np.int64)
    flow_new = flow_value.copy()
    for k in range(n_cand):
        if not allowed[k]:
            continue
        nt = 0
        for idx in range(col_ptr[k], col_ptr[k + 1]):
            row = col_rows[idx]
            if row_count[row] == 0:
                r = row_route[row]
                if inc[r] == 0:
                    touched[nt] = r
                    nt += 1
                inc[r] += 1
        s = 0.0
        for t in range(nt):
            r = touched[t]
            q = route_flow[r]
            s += volume[q] * route_weight[r] * inc[r] / route_nrows[r]
            if inc[r] == route_unsat[r]:
                v = volume[q] * route_weight[r]
                if v > flow_new[q]:
                    flow_new[q] = v
        g = 0.0
        for t in range(nt):
            r = touched[t]
            q = route_flow[r]
            if flow_new[q] > flow_value[q]:
                g += flow_new[q] - flow_value[q]
                flow_new[q] = flow_value[q]
            inc[r] = 0
        gain[k] = g
        second[k] = s
    return gain, second


class _Evaluator:
    def __init__(self, prob: SitingProblem) -> None:
        self.a = _Arrays(prob)
        self.n_routes = len(prob.routes)

    def state(self, open_mask: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        a = self.a
        return _state(
            open_mask,
            a.row_ptr,
            a.row_cands,
            a.row_route,
            a.route_flow,
            a.route_weight,
            self.n_routes,
            a.volume,
        )

    def value(self, open_mask: NDArray) -> float:
        return float(self.state(open_mask)[2].sum())

    def gains(self, open_mask: NDArray, allowed: NDArray) -> tuple[NDArray, NDArray, float]:
        a = self.a
        row_count, route_unsat, flow_value = self.state(open_mask)
        gain, second = _gains(
            allowed & ~open_mask,
            a.col_ptr,
            a.col_rows,
            a.row_route,
            a.route_flow,
            a.route_weight,
            a.route_nrows,
            a.volume,
            row_count,
            route_unsat,
            flow_value,
        )
        return gain, second, float(flow_value.sum())


def _best(gain: NDArray, second: NDArray) -> int:
    """Largest gain, then largest partial score, then the first index."""
    top = gain.max()
    if top < 0:
        return -1
    tol = 1e-9 * max(1.0, abs(top))
    ties = np.flatnonzero(gain >= top - tol)
    return int(ties[np.argmax(second[ties])])


def greedy(
    prob: SitingProblem,
    p: int,
    *,
    allowed: NDArray | None = None,
    substitute: bool = True,
    time_limit: float = 60.0,
    target_flow: float | None = None,
) -> HeuristicResult:
    """Open ``p`` new candidates (or as few as reach ``target_flow``) greedily, then swap.

    ``allowed`` marks the candidates that may be chosen (default: every one not existing).
    """
    start = time.perf_counter()
    ev = _Evaluator(prob)
    existing = prob.existing
    allowed = ~existing if allowed is None else (allowed & ~existing)
    open_mask = existing.copy()
    chosen: list[int] = []
    while len(chosen) < p:
        if target_flow is not None and ev.value(open_mask) >= target_flow - 1e-9:
            break
        gain, second, _ = ev.gains(open_mask, allowed)
        k = _best(gain, second)
        if k < 0:
            break
        open_mask[k] = True
        chosen.append(k)
    value = ev.value(open_mask)
    swaps = 0
    if substitute and target_flow is None:
        improved = True
        while improved and time.perf_counter() - start < time_limit:
            improved = False
            for i in list(chosen):
                if time.perf_counter() - start >= time_limit:
                    break
                open_mask[i] = False
                gain, second, base = ev.gains(open_mask, allowed)
                gain[i] = -1.0
                j = _best(gain, second)
                if j >= 0 and base + gain[j] > value + 1e-9 * max(1.0, value):
                    open_mask[j] = True
                    chosen[chosen.index(i)] = j
                    value = base + gain[j]
                    swaps += 1
                    improved = True
                else:
                    open_mask[i] = True
    return HeuristicResult(open_mask, ev.value(open_mask), time.perf_counter() - start, swaps)
