"""Compiled exact refuelling search over a :class:`~h2lane.routing.stationgraph.StationGraph`.

The same label-setting search as :func:`h2lane.routing.refuel.solve` — states
``(stop node, arrival level)``, departure levels "full" or "just enough for the
next hop with the reserve" (the gas-station structure), lexicographic keys
(objective, tie-break), opening hours with FIFO waiting — but in numba, with the
arcs taken from the range-bounded station graph (only hops a full tank can
drive) and, optionally, only the ``(leg, station)`` pairs an exact candidate
filter kept. Driver rest rules and the closing-time rule are not modelled here:
it is the fast path for ``RestRules.off()`` and the reference the rest-aware
planner can be checked against.

A label budget bounds memory: past ``max_labels`` the search stops and
:func:`solve_station_graph` raises :class:`~h2lane.errors.ResourceLimitError`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from h2lane.errors import OptionError, ResourceLimitError
from h2lane.routing.refuel import Objective, PlannedStop, RefuelSolution
from h2lane.routing.stationgraph import StationGraph, TripDistances, TripSpec

EPS = 1e-9
# label columns (float): level, time, money, km, buy, wait, fill, arrive_parent_h
_LV, _TM, _MO, _KM, _BUY, _WT, _FL, _AP = range(8)


@njit(cache=True, inline="always")
def _wait_hours(arrive_h, open_h, close_h):  # pragma: no cover - compiled
    if close_h - open_h >= 24.0 - EPS:
        return 0.0
    t = arrive_h % 24.0
    for shift in (-24.0, 0.0):
        if open_h + shift - EPS <= t < close_h + shift:
            return 0.0
    return (open_h - t) % 24.0


@njit(cache=True, inline="always")
def _less(a1, a2, a3, b1, b2, b3):  # pragma: no cover - compiled
    if a1 != b1:
        return a1 < b1
    if a2 != b2:
        return a2 < b2
    return a3 < b3


@njit(cache=True, inline="always")
def _slot(tk, key):  # pragma: no cover - compiled
    """Slot of ``key`` in an open-addressing table (or the empty slot where it would go)."""
    mask = tk.size - 1
    h = (key * np.int64(-7046029254386353131)) >> np.int64(17)
    i = h & mask
    while tk[i] != -1 and tk[i] != key:
        i = (i + 1) & mask
    return i


@njit(cache=True)
def _grow(tk, tv):  # pragma: no cover - compiled
    nk = np.full(2 * tk.size, -1, dtype=np.int64)
    nv = np.empty(2 * tk.size, dtype=np.int64)
    for i in range(tk.size):
        if tk[i] != -1:
            j = _slot(nk, tk[i])
            nk[j] = tk[i]
            nv[j] = tv[i]
    return nk, nv


@njit(cache=True)
def _search(
    sg_ptr,
    sg_idx,
    sg_m,
    wp_m,
    wp_order,
    leg_m,
    rate,
    tank,
    start,
    reserve,
    speed,
    price,
    fill_h,
    connect_h,
    open_h,
    close_h,
    depart_h,
    cost_objective,
    full_refuel,
    allowed,
    max_labels,
):  # pragma: no cover - compiled
    """Returns ``(status, end label, labels_f, labels_i, explored)``; status 0 ok, 1 none, 2 budget."""
    L = leg_m.size
    n = sg_ptr.size - 1
    dest = 1 + L * n
    leg_km = leg_m / 1000.0
    cum_km = np.zeros(L + 1)
    cum_kg = np.zeros(L + 1)
    rest_km = np.zeros(L + 1)
    rest_kg = np.zeros(L + 1)
    for m in range(L):  # the same float operations as refuel.StopGraph
        cum_km[m + 1] = cum_km[m] + leg_km[m]
        cum_kg[m + 1] = cum_kg[m] + leg_km[m] * rate[m]
    for m in range(L - 1, -1, -1):
        rest_km[m] = rest_km[m + 1] + leg_km[m]
        rest_kg[m] = rest_kg[m + 1] + leg_km[m] * rate[m]
    cap_kg = tank - reserve
    C = 1024
    lf = np.empty((C, 8))
    li = np.empty((C, 2), dtype=np.int64)  # node, parent
    nl = 0
    hk1 = np.empty(C)
    hk2 = np.empty(C)
    hsq = np.empty(C, dtype=np.int64)
    hs = 0
    # state (node, level in µkg) → its best label; a label is settled once popped
    tk = np.full(1 << 12, -1, dtype=np.int64)
    tv = np.empty(1 << 12, dtype=np.int64)
    n_keys = 0
    popped = np.zeros(C, dtype=np.bool_)
    # successor buffers (reused)
    sb = np.empty(n * L + 2, dtype=np.int64)
    skm = np.empty(n * L + 2)
    skg = np.empty(n * L + 2)

    # origin label
    lf[0, _LV] = start
    lf[0, 1:] = 0.0
    li[0, 0] = 0
    li[0, 1] = -1
    nl = 1
    hk1[0] = 0.0
    hk2[0] = 0.0
    hsq[0] = 0
    hs = 1
    key0 = np.int64(round(start * 1e6))
    q0 = _slot(tk, key0)
    tk[q0] = key0
    tv[q0] = 0
    n_keys = 1
    explored = 0
    while hs > 0:
        # pop the smallest (k1, k2, seq)
        s = hsq[0]
        hs -= 1
        if hs > 0:
            hk1[0], hk2[0], hsq[0] = hk1[hs], hk2[hs], hsq[hs]
            i = 0
            while True:
                a = 2 * i + 1
                if a >= hs:
                    break
                b = a + 1
                c = a
                if b < hs and _less(hk1[b], hk2[b], hsq[b], hk1[a], hk2[a], hsq[a]):
                    c = b
                if not _less(hk1[c], hk2[c], hsq[c], hk1[i], hk2[i], hsq[i]):
                    break
                hk1[c], hk1[i] = hk1[i], hk1[c]
                hk2[c], hk2[i] = hk2[i], hk2[c]
                hsq[c], hsq[i] = hsq[i], hsq[c]
                i = c
        u = li[s, 0]
        level = lf[s, _LV]
        state = u * (1 << 31) + np.int64(round(level * 1e6))
        if tv[_slot(tk, state)] != s:
            continue  # a better label of this state came first
        popped[s] = True
        explored += 1
        if u == dest:
            return 0, s, lf[:nl], li[:nl], explored
        # ---- successors of u: (node, km, kg)
        ns = 0
        if u == 0:
            avail = level - reserve
            out_km = 0.0
            out_kg = 0.0
            base = 0
            first_m = 0
            ok_out = True
        else:
            avail = cap_kg
            k0 = (u - 1) // n
            ni = (u - 1) % n
            r = rate[k0]
            for q in range(sg_ptr[ni], sg_ptr[ni + 1]):
                j = sg_idx[q]
                km = sg_m[q] / 1000.0
                kg = km * r
                v = 1 + k0 * n + j
                if kg <= avail + EPS and allowed[v]:
                    sb[ns] = v
                    skm[ns] = km
                    skg[ns] = kg
                    ns += 1
            d_out = wp_m[k0 + 1, ni]
            ok_out = d_out >= 0
            out_km = d_out / 1000.0
            out_kg = out_km * r
            base = k0 + 1
            first_m = k0 + 1
        if ok_out:
            for m in range(first_m, L):
                if u == 0:
                    bkm = cum_km[m]
                    bkg = cum_kg[m]
                else:
                    bkm = out_km + (cum_km[m] - cum_km[base])
                    bkg = out_kg + (cum_kg[m] - cum_kg[base])
                if bkg > avail + EPS:
                    break
                for t in range(n):
                    j = wp_order[m, t]
                    d = wp_m[m, j]
                    if d < 0:
                        break
                    dk = d / 1000.0
                    km = bkm + dk
                    kg = bkg + dk * rate[m]
                    if kg > avail + EPS:
                        break
                    v = 1 + m * n + j
                    if allowed[v]:
                        sb[ns] = v
                        skm[ns] = km
                        skg[ns] = kg
                        ns += 1
            if u == 0:
                km = cum_km[L]
                kg = cum_kg[L]
            else:
                km = out_km + rest_km[base]
                kg = out_kg + rest_kg[base]
            if kg <= avail + EPS:
                sb[ns] = dest
                skm[ns] = km
                skg[ns] = kg
                ns += 1
        # ---- labels
        t_u = lf[s, _TM]
        now = depart_h + t_u
        if u != 0:
            ii = (u - 1) % n
            wait = _wait_hours(now, open_h[ii], close_h[ii])
        else:
            ii = -1
            wait = 0.0
        for e in range(ns):
            v = sb[e]
            d = skm[e]
            f = skg[e]
            for opt in range(2):
                if u == 0:
                    if opt == 1:
                        break
                    dep = level
                    buy = 0.0
                    fl = 0.0
                    money = lf[s, _MO]
                    time_h = t_u + d / speed
                else:
                    if opt == 0:
                        dep = tank
                    else:
                        if full_refuel:
                            break
                        dep = reserve + f
                    if dep < reserve + f - EPS:
                        continue
                    buy = dep - level
                    if buy <= EPS:
                        continue
                    fl = connect_h[ii] + buy * fill_h[ii]
                    money = lf[s, _MO] + buy * price[ii]
                    time_h = t_u + wait + fl + d / speed
                new_level = dep - f
                st = v * (1 << 31) + np.int64(round(new_level * 1e6))
                slot = _slot(tk, st)
                k1 = money if cost_objective else time_h
                k2 = time_h if cost_objective else money
                if tk[slot] == st:
                    o = tv[slot]
                    if popped[o]:
                        continue
                    o1 = lf[o, _MO] if cost_objective else lf[o, _TM]
                    o2 = lf[o, _TM] if cost_objective else lf[o, _MO]
                    if o1 < k1 or (o1 == k1 and o2 <= k2):
                        continue
                if nl >= max_labels:
                    return 2, -1, lf[:nl], li[:nl], explored
                if nl == lf.shape[0]:
                    lf2 = np.empty((2 * nl, 8))
                    lf2[:nl] = lf
                    lf = lf2
                    li2 = np.empty((2 * nl, 2), dtype=np.int64)
                    li2[:nl] = li
                    li = li2
                    pp = np.zeros(2 * nl, dtype=np.bool_)
                    pp[:nl] = popped
                    popped = pp
                lf[nl, _LV] = new_level
                lf[nl, _TM] = time_h
                lf[nl, _MO] = money
                lf[nl, _KM] = lf[s, _KM] + d
                lf[nl, _BUY] = buy
                lf[nl, _WT] = wait if u != 0 else 0.0
                lf[nl, _FL] = fl
                lf[nl, _AP] = now
                li[nl, 0] = v
                li[nl, 1] = s
                if tk[slot] != st:
                    tk[slot] = st
                    n_keys += 1
                tv[slot] = nl
                if 2 * n_keys > tk.size:
                    tk, tv = _grow(tk, tv)
                # heap push
                if hs == hk1.size:
                    a1 = np.empty(2 * hs)
                    a1[:hs] = hk1
                    hk1 = a1
                    a2 = np.empty(2 * hs)
                    a2[:hs] = hk2
                    hk2 = a2
                    a3 = np.empty(2 * hs, dtype=np.int64)
                    a3[:hs] = hsq
                    hsq = a3
                q = hs
                hk1[q] = k1
                hk2[q] = k2
                hsq[q] = nl
                hs += 1
                while q > 0:
                    p = (q - 1) >> 1
                    if not _less(hk1[q], hk2[q], hsq[q], hk1[p], hk2[p], hsq[p]):
                        break
                    hk1[p], hk1[q] = hk1[q], hk1[p]
                    hk2[p], hk2[q] = hk2[q], hk2[p]
                    hsq[p], hsq[q] = hsq[q], hsq[p]
                    q = p
                nl += 1
    return 1, -1, lf[:nl], li[:nl], explored


def _sub_csr(sg: StationGraph, keep: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """The station graph restricted to the stations ``keep`` (renumbered 0…len(keep)−1)."""
    if len(keep) == sg.n:
        return sg.indptr, sg.idx, sg.metres.astype(np.int64)
    new = np.full(sg.n, -1, dtype=np.int64)
    new[keep] = np.arange(len(keep))
    rows_idx: list[NDArray] = []
    rows_m: list[NDArray] = []
    counts = np.zeros(len(keep), dtype=np.int64)
    for r, i in enumerate(keep):
        lo, hi = int(sg.indptr[i]), int(sg.indptr[i + 1])
        cols = new[sg.idx[lo:hi]]
        ok = cols >= 0
        rows_idx.append(cols[ok].astype(np.int32))
        rows_m.append(sg.metres[lo:hi][ok].astype(np.int64))
        counts[r] = int(ok.sum())
    ptr = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    if not rows_idx:
        return ptr, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    return ptr, np.concatenate(rows_idx), np.concatenate(rows_m)


def solve_station_graph(
    sg: StationGraph,
    spec: TripSpec,
    objective: Objective = "time",
    *,
    full_refuel: bool = False,
    depart_h: float = 8.0,
    dist: TripDistances | None = None,
    leg_mask: NDArray | None = None,
    max_labels: int = 20_000_000,
) -> RefuelSolution | None:
    """Optimal plan (``None`` when none exists), as :func:`~h2lane.routing.refuel.solve` gives.

    Stop indices in the solution refer to the station graph's stations.
    ``leg_mask`` (``(L, n)`` booleans, e.g. :attr:`Candidates.leg_mask`) restricts the
    stops; the station graph's range must cover the longest hop of the trip.
    """
    if objective not in ("time", "cost"):
        raise OptionError(f"objective must be 'time' or 'cost', not {objective!r}")
    if sg.range_km + 1e-9 < spec.max_hop_km():
        raise OptionError(
            f"the station graph covers hops up to {sg.range_km:g} km but this truck can drive "
            f"{spec.max_hop_km():.1f} km on a full tank: build it with range_km ≥ that"
        )
    if not (math.isfinite(depart_h) and 0 <= depart_h < 48):
        raise OptionError(f"depart_h must be an hour of the day, not {depart_h!r}")
    dist = dist or sg.trip_distances(spec)
    if np.any(dist.leg_m < 0):
        return None
    n_all, L = sg.n, spec.n_legs
    keep = np.arange(n_all)
    mask = np.ones((L, n_all), dtype=bool)
    if leg_mask is not None:
        mask = np.asarray(leg_mask, dtype=bool)
        if mask.shape != (L, n_all):
            raise OptionError(f"leg_mask must have shape ({L}, {n_all})")
        keep = np.flatnonzero(mask.any(axis=0))
    ptr, idx, metres = _sub_csr(sg, keep)
    n = len(keep)
    allowed = np.ones(2 + L * n, dtype=np.bool_)
    allowed[1 : 1 + L * n] = mask[:, keep].ravel()
    wp_m = np.ascontiguousarray(dist.wp_m[:, keep])
    wp_sort = np.where(wp_m < 0, np.iinfo(np.int64).max, wp_m)
    wp_order = np.argsort(wp_sort, axis=1, kind="stable").astype(np.int64)
    status, end, lf, li, explored = _search(
        ptr,
        idx,
        metres,
        wp_m,
        wp_order,
        dist.leg_m.astype(np.float64),
        np.asarray(spec.kg_per_km, dtype=float),
        spec.tank_kg,
        spec.start_kg,
        spec.reserve_kg,
        spec.speed_kmh,
        sg.price[keep],
        sg.fill_h_per_kg[keep],
        sg.connect_h[keep],
        sg.open_h[keep],
        sg.close_h[keep],
        float(depart_h),
        objective == "cost",
        bool(full_refuel),
        allowed,
        int(max_labels),
    )
    if status == 2:
        raise ResourceLimitError(
            f"the refuelling search stopped after {max_labels:,} labels "
            f"({max_labels * 80 / 1e6:.0f} MB) without an answer: filter the stations first"
        )
    if status == 1:
        return None
    chain = [int(end)]
    while li[chain[-1], 1] >= 0:
        chain.append(int(li[chain[-1], 1]))
    chain.reverse()
    stops: list[PlannedStop] = []
    bought = 0.0
    for prev, nxt in zip(chain[:-1], chain[1:], strict=True):
        node = int(li[prev, 0])
        if node == 0:
            continue
        k, jj = divmod(node - 1, n)
        j = int(keep[jj])
        buy = float(lf[nxt, _BUY])
        stops.append(
            PlannedStop(
                leg=k,
                station=j,
                km_from_start=float(lf[prev, _KM]),
                arrive_h=float(lf[nxt, _AP]),
                wait_h=float(lf[nxt, _WT]),
                refuel_h=float(lf[nxt, _FL]),
                arrive_kg=float(lf[prev, _LV]),
                refuel_kg=buy,
                cost=buy * float(sg.price[j]),
            )
        )
        bought += buy
    e = lf[end]
    return RefuelSolution(
        stops=stops,
        distance_km=float(e[_KM]),
        duration_h=float(e[_TM]),
        drive_h=float(e[_KM]) / spec.speed_kmh,
        cost=float(e[_MO]),
        h2_used_kg=spec.start_kg + bought - float(e[_LV]),
        end_kg=float(e[_LV]),
        states_explored=int(explored),
        objective=objective,
    )
