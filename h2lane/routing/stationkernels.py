"""Compiled (numba) kernels behind :mod:`h2lane.routing.stationgraph`.

All road distances are integers in metres, as in the CCH engine, so the
distances found here are the very numbers :meth:`RoadGraph.matrix_km` returns.
``INF_M`` marks "unreachable / beyond the limit".
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

INF_M = np.int64(2**62)


@njit(cache=True, inline="always")
def _push(hk, hv, hs, size, key, val, src):  # pragma: no cover - compiled
    i = size
    hk[i] = key
    hv[i] = val
    hs[i] = src
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= hk[i]:
            break
        hk[p], hk[i] = hk[i], hk[p]
        hv[p], hv[i] = hv[i], hv[p]
        hs[p], hs[i] = hs[i], hs[p]
        i = p
    return size + 1


@njit(cache=True, inline="always")
def _pop(hk, hv, hs, size):  # pragma: no cover - compiled
    key, val, src = hk[0], hv[0], hs[0]
    size -= 1
    if size > 0:
        hk[0], hv[0], hs[0] = hk[size], hv[size], hs[size]
        i = 0
        while True:
            a = 2 * i + 1
            if a >= size:
                break
            b = a + 1
            c = b if b < size and hk[b] < hk[a] else a
            if hk[i] <= hk[c]:
                break
            hk[c], hk[i] = hk[i], hk[c]
            hv[c], hv[i] = hv[i], hv[c]
            hs[c], hs[i] = hs[i], hs[c]
            i = c
    return key, val, src, size


@njit(cache=True, inline="always")
def _fpush(hk, hv, size, key, val):  # pragma: no cover - compiled
    """Push onto a float-keyed heap, doubling its arrays when full (never drops an entry)."""
    if size == hk.size:
        hk2 = np.empty(2 * hk.size, dtype=np.float64)
        hv2 = np.empty(2 * hk.size, dtype=np.int64)
        hk2[:size] = hk[:size]
        hv2[:size] = hv[:size]
        hk, hv = hk2, hv2
    i = size
    hk[i] = key
    hv[i] = val
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= hk[i]:
            break
        hk[p], hk[i] = hk[i], hk[p]
        hv[p], hv[i] = hv[i], hv[p]
        i = p
    return hk, hv, size + 1


@njit(cache=True)
def dense_sub_km(indptr, idx, metres, sub, pos, out):  # pragma: no cover - compiled
    """Fill ``out`` (``inf`` beyond the range, 0 on the diagonal beforehand) with the km
    between the stations ``sub``; ``pos`` maps a station to its row in ``sub`` (else −1)."""
    for r in range(sub.size):
        i = sub[r]
        for q in range(indptr[i], indptr[i + 1]):
            c = pos[idx[q]]
            if c >= 0:
                out[r, c] = metres[q] / 1000.0


@njit(cache=True, parallel=True)
def bounded_rows(indptr, heads, w_m, sources, limit_m, st_ptr, st_idx, out):  # pragma: no cover
    """Road metres from every source node to every station within ``limit_m``.

    ``out[r, s]`` receives the distance from ``sources[r]`` to station ``s``
    (``-1`` when beyond the limit). Stations sit on nodes: ``st_idx[st_ptr[u]:st_ptr[u+1]]``.
    One bounded Dijkstra per source, the sources split over the cores.
    """
    n = indptr.size - 1
    cap = heads.size + 1
    for r in prange(sources.size):
        dist = np.full(n, INF_M, dtype=np.int64)
        done = np.zeros(n, dtype=np.bool_)
        hk = np.empty(cap, dtype=np.int64)
        hv = np.empty(cap, dtype=np.int32)
        hs = np.empty(cap, dtype=np.int32)
        size = _push(hk, hv, hs, 0, np.int64(0), np.int32(sources[r]), np.int32(0))
        dist[sources[r]] = 0
        while size > 0:
            d, u, _, size = _pop(hk, hv, hs, size)
            if done[u]:
                continue
            done[u] = True
            for q in range(st_ptr[u], st_ptr[u + 1]):
                out[r, st_idx[q]] = d
            for e in range(indptr[u], indptr[u + 1]):
                v = heads[e]
                nd = d + w_m[e]
                if nd < dist[v] and nd <= limit_m:
                    dist[v] = nd
                    size = _push(hk, hv, hs, size, nd, np.int32(v), np.int32(0))


@njit(cache=True)
def k_nearest(indptr, heads, w_m, st_nodes, k, limit_m, st_off_m):  # pragma: no cover
    """For every road node, its ``k`` nearest distinct stations within ``limit_m``.

    One multi-source Dijkstra keeping up to ``k`` labels per node, each from a
    different station, started at ``st_off_m`` metres (a station's access to its road
    node; zeros for none). Exact: if station ``s`` is among the ``k`` nearest of
    ``v``, it is among the ``k`` nearest of every node on its shortest path to
    ``v`` (a node with ``k`` strictly nearer stations would pass them on to ``v``).
    Returns ``(km_m, station)`` arrays of shape ``(n_nodes, k)``, sorted by distance.
    """
    n = indptr.size - 1
    kd = np.full((n, k), INF_M, dtype=np.int64)
    ks = np.full((n, k), -1, dtype=np.int32)
    cnt = np.zeros(n, dtype=np.int32)
    cap = k * heads.size + st_nodes.size + 1
    hk = np.empty(cap, dtype=np.int64)
    hv = np.empty(cap, dtype=np.int32)
    hs = np.empty(cap, dtype=np.int32)
    size = 0
    for s in range(st_nodes.size):
        if st_off_m[s] <= limit_m:
            size = _push(hk, hv, hs, size, st_off_m[s], np.int32(st_nodes[s]), np.int32(s))
    while size > 0:
        d, u, s, size = _pop(hk, hv, hs, size)
        c = cnt[u]
        if c >= k:
            continue
        seen = False
        for q in range(c):
            if ks[u, q] == s:
                seen = True
                break
        if seen:
            continue
        kd[u, c] = d
        ks[u, c] = s
        cnt[u] = c + 1
        for e in range(indptr[u], indptr[u + 1]):
            v = heads[e]
            nd = d + w_m[e]
            if nd > limit_m or cnt[v] >= k:
                continue
            if size >= cap:
                continue  # cannot happen: each node settles ≤ k labels
            size = _push(hk, hv, hs, size, nd, np.int32(v), np.int32(s))
    return kd, ks


@njit(cache=True)
def nearest_from(
    indptr, heads, w_m, source, limit_m, st_ptr, st_idx, max_found
):  # pragma: no cover
    """Stations reachable from ``source`` within ``limit_m``, nearest first (early exit).

    Returns ``(station, metres)`` of at most ``max_found`` stations.
    """
    n = indptr.size - 1
    dist = np.full(n, INF_M, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    cap = heads.size + 1
    hk = np.empty(cap, dtype=np.int64)
    hv = np.empty(cap, dtype=np.int32)
    hs = np.empty(cap, dtype=np.int32)
    found_s = np.empty(max_found, dtype=np.int32)
    found_d = np.empty(max_found, dtype=np.int64)
    nf = 0
    dist[source] = 0
    size = _push(hk, hv, hs, 0, np.int64(0), np.int32(source), np.int32(0))
    while size > 0 and nf < max_found:
        d, u, _, size = _pop(hk, hv, hs, size)
        if d > limit_m:
            break
        if done[u]:
            continue
        done[u] = True
        for q in range(st_ptr[u], st_ptr[u + 1]):
            if nf < max_found:
                found_s[nf] = st_idx[q]
                found_d[nf] = d
                nf += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = heads[e]
            nd = d + w_m[e]
            if nd < dist[v] and nd <= limit_m:
                dist[v] = nd
                size = _push(hk, hv, hs, size, nd, np.int32(v), np.int32(0))
    return found_s[:nf], found_d[:nf]


@njit(cache=True)
def full_refuel_dijkstra(
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
    per_km,
    per_stop,
    per_kg,
    eps,
    keep,
):  # pragma: no cover - compiled
    """Station-graph shortest path when every stop fills the tank.

    Only the stations with ``keep[j]`` are used (all of them: the exact full-refuel path).

    States: 0 = origin, ``1 + k*n + j`` = station ``j`` used during leg ``k``,
    ``1 + L*n`` = destination. An arc's weight is
    ``per_km × km + per_stop[j] + per_kg[j] × kg bought at j`` (the head's fill);
    time objective: ``per_km = 1/speed``, ``per_stop = connect``, ``per_kg = fill h/kg``;
    cost objective: ``per_km = 0``, ``per_stop = 0``, ``per_kg = price``.
    ``wp_m[m, j]`` = metres waypoint ``m`` ⇄ station ``j`` (``-1`` unreachable), and
    ``wp_order[m]`` the stations sorted by it. Returns ``(value, km, pred)``; value
    ``inf`` when no plan exists.
    """
    L = leg_m.size
    n = sg_ptr.size - 1
    n_states = 2 + L * n
    dest = 1 + L * n
    best = np.full(n_states, np.inf)
    km_at = np.zeros(n_states)
    pred = np.full(n_states, -1, dtype=np.int64)
    done = np.zeros(n_states, dtype=np.bool_)
    leg_km = leg_m / 1000.0
    leg_kg = leg_km * rate
    cum_km = np.zeros(L + 1)
    cum_kg = np.zeros(L + 1)
    for m in range(L):
        cum_km[m + 1] = cum_km[m] + leg_km[m]
        cum_kg[m + 1] = cum_kg[m] + leg_kg[m]
    cap_kg = tank - reserve
    hcap = 64 + 8 * n_states
    hk = np.empty(hcap, dtype=np.float64)
    hv = np.empty(hcap, dtype=np.int64)
    size = 0
    best[0] = 0.0

    hk[0] = 0.0
    hv[0] = 0
    size = 1
    while size > 0:
        # pop
        val, u = hk[0], hv[0]
        size -= 1
        if size > 0:
            hk[0], hv[0] = hk[size], hv[size]
            i = 0
            while True:
                a = 2 * i + 1
                if a >= size:
                    break
                b = a + 1
                c = b if b < size and hk[b] < hk[a] else a
                if hk[i] <= hk[c]:
                    break
                hk[c], hk[i] = hk[i], hk[c]
                hv[c], hv[i] = hv[i], hv[c]
                i = c
        if done[u]:
            continue
        done[u] = True
        if u == dest:
            return val, km_at[u], pred
        # successors: (state, km, kg, is_station, station)
        if u == 0:
            avail = start - reserve
            k0 = 0
            first_m = 0
        else:
            avail = cap_kg
            k0 = (u - 1) // n
            first_m = k0 + 1
        ni = (u - 1) % n if u != 0 else -1
        # candidate arcs, pushed through a small inline relax
        # 1) same leg (station graph)
        if u != 0:
            r = rate[k0]
            for q in range(sg_ptr[ni], sg_ptr[ni + 1]):
                j = sg_idx[q]
                if not keep[j]:
                    continue
                km = sg_m[q] / 1000.0
                kg = km * r
                if kg > avail + eps:
                    continue
                v = 1 + k0 * n + j
                nv = val + per_km * km + per_stop[j] + per_kg[j] * kg
                if nv < best[v] and not done[v]:
                    best[v] = nv
                    km_at[v] = km_at[u] + km
                    pred[v] = u
                    hk, hv, size = _fpush(hk, hv, size, nv, v)
        # 2) out of this stop (or the origin) through waypoints: later legs and the destination
        if u == 0:
            out_km = 0.0
            out_kg = 0.0
            base_m = 0  # waypoint index reached
        else:
            d_out = wp_m[k0 + 1, ni]
            if d_out < 0:
                continue
            out_km = d_out / 1000.0
            out_kg = out_km * rate[k0]
            base_m = k0 + 1
        for m in range(first_m if u != 0 else 0, L):
            between_km = out_km + cum_km[m] - cum_km[base_m]
            between_kg = out_kg + cum_kg[m] - cum_kg[base_m]
            if between_kg > avail + eps:
                break
            for t in range(n):
                j = wp_order[m, t]
                d = wp_m[m, j]
                if d < 0:
                    break
                km = between_km + d / 1000.0
                kg = between_kg + d / 1000.0 * rate[m]
                if kg > avail + eps:
                    break
                if not keep[j]:
                    continue
                v = 1 + m * n + j
                buy = tank - start + kg if u == 0 else kg
                if buy <= eps:
                    continue
                nv = val + per_km * (km) + per_stop[j] + per_kg[j] * buy
                if nv < best[v] and not done[v]:
                    best[v] = nv
                    km_at[v] = km_at[u] + km
                    pred[v] = u
                    hk, hv, size = _fpush(hk, hv, size, nv, v)
        km = out_km + cum_km[L] - cum_km[base_m]
        kg = out_kg + cum_kg[L] - cum_kg[base_m]
        if kg <= avail + eps:
            nv = val + per_km * km
            if nv < best[dest]:
                best[dest] = nv
                km_at[dest] = km_at[u] + km
                pred[dest] = u
                hk, hv, size = _fpush(hk, hv, size, nv, dest)
    return np.inf, 0.0, pred
