"""The compiled label search of :mod:`h2lane.routing.refuelkernel` called from Python.

:func:`run` packs a :class:`~h2lane.routing.refuel.RefuelProblem` into the kernel's arrays,
runs it (compiled ahead of time when built, :mod:`h2lane.aot`, else by numba's JIT) and
unpacks the optimal chain. Kept apart from the kernel so that planning a trip with the
ahead-of-time kernels does not import numba.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from h2lane import aot
from h2lane.errors import ResourceLimitError

if TYPE_CHECKING:
    from h2lane.routing.refuel import RefuelProblem

# float columns of a label
_LV, _TM, _MO, _KM, _C, _D = range(6)
_BYTES_PER_LABEL = 6 * 8 + 4 * 8 + 1
_REV_PAIRS_DIRECT = 250_000  # up to this many (station node, successor) pairs: bounds at once
_TRY_LABELS = 3_000  # else first this many labels without them
EPS = 1e-9


@dataclass(slots=True)
class KernelResult:
    """What the compiled search found: status 0 ok, 1 no plan, 3 too many rest branches."""

    status: int
    stops: list[tuple[int, int]] = field(default_factory=list)  # (leg, station) in order
    explored: int = 0
    labels: int = 0
    time_h: float = math.nan
    money: float = math.nan
    # the optimal chain's labels, origin first: (node, level, hours, money, c, d)
    chain: list[tuple[int, float, float, float, float, float]] = field(default_factory=list)


def run(
    p: RefuelProblem,
    objective: str,
    full_refuel: bool,
    max_labels: int,
    upper: float = math.inf,
    upper_time: float = math.inf,
) -> KernelResult:
    """The compiled search on problem ``p``; ``upper``: the objective of a known plan;
    ``upper_time`` (cost objective): the hours of a known plan among the cheapest."""
    from h2lane.routing.refuel import max_fill_kg, queue_next

    L, n = p.n_legs, p.n_stations
    r = p.rest
    ready = np.full(L + 1, -np.inf) if p.wp_ready_h is None else np.asarray(p.wp_ready_h, float)
    due = np.full(L + 1, np.inf) if p.wp_due_h is None else np.asarray(p.wp_due_h, float)
    use_q = p.queue_h is not None
    qw = np.zeros((n, 24)) if p.queue_h is None else np.asarray(p.queue_h, float).reshape(n, 24)
    qn = queue_next(qw) if use_q else qw
    # a longer fill starts no later where the station never closes and has no queue
    always = np.asarray(p.close_h, float) - np.asarray(p.open_h, float) >= 24.0 - EPS
    queued = np.any(qw > 0, axis=1)
    top_h = np.where(always & ~queued, np.asarray(p.fill_h_per_kg, float), np.inf)

    def f(x: object) -> NDArray:
        return np.ascontiguousarray(x, dtype=np.float64)

    def go(use_rev: bool, budget: int) -> tuple:
        return aot.kernel("refuel_search")(
            f(p.leg_km),
            f(p.wp_to_st).reshape(L, n),
            f(p.st_to_wp).reshape(L, n),
            f(p.st_st).reshape(n, n),
            f(p.kg_per_km),
            float(p.tank_kg),
            float(p.start_kg),
            float(p.reserve_kg),
            f(p.price),
            f(p.fill_h_per_kg),
            f(p.connect_h),
            f(p.open_h),
            f(p.close_h),
            float(p.speed_kmh),
            float(p.depart_h),
            bool(r.enabled),
            float(r.max_drive_h) if r.enabled else np.inf,
            float(r.max_daily_drive_h) if r.enabled else np.inf,
            float(r.break_h),
            float(r.daily_rest_h),
            f(ready),
            f(due),
            objective == "cost",
            bool(full_refuel),
            int(budget),
            use_q,
            f(qw),
            f(qn),
            float(upper),
            f(top_h),
            f(max_fill_kg(p)),
            float(upper_time),
            use_rev,
        )

    # the reverse bounds cost about the hops within range; on a large problem try without
    # them first, under a small label budget, since few labels may already answer
    pairs = n * sum((L - k) * n + 1 for k in range(L))
    direct = pairs <= _REV_PAIRS_DIRECT or max_labels <= _TRY_LABELS
    res = go(direct, max_labels if direct else max(_TRY_LABELS, pairs // 50))
    if not direct and res[0] == 2:
        res = go(True, max_labels)
    status, _end, node, chain, lf_end, explored, n_labels = res
    if status == 2:
        mb = max_labels * _BYTES_PER_LABEL / 1e6
        raise ResourceLimitError(
            f"the refuelling search stopped at its limit of {max_labels:,} labels (about "
            f"{mb:.0f} MB) without an answer: give fewer stations or a shorter trip",
            {"max_labels": max_labels, "explored": int(explored)},
        )
    out = KernelResult(int(status), [], int(explored), int(n_labels))
    if status != 0:
        return out
    for v, row in zip(node.tolist(), chain.tolist(), strict=True):
        out.chain.append((v, row[_LV], row[_TM], row[_MO], row[_C], row[_D]))
        if v != 0 and v != 1 + L * n:
            k, j = divmod(v - 1, n)
            out.stops.append((k, j))
    out.time_h, out.money = float(lf_end[_TM]), float(lf_end[_MO])
    return out
