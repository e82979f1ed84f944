"""Route pool and set-partitioning recombination (HiGHS MILP).

The routing search meets many good routes; :class:`RoutePool` keeps the best of them and
:func:`recombine` picks the cheapest subset that visits every customer exactly once, as in
hybrid ILS/SP metaheuristics for vehicle routing (Subramanian, Uchoa & Ochi 2013; Queiroga,
Sadykov & Uchoa 2021). The MILP is

    min  sum_r (cost_r + route_weight) x_r
    s.t. sum_{r covers i} x_r = 1          for every customer i
         sum_{r of type k} x_r <= n_k      for every vehicle type k with a limit
         x_r in {0, 1}

built column-wise straight from numpy arrays and solved by HiGHS on one thread with a fixed
seed, silently, warm-started from the incumbent solution.
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import math
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

import highspy
import numpy as np

__all__ = ["PoolRoute", "RoutePool", "recombine"]

_RANDOM_SEED = 0
_PROBING_RULE = 1 << 15  # bit of HiGHS option presolve_rule_off that disables probing
_Key = tuple[int, tuple[int, ...]]  # (vehicle type, ordered customer sequence)


@dataclass(frozen=True, slots=True)
class PoolRoute:
    """A route of the pool: ordered customer visits, its cost and its vehicle type."""

    customers: tuple[int, ...]
    cost: float
    vtype: int = 0


class RoutePool:
    """Deduplicated, bounded store of good routes.

    A route is identified by ``(vtype, tuple(customers))``; adding a known route keeps the
    cheaper cost (and the route's original position in :meth:`routes`).

    Eviction rule: the pool never holds more than ``max_routes`` routes. When an addition
    overflows it, the route with the largest *cost per customer* (``cost / len(customers)``)
    is dropped; among equal ratios the most recently stored one goes first. A newly added
    route that is itself the worst is therefore not kept. Each addition costs O(log n).

    Parameters
    ----------
    max_routes
        Capacity of the pool (at least 1).
    """

    def __init__(self, max_routes: int = 20000) -> None:
        if max_routes < 1:
            raise ValueError(f"max_routes must be at least 1, got {max_routes}")
        self.max_routes = int(max_routes)
        self._routes: dict[_Key, tuple[float, int]] = {}  # key -> (cost, stamp)
        self._heap: list[tuple[float, int, _Key]] = []  # (-cost per customer, -stamp, key)
        self._stamp = 0

    def add(self, customers: Sequence[int], cost: float, vtype: int = 0) -> None:
        """Store a route, or lower the cost of a stored one.

        Parameters
        ----------
        customers
            Ordered customer visits (node indices), non-empty, without repeats.
        cost
            Route cost (finite).
        vtype
            Vehicle type index (non-negative).
        """
        seq = tuple(map(int, customers))
        cost = float(cost)
        vtype = int(vtype)
        if not seq:
            raise ValueError("a pool route must visit at least one customer")
        if len(set(seq)) != len(seq):
            raise ValueError(f"route visits a customer twice: {seq}")
        if not math.isfinite(cost):
            raise ValueError(f"route cost must be finite, got {cost}")
        if vtype < 0:
            raise ValueError(f"vehicle type must be non-negative, got {vtype}")
        key = (vtype, seq)
        old = self._routes.get(key)
        if old is not None and old[0] <= cost:
            return
        self._stamp += 1
        self._routes[key] = (cost, self._stamp)
        heapq.heappush(self._heap, (-cost / len(seq), -self._stamp, key))
        if len(self._routes) > self.max_routes:
            self._evict()
        elif len(self._heap) > 2 * len(self._routes) + 64:
            self._compact()

    def _evict(self) -> None:
        """Drop the worst routes (largest cost per customer) down to capacity."""
        while len(self._routes) > self.max_routes:
            _, neg_stamp, key = heapq.heappop(self._heap)
            entry = self._routes.get(key)
            if entry is not None and entry[1] == -neg_stamp:  # skip stale heap entries
                del self._routes[key]

    def _compact(self) -> None:
        """Rebuild the heap without stale entries (left by cost improvements)."""
        self._heap = [(-c / len(k[1]), -s, k) for k, (c, s) in self._routes.items()]
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._routes)

    def __contains__(self, route: object) -> bool:
        if isinstance(route, PoolRoute):
            return (route.vtype, route.customers) in self._routes
        return False

    def __iter__(self) -> Iterator[PoolRoute]:
        return (PoolRoute(k[1], c, k[0]) for k, (c, _) in self._routes.items())

    def routes(self) -> list[PoolRoute]:
        """All stored routes, in first-insertion order."""
        return list(self)


# --------------------------------------------------------------------------- HiGHS helpers

_new_highs_lock = threading.Lock()
_banner_done = False


def _new_highs() -> highspy.Highs:
    """A ``Highs`` instance; the first one of the process is built with fd 1 muted.

    HiGHS prints its version banner from the C++ constructor of the first instance in a
    process, before any option (``output_flag``) can be set, so it cannot be silenced
    otherwise. The redirection lasts only for that one construction.
    """
    global _banner_done
    with _new_highs_lock:
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
            with contextlib.suppress(Exception):  # flush C stdio buffers while muted
                ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        return highs


def _set_options(highs: highspy.Highs, time_limit: float) -> None:
    """Quiet, single-threaded, seeded, exact (zero relative gap), time-limited.

    Presolve probing is switched off: on pools of ~20,000 routes x 1,000 customers it took
    the whole time limit (and overran it by seconds) without reducing the model, whereas
    without it the feasibility-jump heuristic improved on the incumbent within a second.
    """
    options: tuple[tuple[str, bool | int | float], ...] = (
        ("output_flag", False),
        ("log_to_console", False),
        ("threads", 1),
        ("random_seed", _RANDOM_SEED),
        ("time_limit", float(time_limit)),
        ("mip_rel_gap", 0.0),
        ("presolve_rule_off", _PROBING_RULE),
    )
    for name, value in options:
        if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS rejected option {name}={value!r}")


def _run(highs: highspy.Highs) -> None:
    """Solve; fall back to this thread's existing HiGHS scheduler if it is not 1-thread.

    HiGHS keeps one task scheduler per OS thread, created by the first solve with that
    solve's ``threads`` option; a later solve asking another count fails with an error
    (model status ``kNotset``). Then ``threads = 0`` reuses the scheduler as it is.
    """
    status = highs.run()
    if (
        status == highspy.HighsStatus.kError
        and highs.getModelStatus() == highspy.HighsModelStatus.kNotset
    ):
        highs.setOptionValue("threads", 0)
        highs.run()


def _cover_problem(
    sel: np.ndarray,
    cust_rows: np.ndarray,
    lens: np.ndarray,
    vtype: np.ndarray,
    cap: np.ndarray,
    m: int,
) -> str:
    """Why columns ``sel`` are not an exact cover within the type limits ('' if they are)."""
    mask = np.zeros(lens.size, dtype=bool)
    mask[sel] = True
    hits = np.bincount(cust_rows[np.repeat(mask, lens)], minlength=m)
    if (hits != 1).any():
        return f"{int((hits == 0).sum())} customers uncovered, {int((hits > 1).sum())} repeated"
    per_type = np.bincount(vtype[mask], minlength=cap.size)
    over = [k for k in range(cap.size) if 0 <= cap[k] < per_type[k]]
    return f"too many routes of types {over}" if over else ""


# --------------------------------------------------------------------------- recombination


def recombine(
    pool: RoutePool,
    customers: Sequence[int],
    *,
    type_counts: Sequence[int | None] = (None,),
    route_weight: float = 0.0,
    incumbent: Sequence[PoolRoute] | None = None,
    time_limit: float = 5.0,
) -> list[PoolRoute] | None:
    """Select pool routes covering ``customers`` exactly once at least total cost.

    Parameters
    ----------
    pool
        Candidate routes. Routes visiting a node outside ``customers`` are ignored, and so
        are routes whose vehicle type has no entry in ``type_counts`` (or a count of 0).
    customers
        Customers to partition (distinct node indices).
    type_counts
        Vehicles available per type index; ``None`` means unlimited.
    route_weight
        Added to every route's cost (a large value makes the fleet size the first goal).
    incumbent
        A feasible selection (exact cover, type counts respected) used as MIP start; its
        routes are added to the pool first. The result is then either strictly better
        (total of ``cost + route_weight`` below the incumbent's by more than a relative
        1e-9, absolute below 1) or ``None``.
    time_limit
        HiGHS wall-clock limit in seconds (model building excluded).

    Returns
    -------
    list of PoolRoute or None
        Selected routes with their pool costs, sorted by ``(vtype, customers)``; ``None``
        if no exact cover exists among the pool routes, none was found within the time
        limit, or nothing beats the incumbent.
    """
    cust = np.asarray(list(customers), dtype=np.int64).reshape(-1)
    m = cust.size
    if np.unique(cust).size != m:
        raise ValueError("customers contains duplicates")
    caps = list(type_counts)
    if any(c is not None and (int(c) != c or c < 0) for c in caps):
        raise ValueError(f"type_counts must hold non-negative ints or None, got {caps}")
    route_weight = float(route_weight)
    if not math.isfinite(route_weight):
        raise ValueError("route_weight must be finite")
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")

    # Candidate columns: the pool, plus incumbent routes that did not survive pool eviction.
    cand: dict[_Key, float] = {k: c for k, (c, _) in pool._routes.items()}
    inc_keys: list[_Key] = []
    inc_obj = math.inf
    if incumbent is not None:
        inc_obj = math.fsum(r.cost for r in incumbent) + route_weight * len(incumbent)
        for r in incumbent:
            pool.add(r.customers, r.cost, r.vtype)
            key = (int(r.vtype), tuple(map(int, r.customers)))
            cand[key] = min(float(r.cost), pool._routes.get(key, (math.inf, 0))[0])
            inc_keys.append(key)
        if len(set(inc_keys)) != len(inc_keys):
            raise ValueError("incumbent lists a route twice")
    if m == 0:
        return [] if incumbent is None else None  # the empty selection; nothing beats it
    keys = list(cand)
    n_all = len(keys)
    if n_all == 0:
        return None

    # Flatten routes and map customers to rows (row i <-> customers[i]).
    cost = np.fromiter(cand.values(), dtype=np.float64, count=n_all)
    vtype = np.fromiter((k[0] for k in keys), dtype=np.int64, count=n_all)
    lens = np.fromiter((len(k[1]) for k in keys), dtype=np.int64, count=n_all)
    flat = np.fromiter(chain.from_iterable(k[1] for k in keys), np.int64, int(lens.sum()))
    order = np.argsort(cust, kind="stable")
    sorted_cust = cust[order]
    pos = np.minimum(np.searchsorted(sorted_cust, flat), m - 1)
    known = sorted_cust[pos] == flat
    row = order[pos]
    starts = np.cumsum(lens) - lens
    foreign = np.add.reduceat((~known).astype(np.int64), starts) > 0

    n_types = len(caps)
    cap = np.array([-1 if c is None else int(c) for c in caps] + [0], dtype=np.int64)
    vt_clip = np.minimum(vtype, n_types)  # types without an entry get capacity 0
    keep = ~foreign & (cap[vt_clip] != 0)
    col_of_key = np.full(n_all, -1, dtype=np.int64)
    cols = np.flatnonzero(keep)
    n = cols.size
    col_of_key[cols] = np.arange(n)

    if incumbent is not None:
        where = {k: i for i, k in enumerate(keys)}
        inc_cols = col_of_key[np.array([where[k] for k in inc_keys], dtype=np.int64)]
        if (inc_cols < 0).any():
            raise ValueError("incumbent uses a foreign customer or an unavailable vehicle type")

    # Column-wise sparse matrix: customer rows of each route, then its type row if limited.
    lens_k = lens[cols]
    vt_k = vt_clip[cols]
    limited_types = [k for k in range(n_types) if cap[k] >= 0]
    type_row = np.full(n_types + 1, -1, dtype=np.int64)
    type_row[limited_types] = m + np.arange(len(limited_types))
    limited = type_row[vt_k] >= 0
    nnz_col = lens_k + limited
    a_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(nnz_col, out=a_start[1:])
    entry_keep = np.repeat(keep, lens)
    cust_rows = row[entry_keep]
    extra_before: np.ndarray = np.cumsum(limited) - limited
    a_index = np.empty(int(a_start[-1]), dtype=np.int32)
    a_index[np.arange(cust_rows.size) + np.repeat(extra_before, lens_k)] = cust_rows
    a_index[a_start[1:][limited] - 1] = type_row[vt_k[limited]]
    if incumbent is not None:
        problem = _cover_problem(inc_cols, cust_rows, lens_k, vt_k, cap, m)
        if problem:
            raise ValueError(f"incumbent is not a feasible selection: {problem}")
    if (np.bincount(cust_rows, minlength=m) == 0).any():
        return None  # some customer is on no usable route
    n_rows = m + len(limited_types)
    row_lower = np.zeros(n_rows)
    row_lower[:m] = 1.0
    row_upper = np.ones(n_rows)
    row_upper[m:] = cap[limited_types]
    col_cost = cost[cols] + route_weight

    highs = _new_highs()
    _set_options(highs, time_limit)
    status = highs.passModel(
        n,
        n_rows,
        int(a_start[-1]),
        highspy.MatrixFormat.kColwise.value,
        highspy.ObjSense.kMinimize.value,
        0.0,
        col_cost,
        np.zeros(n),
        np.ones(n),
        row_lower,
        row_upper,
        a_start[:-1].astype(np.int32),
        a_index,
        np.ones(a_index.size),
        np.full(n, highspy.HighsVarType.kInteger.value, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the set-partitioning model")
    if incumbent is not None:
        x0 = np.zeros(n)
        x0[inc_cols] = 1.0
        start = highspy.HighsSolution()
        start.col_value = x0
        highs.setSolution(start)
    _run(highs)

    if highs.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return None
    x = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    chosen = np.flatnonzero(x > 0.5)
    if _cover_problem(chosen, cust_rows, lens_k, vt_k, cap, m):
        return None  # guard against tolerance artefacts; not expected to happen
    obj = math.fsum(cost[cols[chosen]]) + route_weight * chosen.size
    if incumbent is not None and not obj < inc_obj - 1e-9 * max(1.0, abs(inc_obj)):
        return None
    out = [PoolRoute(keys[i][1], float(cost[i]), keys[i][0]) for i in cols[chosen]]
    out.sort(key=lambda r: (r.vtype, r.customers))
    return out
