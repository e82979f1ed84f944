"""Route minimisation for fleet-first objectives (fewest vehicles, then cost).

Run by :func:`~h2lane.routing.vrp.solver.solve_vrp` after the construction when the objective
is ``vehicles-distance``, for a share of the budget (``SearchParams.fleetmin_share``); the
distance phase then continues at the reduced fleet. The scheme is the fleet minimisation of
Christiaens & Vanden Berghe (2020, SISR), which plays the role of Nagata & Bräysy's route
elimination with the solver's own ruin and recreate:

* take the best feasible plan, remove one of its smallest routes and put its customers in a
  pool of unserved customers; the number of routes is capped one below the plan's;
* repeat ruin (string removal, the pool joining the removed customers) and recreate
  (greedy insertion with blinks, no route above the cap); every customer left unserved has its
  absence counter raised;
* a candidate replaces the current partial plan when it leaves fewer customers unserved or a
  lower sum of absence counters over them (customers that are hard to place weigh more, as the
  penalty counters of Nagata & Bräysy do); when it serves everyone it is a feasible plan with
  one route fewer, becomes the best, and the next route is removed.

Routes are only ever evaluated by the solver's exact route evaluation (time windows, range
with station stops, capacity, duration), so every plan the phase returns is feasible; it
never returns more vehicles than it was given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from h2lane.routing.vrp.kernels import INF, _best_insertion

if TYPE_CHECKING:
    from h2lane.routing.vrp.solver import _Search, _State


def fleet_lower_bound(search: _Search, customers: list[int]) -> int:
    """Vehicles needed by load alone: ⌈total demand / largest capacity⌉ (at least 1)."""
    cap = max(t.load_capacity for t in search.data.types)
    total = float(np.sum(search.data.demand[customers])) if customers else 0.0
    if not customers:
        return 0
    if not math.isfinite(cap) or cap <= 0:
        return 1
    return max(1, math.ceil(total / cap - 1e-9))


EJECT_NEIGHBOURS = 15
"""Customers considered for ejection: the nearest ones to the customer to place."""


@njit(cache=True)
def eject_one(R, lens, costs, u, absences, near, args):
    """Insert ``u`` by ejecting one customer: the least absent one, then the cheapest.

    Routes are the rows of ``R`` (``lens`` customers, ``costs`` without the fixed cost);
    ``args`` are the vehicle type's insertion arguments (``_Type.insert_args``). Only
    customers absent less often than ``u`` and marked in ``near`` (its nearest neighbours:
    an ejection far from ``u`` rarely makes room for it) are ejected. Returns (route, position of the
    ejected customer, insertion position in the route without it, new route cost) or
    (-1, -1, -1, inf).
    """
    best_r, best_q, best_pos, best_cost, best_inc = -1, -1, -1, INF, INF
    limit = absences[u]
    best_abs = limit
    buf = np.empty(R.shape[1], dtype=np.int64)
    for r in range(R.shape[0]):
        m = lens[r]
        for q in range(m):
            a = absences[R[r, q]]
            if a >= limit or a > best_abs or not near[R[r, q]]:
                continue
            k = 0
            for j in range(m):
                if j != q:
                    buf[k] = R[r, j]
                    k += 1
            pos, new_cost = _best_insertion(buf[:k], u, 0.0, INF, *args)
            if pos < 0:
                continue
            inc = new_cost - costs[r]
            if a < best_abs or inc < best_inc:
                best_r, best_q, best_pos, best_cost, best_inc = r, q, pos, new_cost, inc
                best_abs = a
    return best_r, best_q, best_pos, best_cost


def _pick_route(state: _State, rng: np.random.Generator, absences: np.ndarray) -> int:
    """Index of a route to empty: one of the three smallest, the least absent customers first."""
    sizes = sorted((len(r), float(absences[r].sum()), ri) for ri, r in enumerate(state.routes) if r)
    return sizes[int(rng.integers(0, min(3, len(sizes))))][2]


def _remove_route(state: _State, ri: int) -> None:
    """Move route ``ri``'s customers to the unserved pool and drop the route."""
    state.unassigned.extend(state.routes[ri])
    del state.routes[ri], state.types[ri], state.costs[ri]


def _eject(search: _Search, state: _State, absences: np.ndarray) -> None:
    """Put each unserved customer in a route by ejecting a less absent one (one vehicle type).

    The ejected customers are then reinserted where they fit; those that fit nowhere become
    the unserved ones.
    """
    t = search.data.types[0]
    routes = state.routes
    lens = np.array([len(r) for r in routes], dtype=np.int64)
    R = np.zeros((len(routes), int(lens.max(initial=0)) + 1), dtype=np.int64)
    for i, r in enumerate(routes):
        R[i, : len(r)] = r
    costs = np.array(state.costs, dtype=np.float64) - t.fixed
    pending = sorted(state.unassigned, key=lambda c: -absences[c])
    state.unassigned = []
    ejected: list[int] = []
    near = np.zeros(search.inst.n_nodes, dtype=np.bool_)
    for u in pending:
        nbs = search.neigh2d[u, :EJECT_NEIGHBOURS]
        near[nbs[nbs >= 0]] = True
        r, q, pos, cost = eject_one(R, lens, costs, u, absences, near, t.insert_args)
        near[:] = False
        if r < 0:
            state.unassigned.append(u)
            continue
        route = routes[r]
        ejected.append(route.pop(q))
        route.insert(pos, u)
        R[r, : len(route)] = route
        costs[r] = cost
        state.costs[r] = cost + t.fixed
    if ejected:
        search.recreate(state, ejected)


def minimise_fleet(
    search: _Search,
    state: _State,
    customers: list[int],
    used: Callable[[int], float],
    share: float,
    stall: float,
) -> tuple[_State, int, np.ndarray]:
    """Fewer routes for the feasible plan ``state``.

    ``used(steps)`` is the fraction of the solve's budget spent after that many
    ruin-and-recreate steps of the phase; the phase ends when it reaches ``share``, or when
    ``stall`` of the budget has passed since the last route was removed (or since the start).
    Returns the best feasible plan found (``state`` itself when no route could be removed;
    never more routes), the number of steps and the customers' absence counters.
    ``state`` must serve every customer.
    """
    absences = np.zeros(search.inst.n_nodes, dtype=np.float64)
    if state.unassigned or not customers:
        return state, 0, absences
    rng = search.rng
    floor = fleet_lower_bound(search, customers)
    best = state
    best_obj = search.objective(best)
    it = 0
    cur: _State | None = None
    since = used(0)
    try:
        while best.vehicles > floor:
            frac = used(it)
            if frac >= share or frac - since >= stall:
                break
            if cur is None:
                cur = best.copy()
                _remove_route(cur, _pick_route(cur, rng, absences))
                search.route_cap = cur.vehicles
            cand = cur.copy()
            removed = search.ruin(cand, customers)
            search.recreate(cand, removed)
            if cand.unassigned and search.fast:
                _eject(search, cand, absences)
            it += 1
            if not cand.unassigned:
                obj = search.objective(cand)
                if obj < best_obj:  # one route fewer (queue penalties may still forbid it)
                    best, best_obj, cur = cand, obj, None
                    since = frac
                    continue
            absences[cand.unassigned] += 1.0
            n_cand, n_cur = len(cand.unassigned), len(cur.unassigned)
            if n_cand < n_cur or (absences[cand.unassigned].sum() < absences[cur.unassigned].sum()):
                cur = cand
    finally:
        search.route_cap = None
    return best, it, absences


class FleetRepair:
    """Keeps the distance phase at the fleet size: repairs candidates that need more routes.

    After ruin and recreate at a tight fleet, a customer that fits in no route opens a new
    one and the candidate is lost to the vehicle penalty. The repair empties the smallest
    routes above the fleet size into the pool and places the pool by one-customer ejections
    (least absent first, as in the route-minimisation phase); customers still unplaced stay
    unserved (the solver's penalty rejects the candidate) and count an absence. One vehicle
    type only (the others are left as they are).
    """

    def __init__(self, search: _Search, absences: np.ndarray) -> None:
        self.search = search
        self.absences = absences

    def __call__(self, state: _State, cap: int) -> None:
        search = self.search
        if not search.fast or state.vehicles <= cap:
            return
        small = sorted((len(r), ri) for ri, r in enumerate(state.routes) if r)
        for ri in sorted((ri for _n, ri in small[: state.vehicles - cap]), reverse=True):
            _remove_route(state, ri)
        search.route_cap = cap
        try:
            _eject(search, state, self.absences)
        finally:
            search.route_cap = None
        self.absences[state.unassigned] += 1.0
