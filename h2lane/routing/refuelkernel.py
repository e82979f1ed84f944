"""The label-setting search of :mod:`h2lane.routing.refuel`, compiled with numba.

It runs the same model on the same dense :class:`~h2lane.routing.refuel.RefuelProblem`
arrays and with the same float operations: hop graph, departure levels (full tank, the
gas-station "just enough", the opening-window and rest vertices), the fill-must-end-by-
closing rule, station queues (the FIFO queue-start rule), driver rests on the road and at
stops, waypoint ready and due times and the Pareto dominance per ``(node, level)``. It
returns only the optimal label chain; :func:`h2lane.routing.refuel.solve` replays that
chain with the Python search (its hops only, each stop left at the chain's level) to write
the full plan (stops, rests, waypoint visits), which has the same optimum because it is the
same model on a subset that contains the optimal plan.

What it adds, each sound on its own (and checked against the Python search on random
cases, ``tests/routing/test_refuelkernel.py``):

* **Stronger A* keys.** ``time``: the driving still to come plus the larger of (a) the
  stops still needed — the connect of the stop a label at a station must make, one more
  connect per tank the hydrogen still to buy needs, that hydrogen at the fastest nozzle,
  and with full refuels the fill to the brim at the label's own station — and (b) the
  rests that driving forces plus a connect for each stop beyond them (:func:`_time_lb`).
  ``cost``: the hydrogen still to buy at the lowest price, and with full refuels the fill
  to the brim at the label's own station's price. Both are lower bounds, so the first
  destination label popped is optimal.
* **Dominance across levels** at a station node (where a label always stops): a label with
  less hydrogen that, after buying the difference there, is no dearer and no later and has
  counters no higher wins (:func:`_better`). With nothing that waits (no opening hours,
  queues or ready times) a label that is earlier by more than the keys' rounding also wins
  under ``time`` whatever its money: it stays that much earlier to the end.
* **Bounds from the destination backwards** (:func:`_reverse_bounds`): Dijkstras over the
  in-range hops give every node its least km, kg and stops to the destination and, for
  ``cost``, its least money (full refuels: each later stop buys the hop that reaches it;
  partial: each hop at the lowest price met so far, less the hydrogen on board). They
  replace the straight-on distances in both keys, so the forced rests count the detours to
  the stations; nodes with no way on are not entered.
* **Pruning by a known plan.** With ``upper`` (the objective of a feasible plan) and, for
  ``cost``, ``upper_time`` (the hours of a cheapest plan), a label whose bound exceeds it is
  not made; every way to leave a stop is checked before its hop is driven, and each node's
  successors within range are sorted once by what reaching them adds for sure, so the scan
  stops at the first that cannot beat the bound.

A label budget bounds memory: past ``max_labels`` labels the search stops and
:func:`h2lane.routing.refuelrun.run` raises :class:`~h2lane.errors.ResourceLimitError`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from h2lane.routing.refuelrun import _C, _D, _KM, _LV, _MO, _TM, EPS
from h2lane.routing.stationsearch import _grow, _less, _slot

_MAXS = 256  # partial states kept per hop (rest branches after the Pareto filter)
_TIE_H = 1e-6  # hours: an earlier label by more than this stays earlier (keys round to 1e-7)
_MAX_SUCC = 1 << 24  # sorted successor entries kept (12 bytes each); beyond, sorted per use


@njit(cache=True, inline="always")
def _queue_start(t, use_q, qw, qn, j):  # pragma: no cover - compiled
    """As :func:`h2lane.routing.refuel.queue_start` (``t`` itself without a queue)."""
    if not use_q:
        return t
    hour = math.floor(t)
    h = np.int64(hour) % 24
    return min(t + qw[j, h], hour + qn[j, h])


@njit(cache=True)
def _fill_start(arrive_h, fill_h, open_h, close_h, use_q, qw, qn, j):  # pragma: no cover
    """As :func:`h2lane.routing.refuel.fill_start`; ``nan`` for None."""
    if close_h - open_h >= 24.0 - EPS:
        return _queue_start(arrive_h, use_q, qw, qn, j)
    if fill_h > close_h - open_h + EPS:
        return np.nan
    day = math.floor(arrive_h / 24.0)
    for base in (day - 1, day, day + 1):
        o = base * 24.0 + open_h
        c = base * 24.0 + close_h
        s = _queue_start(max(arrive_h, o), use_q, qw, qn, j)
        if s + fill_h <= c + EPS:
            return s
    if use_q:
        return np.nan
    return (day + 2) * 24.0 + open_h


@njit(cache=True)
def _window_starts(
    arrive_h, open_h, close_h, out_s, out_c, use_q, qw, qn, j
):  # pragma: no cover - compiled
    """As :func:`h2lane.routing.refuel.window_starts`; returns the count written."""
    if close_h - open_h >= 24.0 - EPS:
        out_s[0] = _queue_start(arrive_h, use_q, qw, qn, j)
        out_c[0] = np.inf
        return 1
    n = 0
    day = math.floor(arrive_h / 24.0)
    for base in (day - 1, day, day + 1, day + 2):
        o = base * 24.0 + open_h
        c = base * 24.0 + close_h
        if c <= arrive_h + EPS:
            continue
        out_s[n] = _queue_start(max(arrive_h, o), use_q, qw, qn, j)
        out_c[n] = c
        n += 1
        if n == 3:
            break
    return n


@njit(cache=True)
def _breakpoints(jb, lo, hi, open_h, close_h, use_q, qw, qn, out, n0):  # pragma: no cover
    """As ``refuel._Search.breakpoints``, written into ``out`` from ``n0``; -1 when full."""
    o = open_h[jb]
    c = close_h[jb]
    always = c - o >= 24.0 - EPS
    n = n0
    if not always:
        for base in range(math.floor((lo - o) / 24.0), math.floor((hi - o) / 24.0) + 1):
            t = base * 24.0 + o
            if lo < t <= hi:
                if n == out.size:
                    return -1
                out[n] = t
                n += 1
    if use_q:
        for hour in range(math.floor(lo) + 1, math.floor(hi) + 1):
            h = hour % 24
            if qw[jb, h] > qn[jb, h]:
                continue
            x = hour - o
            if always or x - 24.0 * math.floor(x / 24.0) <= c - o + EPS:
                if n == out.size:
                    return -1
                out[n] = float(hour)
                n += 1
    return n


@njit(cache=True, inline="always")
def _rest_lb(drive, c, d, on, cmax, dmax, brk, day_rest):  # pragma: no cover - compiled
    if not on or drive <= 0:
        return 0.0
    if not np.isfinite(drive):
        return np.inf
    days = max(0, math.ceil((d + drive) / dmax - 1e-9) - 1)
    pauses = max(0, math.ceil((c + drive) / cmax - 1e-9) - 1)
    return days * day_rest + max(0, pauses - days) * brk


@njit(cache=True, inline="always")
def _better(
    lv_a,
    t_a,
    m_a,
    c_a,
    d_a,
    lv_b,
    t_b,
    m_b,
    c_b,
    d_b,
    money_only,
    brk,
    day_rest,
    top_price,
    top_h,
    top_room,
    tank,
    strict,
):  # pragma: no cover - compiled
    """Label ``a`` at a station node is no worse than ``b`` there, whatever the levels.

    ``money_only``: cost objective without due times, where being cheaper is enough.
    Otherwise ``a`` needs no less hydrogen, no more money, and a time that is no later even
    after the rest that brings its counters down to ``b``'s: none, a break (resets the
    continuous driving), or a daily rest (resets both). Rests off: ``brk`` and
    ``day_rest`` are infinite and the counters zero.

    With less hydrogen than ``b``, ``a`` first buys the difference at this station (a label
    at a station node always stops there): ``top_price`` yuan and ``top_h`` hours per kg
    (``inf`` where the fill's length changes its start: opening hours or a queue; only
    money counts for ``money_only``), then compares as above. Every departure level that
    ``b`` can reach ``a`` then reaches too, no later and no dearer, as long as the most
    one stop dispenses (``top_room`` kg) still takes ``a`` as high as it takes ``b``.

    ``strict``: time objective where nothing waits (no opening hours, queues or ready
    times), so a label that is earlier by more than the keys' rounding stays earlier to the
    end and wins whatever its money (money only breaks ties in time).
    """
    if lv_a < lv_b - EPS:
        if lv_a + top_room < min(tank, lv_b + top_room) - EPS:
            return False
        gap = lv_b - lv_a
        m_a = m_a + gap * top_price
        if money_only:
            return m_a < m_b - 1e-9
        if not np.isfinite(top_h):
            return False
        t_a = t_a + gap * top_h
    if money_only and m_a < m_b - 1e-9:
        return True
    if m_a > m_b + EPS:
        if not strict:
            return False
        if t_a < t_b - _TIE_H and c_a <= c_b + EPS and d_a <= d_b + EPS:
            return True
        if t_a + brk < t_b - _TIE_H and d_a <= d_b + EPS:
            return True
        return t_a + day_rest < t_b - _TIE_H
    if t_a <= t_b + EPS and c_a <= c_b + EPS and d_a <= d_b + EPS:
        return True
    if t_a + brk <= t_b + EPS and d_a <= d_b + EPS:
        return True
    return t_a + day_rest <= t_b + EPS


@njit(cache=True, inline="always")
def _time_lb(
    drive,
    need,
    first_h,
    first_room,
    cap,
    conn_min,
    hpk_min,
    on,
    c,
    d,
    cmax,
    dmax,
    brk,
    day_rest,
    more_min=0.0,
):  # pragma: no cover - compiled
    """Least hours still to come: ``drive`` hours of driving plus what is not driving.

    ``first_h`` is the least length of the stop the label must make at its own station
    (``nan`` at the origin and the destination, where none is due) and ``first_room`` the
    kg that stop may add beyond ``need``'s count; ``need`` more kg are to be bought, at
    most ``cap`` kg a later stop (each arrives with at least the reserve). The stops take
    at least their connects and the fill of ``need`` at the fastest nozzle; the rests
    forced by the driving take :func:`_rest_lb`, and a stop that is not one of those rests
    still connects, so at least ``max(0, stops − rests)`` connects come on top.
    ``more_min``: stops after this one that any path to the destination makes
    (:func:`_reverse_bounds`), a floor on the count from ``need``.
    """
    if not np.isfinite(drive):
        return np.inf
    stops = 0
    stops_h = 0.0
    if not np.isnan(first_h):
        stops = 1
        stops_h = first_h
    more = 0
    if need > 1e-6:
        more = math.ceil((need - 1e-6 - first_room) / cap - 1e-7)
        stops_h += (need - 1e-6) * hpk_min
    if more_min > more:
        more = int(more_min)
    if more > 0:
        stops += more
        stops_h += more * conn_min
    if not on or drive <= 0:
        return drive + stops_h
    days = max(0, math.ceil((d + drive) / dmax - 1e-9) - 1)
    pauses = max(0, math.ceil((c + drive) / cmax - 1e-9) - 1)
    n_rest = days + max(0, pauses - days)
    rest_h = days * day_rest + max(0, pauses - days) * brk
    rest_h += max(0, stops - n_rest) * min(conn_min, brk)
    return drive + max(stops_h, rest_h)


@njit(cache=True, inline="always")
def _togo_h(
    v,
    lvl,
    dest,
    n,
    full_refuel,
    togo,
    togo_kg,
    togo_st,
    reserve,
    tank,
    conn,
    hpk,
    cap,
    conn_min,
    hpk_min,
    on,
    c,
    d,
    cmax,
    dmax,
    brk,
    day_rest,
    extra_h,
):  # pragma: no cover - compiled
    """:func:`_time_lb` of a label at node ``v`` with ``lvl`` kg (counters ``c``, ``d``),
    with ``extra_h`` hours of driving before it reaches ``v`` (0: it is there).

    At a station the label stops: at least its connect, and with full refuels exactly the
    fill to the brim at that station's nozzle.
    """
    need = togo_kg[v] + reserve - lvl
    drive = togo[v] + extra_h
    if v == 0 or v == dest:
        return _time_lb(
            drive,
            need,
            np.nan,
            0.0,
            cap,
            conn_min,
            hpk_min,
            on,
            c,
            d,
            cmax,
            dmax,
            brk,
            day_rest,
            togo_st[v],
        )
    jv = (v - 1) % n
    if full_refuel:
        room = tank - lvl
        return _time_lb(
            drive,
            need - room,
            conn[jv] + room * hpk[jv] * (1.0 - 1e-12),
            0.0,
            cap,
            conn_min,
            hpk_min,
            on,
            c,
            d,
            cmax,
            dmax,
            brk,
            day_rest,
            togo_st[v],
        )
    return _time_lb(
        drive,
        need,
        conn[jv],
        tank - lvl,
        cap,
        conn_min,
        hpk_min,
        on,
        c,
        d,
        cmax,
        dmax,
        brk,
        day_rest,
        togo_st[v],
    )


@njit(cache=True, inline="always")
def _togo_money(
    v, lvl, dest, n, full_refuel, togo_kg, reserve, tank, price, pmin, mlb, pcls
):  # pragma: no cover
    """Least money still to spend from node ``v`` with ``lvl`` kg: the hydrogen to buy at
    the lowest price, or the cheapest path of :func:`_reverse_bounds` (``mlb``, its row 3
    with room for float noise; ``pcls`` its row 4); with full refuels the stop at a station
    fills to the brim at its own price first. Partial refuels credit the hydrogen on board
    above the reserve at the station's price class, the highest rate of that path."""
    if v == dest:
        return 0.0
    need = togo_kg[v] + reserve - lvl
    lb = need * pmin if need > 0 else 0.0
    if v == 0:
        return max(lb, mlb[0])
    if full_refuel:
        room = tank - lvl
        more = need - room
        return room * price[(v - 1) % n] * (1.0 - 1e-12) + max(
            more * pmin if more > 0 else 0.0, mlb[v]
        )
    return max(lb, mlb[v] - (lvl - reserve) * pcls[v] * (1.0 + 1e-12))


@njit(cache=True)
def _pareto(st, ns):  # pragma: no cover - compiled
    """Keep the states of ``st[:ns]`` (rows t, c, d) that no other beats in all three."""
    if ns < 2:
        return ns
    order = np.argsort(st[:ns, 0], kind="mergesort")
    tmp = st[:ns].copy()
    for a in range(ns):  # stable sort by (t, c, d): insertion on the ties
        st[a] = tmp[order[a]]
    for a in range(1, ns):
        b = a
        while b > 0 and (
            st[b - 1, 0] == st[b, 0]
            and (st[b - 1, 1] > st[b, 1] or (st[b - 1, 1] == st[b, 1] and st[b - 1, 2] > st[b, 2]))
        ):
            for q in range(3):
                st[b - 1, q], st[b, q] = st[b, q], st[b - 1, q]
            b -= 1
    keep = 0
    for a in range(ns):
        dom = False
        for k in range(keep):
            if (
                st[k, 0] <= st[a, 0] + EPS
                and st[k, 1] <= st[a, 1] + EPS
                and st[k, 2] <= st[a, 2] + EPS
            ):
                dom = True
                break
        if not dom:
            for q in range(3):
                st[keep, q] = st[a, q]
            keep += 1
    return keep


@njit(cache=True)
def _stops(t, base, c, d, on, brk, day_rest, out, n0):  # pragma: no cover - compiled
    """Rows ``(t + stop, c, d)`` of a stop whose own activity lasts ``base`` hours.

    The stop lengths of ``refuel._Search._rest_options`` (as it is, extended to a break,
    extended to a daily rest), each with the counters ``_after_stop`` leaves, written into
    ``out`` from row ``n0``. Returns the next free row, or ``-1`` when ``out`` is full.
    """
    n = n0
    for opt in range(3):
        if opt == 0:
            stop = base
        elif opt == 1:
            if not (on and c > EPS and base < brk - EPS):
                continue
            stop = brk
        else:
            if not (on and d > EPS and base < day_rest - EPS):
                continue
            stop = day_rest
        c2, d2 = c, d
        if not on or stop >= day_rest - EPS:
            c2, d2 = 0.0, 0.0
        elif stop >= brk - EPS:
            c2 = 0.0
        if n == out.shape[0]:
            return -1
        out[n, 0], out[n, 1], out[n, 2] = t + stop, c2, d2
        n += 1
    return n


@njit(cache=True)
def _drive(
    st, ns, pk, pl, pw, npieces, speed, on, cmax, dmax, brk, day_rest, ready, due, L, nxt, stack
):  # pragma: no cover
    """Drive the hop's pieces from the states ``st[:ns]`` (t, c, d); returns the count left.

    ``nxt`` (``(_MAXS, 3)``) and ``stack`` (``(_MAXS, 4)``) are work buffers.
    """
    for p in range(npieces):
        hours = pk[p] / speed
        nn = 0
        for a in range(ns):
            if not on:
                nxt[nn, 0] = st[a, 0] + hours
                nxt[nn, 1] = 0.0
                nxt[nn, 2] = 0.0
                nn += 1
                continue
            sp = 0
            stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = st[a, 0], st[a, 1], st[a, 2], hours
            sp = 1
            while sp > 0:
                sp -= 1
                t, c, d, rem = stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3]
                room = min(cmax - c, dmax - d)
                if rem <= room + EPS:
                    if nn == _MAXS:
                        return -1
                    nxt[nn, 0] = t + rem
                    nxt[nn, 1] = c + rem
                    nxt[nn, 2] = d + rem
                    nn += 1
                    continue
                room = max(room, 0.0)
                t, c, d = t + room, c + room, d + room
                rem -= room
                if sp >= _MAXS - 2:
                    return -1
                stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3] = (
                    t + day_rest,
                    0.0,
                    0.0,
                    rem,
                )
                sp += 1
                if d < dmax - EPS:
                    stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3] = (
                        t + brk,
                        0.0,
                        d,
                        rem,
                    )
                    sp += 1
        wp = pw[p]
        if wp >= 0:
            mm = 0
            for a in range(nn):
                t, c, d = nxt[a, 0], nxt[a, 1], nxt[a, 2]
                if t > due[wp] + EPS:
                    continue
                wait = 0.0 if wp == L else max(0.0, ready[wp] - t)
                if wait <= EPS:
                    if mm == _MAXS:
                        return -1
                    st[mm, 0], st[mm, 1], st[mm, 2] = t, c, d
                    mm += 1
                    continue
                mm = _stops(t, wait, c, d, on, brk, day_rest, st, mm)
                if mm < 0:
                    return -1
            nn = mm
        else:
            for a in range(nn):
                st[a, 0], st[a, 1], st[a, 2] = nxt[a, 0], nxt[a, 1], nxt[a, 2]
        ns = _pareto(st, nn)
        if ns == 0:
            break
    return ns


@njit(cache=True)
def _pieces(a, b, n, L, leg_km, wp_to_st, st_to_wp, st_st, pk, pl, pw):  # pragma: no cover
    """The hop ``a → b`` as pieces (km, leg, waypoint reached or -1), as ``StopGraph.pieces``."""
    dest = 1 + L * n
    if a == 0:
        k0, first = 0, -1
    else:
        k0, first = (a - 1) // n, (a - 1) % n
    if b == dest:
        k1, last = L - 1, -1
    else:
        k1, last = (b - 1) // n, (b - 1) % n
    if last >= 0 and k0 == k1:
        pk[0] = wp_to_st[k0, last] if first < 0 else st_st[first, last]
        pl[0] = k0
        pw[0] = -1
        return 1
    m = 0
    pk[m] = leg_km[k0] if first < 0 else st_to_wp[k0, first]
    pl[m] = k0
    pw[m] = k0 + 1
    m += 1
    top = k1 + (1 if last < 0 else 0)
    for q in range(k0 + 1, top):
        pk[m] = leg_km[q]
        pl[m] = q
        pw[m] = q + 1
        m += 1
    if last >= 0:
        pk[m] = wp_to_st[k1, last]
        pl[m] = k1
        pw[m] = -1
        m += 1
    return m


@njit(cache=True, inline="always")
def _hop_of(
    u, e, n, L, k, j, cum_km, cum_fuel, rest_km, rest_fuel, wp_to_st, st_to_wp, st_st, rate
):  # pragma: no cover - compiled
    """``(v, km, kg)`` of successor ``e`` of node ``u`` (station ``j`` in leg ``k``).

    ``e < L*n``: station ``e % n`` in leg ``e // n``; ``e == L*n``: the destination.
    ``v`` is −1 where the hop does not exist (an earlier leg, or the station itself).
    """
    if e < L * n:
        m = e // n
        jj = e % n
        v = 1 + e
        if u == 0:
            return v, cum_km[m] + wp_to_st[m, jj], cum_fuel[m] + wp_to_st[m, jj] * rate[m]
        if m < k or (m == k and jj == j):
            return -1, 0.0, 0.0
        if m == k:
            return v, st_st[j, jj], st_st[j, jj] * rate[k]
        out_km = st_to_wp[k, j]
        km = out_km + (cum_km[m] - cum_km[k + 1]) + wp_to_st[m, jj]
        kg = out_km * rate[k] + (cum_fuel[m] - cum_fuel[k + 1]) + wp_to_st[m, jj] * rate[m]
        return v, km, kg
    v = 1 + L * n
    if u == 0:
        return v, cum_km[L], cum_fuel[L]
    out_km = st_to_wp[k, j]
    return v, out_km + rest_km[k + 1], out_km * rate[k] + rest_fuel[k + 1]


_MAX_PRICE_LAYERS = 8  # price classes of the cost bound's running-minimum search
_MAX_REV_ARCS = 1 << 22  # hops held for the reverse bounds (20 bytes each); beyond, none
_MAX_FWD_ARCS = 1 << 18  # up to this many hops, also grouped by tail for the successor lists


@njit(cache=True, inline="always")
def _into(
    v,
    n,
    L,
    room,
    cum_km,
    cum_fuel,
    rest_km,
    rest_fuel,
    wp_to_st,
    st_to_wp,
    st_st,
    rate,
    out_t,
    out_km,
    out_kg,
    m0,
):  # pragma: no cover - compiled
    """The hops from stations into node ``v`` (a station or the destination) that need at
    most ``room`` kg, each as :func:`_hop_of` makes it, written from ``m0`` (when
    ``out_t`` has room; else only counted). Returns the next free index."""
    dest = 1 + L * n
    write = out_t.size > 0
    m_ = m0
    if v == dest:
        for k in range(L):
            for j in range(n):
                out_km0 = st_to_wp[k, j]
                kg = out_km0 * rate[k] + rest_fuel[k + 1]
                if kg <= room:
                    if write:
                        out_t[m_], out_km[m_], out_kg[m_] = (
                            1 + k * n + j,
                            out_km0 + rest_km[k + 1],
                            kg,
                        )
                    m_ += 1
        return m_
    m = (v - 1) // n
    jj = v - 1 - m * n
    rm = rate[m]
    into_km = wp_to_st[m, jj]
    into_kg = into_km * rm
    for k in range(m):  # earlier legs, through the waypoints between
        rk = rate[k]
        dk = cum_km[m] - cum_km[k + 1]
        df = cum_fuel[m] - cum_fuel[k + 1]
        if not (df + into_kg <= room):
            continue
        for j in range(n):
            out_km0 = st_to_wp[k, j]
            kg = out_km0 * rk + df + into_kg
            if kg <= room:
                if write:
                    out_t[m_], out_km[m_], out_kg[m_] = 1 + k * n + j, out_km0 + dk + into_km, kg
                m_ += 1
    for j in range(n):  # the same leg
        km = st_st[j, jj]
        kg = km * rm
        if j != jj and kg <= room:
            if write:
                out_t[m_], out_km[m_], out_kg[m_] = 1 + m * n + j, km, kg
            m_ += 1
    return m_


@njit(cache=True)
def _rev_arcs(
    L,
    n,
    tank,
    reserve,
    cum_km,
    cum_fuel,
    rest_km,
    rest_fuel,
    wp_to_st,
    st_to_wp,
    st_st,
    rate,
    wanted,
):  # pragma: no cover - compiled
    """The hops from stations that a full tank covers (to stations and the destination),
    as :func:`_hop_of` makes them: ``(rptr, tail, km, kg)`` grouped by their head node,
    and, up to :data:`_MAX_FWD_ARCS` of them, ``(fptr, head, km, kg)``, the same hops
    grouped by their tail. Pointer arrays are empty when not ``wanted`` or beyond
    :data:`_MAX_REV_ARCS` hops."""
    n_nodes = 2 + L * n
    room = tank - reserve + EPS
    none_i = np.empty(0, dtype=np.int32)
    none_f = np.empty(0)
    z = np.zeros(0, dtype=np.int64)
    if not wanted:
        return z, none_i, none_f, none_f, z, none_i, none_f, none_f
    rptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for v in range(1, n_nodes):
        c = _into(
            v,
            n,
            L,
            room,
            cum_km,
            cum_fuel,
            rest_km,
            rest_fuel,
            wp_to_st,
            st_to_wp,
            st_st,
            rate,
            none_i,
            none_f,
            none_f,
            0,
        )
        rptr[v + 1] = rptr[v] + c
    total = rptr[n_nodes]
    if total > _MAX_REV_ARCS:
        return z, none_i, none_f, none_f, z, none_i, none_f, none_f
    tail = np.empty(max(total, 1), dtype=np.int32)
    rkm = np.empty(max(total, 1))
    rkg = np.empty(max(total, 1))
    for v in range(1, n_nodes):
        _into(
            v,
            n,
            L,
            room,
            cum_km,
            cum_fuel,
            rest_km,
            rest_fuel,
            wp_to_st,
            st_to_wp,
            st_st,
            rate,
            tail,
            rkm,
            rkg,
            rptr[v],
        )
    if total > _MAX_FWD_ARCS:
        return z, none_i, none_f, none_f, rptr, tail, rkm, rkg
    fptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for a in range(total):
        fptr[tail[a] + 1] += 1
    for u in range(n_nodes):
        fptr[u + 1] += fptr[u]
    head = np.empty(max(total, 1), dtype=np.int32)
    fkm = np.empty(max(total, 1))
    fkg = np.empty(max(total, 1))
    fill = fptr[:-1].copy()
    for v in range(1, n_nodes):
        for a in range(rptr[v], rptr[v + 1]):
            b = fill[tail[a]]
            head[b] = v
            fkm[b] = rkm[a]
            fkg[b] = rkg[a]
            fill[tail[a]] += 1
    return fptr, head, fkm, fkg, rptr, tail, rkm, rkg


@njit(cache=True)
def _rev_dijkstra(dist, mode, q, cls, n, dest, rptr, tail, akm, akg):  # pragma: no cover
    """Shortest paths to the destination backwards over the hops of :func:`_rev_arcs`,
    from ``dist`` as set (the destination 0, or targets already priced in).

    The weight of a hop ``u → v`` by ``mode``: 0 its km, 1 its kg, 2 one per station ``v``
    (0 into the destination), 3 its kg at ``v``'s price ``cls`` (0 into the destination),
    4 its kg at price ``q``, only into stations priced at least ``q`` (the others are in
    ``dist`` already).
    """
    n_nodes = dist.size
    done = np.zeros(n_nodes, dtype=np.bool_)
    while True:  # the hop graph is dense: pick the next node by a scan
        v = -1
        best = np.inf
        for x in range(1, n_nodes):
            if dist[x] < best and not done[x]:
                best = dist[x]
                v = x
        if v < 0:
            return
        done[v] = True
        if mode == 4 and (v == dest or cls[(v - 1) % n] < q):
            continue
        for a in range(rptr[v], rptr[v + 1]):
            u = tail[a]
            if done[u]:
                continue
            if mode == 0:
                step = akm[a]
            elif mode == 1:
                step = akg[a]
            elif mode == 2:
                step = 0.0 if v == dest else 1.0
            elif mode == 3:
                step = 0.0 if v == dest else akg[a] * cls[(v - 1) % n]
            else:
                step = akg[a] * q
            if best + step < dist[u]:
                dist[u] = best + step


@njit(cache=True)
def _reverse_bounds(
    L,
    n,
    start,
    tank,
    reserve,
    cum_km,
    cum_fuel,
    rest_km,
    rest_fuel,
    wp_to_st,
    st_to_wp,
    st_st,
    rate,
    price,
    cost_obj,
    full_refuel,
    need_time,
    arcs,
):  # pragma: no cover - compiled
    """Lower bounds from every node to the destination, by Dijkstras backwards over the
    hop graph the search uses (:func:`_hop_of`): rows km, kg, stations still to stop at,
    and (cost objective) money; ``inf`` where no path reaches the destination.

    A hop from a station carries at most a full tank above the reserve (a label there
    always stops and may fill up), the origin's hops at most its start level. Every plan
    from a node follows such a path, so each row bounds its own quantity from below
    whatever the level, the clock or the rests (money does not depend on them).

    Money, full refuels: the truck leaves a station full, so each later stop buys exactly
    the hop that reaches it, at its price (row 3: the cheapest such path; the fill at the
    node itself is the caller's). Partial refuels: a kg burnt on a hop was bought at one of
    the stations before it on the path (or is on board), at no less than their lowest
    price, so row 3 holds the cheapest path that charges each hop at the lowest price met
    from the node on, the node's own first (a label there stops); the caller credits the
    hydrogen on board above the reserve at the node's price, the highest rate of that path.
    Prices are rounded down to at most :data:`_MAX_PRICE_LAYERS` classes (row 4, per
    station node), which only lowers the bound. The origin's row 3 is for its start level.

    Only the rows the search uses are made (km and stops with ``need_time``, kg but with
    full refuels for cost, money for cost); the others, and every row beyond
    :data:`_MAX_REV_ARCS` hops, are 0 (no sharpening), and ``inf`` marks the dead ends.
    """
    dest = 1 + L * n
    n_nodes = 2 + L * n
    out = np.zeros((5, n_nodes))
    _, _, _, _, rptr, tail, akm, akg = arcs
    if rptr.size == 0:
        return out
    out[:4, :] = np.inf
    for q in range(4):
        if q == 3 and not (cost_obj and full_refuel):
            continue
        if (q == 0 or q == 2) and not need_time:
            continue
        if q == 1 and cost_obj and full_refuel:
            continue  # the money row holds more
        out[q, dest] = 0.0
        _rev_dijkstra(out[q], q, 0.0, price, n, dest, rptr, tail, akm, akg)
    if cost_obj and not full_refuel and n > 0:
        levels = np.unique(price)
        if levels.size > _MAX_PRICE_LAYERS:
            pick = np.empty(_MAX_PRICE_LAYERS)
            for a in range(_MAX_PRICE_LAYERS):
                pick[a] = levels[(a * levels.size) // _MAX_PRICE_LAYERS]
            levels = pick
        cls = np.empty(n)  # each station's price, rounded down to a class
        for i in range(n):
            a = np.searchsorted(levels, price[i], side="right") - 1
            cls[i] = levels[max(a, 0)]
        lay = np.empty(n_nodes)
        for la in range(levels.size):
            qa = levels[la]
            lay[:] = np.inf
            for v in range(1, n_nodes):  # hops into the destination or a cheaper station
                if v != dest and not (cls[(v - 1) % n] < qa):
                    continue
                for a in range(rptr[v], rptr[v + 1]):
                    x = akg[a] * qa + (0.0 if v == dest else out[3, v])
                    if x < lay[tail[a]]:
                        lay[tail[a]] = x
            _rev_dijkstra(lay, 4, qa, cls, n, dest, rptr, tail, akm, akg)
            for u in range(1, dest):
                if cls[(u - 1) % n] == qa:
                    out[3, u] = lay[u]
        for u in range(1, dest):
            out[4, u] = cls[(u - 1) % n]
    # the origin, whose hops the start level bounds
    m0 = np.inf
    for e in range(L * n + 1):
        w, km, kg = _hop_of(
            0,
            e,
            n,
            L,
            0,
            -1,
            cum_km,
            cum_fuel,
            rest_km,
            rest_fuel,
            wp_to_st,
            st_to_wp,
            st_st,
            rate,
        )
        if w < 0 or not (kg <= start - reserve + EPS):
            continue
        out[0, 0] = min(out[0, 0], out[0, w] + km)
        out[1, 0] = min(out[1, 0], out[1, w] + kg)
        out[2, 0] = min(out[2, 0], out[2, w] + (0.0 if w == dest else 1.0))
        if w == dest:
            x = 0.0
        elif full_refuel:
            x = (tank - start + kg) * price[(w - 1) % n] + out[3, w]
        else:
            x = out[3, w] - (start - kg - reserve) * out[4, w]
        m0 = min(m0, x)
    if cost_obj:
        out[3, 0] = max(m0, 0.0)
    # a row left out bounds nothing (0); a node no computed row leads on from is a dead end
    for q in range(4):
        if q == 3:
            if not cost_obj:
                out[3, :] = 0.0
        elif (q != 1 and not need_time) or (q == 1 and cost_obj and full_refuel):
            out[q, :] = 0.0
    out[:4, dest] = 0.0
    for v in range(dest):
        if not (np.isfinite(out[0, v]) and np.isfinite(out[1, v]) and np.isfinite(out[3, v])):
            out[0, v] = np.inf
            out[1, v] = np.inf
            out[3, v] = np.inf
    out[3, dest] = 0.0
    return out


@njit(cache=True)
def search(
    leg_km,
    wp_to_st,
    st_to_wp,
    st_st,
    rate,
    tank,
    start,
    reserve,
    price,
    hpk,
    conn,
    open_h,
    close_h,
    speed,
    depart_h,
    on,
    cmax,
    dmax,
    brk,
    day_rest,
    ready,
    due,
    cost_obj,
    full_refuel,
    max_labels,
    use_q,
    qw,
    qn,
    upper,
    top_h,
    top_room,
    upper_t,
    use_rev,
):  # pragma: no cover - compiled
    """Returns ``(status, end, node, chain, end label, explored, n_labels)``.

    ``upper_t`` (cost objective): hours of a plan known to be among the cheapest; a label
    whose time bound exceeds it cannot be the optimum (cheapest, then quickest).

    ``top_h`` (hours per kg where a longer fill never starts later, else ``inf``) and
    ``top_room`` (the most one stop dispenses) per station serve the dominance of
    :func:`_better`.

    ``use_q``: stations queue with ``qw`` (``(n, 24)`` hourly waits) and ``qn`` (their
    :func:`~h2lane.routing.refuel.queue_next`). ``upper``: the objective of a known plan
    (``inf`` for none); a label whose A* key exceeds it cannot be on an optimal plan and is
    not made.

    Status 0 ok, 1 no plan, 2 label budget reached, 3 too many rest branches on one hop.
    ``node`` and ``chain`` are the nodes and label rows of the optimal chain, origin first.
    ``use_rev``: sharpen the bounds by :func:`_reverse_bounds` (else the direct ones).
    """
    L = leg_km.size
    n = price.size
    dest = 1 + L * n
    n_nodes = 2 + L * n
    free_time = True
    for w in range(L + 1):
        if np.isfinite(due[w]):
            free_time = False
    strict = not cost_obj and not use_q
    for w in range(1, L):
        if np.isfinite(ready[w]):
            strict = False
    for i in range(n):
        if close_h[i] - open_h[i] < 24.0 - EPS:
            strict = False
    leg_fuel = leg_km * rate
    rest_km = np.zeros(L + 1)
    rest_fuel = np.zeros(L + 1)
    cum_km = np.zeros(L + 1)
    cum_fuel = np.zeros(L + 1)
    for k in range(L - 1, -1, -1):  # the sums of StopGraph, in its order
        rest_km[k] = rest_km[k + 1] + leg_km[k]
        rest_fuel[k] = rest_fuel[k + 1] + leg_fuel[k]
    for k in range(L):
        cum_km[k + 1] = cum_km[k] + leg_km[k]
        cum_fuel[k + 1] = cum_fuel[k] + leg_fuel[k]
    togo = np.empty(n_nodes)
    togo[0] = rest_km[0] / speed * (1.0 - 1e-12)
    togo[dest] = 0.0
    for k in range(L):
        for i in range(n):
            togo[1 + k * n + i] = (st_to_wp[k, i] + rest_km[k + 1]) / speed * (1.0 - 1e-12)
    # the cost objective's A* bound (as refuel._Search.cost_lb): fuel to go at the lowest price
    togo_kg = np.empty(n_nodes)
    togo_kg[0] = rest_fuel[0]
    togo_kg[dest] = 0.0
    for k in range(L):
        for i in range(n):
            togo_kg[1 + k * n + i] = st_to_wp[k, i] * rate[k] + rest_fuel[k + 1]
    # sharper: the least km and kg over the hop graph, and the stops that path needs
    arcs = _rev_arcs(
        L,
        n,
        tank,
        reserve,
        cum_km,
        cum_fuel,
        rest_km,
        rest_fuel,
        wp_to_st,
        st_to_wp,
        st_st,
        rate,
        use_rev,
    )
    fptr, fhead, fkm, fkg, _, _, _, _ = arcs
    have_arcs = fptr.size > 0
    rev = _reverse_bounds(
        L,
        n,
        start,
        tank,
        reserve,
        cum_km,
        cum_fuel,
        rest_km,
        rest_fuel,
        wp_to_st,
        st_to_wp,
        st_st,
        rate,
        price,
        cost_obj,
        full_refuel,
        not cost_obj or np.isfinite(upper_t),
        arcs,
    )
    togo_st = rev[2]
    mlb = rev[3] * (1.0 - 1e-9)  # money (see _togo_money)
    pcls = rev[4]
    for v in range(n_nodes):
        togo[v] = max(togo[v], rev[0, v] / speed * (1.0 - 1e-12))
        togo_kg[v] = max(togo_kg[v], rev[1, v] * (1.0 - 1e-12))
    pmin = 0.0
    conn_min = 0.0
    hpk_min = 0.0
    if n > 0:
        pmin = np.min(price) * (1.0 - 1e-9)
        conn_min = np.min(conn) * (1.0 - 1e-9)
        hpk_min = np.min(hpk) * (1.0 - 1e-9)
    cap_kg = tank - reserve

    C = 4096
    lf = np.empty((C, 6))
    lnode = np.empty(C, dtype=np.int64)
    lpar = np.empty(C, dtype=np.int64)
    lnext = np.empty(C, dtype=np.int64)  # next label of the same (node, level) bucket
    ldead = np.zeros(C, dtype=np.bool_)
    nl = 0
    hk1 = np.empty(C)
    hk2 = np.empty(C)
    hsq = np.empty(C, dtype=np.int64)
    hs = 0
    tk = np.full(1 << 14, -1, dtype=np.int64)
    tv = np.empty(1 << 14, dtype=np.int64)
    n_keys = 0
    # expanded labels per node (rest off: the cross-level dominance)
    pop_head = np.full(n_nodes, -1, dtype=np.int64)
    pnext = np.empty(C, dtype=np.int64)
    cross = True
    brk_dom = brk if on else np.inf
    rest_dom = day_rest if on else np.inf

    # per node: its successors within range, sorted (see the expansion)
    n_succ = 1 + L * n
    soff = np.full(n_nodes, -1, dtype=np.int64)
    slen = np.zeros(n_nodes, dtype=np.int64)
    sbuf = np.empty(1 << 14, dtype=np.int32)
    skey = np.empty(1 << 14)
    spos = 0
    tmp_e = np.empty(n_succ, dtype=np.int32)
    tmp_key = np.empty(n_succ)
    tmp_e2 = np.empty(n_succ, dtype=np.int32)
    tmp_key2 = np.empty(n_succ)
    tmp_km = np.empty(n_succ)
    tmp_kg = np.empty(n_succ)
    tmp_km2 = np.empty(n_succ)
    tmp_kg2 = np.empty(n_succ)
    skm = np.empty(1 << 14)
    skg = np.empty(1 << 14)
    st = np.empty((_MAXS, 3))
    pk = np.empty(L + 2)
    pl = np.empty(L + 2, dtype=np.int64)
    pw = np.empty(L + 2, dtype=np.int64)
    lev = np.empty(16)
    drv_nxt = np.empty((_MAXS, 3))
    drv_stack = np.empty((_MAXS, 4))
    ext = np.empty(1024)  # coupled departure levels of one successor
    bp = np.empty(256)
    ws_s = np.empty(3)
    ws_c = np.empty(3)
    # departures of one level: (t, c, d) rows and the money spent
    np.empty((4, 3))

    if start < reserve - EPS:
        return 1, -1, lnode[:0], lf[:0].copy(), lf[0].copy(), 0, 0
    # the origin label
    lf[0, _LV] = start
    lf[0, _TM] = 0.0
    lf[0, _MO] = 0.0
    lf[0, _KM] = 0.0
    lf[0, _C] = 0.0
    lf[0, _D] = 0.0
    lnode[0] = 0
    lpar[0] = -1
    lnext[0] = -1
    nl = 1
    if cost_obj:
        m0 = _togo_money(
            0, start, dest, n, full_refuel, togo_kg, reserve, tank, price, pmin, mlb, pcls
        )
        hk1[0], hk2[0] = round(m0, 6), 0.0
    else:
        hk1[0] = round(
            _time_lb(
                togo[0],
                togo_kg[0] + reserve - start,
                np.nan,
                0.0,
                cap_kg,
                conn_min,
                hpk_min,
                on,
                0.0,
                0.0,
                cmax,
                dmax,
                brk,
                day_rest,
                togo_st[0],
            ),
            7,
        )
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
        if ldead[s]:
            continue
        u = lnode[s]
        level = lf[s, _LV]
        t_u = lf[s, _TM]
        m_u = lf[s, _MO]
        if cross and u != 0 and u != dest:
            j_u = (u - 1) % n
            o = pop_head[u]
            dom = False
            while o >= 0:
                if _better(
                    lf[o, _LV],
                    lf[o, _TM],
                    lf[o, _MO],
                    lf[o, _C],
                    lf[o, _D],
                    level,
                    t_u,
                    m_u,
                    lf[s, _C],
                    lf[s, _D],
                    cost_obj and free_time,
                    brk_dom,
                    rest_dom,
                    price[j_u],
                    top_h[j_u],
                    top_room[j_u],
                    tank,
                    strict,
                ):
                    dom = True
                    break
                o = pnext[o]
            if dom:
                continue
            pnext[s] = pop_head[u]
            pop_head[u] = s
        explored += 1
        if u == dest:
            m = 0
            i = s
            while i >= 0:
                m += 1
                i = lpar[i]
            cn = np.empty(m, dtype=np.int64)
            cr = np.empty((m, 6))
            i = s
            while i >= 0:
                m -= 1
                cn[m] = lnode[i]
                cr[m] = lf[i]
                i = lpar[i]
            return 0, s, cn, cr, lf[s].copy(), explored, nl
        now = depart_h + t_u
        c_u = lf[s, _C]
        d_u = lf[s, _D]
        km_u = lf[s, _KM]
        # shared departure levels (station only)
        nlev = 0
        nw = 0
        if u != 0:
            k = (u - 1) // n
            j = (u - 1) % n
            lev[0] = tank
            nlev = 1
            if not full_refuel and hpk[j] > 0:
                nw = _window_starts(now, open_h[j], close_h[j], ws_s, ws_c, use_q, qw, qn, j)
                for w in range(nw):
                    wait = ws_s[w] - now
                    if np.isfinite(ws_c[w]):
                        lev[nlev] = level + (ws_c[w] - ws_s[w] - conn[j]) / hpk[j]
                        nlev += 1
                    if on:
                        lev[nlev] = level + (brk - wait - conn[j]) / hpk[j]
                        nlev += 1
                        lev[nlev] = level + (day_rest - wait - conn[j]) / hpk[j]
                        nlev += 1
            kk = 0
            for w in range(nlev):
                x = lev[w]
                if level + EPS < x <= tank + EPS:
                    lev[kk] = x
                    kk += 1
            nlev = kk
            avail = tank - reserve
        else:
            k = 0
            j = -1
            avail = level - reserve
        # successors within range, sorted by the part of the upper-bound test that does not
        # depend on the label (built at the node's first expansion): the scan stops at the
        # first successor that no label here can take below ``upper``
        if soff[u] < 0:
            cnt = 0
            from_arcs = have_arcs and u != 0
            n_try = fptr[u + 1] - fptr[u] if from_arcs else n_succ
            for e in range(n_try):
                if from_arcs:  # the hops within a full tank, as _hop_of makes them
                    a = fptr[u] + e
                    v, km, kg = int(fhead[a]), fkm[a], fkg[a]
                else:
                    v, km, kg = _hop_of(
                        u,
                        e,
                        n,
                        L,
                        k,
                        j,
                        cum_km,
                        cum_fuel,
                        rest_km,
                        rest_fuel,
                        wp_to_st,
                        st_to_wp,
                        st_st,
                        rate,
                    )
                if v < 0 or not (kg <= avail + EPS) or not np.isfinite(togo[v]):
                    continue  # (out of range, or no way on from v)
                tmp_e[cnt] = v - 1
                tmp_km[cnt] = km
                tmp_kg[cnt] = kg
                # what reaching v adds for sure: the hop, the bound on from v, and the stop
                # at v (at least its connect; with full refuels the fill to the brim)
                if cost_obj:
                    if full_refuel:
                        more = togo_kg[v] + reserve - tank
                        sk = more * pmin if more > 0 else 0.0
                        if v != dest:
                            sk = max(sk, mlb[v]) + kg * price[(v - 1) % n] * (1.0 - 1e-12)
                    else:
                        sk = togo_kg[v] + kg
                else:
                    sk = km / speed * (1.0 - 1e-12) + togo[v]
                    if v != dest and not on:  # with rests: the driving alone (see below)
                        jv = (v - 1) % n
                        sk += conn[jv] * (1.0 - 1e-12)
                        if full_refuel:
                            sk += kg * hpk[jv] * (1.0 - 1e-12)
                tmp_key[cnt] = sk
                cnt += 1
            order = np.argsort(tmp_key[:cnt], kind="mergesort")
            if soff[u] == -1 and spos + cnt <= _MAX_SUCC:
                if spos + cnt > sbuf.size:
                    grow = max(2 * sbuf.size, spos + cnt)
                    sb2 = np.empty(grow, dtype=np.int32)
                    sb2[:spos] = sbuf[:spos]
                    sbuf = sb2
                    sk2 = np.empty(grow)
                    sk2[:spos] = skey[:spos]
                    skey = sk2
                    sk3 = np.empty(grow)
                    sk3[:spos] = skm[:spos]
                    skm = sk3
                    sk4 = np.empty(grow)
                    sk4[:spos] = skg[:spos]
                    skg = sk4
                for q in range(cnt):
                    sbuf[spos + q] = tmp_e[order[q]]
                    skey[spos + q] = tmp_key[order[q]]
                    skm[spos + q] = tmp_km[order[q]]
                    skg[spos + q] = tmp_kg[order[q]]
                soff[u] = spos
                slen[u] = cnt
                spos += cnt
            else:  # over the budget: this node sorts at every expansion
                for q in range(cnt):
                    tmp_e2[q] = tmp_e[order[q]]
                    tmp_key2[q] = tmp_key[order[q]]
                    tmp_km2[q] = tmp_km[order[q]]
                    tmp_kg2[q] = tmp_kg[order[q]]
                slen[u] = cnt
                soff[u] = -2
        use_buf = soff[u] >= 0
        lo_q = soff[u] if use_buf else 0
        hi_q = lo_q + slen[u]
        # the least any departure from here spends before the hop: a full tank or a bit
        top = tank if (u != 0 and full_refuel) else level
        spend_min = 0.0
        base_min = 0.0
        if u != 0:
            base_min = conn[j] + (top - level) * hpk[j]
            spend_min = (top - level) * price[j]
        limit = upper + 1e-9 * max(1.0, abs(upper))
        for qq in range(lo_q, hi_q):
            e = sbuf[qq] if use_buf else tmp_e2[qq]
            sk = skey[qq] if use_buf else tmp_key2[qq]
            if cost_obj:
                if full_refuel:
                    if m_u + spend_min + sk > limit:
                        break
                else:
                    rest_need = sk + reserve - top
                    if m_u + spend_min + (rest_need * pmin if rest_need > 0 else 0.0) > limit:
                        break
            elif not on:
                if t_u + base_min + sk > limit:
                    break
            else:
                # sk hours still to drive: the stop here (as it is, or stretched to a break
                # or a daily rest) and the rests that driving forces after it
                g = base_min + _rest_lb(sk, c_u, d_u, on, cmax, dmax, brk, day_rest)
                if u != 0:
                    g = min(
                        g,
                        max(brk, base_min) + _rest_lb(sk, 0.0, d_u, on, cmax, dmax, brk, day_rest),
                        max(day_rest, base_min)
                        + _rest_lb(sk, 0.0, 0.0, on, cmax, dmax, brk, day_rest),
                    )
                if t_u + sk + g > limit:
                    break
            v = int(e) + 1
            km = skm[qq] if use_buf else tmp_km2[qq]
            kg = skg[qq] if use_buf else tmp_kg2[qq]
            npieces = _pieces(u, v, n, L, leg_km, wp_to_st, st_to_wp, st_st, pk, pl, pw)
            # coupled levels (as refuel._Search.coupled_levels): reach v, or the next
            # waypoint's ready time, at a breakpoint of its start
            n_ext = 0
            if u != 0 and not full_refuel and hpk[j] > 0:
                jb = -1
                if v != dest:
                    jb = (v - 1) % n
                    if not (use_q or close_h[jb] - open_h[jb] < 24.0 - EPS):
                        jb = -1
                ready_w = np.nan
                if pw[0] >= 0 and pw[0] < L and np.isfinite(ready[pw[0]]):
                    ready_w = ready[pw[0]]
                if jb >= 0 or not np.isnan(ready_w):
                    room = (tank - level) * hpk[j]
                    n_off = 3 if on else 1
                    for w in range(nw):
                        for q in range(n_off):
                            off = 0.0 if q == 0 else (brk if q == 1 else day_rest)
                            if jb >= 0:
                                a0 = ws_s[w] + conn[j] + km / speed + off
                                nb = _breakpoints(
                                    jb, a0, a0 + room, open_h, close_h, use_q, qw, qn, bp, 0
                                )
                                if nb < 0 or n_ext + nb > ext.size:
                                    return (
                                        3,
                                        -1,
                                        lnode[:0],
                                        lf[:0].copy(),
                                        lf[0].copy(),
                                        explored,
                                        nl,
                                    )
                                for r in range(nb):
                                    ext[n_ext] = level + (bp[r] - a0) / hpk[j]
                                    n_ext += 1
                            if not np.isnan(ready_w):
                                a0 = ws_s[w] + conn[j] + pk[0] / speed + off
                                if a0 < ready_w <= a0 + room:
                                    if n_ext == ext.size:
                                        return (
                                            3,
                                            -1,
                                            lnode[:0],
                                            lf[:0].copy(),
                                            lf[0].copy(),
                                            explored,
                                            nl,
                                        )
                                    ext[n_ext] = level + (ready_w - a0) / hpk[j]
                                    n_ext += 1
            # departure options: (level after the stop, money spent, states)
            n_opt = 1 if u == 0 else nlev + (0 if full_refuel else 1) + n_ext
            for opt in range(n_opt):
                if u == 0:
                    dlev = level
                    spend = 0.0
                    st[0, 0], st[0, 1], st[0, 2] = now, c_u, d_u
                    nst = 1
                else:
                    if opt < nlev:
                        dlev = lev[opt]
                    elif opt == nlev:
                        dlev = reserve + kg
                    else:
                        dlev = ext[opt - nlev - 1]
                    dlev = min(dlev, tank)
                    if dlev < reserve + kg - EPS or dlev - level <= EPS:
                        continue
                    buy = dlev - level
                    fill = conn[j] + buy * hpk[j]
                    s0 = _fill_start(now, fill, open_h[j], close_h[j], use_q, qw, qn, j)
                    if np.isnan(s0):
                        continue
                    base = (s0 - now) + fill
                    spend = buy * price[j]
                    nst = _stops(now, base, c_u, d_u, on, brk, day_rest, st, 0)
                money = m_u + spend
                # no plan through this hop can beat the upper bound: skip it before driving
                if cost_obj:
                    togo_m = _togo_money(
                        v,
                        dlev - kg,
                        dest,
                        n,
                        full_refuel,
                        togo_kg,
                        reserve,
                        tank,
                        price,
                        pmin,
                        mlb,
                        pcls,
                    )
                    if money + togo_m > upper:
                        continue
                hop_h = km / speed * (1.0 - 1e-12)
                limit_t = upper_t if cost_obj else upper
                if not cost_obj:
                    base0 = 0.0 if u == 0 else base
                    if t_u + base0 + hop_h + togo[v] > upper:
                        continue
                if np.isfinite(limit_t):  # each way to leave, with its rests to come
                    kept = 0
                    for a in range(nst):
                        lb_a = (st[a, 0] - depart_h) + _togo_h(
                            v,
                            dlev - kg,
                            dest,
                            n,
                            full_refuel,
                            togo,
                            togo_kg,
                            togo_st,
                            reserve,
                            tank,
                            conn,
                            hpk,
                            cap_kg,
                            conn_min,
                            hpk_min,
                            on,
                            st[a, 1],
                            st[a, 2],
                            cmax,
                            dmax,
                            brk,
                            day_rest,
                            hop_h,
                        )
                        if lb_a <= limit_t:
                            st[kept, 0], st[kept, 1], st[kept, 2] = st[a, 0], st[a, 1], st[a, 2]
                            kept += 1
                    if kept == 0:
                        continue
                    nst = kept
                nst = _drive(
                    st,
                    nst,
                    pk,
                    pl,
                    pw,
                    npieces,
                    speed,
                    on,
                    cmax,
                    dmax,
                    brk,
                    day_rest,
                    ready,
                    due,
                    L,
                    drv_nxt,
                    drv_stack,
                )
                if nst < 0:
                    return 3, -1, lnode[:0], lf[:0].copy(), lf[0].copy(), explored, nl
                new_level = dlev - kg
                for a in range(nst):
                    time_h = st[a, 0] - depart_h
                    c2, d2 = st[a, 1], st[a, 2]
                    bound = 0.0
                    if not cost_obj or np.isfinite(upper_t):
                        bound = time_h + _togo_h(
                            v,
                            new_level,
                            dest,
                            n,
                            full_refuel,
                            togo,
                            togo_kg,
                            togo_st,
                            reserve,
                            tank,
                            conn,
                            hpk,
                            cap_kg,
                            conn_min,
                            hpk_min,
                            on,
                            c2,
                            d2,
                            cmax,
                            dmax,
                            brk,
                            day_rest,
                            0.0,
                        )
                        if bound > (upper_t if cost_obj else upper):
                            continue
                    # too late for a due time ahead?
                    if not free_time and v != dest:
                        late = False
                        k_v = -1 if v == 0 else (v - 1) // n
                        for w in range(k_v + 1, L + 1):
                            if not np.isfinite(due[w]):
                                continue
                            if v == 0:
                                xkm = cum_km[w]
                            else:
                                xkm = st_to_wp[k_v, (v - 1) % n] + cum_km[w] - cum_km[k_v + 1]
                            h = xkm / speed * (1.0 - 1e-12)
                            if (
                                time_h + h + _rest_lb(h, c2, d2, on, cmax, dmax, brk, day_rest)
                                > due[w] - depart_h + 1e-7
                            ):
                                late = True
                                break
                        if late:
                            continue
                    if cross and v != dest:
                        o = pop_head[v]
                        dom = False
                        while o >= 0:
                            if _better(
                                lf[o, _LV],
                                lf[o, _TM],
                                lf[o, _MO],
                                lf[o, _C],
                                lf[o, _D],
                                new_level,
                                time_h,
                                money,
                                c2,
                                d2,
                                cost_obj and free_time,
                                brk_dom,
                                rest_dom,
                                price[(v - 1) % n],
                                top_h[(v - 1) % n],
                                top_room[(v - 1) % n],
                                tank,
                                strict,
                            ):
                                dom = True
                                break
                            o = pnext[o]
                        if dom:
                            continue
                    # bucket dominance at (v, level)
                    state = v * np.int64(1 << 31) + np.int64(round(new_level * 1e6))
                    slot = _slot(tk, state)
                    head = -1
                    if tk[slot] == state:
                        head = tv[slot]
                    rejected = False
                    o = head
                    while o >= 0:
                        if not ldead[o]:
                            # dominates(o, new)
                            dd = True
                            if cost_obj:
                                if free_time and lf[o, _MO] < money - 1e-9:
                                    rejected = True
                                    break
                                if lf[o, _MO] > money + EPS:
                                    dd = False
                            if dd and not (
                                lf[o, _TM] <= time_h + EPS
                                and lf[o, _C] <= c2 + EPS
                                and lf[o, _D] <= d2 + EPS
                            ):
                                dd = False
                            if dd and not cost_obj and not (lf[o, _MO] <= money + EPS):
                                dd = strict and lf[o, _TM] < time_h - _TIE_H
                            if dd:
                                rejected = True
                                break
                        o = lnext[o]
                    if rejected:
                        continue
                    # the new label kills those it dominates
                    o = head
                    while o >= 0:
                        if not ldead[o]:
                            dd = True
                            if cost_obj:
                                if free_time and money < lf[o, _MO] - 1e-9:
                                    ldead[o] = True
                                    o = lnext[o]
                                    continue
                                if money > lf[o, _MO] + EPS:
                                    dd = False
                            if dd and not (
                                time_h <= lf[o, _TM] + EPS
                                and c2 <= lf[o, _C] + EPS
                                and d2 <= lf[o, _D] + EPS
                            ):
                                dd = False
                            if dd and not cost_obj and not (money <= lf[o, _MO] + EPS):
                                dd = strict and time_h < lf[o, _TM] - _TIE_H
                            if dd:
                                ldead[o] = True
                        o = lnext[o]
                    if nl >= max_labels:
                        return 2, -1, lnode[:0], lf[:0].copy(), lf[0].copy(), explored, nl
                    if nl == lnode.size:
                        cap = 2 * nl
                        lf2 = np.empty((cap, 6))
                        lf2[:nl] = lf
                        lf = lf2
                        a2 = np.empty(cap, dtype=np.int64)
                        a2[:nl] = lnode
                        lnode = a2
                        a3 = np.empty(cap, dtype=np.int64)
                        a3[:nl] = lpar
                        lpar = a3
                        a4 = np.empty(cap, dtype=np.int64)
                        a4[:nl] = lnext
                        lnext = a4
                        a5 = np.zeros(cap, dtype=np.bool_)
                        a5[:nl] = ldead
                        ldead = a5
                        a6 = np.empty(cap, dtype=np.int64)
                        a6[:nl] = pnext
                        pnext = a6
                    lf[nl, _LV] = new_level
                    lf[nl, _TM] = time_h
                    lf[nl, _MO] = money
                    lf[nl, _KM] = km_u + km
                    lf[nl, _C] = c2
                    lf[nl, _D] = d2
                    lnode[nl] = v
                    lpar[nl] = s
                    lnext[nl] = head
                    if tk[slot] != state:
                        tk[slot] = state
                        n_keys += 1
                    tv[slot] = nl
                    if 2 * n_keys > tk.size:
                        tk, tv = _grow(tk, tv)
                    if cost_obj:
                        k1 = round(
                            money
                            + _togo_money(
                                v,
                                new_level,
                                dest,
                                n,
                                full_refuel,
                                togo_kg,
                                reserve,
                                tank,
                                price,
                                pmin,
                                mlb,
                                pcls,
                            ),
                            6,
                        )
                        k2 = time_h
                    else:
                        k1 = round(bound, 7)
                        k2 = money
                    if hs == hk1.size:
                        b1 = np.empty(2 * hs)
                        b1[:hs] = hk1
                        hk1 = b1
                        b2 = np.empty(2 * hs)
                        b2[:hs] = hk2
                        hk2 = b2
                        b3 = np.empty(2 * hs, dtype=np.int64)
                        b3[:hs] = hsq
                        hsq = b3
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
    return 1, -1, lnode[:0], lf[:0].copy(), lf[0].copy(), explored, nl
