"""Numba kernels: station-path options between customers and exact route evaluation.

A route is a sequence of customers. Between two consecutive points (depot or customer)
the vehicle drives directly or through a *station path* (first station s1, cheapest
station-graph path to the last station s2, full refuel at each station). For every pair of
points the non-dominated station paths are precomputed (the multigraph reformulation of
Andelmin & Bartolini): criteria distance, energy needed to reach s1, energy left on arrival
and the time spent. For a fixed customer sequence a small label-setting dynamic programme
over (distance, energy, time) labels then places stations optimally and checks time windows,
duration and range exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_OPTIONS = 16
"""Station paths kept per pair of points; fewer on large instances (memory n² × options)."""
MAX_LABELS = 8
EPS = 1e-7
INF = np.inf


@njit(cache=True)
def station_graph(energy, stations, tank):
    """All-pairs shortest station-to-station paths using hops within the tank (Floyd-Warshall).

    Returns distances ``ss`` (k × k, in distance units via ``energy``'s matrix proxy) and ``nxt``
    for path recovery; ``energy`` here is the distance matrix scaled by consumption.
    """
    k = len(stations)
    ss = np.full((k, k), INF)
    nxt = np.full((k, k), -1, dtype=np.int64)
    for a in range(k):
        for b in range(k):
            e = energy[stations[a], stations[b]]
            if a == b:
                ss[a, b] = 0.0
                nxt[a, b] = b
            elif e <= tank + EPS:
                ss[a, b] = e
                nxt[a, b] = b
    for m in range(k):
        for a in range(k):
            for b in range(k):
                if ss[a, m] + ss[m, b] < ss[a, b] - 1e-12:
                    ss[a, b] = ss[a, m] + ss[m, b]
                    nxt[a, b] = nxt[a, m]
    return ss, nxt


@njit(cache=True)
def build_options(
    points,
    stations,
    dist,
    ttime,
    energy,
    tank,
    refuel_fixed,
    refuel_rate,
    ss_energy,
    ss_nhops,
    max_options,
):
    """Non-dominated station paths for every ordered pair of points.

    Returns arrays of shape (n, n, max_options): first station, last station, distance,
    energy needed to reach the first station, energy left on arrival, and the time spent
    excluding the level-dependent recharge at the first station; plus the option count.
    """
    n = dist.shape[0]
    k = len(stations)
    o_s1 = np.full((n, n, max_options), -1, dtype=np.int64)
    o_s2 = np.full((n, n, max_options), -1, dtype=np.int64)
    o_dist = np.full((n, n, max_options), INF)
    o_eout = np.zeros((n, n, max_options))
    o_eleft = np.zeros((n, n, max_options))
    o_time = np.zeros((n, n, max_options))
    o_count = np.zeros((n, n), dtype=np.int64)
    ratio = 1.0  # distance per energy along station paths (same consumption everywhere)
    cons = 0.0
    # recover consumption from any non-zero pair
    for a in range(n):
        for b in range(n):
            if dist[a, b] > 0:
                cons = energy[a, b] / dist[a, b]
                break
        if cons > 0:
            break
    if cons > 0:
        ratio = 1.0 / cons
    cand_d = np.empty(k * k)
    cand_eo = np.empty(k * k)
    cand_el = np.empty(k * k)
    cand_t = np.empty(k * k)
    cand_s1 = np.empty(k * k, dtype=np.int64)
    cand_s2 = np.empty(k * k, dtype=np.int64)
    speed = 0.0
    for a in range(n):
        for b in range(n):
            if dist[a, b] > 0 and ttime[a, b] > 0:
                speed = dist[a, b] / ttime[a, b]
                break
        if speed > 0:
            break
    # candidate first/last stations: the `near` closest to each point (all on small sets)
    near = k if k <= 24 else 12
    first = np.empty((n, near), dtype=np.int64)
    last = np.empty((n, near), dtype=np.int64)
    st_e_out = np.empty(k)
    st_e_in = np.empty(k)
    for pp in range(len(points)):
        p_ = points[pp]
        for x in range(k):
            st_e_out[x] = energy[p_, stations[x]]
            st_e_in[x] = energy[stations[x], p_]
        o1 = np.argsort(st_e_out)
        o2 = np.argsort(st_e_in)
        for r in range(near):
            first[p_, r] = o1[r]
            last[p_, r] = o2[r]
    for ii in range(len(points)):
        i = points[ii]
        for jj in range(len(points)):
            j = points[jj]
            if i == j:
                continue
            m = 0
            for xr in range(near):
                x = first[i, xr]
                e1 = energy[i, stations[x]]
                if e1 > tank + EPS:
                    continue
                for yr in range(near):
                    y = last[j, yr]
                    e2 = energy[stations[y], j]
                    if e2 > tank + EPS:
                        continue
                    inner = ss_energy[x, y]
                    if inner == INF:
                        continue
                    d = dist[i, stations[x]] + inner * ratio + dist[stations[y], j]
                    nst = ss_nhops[x, y] + 1
                    t = (
                        ttime[i, stations[x]]
                        + (inner * ratio) / speed
                        + ttime[stations[y], j]
                        + refuel_fixed * nst
                        + refuel_rate * inner
                    )
                    cand_d[m] = d
                    cand_eo[m] = e1
                    cand_el[m] = tank - e2
                    cand_t[m] = t + refuel_rate * e1  # recharge at s1 adds rate*(tank-level)
                    cand_s1[m] = stations[x]
                    cand_s2[m] = stations[y]
                    m += 1
            # Pareto sweep in order of distance: a candidate survives unless an earlier
            # (shorter) survivor needs no more energy, leaves no less and takes no longer
            order = np.argsort(cand_d[:m], kind="mergesort")
            c = 0
            for r in range(m):
                p = order[r]
                dominated = False
                for q in range(c):
                    if (
                        o_eout[i, j, q] <= cand_eo[p] + 1e-12
                        and o_eleft[i, j, q] >= cand_el[p] - 1e-12
                        and o_time[i, j, q] <= cand_t[p] + 1e-12
                    ):
                        dominated = True
                        break
                if dominated:
                    continue
                o_s1[i, j, c] = cand_s1[p]
                o_s2[i, j, c] = cand_s2[p]
                o_dist[i, j, c] = cand_d[p]
                o_eout[i, j, c] = cand_eo[p]
                o_eleft[i, j, c] = cand_el[p]
                o_time[i, j, c] = cand_t[p]
                c += 1
                if c == max_options:
                    break
            o_count[i, j] = c
    return o_s1, o_s2, o_dist, o_eout, o_eleft, o_time, o_count


@njit(cache=True)
def evaluate(
    seq,
    dist,
    ttime,
    energy,
    ready,
    due,
    service,
    tank,
    start_energy,
    max_duration,
    refuel_rate,
    o_dist,
    o_eout,
    o_eleft,
    o_time,
    o_count,
    choices,
):
    """Minimal distance of depot → seq → depot with optimal station paths; ``inf`` if infeasible.

    ``choices`` (len(seq)+1) receives, when the route is feasible, the option used on each arc
    (-1 direct, else the option index).
    """
    m = len(seq)
    lab_d = np.empty(MAX_LABELS)
    lab_e = np.empty(MAX_LABELS)
    lab_t = np.empty(MAX_LABELS)
    nl = 1
    lab_d[0] = 0.0
    lab_e[0] = start_energy
    t0 = ready[0]
    lab_t[0] = t0
    # parent tracking for reconstruction
    par = np.full((m + 1, MAX_LABELS), -1, dtype=np.int64)
    opt = np.full((m + 1, MAX_LABELS), -1, dtype=np.int64)
    width = MAX_LABELS * (o_dist.shape[2] + 1)
    new_d = np.empty(width)
    new_e = np.empty(width)
    new_t = np.empty(width)
    new_p = np.empty(width, dtype=np.int64)
    new_o = np.empty(width, dtype=np.int64)
    keep = np.empty(width, dtype=np.bool_)
    prev = 0
    for step in range(m + 1):
        cur = seq[step] if step < m else 0
        nn = 0
        for li in range(nl):
            d0, e0, tt = lab_d[li], lab_e[li], lab_t[li]
            e = energy[prev, cur]
            if e0 - e >= -EPS:
                new_d[nn] = d0 + dist[prev, cur]
                new_e[nn] = e0 - e
                new_t[nn] = tt + ttime[prev, cur]
                new_p[nn] = li
                new_o[nn] = -1
                nn += 1
            for c in range(o_count[prev, cur]):
                if e0 >= o_eout[prev, cur, c] - EPS:
                    new_d[nn] = d0 + o_dist[prev, cur, c]
                    new_e[nn] = o_eleft[prev, cur, c]
                    new_t[nn] = tt + o_time[prev, cur, c] + refuel_rate * (tank - e0)
                    new_p[nn] = li
                    new_o[nn] = c
                    nn += 1
        # time windows at cur
        for q in range(nn):
            t = new_t[q]
            if t < ready[cur]:
                t = ready[cur]
            keep[q] = t <= due[cur] + EPS
            if step == m:
                keep[q] = keep[q] and (t - t0 <= max_duration + EPS)
            new_t[q] = t + (service[cur] if step < m else 0.0)
        # Pareto filter
        for p in range(nn):
            if not keep[p]:
                continue
            for q in range(nn):
                if p == q or not keep[q]:
                    continue
                if (
                    new_d[q] <= new_d[p] + 1e-12
                    and new_e[q] >= new_e[p] - 1e-12
                    and new_t[q] <= new_t[p] + 1e-12
                    and (
                        new_d[q] < new_d[p] - 1e-12
                        or new_e[q] > new_e[p] + 1e-12
                        or new_t[q] < new_t[p] - 1e-12
                        or q < p
                    )
                ):
                    keep[p] = False
                    break
        nl = 0
        while nl < MAX_LABELS:
            best = -1
            for p in range(nn):
                if keep[p] and (best < 0 or new_d[p] < new_d[best]):
                    best = p
            if best < 0:
                break
            keep[best] = False
            lab_d[nl] = new_d[best]
            lab_e[nl] = new_e[best]
            lab_t[nl] = new_t[best]
            par[step, nl] = new_p[best]
            opt[step, nl] = new_o[best]
            nl += 1
        if nl == 0:
            return INF
        prev = cur
    best = 0
    for li in range(1, nl):
        if lab_d[li] < lab_d[best]:
            best = li
    li = best
    for step in range(m, -1, -1):
        choices[step] = opt[step, li]
        li = par[step, li]
    return lab_d[best]


@njit(cache=True)
def best_insertion(
    route,
    u,
    cost_old,
    bound,
    demand,
    load_capacity,
    dist,
    ttime,
    energy,
    ready,
    due,
    service,
    tank,
    start_energy,
    max_duration,
    refuel_rate,
    o_dist,
    o_eout,
    o_eleft,
    o_time,
    o_count,
):
    """Cheapest insertion of customer ``u`` into ``route`` with increase below ``bound``.

    Positions are tried in order of their direct-distance delta; a position is skipped when
    even a station-free route could not beat the best increase found so far.
    Returns (position, increase) or (-1, inf).
    """
    m = len(route)
    load = demand[u]
    direct_old = 0.0
    prev = 0
    for q in range(m):
        load += demand[route[q]]
        direct_old += dist[prev, route[q]]
        prev = route[q]
    direct_old += dist[prev, 0]
    if load > load_capacity + 1e-9:
        return -1, INF
    deltas = np.empty(m + 1)
    for pos in range(m + 1):
        a = route[pos - 1] if pos > 0 else 0
        b = route[pos] if pos < m else 0
        deltas[pos] = dist[a, u] + dist[u, b] - dist[a, b]
    # time-window screen on the station-free schedule: stations only add time, so a position
    # whose station-free schedule misses a window cannot be feasible
    earliest = np.empty(m + 1)  # departure from the point before position pos
    t = ready[0]
    earliest[0] = t
    prev = 0
    for q in range(m):
        c = route[q]
        t = max(t + ttime[prev, c], ready[c]) + service[c]
        earliest[q + 1] = t
        prev = c
    latest = np.empty(m + 1)  # latest service start at route[q] (index m: the depot)
    latest[m] = min(due[0], ready[0] + max_duration)
    nxt = 0
    for q in range(m - 1, -1, -1):
        c = route[q]
        latest[q] = min(due[c], latest[q + 1] - service[c] - ttime[c, nxt])
        nxt = c
    for pos in range(m + 1):
        a = route[pos - 1] if pos > 0 else 0
        b = route[pos] if pos < m else 0
        arr_u = earliest[pos] + ttime[a, u]
        if arr_u > due[u] + EPS:
            deltas[pos] = INF
            continue
        arr_b = max(arr_u, ready[u]) + service[u] + ttime[u, b]
        if arr_b > latest[pos] + EPS:
            deltas[pos] = INF
    order = np.argsort(deltas)
    seq = np.empty(m + 1, dtype=np.int64)
    choices = np.empty(m + 2, dtype=np.int64)
    best_pos = -1
    best_inc = bound
    for r in range(m + 1):
        pos = order[r]
        if deltas[pos] == INF:
            break
        lb = direct_old + deltas[pos] - cost_old
        if lb >= best_inc - 1e-12:
            break
        for q in range(pos):
            seq[q] = route[q]
        seq[pos] = u
        for q in range(pos, m):
            seq[q + 1] = route[q]
        c = evaluate(
            seq,
            dist,
            ttime,
            energy,
            ready,
            due,
            service,
            tank,
            start_energy,
            max_duration,
            refuel_rate,
            o_dist,
            o_eout,
            o_eleft,
            o_time,
            o_count,
            choices,
        )
        inc = c - cost_old
        if inc < best_inc - 1e-12:
            best_inc = inc
            best_pos = pos
    return best_pos, best_inc
