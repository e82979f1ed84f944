"""Numba kernels: station-path options between customers and exact route evaluation.

A route is a sequence of customers. Between two consecutive points (depot or customer)
the vehicle drives directly or through a *station path* (first station s1, cheapest
station-graph path to the last station s2). For every pair of points the non-dominated
station paths are precomputed (the multigraph reformulation of Andelmin & Bartolini):
criteria distance, energy needed to reach s1, energy needed after s2, energy used between
s1 and s2 and the time spent. For a fixed customer sequence a label-setting dynamic
programme then places stations and checks time windows, duration and range.

Refuelling is either to full (benchmark convention) or partial. Partial refuelling buys
just enough at each station, and a label keeps the room still available at its last station
so that energy needed later can be bought there *retroactively*; the extra refuelling time
shifts the schedule since that station, absorbed first by waiting (the partial-recharge
labels of Desaulniers et al. 2016). Before each station path a label is also extended with a
*free charge*: as much more at its last station as the waiting since it absorbs, so that the
stations ahead buy less (without it a full-recharge plan could be missed: the vehicle charging
while it would wait anyway). Labels also carry the waiting time and the slack that let the
departure be delayed, so that route durations are minimal; they decide dominance only when
the duration is costed or limited.
"""

from __future__ import annotations

from typing import NamedTuple

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
def _mark_fronts(par, npar, eo, el, t, d, front):
    """Flag the members of ``par[:npar]`` on the (energy out, time), (energy left, time),
    (energy out, distance) and (energy left, distance) two-criteria fronts."""
    front[:npar] = False
    for crit in range(4):
        key = np.empty(npar)
        for qq in range(npar):
            p = par[qq]
            key[qq] = eo[p] if crit % 2 == 0 else -el[p]
        order = np.argsort(key, kind="mergesort")
        best = INF
        for r in range(npar):
            qq = order[r]
            p = par[qq]
            other = t[p] if crit < 2 else d[p]
            if other < best - 1e-12:
                best = other
                front[qq] = True


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
    full,
):
    """Non-dominated station paths for every ordered pair of points.

    Returns arrays of shape (n, n, max_options): first station, last station, distance,
    energy needed to reach the first station, ``tank`` minus the energy needed after the last
    station, the full-refuel time excluding the level-dependent recharge at the first
    station, the energy used between the first and last station, and the time without
    level-dependent recharging (driving plus fixed stop times); plus the option count.
    """
    n = dist.shape[0]
    k = len(stations)
    o_s1 = np.full((n, n, max_options), -1, dtype=np.int64)
    o_s2 = np.full((n, n, max_options), -1, dtype=np.int64)
    o_dist = np.full((n, n, max_options), INF)
    o_eout = np.zeros((n, n, max_options))
    o_eleft = np.zeros((n, n, max_options))
    o_time = np.zeros((n, n, max_options))
    o_inner = np.zeros((n, n, max_options))
    o_tbase = np.zeros((n, n, max_options))
    o_count = np.zeros((n, n), dtype=np.int64)
    ratio = 1.0  # distance per energy along station paths (same consumption everywhere)
    cons = 0.0
    for a in range(n):
        for b in range(n):
            if dist[a, b] > 0:
                cons = energy[a, b] / dist[a, b]
                break
        if cons > 0:
            break
    if cons > 0:
        ratio = 1.0 / cons
    else:
        k = 0  # no energy is used: a station stop never helps (and path lengths are unknown)
    cand_d = np.empty(k * k)
    cand_eo = np.empty(k * k)
    cand_el = np.empty(k * k)
    cand_t = np.empty(k * k)
    cand_in = np.empty(k * k)
    cand_tb = np.empty(k * k)
    cand_s1 = np.empty(k * k, dtype=np.int64)
    cand_s2 = np.empty(k * k, dtype=np.int64)
    par = np.empty(k * k, dtype=np.int64)
    pick = np.zeros(k * k, dtype=np.bool_)
    front = np.zeros(k * k, dtype=np.bool_)
    speed = 0.0
    for a in range(n):
        for b in range(n):
            if dist[a, b] > 0 and ttime[a, b] > 0:
                speed = dist[a, b] / ttime[a, b]
                break
        if speed > 0:
            break
    if speed == 0.0:
        speed = 1.0
    # candidate first/last stations: the `near` closest to each point (all up to 32: with 12
    # of 25 the 24-station EMH instance lost the paths of its best plans and needed a route more)
    near = k if k <= 32 else 16
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
                if stations[x] == i:
                    continue  # a stop at the point itself: a depot visited twice in a row
                e1 = energy[i, stations[x]]
                if e1 > tank + EPS:
                    continue
                for yr in range(near):
                    y = last[j, yr]
                    if stations[y] == j:
                        continue
                    e2 = energy[stations[y], j]
                    if e2 > tank + EPS:
                        continue
                    inner = ss_energy[x, y]
                    if inner == INF:
                        continue
                    d = dist[i, stations[x]] + inner * ratio + dist[stations[y], j]
                    nst = ss_nhops[x, y] + 1
                    tb = (
                        ttime[i, stations[x]]
                        + (inner * ratio) / speed
                        + ttime[stations[y], j]
                        + refuel_fixed * nst
                    )
                    cand_d[m] = d
                    cand_eo[m] = e1
                    cand_el[m] = tank - e2
                    # full refuel: s1 adds rate*(tank - level) in the evaluation, the others
                    # refill what the hop before them used
                    cand_t[m] = tb + refuel_rate * inner + refuel_rate * e1
                    cand_in[m] = inner
                    cand_tb[m] = tb
                    cand_s1[m] = stations[x]
                    cand_s2[m] = stations[y]
                    m += 1
            # Pareto sweep in order of distance: a candidate survives unless an earlier
            # (shorter) survivor is at least as good on every other criterion
            order = np.argsort(cand_d[:m], kind="mergesort")
            npar = 0
            for r in range(m):
                p = order[r]
                dominated = False
                for qq in range(npar):
                    q = par[qq]
                    if (
                        cand_eo[q] <= cand_eo[p] + 1e-12
                        and cand_el[q] >= cand_el[p] - 1e-12
                        and cand_t[q] <= cand_t[p] + 1e-12
                        and (
                            full
                            or (
                                cand_tb[q] <= cand_tb[p] + 1e-12
                                and cand_in[q] <= cand_in[p] + 1e-12
                            )
                        )
                    ):
                        dominated = True
                        break
                if not dominated:
                    par[npar] = p
                    npar += 1
            # over the cap: first the paths on a two-criteria front of energy to the first
            # station (or energy left at the end) against time (or distance) — a route may be
            # feasible only through the fastest path it has the energy for — then the shortest
            pick[:npar] = npar <= max_options
            if npar > max_options:
                _mark_fronts(par, npar, cand_eo, cand_el, cand_t, cand_d, front)
                left = max_options
                for qq in range(npar):
                    if front[qq] and left > 0:
                        pick[qq] = True
                        left -= 1
                for qq in range(npar):
                    if not pick[qq] and left > 0:
                        pick[qq] = True
                        left -= 1
            c = 0
            for qq in range(npar):
                if not pick[qq] or c == max_options:
                    continue
                p = par[qq]
                o_s1[i, j, c] = cand_s1[p]
                o_s2[i, j, c] = cand_s2[p]
                o_dist[i, j, c] = cand_d[p]
                o_eout[i, j, c] = cand_eo[p]
                o_eleft[i, j, c] = cand_el[p]
                o_time[i, j, c] = cand_t[p]
                o_inner[i, j, c] = cand_in[p]
                o_tbase[i, j, c] = cand_tb[p]
                c += 1
            o_count[i, j] = c
    return o_s1, o_s2, o_dist, o_eout, o_eleft, o_time, o_inner, o_tbase, o_count


class RestModel(NamedTuple):
    """Driver rest rules in the instance's time unit (see :func:`evaluate`)."""

    max_drive: float
    """Longest continuous driving before a break."""
    break_time: float
    max_daily: float
    """Longest total driving of a route (one driving day)."""
    extension: float
    """Time a station stop is extended by to make the break (break minus its fixed time)."""
    inner_time: float
    """Driving time per unit of energy used between the first and last station of a path."""
    o_s1: np.ndarray
    """First and last station of each station-path option (as in :class:`RouteModel`)."""
    o_s2: np.ndarray


class RouteModel(NamedTuple):
    """Everything the route kernels need about one vehicle type, in one argument.

    Numba accepts a named tuple of arrays and scalars as one argument; each vehicle type
    builds one (:class:`h2lane.routing.vrp.solver._Type`). Times are in the instance's time
    unit, the rest limits included (converted by the caller).
    """

    depot: int
    dist: np.ndarray
    ttime: np.ndarray
    energy: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    tank: float
    start_energy: float
    max_duration: float
    load_capacity: float
    dur_screen: float
    """Duration limit usable in the insertion screen (``inf`` when waiting can be removed)."""
    refuel_rate: float
    refuel_fixed: float
    full: bool
    w_dist: float
    w_time: float
    rest: RestModel | None
    """Driver rest rules, ``None`` without (the kernels then compile without them)."""
    o_dist: np.ndarray
    o_eout: np.ndarray
    o_eleft: np.ndarray
    o_time: np.ndarray
    o_inner: np.ndarray
    o_tbase: np.ndarray
    o_count: np.ndarray


# label fields
_D, _E, _T, _R, _WS, _DS, _WP, _DP = 0, 1, 2, 3, 4, 5, 6, 7
NFIELDS = 8
"""distance, energy, time, room at the last station, waiting since it, retroactive slack since
it, waiting before it, departure slack before it."""
_B, _DR = 0, 1
"""Rest fields, kept apart (only with rest rules): driving since the last break, in total."""


@njit(cache=True, inline="always")
def _retro(x, t, r, ws, ds, refuel_rate):
    """Buy ``x`` more at the last station: (feasible, time, room, waiting, slack)."""
    if x > r + EPS:
        return False, t, r, ws, ds
    delta = refuel_rate * x
    if delta > ds + EPS:
        return False, t, r, ws, ds
    used = delta if delta < ws else ws
    return True, t + (delta - used), r - x, ws - used, ds - delta


@njit(cache=True, inline="always")
def _free_charge(r, ws, ds, refuel_rate):
    """Energy the last station can still add within the waiting since it (no delay at all)."""
    if refuel_rate <= 0.0:
        return r
    x = min(ws, ds) / refuel_rate
    return x if x < r else r


@njit(cache=True, inline="always")
def _drive(b, tau, max_drive, break_time):
    """Drive ``tau`` with ``b`` driven since the last break, breaking on the road when due.

    Breaks are taken as late as the limit allows. Returns (driving since the last break
    afterwards, break time added).
    """
    total = b + tau
    if total <= max_drive + EPS:
        return total, 0.0
    k = np.ceil((total - EPS) / max_drive) - 1.0
    return total - k * max_drive, k * break_time


@njit(cache=True, inline="always")
def _put_station(new, nn, d, e, t, r, wp, dp):
    """Write the label that leaves a station path (waiting and slack restart there)."""
    new[nn, _D] = d
    new[nn, _E] = e
    new[nn, _T] = t
    new[nn, _R] = r
    new[nn, _WS] = 0.0
    new[nn, _DS] = INF
    new[nn, _WP] = wp
    new[nn, _DP] = dp


EVALUATE_FIELDS = (
    "depot",
    "dist",
    "ttime",
    "energy",
    "ready",
    "due",
    "service",
    "tank",
    "start_energy",
    "max_duration",
    "refuel_rate",
    "full",
    "w_dist",
    "w_time",
    "rest",
    "o_dist",
    "o_eout",
    "o_eleft",
    "o_time",
    "o_inner",
    "o_tbase",
    "o_count",
)
"""The :class:`RouteModel` fields :func:`evaluate_unpacked` takes, in order."""


def evaluate_args(m_: RouteModel) -> tuple:
    """``m_``'s fields for :func:`evaluate_unpacked` (called from Python many times: numba
    dispatches a call with plain arrays faster than one with a named tuple)."""
    return tuple(getattr(m_, f) for f in EVALUATE_FIELDS)


@njit(cache=True)
def evaluate(seq, m_, choices, out):
    """See :func:`evaluate_unpacked`; takes the vehicle type's :class:`RouteModel`."""
    return evaluate_unpacked(
        seq,
        m_.depot,
        m_.dist,
        m_.ttime,
        m_.energy,
        m_.ready,
        m_.due,
        m_.service,
        m_.tank,
        m_.start_energy,
        m_.max_duration,
        m_.refuel_rate,
        m_.full,
        m_.w_dist,
        m_.w_time,
        m_.rest,
        m_.o_dist,
        m_.o_eout,
        m_.o_eleft,
        m_.o_time,
        m_.o_inner,
        m_.o_tbase,
        m_.o_count,
        choices,
        out,
    )


@njit(cache=True)
def evaluate_unpacked(
    seq,
    depot,
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
    full,
    w_dist,
    w_time,
    rest,
    o_dist,
    o_eout,
    o_eleft,
    o_time,
    o_inner,
    o_tbase,
    o_count,
    choices,
    out,
):
    """Cheapest ``w_dist * distance + w_time * duration`` of depot → seq → depot; ``inf`` if infeasible.

    ``m_`` is the vehicle type's :class:`RouteModel`. ``choices`` (len(seq)+1) receives the
    option used on each arc (-1 direct; ``c + n_options`` for option ``c`` with the driver's
    break taken at its last station, ``c + 2 * n_options`` at its first station; plus
    ``3 * n_options`` after a free charge), and ``out`` (3) the distance, the duration and the
    departure delay of the chosen labels; an ``out`` of ``4 + len(seq)`` also receives, for
    each arc, the energy bought retroactively at the last station before it (partial
    refuelling).

    Rest rules (``m_.rest`` not ``None``): driving since the last break is tracked per label; a break
    of ``break_time`` is taken on the road when the limit is reached, or at the first
    or the last station of a station path (the stop extended to ``break_time``; only its
    fixed part is counted towards it, and stations inside a path never reset the count: the
    evaluation is conservative). A label whose total driving exceeds ``max_daily`` is
    dropped (one-day routes).
    """
    n_opt = o_dist.shape[2]
    m = len(seq)
    lab = np.empty((MAX_LABELS, NFIELDS))
    if rest is not None:  # pruned at compile time without rest rules
        max_drive, brk, max_daily = rest.max_drive, rest.break_time, rest.max_daily
        labr = np.zeros((MAX_LABELS, 2))
    nl = 1
    t0 = ready[depot]
    lab[0, _D] = 0.0
    lab[0, _E] = start_energy
    lab[0, _T] = t0
    lab[0, _R] = 0.0
    lab[0, _WS] = 0.0
    lab[0, _DS] = INF
    lab[0, _WP] = 0.0
    lab[0, _DP] = INF

    par = np.full((m + 1, MAX_LABELS), -1, dtype=np.int64)
    opt = np.full((m + 1, MAX_LABELS), -1, dtype=np.int64)
    # the departure delay only shortens the duration: it matters when the duration is costed
    # or limited (a label with less waiting before is then not dominated)
    shift_counts = w_time != 0.0 or max_duration < INF
    n_free = 1 if full else 2  # partial refuelling: each path also with a free charge before it
    width = MAX_LABELS * (n_free * n_opt + 1)
    if rest is not None:
        width = MAX_LABELS * (3 * n_free * n_opt + 1)
    new = np.empty((width, NFIELDS))
    if rest is not None:
        newr = np.zeros((width, 2))
    new_p = np.empty(width, dtype=np.int64)
    new_o = np.empty(width, dtype=np.int64)
    new_b = np.zeros(width)
    buy = np.zeros((m + 1, MAX_LABELS))
    keep = np.empty(width, dtype=np.bool_)
    key = np.empty(width)
    shift = np.zeros(width)
    prev = depot
    for step in range(m + 1):
        cur = seq[step] if step < m else depot
        nn = 0
        e_arc = energy[prev, cur]
        for li in range(nl):
            d0 = lab[li, _D]
            e0 = lab[li, _E]
            t = lab[li, _T]
            r = lab[li, _R]
            ws = lab[li, _WS]
            ds = lab[li, _DS]
            wp = lab[li, _WP]
            dp = lab[li, _DP]
            b0, dr0 = 0.0, 0.0
            if rest is not None:
                b0, dr0 = labr[li, _B], labr[li, _DR]
            # direct arc
            ok = True
            e1, t1, r1, ws1, ds1 = e0 - e_arc, t, r, ws, ds
            if e1 < -EPS:
                if full:
                    ok = False
                else:
                    ok, t1, r1, ws1, ds1 = _retro(-e1, t, r, ws, ds, refuel_rate)
                    e1 = 0.0
            b1, dr1, extra = 0.0, 0.0, 0.0
            if rest is not None and ok:
                dr1 = dr0 + ttime[prev, cur]
                ok = dr1 <= max_daily + EPS
                b1, extra = _drive(b0, ttime[prev, cur], max_drive, brk)
            if ok:
                new[nn, _D] = d0 + dist[prev, cur]
                new[nn, _E] = max(e1, 0.0)
                new[nn, _T] = t1 + ttime[prev, cur] + extra
                new[nn, _R] = r1
                new[nn, _WS] = ws1
                new[nn, _DS] = ds1
                new[nn, _WP] = wp
                new[nn, _DP] = dp
                if rest is not None:
                    newr[nn, _B] = b1
                    newr[nn, _DR] = dr1
                new_p[nn] = li
                new_o[nn] = -1
                new_b[nn] = max(e_arc - e0, 0.0) if ok and not full else 0.0
                nn += 1
            # station paths
            for cv in range(o_count[prev, cur] * n_free):
                c = cv // n_free
                eo = o_eout[prev, cur, c]
                e_s, t_s, r_s, ws_s, ds_s = e0, t, r, ws, ds
                if e0 < eo - EPS:
                    if full:
                        continue
                    ok, t_s, r_s, ws_s, ds_s = _retro(eo - e0, t, r, ws, ds, refuel_rate)
                    if not ok:
                        continue
                    e_s = eo
                if cv % n_free == 1:
                    # charge more at the last station while the waiting since it absorbs the
                    # time: the stations ahead then need less (or nothing)
                    x = _free_charge(r_s, ws_s, ds_s, refuel_rate)
                    if x <= EPS:
                        continue
                    _ok, t_s, r_s, ws_s, ds_s = _retro(x, t_s, r_s, ws_s, ds_s, refuel_rate)
                    e_s += x
                a1 = max(e_s - eo, 0.0)
                e2 = tank - o_eleft[prev, cur, c]
                if full:
                    t_new = t_s + o_time[prev, cur, c] + refuel_rate * (tank - e_s)
                    e_new = tank - e2
                    r_new = 0.0
                else:
                    inner = o_inner[prev, cur, c]
                    bought = max(inner + e2 - a1, 0.0)
                    t_new = t_s + o_tbase[prev, cur, c] + refuel_rate * bought
                    level = max(a1 - inner, 0.0)
                    if level < e2:
                        level = e2
                    e_new = level - e2
                    r_new = tank - level
                d_new = d0 + o_dist[prev, cur, c]
                wp_new = wp + ws_s
                dp_new = min(dp, ds_s + wp)
                if rest is None:
                    _put_station(new, nn, d_new, e_new, t_new, r_new, wp_new, dp_new)
                    new_p[nn] = li
                    new_o[nn] = c + (cv % n_free) * 3 * n_opt
                    new_b[nn] = e_s - e0
                    nn += 1
                    continue
                s1, s2 = rest.o_s1[prev, cur, c], rest.o_s2[prev, cur, c]
                first = ttime[prev, s1]
                inner_t = o_inner[prev, cur, c] * rest.inner_time
                after = ttime[s2, cur]
                dr_new = dr0 + first + inner_t + after
                if dr_new > max_daily + EPS:
                    continue
                for var in range(3 if s1 != s2 else 2):
                    if var == 0:  # no break at the stations: driving counts on
                        b_new, extra = _drive(b0, first + inner_t + after, max_drive, brk)
                    elif var == 1:  # the break at the last station, then the last leg
                        _b, x1 = _drive(b0, first + inner_t, max_drive, brk)
                        b_new, x2 = _drive(0.0, after, max_drive, brk)
                        extra = x1 + rest.extension + x2
                    else:  # the break at the first station
                        _b, x1 = _drive(b0, first, max_drive, brk)
                        b_new, x2 = _drive(0.0, inner_t + after, max_drive, brk)
                        extra = x1 + rest.extension + x2
                    _put_station(new, nn, d_new, e_new, t_new + extra, r_new, wp_new, dp_new)
                    newr[nn, _B] = b_new
                    newr[nn, _DR] = dr_new
                    new_p[nn] = li
                    new_o[nn] = c + var * n_opt + (cv % n_free) * 3 * n_opt
                    new_b[nn] = e_s - e0
                    nn += 1
        # time windows, waiting and slack at cur
        for q in range(nn):
            t = new[q, _T]
            ok = t <= due[cur] + EPS
            slack = due[cur] - t + new[q, _WS]
            if slack < new[q, _DS]:
                new[q, _DS] = slack
            if ready[cur] > t:
                new[q, _WS] += ready[cur] - t
                t = ready[cur]
            if step < m:
                t += service[cur]
                key[q] = w_dist * new[q, _D] + w_time * (t - t0)
            else:
                w_all = new[q, _WP] + new[q, _WS]
                d_all = min(new[q, _DP], new[q, _DS] + new[q, _WP])
                sh = min(w_all, max(d_all, 0.0))
                dur = t - t0 - sh
                ok = ok and dur <= max_duration + EPS
                shift[q] = sh
                key[q] = w_dist * new[q, _D] + w_time * dur
            new[q, _T] = t
            keep[q] = ok
        # Pareto filter
        for p in range(nn):
            if not keep[p]:
                continue
            wpp = new[p, _WP] + new[p, _WS]
            dpp = min(new[p, _DP], new[p, _DS] + new[p, _WP])
            for q in range(nn):
                if p == q or not keep[q]:
                    continue
                if not (
                    new[q, _D] <= new[p, _D] + 1e-12
                    and new[q, _E] >= new[p, _E] - 1e-12
                    and new[q, _T] <= new[p, _T] + 1e-12
                    and new[q, _E] + new[q, _R] >= new[p, _E] + new[p, _R] - 1e-12
                    and new[q, _WS] >= new[p, _WS] - 1e-12
                    and new[q, _DS] >= new[p, _DS] - 1e-12
                    and (
                        not shift_counts
                        or (
                            new[q, _WP] + new[q, _WS] >= wpp - 1e-12
                            and min(new[q, _DP], new[q, _DS] + new[q, _WP]) >= dpp - 1e-12
                        )
                    )
                ):
                    continue
                if rest is not None and not (
                    newr[q, _B] <= newr[p, _B] + 1e-12 and newr[q, _DR] <= newr[p, _DR] + 1e-12
                ):
                    continue
                strictly = key[q] < key[p] - 1e-12
                for f in range(NFIELDS):
                    if new[q, f] != new[p, f]:
                        strictly = True
                        break
                if rest is not None and (
                    newr[q, _B] != newr[p, _B] or newr[q, _DR] != newr[p, _DR]
                ):
                    strictly = True
                if strictly or q < p:
                    keep[p] = False
                    break
        # the cap keeps the lowest keys, and always the label with the most energy (the one
        # most likely to complete the route)
        fullest = -1
        n_keep = 0
        for p in range(nn):
            if keep[p]:
                n_keep += 1
                if fullest < 0 or new[p, _E] > new[fullest, _E]:
                    fullest = p
        nl = 0
        best_key = INF
        best = -1
        while nl < MAX_LABELS:
            best = -1
            if nl == MAX_LABELS - 1 and n_keep > MAX_LABELS and keep[fullest]:
                best = fullest
            else:
                for p in range(nn):
                    if keep[p] and (best < 0 or key[p] < key[best]):
                        best = p
            if best < 0:
                break
            keep[best] = False
            for f in range(NFIELDS):
                lab[nl, f] = new[best, f]
            if rest is not None:
                labr[nl, _B] = newr[best, _B]
                labr[nl, _DR] = newr[best, _DR]
            if step == m and nl == 0:
                best_key = key[best]
                out[0] = new[best, _D]
                out[1] = new[best, _T] - t0 - shift[best]
                out[2] = shift[best]
            par[step, nl] = new_p[best]
            opt[step, nl] = new_o[best]
            buy[step, nl] = new_b[best]
            nl += 1
        if nl == 0:
            return INF
        prev = cur
    li = 0  # labels are sorted by key: the first final label is the best
    with_buys = len(out) >= 4 + m
    for step in range(m, -1, -1):
        choices[step] = opt[step, li]
        if with_buys:
            out[3 + step] = buy[step, li]
        li = par[step, li]
    return best_key


@njit(cache=True)
def best_insertion(route, u, cost_old, bound, m_):
    """See :func:`_best_insertion`; takes the vehicle type's :class:`RouteModel`."""
    return _best_insertion(
        route,
        u,
        cost_old,
        bound,
        m_.demand,
        m_.load_capacity,
        m_.dur_screen,
        m_.depot,
        m_.dist,
        m_.ttime,
        m_.energy,
        m_.ready,
        m_.due,
        m_.service,
        m_.tank,
        m_.start_energy,
        m_.max_duration,
        m_.refuel_rate,
        m_.full,
        m_.w_dist,
        m_.w_time,
        m_.rest,
        m_.o_dist,
        m_.o_eout,
        m_.o_eleft,
        m_.o_time,
        m_.o_inner,
        m_.o_tbase,
        m_.o_count,
    )


@njit(cache=True)
def _best_insertion(
    route,
    u,
    cost_old,
    bound,
    demand,
    load_capacity,
    dur_screen,
    depot,
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
    full,
    w_dist,
    w_time,
    rest,
    o_dist,
    o_eout,
    o_eleft,
    o_time,
    o_inner,
    o_tbase,
    o_count,
):
    """Cheapest insertion of customer ``u`` into ``route`` with increase below ``bound``.

    Positions are tried in order of their station-free cost delta; a position is skipped
    when even a station-free, wait-free route could not beat the best increase found so far,
    or when the station-free schedule already misses a time window (stations and breaks
    only add time). ``m_.dur_screen`` is the duration limit usable in that screen. Returns
    (position, increase) or (-1, inf).
    """

    m = len(route)
    load = demand[u]
    direct_old = 0.0
    time_old = service[u]
    prev = depot
    for q in range(m):
        load += demand[route[q]]
        direct_old += dist[prev, route[q]]
        time_old += ttime[prev, route[q]] + service[route[q]]
        prev = route[q]
    direct_old += dist[prev, depot]
    time_old += ttime[prev, depot]
    if load > load_capacity + 1e-9:
        return -1, INF
    base = w_dist * direct_old + w_time * time_old
    deltas = np.empty(m + 1)
    for pos in range(m + 1):
        a = route[pos - 1] if pos > 0 else depot
        b = route[pos] if pos < m else depot
        deltas[pos] = w_dist * (dist[a, u] + dist[u, b] - dist[a, b]) + w_time * (
            ttime[a, u] + ttime[u, b] - ttime[a, b]
        )
    earliest = np.empty(m + 1)  # departure from the point before position pos
    t = ready[depot]
    earliest[0] = t
    prev = depot
    for q in range(m):
        c = route[q]
        t = max(t + ttime[prev, c], ready[c]) + service[c]
        earliest[q + 1] = t
        prev = c
    latest = np.empty(m + 1)  # latest service start at route[q] (index m: the depot)
    latest[m] = min(due[depot], ready[depot] + dur_screen)
    nxt = depot
    for q in range(m - 1, -1, -1):
        c = route[q]
        latest[q] = min(due[c], latest[q + 1] - service[c] - ttime[c, nxt])
        nxt = c
    for pos in range(m + 1):
        a = route[pos - 1] if pos > 0 else depot
        b = route[pos] if pos < m else depot
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
    out = np.empty(3)
    best_pos = -1
    best_inc = bound
    for r in range(m + 1):
        pos = order[r]
        if deltas[pos] == INF:
            break
        lb = base + deltas[pos] - cost_old
        if lb >= best_inc - 1e-12:
            break
        for q in range(pos):
            seq[q] = route[q]
        seq[pos] = u
        for q in range(pos, m):
            seq[q + 1] = route[q]
        c = evaluate_unpacked(
            seq,
            depot,
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
            full,
            w_dist,
            w_time,
            rest,
            o_dist,
            o_eout,
            o_eleft,
            o_time,
            o_inner,
            o_tbase,
            o_count,
            choices,
            out,
        )
        inc = c - cost_old
        if inc < best_inc - 1e-12:
            best_inc = inc
            best_pos = pos
    return best_pos, best_inc


@njit(cache=True)
def best_insertion_many(flat, offsets, costs, u, bound, m_):
    """:func:`best_insertion` over several routes of one vehicle type in one call.

    Route ``k`` is ``flat[offsets[k]:offsets[k + 1]]`` with cost ``costs[k]``. Returns
    (route index, position, increase) of the cheapest insertion below ``bound``, or
    (-1, -1, inf).
    """
    best_k, best_pos, best_inc = -1, -1, bound
    demand, load_capacity, dur_screen = m_.demand, m_.load_capacity, m_.dur_screen
    (
        depot,
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
        full,
        w_dist,
        w_time,
        rest,
        o_dist,
        o_eout,
        o_eleft,
        o_time,
        o_inner,
        o_tbase,
        o_count,
    ) = (
        m_.depot,
        m_.dist,
        m_.ttime,
        m_.energy,
        m_.ready,
        m_.due,
        m_.service,
        m_.tank,
        m_.start_energy,
        m_.max_duration,
        m_.refuel_rate,
        m_.full,
        m_.w_dist,
        m_.w_time,
        m_.rest,
        m_.o_dist,
        m_.o_eout,
        m_.o_eleft,
        m_.o_time,
        m_.o_inner,
        m_.o_tbase,
        m_.o_count,
    )
    for k in range(len(offsets) - 1):
        pos, inc = _best_insertion(
            flat[offsets[k] : offsets[k + 1]],
            u,
            costs[k],
            best_inc,
            demand,
            load_capacity,
            dur_screen,
            depot,
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
            full,
            w_dist,
            w_time,
            rest,
            o_dist,
            o_eout,
            o_eleft,
            o_time,
            o_inner,
            o_tbase,
            o_count,
        )
        if pos >= 0 and inc < best_inc:
            best_k, best_pos, best_inc = k, pos, inc
    if best_k < 0:
        return -1, -1, INF
    return best_k, best_pos, best_inc


class Reinsertion(NamedTuple):
    """The search state and settings of one :func:`recreate_one_type` call."""

    R: np.ndarray
    """Routes as rows (customers), ``lens`` of them used; rows ``n_routes`` and up free."""
    lens: np.ndarray
    costs: np.ndarray
    """Route costs without the fixed cost."""
    n_routes: int
    removed: np.ndarray
    neigh: np.ndarray
    n_neigh: int
    rands: np.ndarray
    blink: float
    new_penalty: float
    max_routes: int
    alone: np.ndarray
    fixed: float


@njit(cache=True)
def recreate_one_type(s, m_):
    """Greedy reinsertion of ``s.removed`` (in order) for a fleet of one vehicle type.

    Routes are the rows of ``s.R`` (``s.lens`` customers each, ``s.costs`` without fixed
    cost), updated in place. Each customer is tried in the routes of its first ``n_neigh``
    neighbours (all routes if none is routed), skipping a route with probability ``blink``
    (``rands`` supplies the draws), and in a new route of cost ``alone[c] + fixed +
    new_penalty`` while fewer than ``max_routes`` routes are used. Returns the new route
    count, the number of draws used and the customers that fit nowhere.
    """
    return recreate_unpacked(
        s.R,
        s.lens,
        s.costs,
        s.n_routes,
        s.removed,
        s.neigh,
        s.n_neigh,
        s.rands,
        s.blink,
        s.new_penalty,
        s.max_routes,
        s.alone,
        s.fixed,
        m_.demand,
        m_.load_capacity,
        m_.dur_screen,
        m_.depot,
        m_.dist,
        m_.ttime,
        m_.energy,
        m_.ready,
        m_.due,
        m_.service,
        m_.tank,
        m_.start_energy,
        m_.max_duration,
        m_.refuel_rate,
        m_.full,
        m_.w_dist,
        m_.w_time,
        m_.rest,
        m_.o_dist,
        m_.o_eout,
        m_.o_eleft,
        m_.o_time,
        m_.o_inner,
        m_.o_tbase,
        m_.o_count,
    )


@njit(cache=True)
def recreate_unpacked(
    R,
    lens,
    costs,
    n_routes,
    removed,
    neigh,
    n_neigh,
    rands,
    blink,
    new_penalty,
    max_routes,
    alone,
    fixed,
    demand,
    load_capacity,
    dur_screen,
    depot,
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
    full,
    w_dist,
    w_time,
    rest,
    o_dist,
    o_eout,
    o_eleft,
    o_time,
    o_inner,
    o_tbase,
    o_count,
):
    """:func:`recreate_one_type` with the fields spelled out (the solver's call: see
    :func:`evaluate_args`)."""
    n_nodes = dist.shape[0]
    route_of = np.full(n_nodes, -1, dtype=np.int64)
    live = 0
    for r in range(n_routes):
        if lens[r] > 0:
            live += 1
        for q in range(lens[r]):
            route_of[R[r, q]] = r
    mark = np.zeros(R.shape[0], dtype=np.bool_)
    cands = np.empty(R.shape[0], dtype=np.int64)
    unassigned = np.empty(len(removed), dtype=np.int64)
    nu = 0
    draw = 0
    for ci in range(len(removed)):
        c = removed[ci]
        nc = 0
        for j in range(n_neigh):
            nb = neigh[c, j]
            if nb < 0:
                break
            r = route_of[nb]
            if r >= 0 and not mark[r] and lens[r] > 0:
                mark[r] = True
                cands[nc] = r
                nc += 1
        if nc == 0:
            for r in range(n_routes):
                if lens[r] > 0:
                    cands[nc] = r
                    nc += 1
        else:
            for q in range(nc):
                mark[cands[q]] = False
            cands[:nc] = np.sort(cands[:nc])
        best_r, best_pos, best_inc = -1, -1, INF
        for q in range(nc):
            r = cands[q]
            if blink > 0.0:
                x = rands[draw]
                draw += 1
                if x < blink:
                    continue
            pos, inc = _best_insertion(
                R[r, : lens[r]],
                c,
                costs[r],
                best_inc,
                demand,
                load_capacity,
                dur_screen,
                depot,
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
                full,
                w_dist,
                w_time,
                rest,
                o_dist,
                o_eout,
                o_eleft,
                o_time,
                o_inner,
                o_tbase,
                o_count,
            )
            if pos >= 0 and inc < best_inc:
                best_r, best_pos, best_inc = r, pos, inc
        can_open = live < max_routes and alone[c] < INF and demand[c] <= load_capacity + 1e-9
        if can_open and (best_r < 0 or alone[c] + fixed + new_penalty < best_inc - 1e-12):
            R[n_routes, 0] = c
            lens[n_routes] = 1
            costs[n_routes] = alone[c]
            route_of[c] = n_routes
            n_routes += 1
            live += 1
        elif best_r < 0:
            unassigned[nu] = c
            nu += 1
        else:
            m = lens[best_r]
            for q in range(m, best_pos, -1):
                R[best_r, q] = R[best_r, q - 1]
            R[best_r, best_pos] = c
            lens[best_r] = m + 1
            costs[best_r] += best_inc
            route_of[c] = best_r
    return n_routes, draw, unassigned[:nu]
