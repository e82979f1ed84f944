"""Kuby & Lim's (2005) original path-based formulation, kept to show why arc cover is used.

For every flow it lists the *combinations*: the minimal station sets on its path that serve it
by the rule (:mod:`h2lane.siting.rule`). Variables ``v_h ∈ [0,1]`` per combination h with
``v_h ≤ x_k`` for each k ∈ h, and ``y_q ≤ Σ_h v_h``. The number of combinations grows
exponentially with the candidates along a path; :func:`combinations` stops at a cap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from h2lane.errors import ResourceLimitError
from h2lane.siting.milp import _Model
from h2lane.siting.problem import SitingProblem
from h2lane.siting.rule import EPS_KM


def combinations(
    positions: list[float],
    candidates: list[int],
    length_km: float,
    range_km: float,
    cap: int,
    deadline: float = float("inf"),
) -> list[tuple[int, ...]]:
    """Minimal station chains (candidate indices at ``positions`` along the path) serving it.

    Stops (``ResourceLimitError``) past ``cap`` combinations, 20 × ``cap`` partial chains or
    the ``time.perf_counter()`` ``deadline``.
    """
    order = sorted(range(len(candidates)), key=lambda i: positions[i])
    pos = [positions[i] for i in order]
    cand = [candidates[i] for i in order]
    half = range_km / 2.0
    out: list[tuple[int, ...]] = []

    def minimal(chain: list[int]) -> bool:
        for i in range(len(chain)):
            rest = chain[:i] + chain[i + 1 :]
            if rest and _serves([pos[j] for j in rest], length_km, range_km):
                return False
        return True

    visits = [0]

    def dfs(chain: list[int]) -> None:
        visits[0] += 1
        if len(out) > cap or visits[0] > 20 * cap:
            raise ResourceLimitError(
                f"more than {cap:,} station combinations (or {20 * cap:,} partial chains) on one path"
            )
        if visits[0] % 4096 == 0 and time.perf_counter() > deadline:
            raise ResourceLimitError("enumerating the station combinations ran out of time")
        last = pos[chain[-1]]
        if length_km - last <= half + EPS_KM and minimal(chain):
            out.append(tuple(sorted({cand[j] for j in chain})))
        for j in range(chain[-1] + 1, len(pos)):
            if pos[j] - last > range_km + EPS_KM:
                break
            dfs([*chain, j])

    for j in range(len(pos)):
        if pos[j] > half + EPS_KM:
            break
        dfs([j])
    return sorted(set(out))


def _serves(pos: list[float], length_km: float, range_km: float) -> bool:
    half = range_km / 2.0
    if pos[0] > half + EPS_KM or length_km - pos[-1] > half + EPS_KM:
        return False
    return all(b - a <= range_km + EPS_KM for a, b in zip(pos, pos[1:], strict=False))


@dataclass(slots=True)
class PathBasedResult:
    objective: float
    combinations: int
    build_seconds: float
    solve_seconds: float
    status: str
    mip_gap: float


def solve_path_based(
    prob: SitingProblem,
    p: int,
    *,
    cap: int = 2_000_000,
    time_limit: float = 300.0,
    gap: float = 1e-4,
    threads: int = 1,
) -> PathBasedResult:
    """Max served flow with p stations (no existing stations, one route per flow).

    ``time_limit`` bounds the enumeration of combinations and, separately, the HiGHS solve.
    """
    t0 = time.perf_counter()
    combos: list[list[tuple[int, ...]]] = []
    total = 0
    for r, route in enumerate(prob.routes):
        stops = prob.route_stops[r]
        cs: list[tuple[int, ...]] = (
            combinations(
                [s[0] for s in stops],
                [s[1] for s in stops],
                route.path.length_km,
                prob.range_km,
                cap - total,
                t0 + time_limit,
            )
            if route.path.length_km > 0
            else [()]
        )
        total += len(cs)
        combos.append(cs)
    m = _Model()
    x = [m.col(0.0, 0.0, 1.0, integer=True) for _ in prob.candidates]
    vol = prob.volumes
    for r, cs in enumerate(combos):
        y = m.col(float(vol[prob.routes[r].flow]), 0.0, 1.0)
        vs = []
        for combo in cs:
            v = m.col(0.0, 0.0, 1.0)
            vs.append(v)
            for k in combo:
                m.row([v, x[k]], [1.0, -1.0], -np.inf, 0.0)
        m.row([y, *vs], [1.0] + [-1.0] * len(vs), -np.inf, 0.0)
    m.row(x, [1.0] * len(x), float(p), float(p))
    build = time.perf_counter() - t0
    h = m.highs(True, time_limit, gap, threads)
    t1 = time.perf_counter()
    h.run()
    info = h.getInfo()
    return PathBasedResult(
        float(info.objective_function_value),
        total,
        build,
        time.perf_counter() - t1,
        h.modelStatusToString(h.getModelStatus()),
        float(info.mip_gap),
    )
