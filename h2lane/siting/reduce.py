"""Exact reductions of the uncapacitated arc-cover MILP: dominated candidates, merged routes.

* **Rows of open or closed sites.** A cover row holding an existing site is always satisfied
  (dropped); candidates that may not be opened leave every row.
* **Dominated candidates.** Candidate a is dominated by b when every cover row holding a also
  holds b and (min-cost model only) b costs no more. Some optimum leaves a closed: open b
  instead (or, if b is open already, any other candidate), the served flow does not fall and
  the cost does not rise. Rows and columns are compared as sets, ties go to the cheaper, then
  the earlier candidate; a removed candidate's *dominator* is a kept one that dominates it.
  Removing candidates can make rows of a route supersets of others (dropped, they are
  implied), which can make more candidates dominated: repeated until nothing changes.
* **Merged routes.** Routes of single-route flows whose remaining rows are the same sets are
  served together: one ``y`` with the summed flow.

The reduced model has the same optimal value as the full one, so HiGHS's dual bound on it is
a bound on the original problem. Not used for the capacitated model (a dominated candidate
still adds capacity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from h2lane.siting.problem import SitingProblem
from h2lane.siting.rule import minimal_sets

MAX_PASSES = 10


@dataclass(slots=True)
class Reduction:
    """What is left of the model after the reductions."""

    columns: NDArray  # candidate indices that keep an x column
    dominator: dict[int, int]  # removed candidate → kept candidate that dominates it
    groups: list[list[int]]  # routes sharing one y (their cover rows are equal)
    group_sets: list[list[frozenset[int]]]  # the cover rows of each group
    removed_rows: int  # rows dropped as satisfied, implied or duplicated

    def lift(self, open_mask: NDArray, existing: NDArray) -> NDArray:
        """An open mask with every removed candidate replaced by its dominator (same or more flow)."""
        out = open_mask & (existing | _mask(self.columns, len(open_mask)))
        for a in np.flatnonzero(open_mask & ~out):
            b = self.dominator.get(int(a))
            while b is not None and b in self.dominator:
                b = self.dominator[b]
            if b is not None:
                out[b] = True
        return out


def _mask(idx: NDArray, n: int) -> NDArray:
    m = np.zeros(n, dtype=bool)
    m[idx] = True
    return m


def reduce(
    prob: SitingProblem, allowed: NDArray, *, cost_matters: bool, keep_all: bool = False
) -> Reduction:
    """Reduce the cover rows of ``prob`` for the candidates ``allowed`` to open (not existing).

    ``keep_all`` keeps every candidate and route (only satisfied rows go): the reference
    model the tests compare the reduced one with.
    """
    existing = prob.existing
    openable = allowed & ~existing
    n_rows_before = sum(len(s) for s in prob.route_sets)
    sets: list[list[frozenset[int]]] = []
    for route_sets in prob.route_sets:
        kept = [
            frozenset(k for k in s if openable[k])
            for s in route_sets
            if not any(existing[k] for k in s)
        ]
        sets.append(minimal_sets(kept) if kept else [])
    cost = np.array([c.cost for c in prob.candidates], dtype=float)
    dominator: dict[int, int] = {}
    alive = openable.copy()
    for _ in range(0 if keep_all else MAX_PASSES):
        removed = _dominated(sets, alive, cost if cost_matters else None)
        if not removed:
            break
        dominator.update(removed)
        alive[list(removed)] = False
        sets = [minimal_sets([s.difference(removed) for s in rs]) if rs else [] for rs in sets]
    used = np.zeros(len(alive), dtype=bool)
    for rs in sets:
        for s in rs:
            used[list(s)] = True
    columns = np.flatnonzero(alive & used)
    flows_routes = np.bincount([r.flow for r in prob.routes], minlength=len(prob.flows))
    groups: list[list[int]] = []
    group_sets: list[list[frozenset[int]]] = []
    by_key: dict[frozenset[frozenset[int]], int] = {}
    for r, rs in enumerate(sets):
        single = flows_routes[prob.routes[r].flow] == 1
        key = frozenset(rs)
        if not keep_all and single and key in by_key:
            groups[by_key[key]].append(r)
            continue
        if not keep_all and single:
            by_key[key] = len(groups)
        groups.append([r])
        group_sets.append(rs)
    n_rows_after = sum(len(s) for s in group_sets)
    return Reduction(columns, dominator, groups, group_sets, n_rows_before - n_rows_after)


def _dominated(
    sets: list[list[frozenset[int]]], alive: NDArray, cost: NDArray | None
) -> dict[int, int]:
    """Alive candidates dominated by another alive one (→ a maximal dominator)."""
    rows_of: dict[int, set[frozenset[int]]] = {}
    for rs in sets:
        for s in rs:
            for k in s:
                if alive[k]:
                    rows_of.setdefault(k, set()).add(s)

    def rank(k: int) -> tuple[int, float, int]:
        # larger row set first, then cheaper, then earlier: the first of a chain is kept
        return (-len(rows_of[k]), 0.0 if cost is None else float(cost[k]), k)

    order = sorted(rows_of, key=rank)
    removed: dict[int, int] = {}
    for a in order:
        ra = rows_of[a]
        some = min(ra, key=len)
        for b in sorted(some, key=lambda k: rank(k) if k in rows_of else (1, 0.0, k)):
            if b == a or b not in rows_of or b in removed:
                continue
            if rank(b) >= rank(a):
                break
            if (cost is None or cost[b] <= cost[a]) and ra <= rows_of[b]:
                removed[a] = b
                break
    return removed
