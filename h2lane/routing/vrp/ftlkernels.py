"""Compiled (numba) evaluation of the FTL search: legs, tasks, routes and insertions.

The same rules as :class:`h2lane.routing.vrp.ftl.Evaluator` — which stays the reference —
on flat arrays built once per instance (:class:`FTLData`, by :class:`FTLKernels`): the km
matrix between locations and stations, per truck type and load state the station options,
best last stations, next-hop table and escape hydrogen of its
:class:`~h2lane.routing.vrp.ftl._Profile`, the stations' prices, fill times and opening hours,
the trucks, the orders and the rest rules. The kernels take them as two named tuples,
:class:`FTLData` and the leg cache (:class:`LegCache`).

Every operation is done in the same order as in the Python evaluator, so the results are
the same to the last bit, not just close: the search takes the same path for a seed. That
includes the leg cache of the evaluator (outcomes of legs that need a stop, by starting
state, applied as shifts of the starting time — so a hit can differ in the last bit from a
fresh evaluation, and the cache's history matters): its two tables are open-addressing hash
tables in numpy arrays here, with the dict's semantics (exact key equality, emptied when
over a million entries before the next one goes in), and the Python evaluator of a search on
these kernels hands its own cached legs to them (:meth:`FTLKernels.leg`): one cache for both.

A state is a tuple of 10 floats: location, time, hydrogen on board, driving since the last
break, driving today, km, kg bought, money, price and kg of the last fill (the fields of
:class:`~h2lane.routing.vrp.ftl.State`). A route's states are an ``(n + 2, 10)`` array.
"""

from __future__ import annotations

import math
from itertools import accumulate, chain
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

if TYPE_CHECKING:
    from h2lane.routing.vrp.ftl import Evaluator, State

_EPS = 1e-9
_TIE = 1e-9
_BALANCE = 1e-12
_CACHE_MAX = 1_000_000

# fields of a state
LOC, T, FUEL, C, D, KM, KG, MONEY, PRICE, LAST = range(10)
# scalar parameters (``par``)
(P_RESERVE, P_REST, P_MAXDRIVE, P_BREAK, P_MAXDAILY, P_DAILYREST, P_OBJ, P_RETURN, P_HORIZON,
 P_CHOICES, P_L) = range(11)  # fmt: skip
# truck types (``typ``)
TY_TANK, TY_PAYLOAD, TY_SPEED, TY_FIXED, TY_HOUR, TY_KM = range(6)
# stations (``sta``)
ST_PRICE, ST_CONNECT, ST_HPERKG, ST_OPEN, ST_CLOSE, ST_ALWAYS = range(6)
# orders (``ordf``; ``ordi`` holds origin, destination)
O_TONNES, O_READY, O_DUE, O_PICKDUE, O_LOAD, O_UNLOAD = range(6)

_SLOTS = 1 << 21
"""Index slots of a cache table: more than twice its most entries (``_CACHE_MAX + 1``)."""

_NO_STATES = np.empty((0, 10))
_FAIL = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


class FTLData(NamedTuple):
    """The flat arrays of one instance, in one argument of the kernels (built by
    :class:`FTLKernels`)."""

    km: NDArray[np.float64]
    """km between locations and stations (locations first, then stations)."""
    par: NDArray[np.float64]
    """Scalar parameters (``P_*`` fields)."""
    typ: NDArray[np.float64]
    """Truck types (``TY_*`` fields)."""
    sta: NDArray[np.float64]
    """Stations (``ST_*`` fields)."""
    trk: NDArray[np.int64]
    """Trucks: type, depot."""
    trkf: NDArray[np.float64]
    """Trucks: hour available."""
    ordi: NDArray[np.int64]
    """Orders: origin, destination."""
    ordf: NDArray[np.float64]
    """Orders (``O_*`` fields)."""
    rates: NDArray[np.float64]
    """kg per km by profile (2 × type + loaded), as are the next five."""
    opt: NDArray[np.int64]
    """First stations of the station paths from location ``a`` to ``b``, shortest first
    ``[p, a, b, i]``."""
    nopt: NDArray[np.int64]
    """Their number ``[p, a, b]``."""
    best_s2: NDArray[np.int64]
    """Best last station before ``b`` from station ``s1`` ``[p, s1, b]``."""
    nxt: NDArray[np.int64]
    """Next hop between stations ``[p, s, s2]``."""
    escape: NDArray[np.float64]
    """kg to reach the nearest station from location ``b`` ``[p, b]``."""
    path: NDArray[np.int64]
    """Scratch space for a leg's station path."""


class LegTable(NamedTuple):
    """One table of the leg cache (see "the leg cache" below)."""

    keys: NDArray[np.float64]
    values: NDArray[np.float64]
    idx: NDArray[np.int32]
    used: NDArray[np.int64]
    """The number of entries (one element)."""


class LegCache(NamedTuple):
    """The leg cache: legs through stations open around the clock, and the others (keyed by
    the time too)."""

    plain: LegTable
    timed: LegTable


_N_DATA = len(FTLData._fields)
_N_TIMED = _N_DATA + len(LegTable._fields)
_N_ARGS = _N_TIMED + len(LegTable._fields)
"""The kernels called from Python take the arrays of :class:`FTLData` and :class:`LegCache`
flat, after their own arguments: numba dispatches a call with plain arrays faster than one with
named tuples (about 5 µs a call); :func:`_bundles` makes the named tuples again."""


# ---------------------------------------------------------------- the kernels' arguments
@njit(cache=True, inline="always")
def _bundles(arrays):
    """The :class:`FTLData` and :class:`LegCache` of a kernel's flat trailing arrays."""
    plain = LegTable(*arrays[_N_DATA:_N_TIMED])
    timed = LegTable(*arrays[_N_TIMED:_N_ARGS])
    return FTLData(*arrays[:_N_DATA]), LegCache(plain, timed)


# ---------------------------------------------------------------- Python's min and max
@njit(cache=True, inline="always")
def _min(a: float, b: float) -> float:
    """``min(a, b)`` as Python computes it (the first on ties)."""
    return b if b < a else a


@njit(cache=True, inline="always")
def _max(a: float, b: float) -> float:
    """``max(a, b)`` as Python computes it (the first on ties)."""
    return b if b > a else a


# ---------------------------------------------------------------- time and rests
@njit(cache=True)
def _drive(par, t, c, d, h):
    if par[P_REST] == 0.0:
        return t + h, c, d
    max_drive, break_h = par[P_MAXDRIVE], par[P_BREAK]
    max_daily, daily_rest = par[P_MAXDAILY], par[P_DAILYREST]
    while h > 1e-12:
        allowed = _min(max_drive - c, max_daily - d)
        if allowed <= 1e-12:
            if d >= max_daily - 1e-12:
                t += daily_rest
                c = 0.0
                d = 0.0
            else:
                t += break_h
                c = 0.0
            continue
        x = _min(h, allowed)
        t += x
        c += x
        d += x
        h -= x
    return t, c, d


@njit(cache=True)
def _rested(par, c, d, hours):
    if hours >= par[P_DAILYREST] - 1e-9:
        return 0.0, 0.0
    if hours >= par[P_BREAK] - 1e-9:
        return 0.0, d
    return c, d


@njit(cache=True)
def _fill_start(sta, sx, t, fill_h):
    if sta[sx, ST_ALWAYS] != 0.0:
        return t
    day = math.floor(t / 24.0)
    for k in range(day - 1, day + 3):
        s = _max(t, 24.0 * k + sta[sx, ST_OPEN])
        if s + fill_h <= 24.0 * k + sta[sx, ST_CLOSE] + 1e-9:
            return s
    return math.inf


@njit(cache=True)
def _lt3(a0, a1, a2, b0, b1, b2):
    """Python's ``(a0, a1, a2) < (b0, b1, b2)``."""
    if a0 != b0:
        return a0 < b0
    if a1 != b1:
        return a1 < b1
    return a2 < b2


@njit(cache=True)
def _better(par, x, y):
    if par[P_OBJ] == 0.0:
        return _lt3(x[T], x[MONEY], -x[FUEL], y[T] - 1e-9, y[MONEY], -y[FUEL])
    return _lt3(x[MONEY], x[T], -x[FUEL], y[MONEY] - 1e-9, y[T], -y[FUEL])


# ---------------------------------------------------------------- one leg
@njit(cache=True)
def _via(data, ty, rate, s, b, n):
    """Drive to ``b`` through the stations ``data.path[:n]`` (see ``Evaluator._via``)."""
    km, par, typ, sta, path = data.km, data.par, data.typ, data.sta, data.path
    L = int(par[P_L])
    speed, reserve, tank = typ[ty, TY_SPEED], par[P_RESERVE], typ[ty, TY_TANK]
    rest_on = par[P_REST] != 0.0
    t, fuel, c, d = s[T], s[FUEL], s[C], s[D]
    km_total, kg_bought, money = s[KM], s[KG], s[MONEY]
    price, last_kg = s[PRICE], s[LAST]
    here = int(s[LOC])
    i = 0
    while True:
        if rate * km[here, b] <= fuel - reserve + _EPS and i > 0:
            break
        j = i
        while j + 1 < n and rate * km[here, L + path[j + 1]] <= fuel - reserve + _EPS:
            j += 1
        if j >= n or rate * km[here, L + path[j]] > fuel - reserve + _EPS:
            return False, _FAIL
        sx = path[j]
        node = L + sx
        hop = km[here, node]
        t, c, d = _drive(par, t, c, d, hop / speed)
        km_total += hop
        fuel -= rate * hop
        buy = tank - fuel
        fill_h = sta[sx, ST_CONNECT] + buy * sta[sx, ST_HPERKG]
        start = _fill_start(sta, sx, t, fill_h)
        if not math.isfinite(start):
            return False, _FAIL
        stop = start - t + fill_h
        nxt = L + path[j + 1] if j + 1 < n and rate * km[node, b] > tank - reserve else b
        ahead = km[node, nxt] / speed
        if (
            rest_on
            and stop < par[P_BREAK]
            and c > 0
            and c + ahead > par[P_MAXDRIVE] + 1e-12
            and d + (par[P_MAXDRIVE] - c) < par[P_MAXDAILY] - 1e-12
        ):
            stop = par[P_BREAK]
        if rest_on:
            c, d = _rested(par, c, d, stop)
        t += stop
        kg_bought += buy
        money += buy * sta[sx, ST_PRICE]
        price, last_kg = sta[sx, ST_PRICE], buy
        fuel = tank
        here = node
        i = j + 1
        if i >= n and rate * km[here, b] > fuel - reserve + _EPS:
            return False, _FAIL
    hop = km[here, b]
    t, c, d = _drive(par, t, c, d, hop / speed)
    fuel -= rate * hop
    if fuel < reserve - _EPS:
        return False, _FAIL
    return True, (float(b), t, fuel, c, d, km_total + hop, kg_bought, money, price, last_kg)


# ---------------------------------------------------------------- the leg cache
# A table is (keys, values, idx, used): entries in insertion order (``keys[e]`` the key's
# fields as floats, ``values[e]`` the flag and the 9 shifts) and an open-addressing index
# (-1: free slot). It behaves as the evaluator's dict: exact equality of the key fields (as
# Python compares floats), and emptied when it holds more than ``_CACHE_MAX`` entries before
# the next one goes in.
@njit(cache=True, inline="always")
def _slot(key, mask):
    h = np.int64(0x3C6EF372)
    for x in key:
        h = (h ^ np.int64(x * 1048576.0)) * np.int64(0x5BD1E995)
        h ^= h >> 24
    return h & mask


@njit(cache=True)
def _find(table, key):
    """The entry of ``key`` (-1: absent)."""
    keys, idx = table.keys, table.idx
    mask = len(idx) - 1
    slot = _slot(key, mask)
    while True:
        e = idx[slot]
        if e < 0:
            return -1
        same = True
        for f in range(len(key)):
            if keys[e, f] != key[f]:
                same = False
                break
        if same:
            return e
        slot = (slot + 1) & mask


@njit(cache=True)
def _store(table, key, value):
    """Add ``key`` (absent) with ``value``, emptying a full table first."""
    keys, vals, idx, count = table.keys, table.values, table.idx, table.used
    if count[0] > _CACHE_MAX:
        idx[:] = -1
        count[0] = 0
    mask = len(idx) - 1
    slot = _slot(key, mask)
    while idx[slot] >= 0:
        slot = (slot + 1) & mask
    e = count[0]
    for f in range(len(key)):
        keys[e, f] = key[f]
    for f in range(10):
        vals[e, f] = value[f]
    idx[slot] = e
    count[0] = e + 1


@njit(cache=True)
def _leg(data, cache, ty, loaded, s, b, need_after):
    """Drive from ``s``'s location to location ``b`` (see ``Evaluator.leg``)."""
    km, par, typ, sta = data.km, data.par, data.typ, data.sta
    rates, opt, nopt, best_s2, nxt = data.rates, data.opt, data.nopt, data.best_s2, data.nxt
    path = data.path
    L = int(par[P_L])
    p = 2 * ty + loaded
    rate, speed, reserve = rates[p], typ[ty, TY_SPEED], par[P_RESERVE]
    a = int(s[LOC])
    t, fuel, c, d = s[T], s[FUEL], s[C], s[D]
    direct = km[a, b]
    if rate * direct <= fuel - reserve - need_after + _EPS:
        t, c, d = _drive(par, t, c, d, direct / speed)
        return True, (
            float(b), t, fuel - rate * direct, c, d, s[KM] + direct, s[KG], s[MONEY],
            s[PRICE], s[LAST],
        )  # fmt: skip
    plain, timed = cache.plain, cache.timed
    key = (float(ty), float(loaded), float(a), float(b), fuel, c, d, need_after)
    tkey = (float(ty), float(loaded), float(a), float(b), fuel, c, d, need_after, t)
    e = _find(plain, key)
    hv = plain.values
    if e < 0:
        e = _find(timed, tkey)
        hv = timed.values
    if e >= 0:
        if hv[e, 0] == 0.0:
            return False, _FAIL
        return True, (
            float(b), s[T] + hv[e, 1], hv[e, 2], hv[e, 3], hv[e, 4], s[KM] + hv[e, 5],
            s[KG] + hv[e, 6], s[MONEY] + hv[e, 7], hv[e, 8], hv[e, 9],
        )  # fmt: skip
    found = False
    best = _FAIL
    tried = 0
    invariant = True
    choices = int(par[P_CHOICES])
    for idx in range(nopt[p, a, b]):
        s1 = opt[p, a, b, idx]
        if tried >= choices:
            break
        if rate * km[a, L + s1] > fuel - reserve + _EPS:
            continue
        tried += 1
        # the station path s1 … best last station before b
        s2 = best_s2[p, s1, b]
        n = 1
        path[0] = s1
        x = s1
        while x != s2:
            x = nxt[p, x, s2]
            path[n] = x
            n += 1
        if invariant:
            for q in range(n):
                if sta[path[q], ST_ALWAYS] == 0.0:
                    invariant = False
                    break
        ok, out = _via(data, ty, rate, s, b, n)
        if ok and (not found or _better(par, out, best)):
            found, best = True, out
    delta = _FAIL
    if found:
        delta = (
            1.0, best[T] - t, best[FUEL], best[C], best[D], best[KM] - s[KM], best[KG] - s[KG],
            best[MONEY] - s[MONEY], best[PRICE], best[LAST],
        )  # fmt: skip
    if invariant:
        _store(plain, key, delta)
    else:
        _store(timed, tkey, delta)
    return found, best


# ---------------------------------------------------------------- tasks and routes
@njit(cache=True)
def _need(data, ty, next_loaded, b):
    return data.escape[2 * ty + next_loaded, b]


@njit(cache=True)
def _with(s, t, c, d):
    return (s[LOC], t, s[FUEL], c, d, s[KM], s[KG], s[MONEY], s[PRICE], s[LAST])


@njit(cache=True)
def _task(data, cache, truck, s, k):
    """Serve order ``k`` from state ``s`` (see ``Evaluator.task``)."""
    par, typ, trk, ordi, ordf = data.par, data.typ, data.trk, data.ordi, data.ordf
    ty = trk[truck, 0]
    origin, dest = ordi[k, 0], ordi[k, 1]
    if ordf[k, O_TONNES] > typ[ty, TY_PAYLOAD] + 1e-9:
        return False, _FAIL
    if int(s[LOC]) != origin:
        ok, s2 = _leg(data, cache, ty, 0, s, origin, _need(data, ty, 1, origin))
        if not ok:
            return False, _FAIL
        s = s2
    arrive = s[T]
    start = _max(arrive, ordf[k, O_READY])
    pickup_due = ordf[k, O_PICKDUE]
    if start > pickup_due + 1e-9:
        return False, _FAIL
    c, d = s[C], s[D]
    need = _need(data, ty, 0, dest)
    load = ordf[k, O_LOAD]
    if par[P_REST] != 0.0 and start > arrive:
        c, d = _rested(par, c, d, start - arrive)
        late = arrive + par[P_DAILYREST]
        if d > 0 and start < late and late <= pickup_due:
            s_a = _with(s, start + load, c, d)
            s_b = _with(s, late + load, 0.0, 0.0)
            oka, ra = _leg(data, cache, ty, 1, s_a, dest, need)
            okb, rb = _leg(data, cache, ty, 1, s_b, dest, need)
            if okb and (not oka or rb[T] < ra[T] - 1e-9):
                start, c, d = late, 0.0, 0.0
    s = _with(s, start + load, c, d)
    ok, s2 = _leg(data, cache, ty, 1, s, dest, need)
    if not ok or s2[T] > ordf[k, O_DUE] + 1e-9:
        return False, _FAIL
    return True, _with(s2, s2[T] + ordf[k, O_UNLOAD], s2[C], s2[D])


@njit(cache=True)
def _finish(data, cache, truck, s):
    par, trk = data.par, data.trk
    ty, depot = trk[truck, 0], trk[truck, 1]
    if par[P_RETURN] != 0.0 and int(s[LOC]) != depot:
        ok, s2 = _leg(data, cache, ty, 0, s, depot, 0.0)
        if not ok:
            return False, _FAIL
        s = s2
    if s[T] > par[P_HORIZON] + 1e-9:
        return False, _FAIL
    return True, s


@njit(cache=True)
def _start_state(data, cache, truck, first):
    """The truck leaving its depot, timed for order ``first`` (-1: none)."""
    typ, trk, trkf, ordi, ordf = data.typ, data.trk, data.trkf, data.ordi, data.ordf
    ty, depot = trk[truck, 0], trk[truck, 1]
    avail = trkf[truck]
    s0 = (float(depot), 0.0, typ[ty, TY_TANK], 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if first < 0:
        t0 = _max(avail, 0.0) if math.isfinite(avail) else 0.0
        return True, _with(s0, t0, 0.0, 0.0)
    ready = ordf[first, O_READY] if math.isfinite(ordf[first, O_READY]) else 0.0
    origin = ordi[first, 0]
    ok, probe = _leg(data, cache, ty, 0, s0, origin, _need(data, ty, 1, origin))
    if not ok:
        return False, _FAIL
    depart = ready - probe[T]
    if math.isfinite(avail):
        depart = _max(depart, avail)
    return True, _with(s0, depart, 0.0, 0.0)


@njit(cache=True)
def _route_key(data, truck, depart, end):
    par, typ, trk = data.par, data.typ, data.trk
    ty = trk[truck, 0]
    hours = end[T] - depart
    surplus = _min(_max(end[FUEL] - par[P_RESERVE], 0.0), end[LAST]) * end[PRICE]
    money = end[MONEY] - surplus
    total = typ[ty, TY_FIXED] + typ[ty, TY_HOUR] * hours + typ[ty, TY_KM] * end[KM] + money
    obj = par[P_OBJ]
    if obj == 0.0:
        key = hours + _TIE * money
    elif obj == 1.0:
        key = money + _TIE * 1e3 * hours
    else:
        key = total + _TIE * 1e3 * hours
    return key + _BALANCE * hours * hours


@njit(cache=True)
def _put(out, row, s):
    for f in range(10):
        out[row, f] = s[f]


@njit(cache=True)
def _get(arr, row):
    return (
        arr[row, 0], arr[row, 1], arr[row, 2], arr[row, 3], arr[row, 4], arr[row, 5],
        arr[row, 6], arr[row, 7], arr[row, 8], arr[row, 9],
    )  # fmt: skip


@njit(cache=True)
def _states_into(data, cache, truck, seq, n, out):
    """Fill ``out[: n + 2]`` with the states of ``seq[:n]``; False when infeasible."""
    ok, s = _start_state(data, cache, truck, seq[0] if n > 0 else -1)
    if not ok:
        return False
    _put(out, 0, s)
    for i in range(n):
        ok, s2 = _task(data, cache, truck, s, seq[i])
        if not ok:
            return False
        _put(out, i + 1, s2)
        s = s2
    ok, end = _finish(data, cache, truck, s)
    if not ok:
        return False
    _put(out, n + 1, end)
    return True


@njit(cache=True)
def states_kernel(truck, seq, *arrays):
    """States of ``seq`` for ``truck`` and the route key, or ``ok`` False."""
    data, cache = _bundles(arrays)
    n = len(seq)
    out = np.empty((n + 2, 10))
    if not _states_into(data, cache, truck, seq, n, out):
        return False, out, math.inf
    return True, out, _route_key(data, truck, out[0, T], _get(out, n + 1))


@njit(cache=True)
def leg_kernel(ty, loaded, s, b, need_after, *arrays):
    """One leg from Python (the evaluator's cached legs)."""
    data, cache = _bundles(arrays)
    return _leg(data, cache, ty, loaded, s, b, need_after)


@njit(cache=True)
def _same(a, old, row):
    return (
        abs(a[T] - old[row, T]) <= 1e-9
        and abs(a[FUEL] - old[row, FUEL]) <= 1e-9
        and abs(a[C] - old[row, C]) <= 1e-9
        and abs(a[D] - old[row, D]) <= 1e-9
        and a[LOC] == old[row, LOC]
        and a[PRICE] == old[row, PRICE]
        and abs(a[LAST] - old[row, LAST]) <= 1e-9
    )


@njit(cache=True)
def _try(data, cache, truck, seq, n, old, has, key, k, pos, out):
    """Increase of the route key when ``k`` goes in at ``pos`` (see ``FTLSearch._try``);
    the new states in ``out[: n + 3]``."""
    km, typ, trk, ordi, ordf = data.km, data.typ, data.trk, data.ordi, data.ordf
    speed = typ[trk[truck, 0], TY_SPEED]
    o_org, o_dst = ordi[k, 0], ordi[k, 1]
    o_ready = ordf[k, O_READY]
    if pos < n:
        nx = seq[pos]
        if o_ready > ordf[nx, O_PICKDUE] or o_ready > ordf[nx, O_DUE]:
            return math.inf
        earliest = _max(o_ready, 0.0 if not has else old[pos, T])
        reach = km[o_org, o_dst] + km[o_dst, ordi[nx, 0]]
        if earliest + (reach + km[ordi[nx, 0], ordi[nx, 1]]) / speed > ordf[nx, O_DUE] + 1e-9:
            return math.inf
    if has and pos > 0:
        here_loc = int(old[pos, LOC])
        pickup = _max(old[pos, T] + km[here_loc, o_org] / speed, o_ready)
        if pickup + km[o_org, o_dst] / speed > ordf[k, O_DUE] + 1e-9:
            return math.inf
    if pos == 0 or not has:
        new_seq = np.empty(n + 1, np.int64)
        new_seq[:pos] = seq[:pos]
        new_seq[pos] = k
        new_seq[pos + 1 :] = seq[pos:n]
        if not _states_into(data, cache, truck, new_seq, n + 1, out):
            return math.inf
        return _route_key(data, truck, out[0, T], _get(out, n + 2)) - key
    ok, s = _task(data, cache, truck, _get(old, pos), k)
    if not ok:
        return math.inf
    for r in range(pos + 1):
        for f in range(10):
            out[r, f] = old[r, f]
    _put(out, pos + 1, s)
    for j in range(pos, n):
        ok, s2 = _task(data, cache, truck, s, seq[j])
        if not ok:
            return math.inf
        s = s2
        _put(out, j + 2, s)
        if _same(s, old, j + 1):
            dk = s[KM] - old[j + 1, KM]
            dm = s[MONEY] - old[j + 1, MONEY]
            db = s[KG] - old[j + 1, KG]
            for r in range(j + 2, n + 2):
                for f in range(10):
                    out[r + 1, f] = old[r, f]
                out[r + 1, KM] = old[r, KM] + dk
                out[r + 1, MONEY] = old[r, MONEY] + dm
                out[r + 1, KG] = old[r, KG] + db
            return _route_key(data, truck, out[0, T], _get(out, n + 2)) - key
    ok, last = _finish(data, cache, truck, s)
    if not ok:
        return math.inf
    _put(out, n + 2, last)
    return _route_key(data, truck, out[0, T], last) - key


@njit(cache=True)
def try_kernel(truck, seq, old, has, key, k, pos, *arrays):
    """One insertion of ``k`` at ``pos`` (for tests against ``FTLSearch._try``)."""
    data, cache = _bundles(arrays)
    out = np.empty((len(seq) + 3, 10))
    inc = _try(data, cache, truck, seq, len(seq), old, has, key, k, pos, out)
    return inc, out


@njit(cache=True)
def best_insert_kernel(trucks, seqs, seq_off, states, st_off, has, keys, k, blinks, blink, *arrays):
    """Cheapest insertion of order ``k`` over the routes of ``trucks`` (see
    ``FTLSearch.best_insert``): ``(increase, index into trucks, position, states)``.

    Route ``i`` is ``seqs[seq_off[i]:seq_off[i+1]]`` with states
    ``states[st_off[i]:st_off[i+1]]`` (when ``has[i]``) and key ``keys[i]``; ``blinks`` holds
    the random draws of the positions in order (used when ``blink`` > 0)."""
    data, cache = _bundles(arrays)
    longest = 0
    for i in range(len(trucks)):
        longest = max(longest, seq_off[i + 1] - seq_off[i])
    buf = np.empty((longest + 3, 10))
    keep = np.empty((longest + 3, 10))
    best_inc, best_i, best_pos, best_rows = math.inf, -1, -1, 0
    draw = 0
    for i in range(len(trucks)):
        seq = seqs[seq_off[i] : seq_off[i + 1]]
        n = len(seq)
        old = states[st_off[i] : st_off[i + 1]]
        for pos in range(n + 1):
            if blink > 0:
                r = blinks[draw]
                draw += 1
                if r < blink:
                    continue
            inc = _try(data, cache, trucks[i], seq, n, old, has[i], keys[i], k, pos, buf)
            if inc < best_inc:
                best_inc, best_i, best_pos, best_rows = inc, i, pos, n + 3
                buf, keep = keep, buf
    return best_inc, best_i, best_pos, keep[:best_rows].copy()


@njit(cache=True)
def best_each_kernel(trucks, seqs, seq_off, states, st_off, has, keys, k, *arrays):
    """The cheapest insertion of order ``k`` into each route of ``trucks`` on its own, in
    order (as ``best_insert_kernel`` with one truck and no blinks, once per truck):
    increases, positions (-1: none) and the new states, route ``i``'s in
    ``out[out_off[i]:out_off[i+1]]`` (no rows when it has none)."""
    data, cache = _bundles(arrays)
    m = len(trucks)
    incs = np.full(m, math.inf)
    poss = np.full(m, -1, np.int64)
    out_off = np.zeros(m + 1, np.int64)
    out = np.empty((seq_off[m] + 3 * m, 10))
    longest = 0
    for i in range(m):
        longest = max(longest, seq_off[i + 1] - seq_off[i])
    buf = np.empty((longest + 3, 10))
    keep = np.empty((longest + 3, 10))
    for i in range(m):
        seq = seqs[seq_off[i] : seq_off[i + 1]]
        n = len(seq)
        old = states[st_off[i] : st_off[i + 1]]
        best_inc, best_pos = math.inf, -1
        for pos in range(n + 1):
            inc = _try(data, cache, trucks[i], seq, n, old, has[i], keys[i], k, pos, buf)
            if inc < best_inc:
                best_inc, best_pos = inc, pos
                buf, keep = keep, buf
        incs[i], poss[i] = best_inc, best_pos
        rows = n + 3 if best_pos >= 0 else 0
        out[out_off[i] : out_off[i] + rows] = keep[:rows]
        out_off[i + 1] = out_off[i] + rows
    return incs, poss, out, out_off


@njit(cache=True)
def candidates_kernel(km, depot_km, ready, ordi, seqs, seq_off, k, limit):
    """The ``limit`` trucks nearest to order ``k`` (see ``FTLSearch.candidates``): by depot km
    or, for a route, km from its nearest destination plus its ready-time gap beyond a day."""
    m = len(seq_off) - 1
    origin = ordi[k, 0]
    score = depot_km[:, k].copy()
    for ti in range(m):
        lo, hi = seq_off[ti], seq_off[ti + 1]
        if hi == lo:
            continue
        near = km[ordi[seqs[lo], 1], origin]
        rt = abs(ready[seqs[lo]] - ready[k])
        for q in range(lo + 1, hi):
            near = _min(near, km[ordi[seqs[q], 1], origin])
            rt = _min(rt, abs(ready[seqs[q]] - ready[k]))
        score[ti] = _min(score[ti], near + 20.0 * _max(0.0, rt - 24.0) / 24.0)
    return np.argsort(score, kind="mergesort")[:limit]


# ---------------------------------------------------------------- the Python side
def _table(width: int) -> LegTable:
    """An empty cache table for keys of ``width`` fields (the entry rows are allocated
    lazily by the system: only the ones written take memory)."""
    return LegTable(
        np.empty((_CACHE_MAX + 1, width)),
        np.empty((_CACHE_MAX + 1, 10)),
        np.full(_SLOTS, -1, dtype=np.int32),
        np.zeros(1, dtype=np.int64),
    )


class _Routes(NamedTuple):
    """Routes as flat arrays, the leading arguments of ``best_insert_kernel`` and
    ``best_each_kernel`` (which document them)."""

    trucks: NDArray[np.int64]
    seqs: NDArray[np.int64]
    seq_off: NDArray[np.int64]
    states: NDArray[np.float64]
    st_off: NDArray[np.int64]
    has: NDArray[np.bool_]
    keys: NDArray[np.float64]


def _pack(
    trucks: list[int], seqs: list[list[int]], states: list[Any], keys: list[float]
) -> _Routes:
    """The routes of ``trucks`` (orders, state arrays or None, keys) as flat arrays."""
    m = len(seqs)
    seq_off = np.fromiter(accumulate(map(len, seqs), initial=0), np.int64, m + 1)
    flat = np.fromiter(chain.from_iterable(seqs), np.int64, int(seq_off[-1]))
    present = [st for st in states if st is not None]
    if len(present) == m:  # every route has its states (n + 2 rows)
        st_off = seq_off + 2 * np.arange(m + 1)
        has = np.ones(m, np.bool_)
    else:
        rows = [0 if st is None else len(st) for st in states]
        st_off = np.fromiter(accumulate(rows, initial=0), np.int64, m + 1)
        has = np.array([st is not None for st in states], dtype=np.bool_)
    st_flat = np.concatenate(present) if present else _NO_STATES
    return _Routes(
        np.asarray(trucks, np.int64), flat, seq_off, st_flat, st_off, has,
        np.asarray(keys, np.float64),
    )  # fmt: skip


class FTLKernels:
    """The flat arrays of one instance and the shared leg cache, with Python entry points."""

    def __init__(self, ev: Evaluator) -> None:
        inst = ev.inst
        L, S = inst.n_locations, len(inst.stations)
        r = inst.rest
        objective = {"time": 0.0, "cost": 1.0, "total-cost": 2.0}[inst.objective]
        par = np.array(
            [
                inst.reserve_kg, 1.0 if r.enabled else 0.0, r.max_drive_h, r.break_h,
                r.max_daily_drive_h, r.daily_rest_h, objective,
                1.0 if inst.return_to_depot else 0.0, inst.horizon_h, float(ev.station_choices),
                float(L),
            ],
            dtype=np.float64,
        )  # fmt: skip
        typ = np.array(
            [[t.tank_kg, t.payload_t, t.speed_kmh, t.fixed_cost, t.cost_per_hour, t.cost_per_km]
             for t in inst.types],
            dtype=np.float64,
        ).reshape(len(inst.types), 6)  # fmt: skip
        sta = np.array(
            [[s.price, s.connect_h, s.h_per_kg, s.open_h, s.close_h, 1.0 if o24 else 0.0]
             for s, o24 in zip(inst.stations, ev.open24, strict=True)],
            dtype=np.float64,
        ).reshape(S, 6)  # fmt: skip
        trk = np.array([[t.type, t.depot] for t in inst.trucks], dtype=np.int64).reshape(-1, 2)
        trkf = np.array([t.available_h for t in inst.trucks], dtype=np.float64)
        ordi = np.array([[o.origin, o.destination] for o in inst.orders], dtype=np.int64).reshape(
            -1, 2
        )
        ordf = np.array(
            [[o.tonnes, o.ready_h, o.due_h, o.pickup_due_h, o.load_h, o.unload_h]
             for o in inst.orders],
            dtype=np.float64,
        ).reshape(-1, 6)  # fmt: skip
        profs = [p for pair in ev.profiles for p in pair]  # index 2 × type + loaded
        P = len(profs)
        rates = np.array([p.rate for p in profs], dtype=np.float64)
        opt = np.full((P, L, L, max(S, 1)), -1, dtype=np.int64)
        nopt = np.zeros((P, L, L), dtype=np.int64)
        for q, p in enumerate(profs):
            for a in range(L):
                for b in range(L):
                    row = p.options[a][b]
                    nopt[q, a, b] = len(row)
                    opt[q, a, b, : len(row)] = row
        best_s2 = np.stack([p.best_s2 for p in profs]).astype(np.int64).reshape(P, S, L)
        nxt = np.stack([p.nxt for p in profs]).astype(np.int64).reshape(P, S, S)
        escape = np.stack([np.asarray(p.escape, dtype=np.float64) for p in profs]).reshape(P, L)
        path = np.empty(max(S, 1), dtype=np.int64)
        km = np.ascontiguousarray(inst.km, dtype=np.float64)
        self.data = FTLData(km, par, typ, sta, trk, trkf, ordi, ordf, rates, opt, nopt,
                            best_s2, nxt, escape, path)  # fmt: skip
        self.cache = LegCache(_table(8), _table(9))
        self.args: tuple[NDArray[Any], ...] = (*self.data, *self.cache.plain, *self.cache.timed)
        """The trailing arguments of every kernel: the instance's arrays and the leg cache,
        flat (see :func:`_bundles`)."""

    def _run(self, kernel: Any, *first: Any) -> Any:
        """``kernel`` on ``first``, then this instance's arrays and cache."""
        return kernel(*first, *self.args)

    def leg(
        self, ty: int, loaded: bool, s: State, b: int, need_after: float
    ) -> tuple[bool, tuple[float, ...]]:
        """One leg on the compiled cache: ``(feasible, state fields)``."""
        return self._run(
            leg_kernel, ty, 1 if loaded else 0, tuple(float(x) for x in s), b,
            float(need_after),
        )  # fmt: skip

    def states(self, truck: int, seq: list[int]) -> tuple[NDArray[np.float64] | None, float]:
        """The states of ``seq`` and its route key (``None, inf`` when infeasible)."""
        ok, out, key = self._run(states_kernel, truck, np.asarray(seq, np.int64))
        return (out, float(key)) if ok else (None, math.inf)

    def candidates(
        self,
        depot_km: NDArray[np.float64],
        ready: NDArray[np.float64],
        seqs: list[list[int]],
        k: int,
        limit: int,
    ) -> list[int]:
        """The ``limit`` trucks nearest to order ``k`` (routes ``seqs``, one per truck)."""
        m = len(seqs)
        seq_off = np.fromiter(accumulate(map(len, seqs), initial=0), np.int64, m + 1)
        flat = np.fromiter(chain.from_iterable(seqs), np.int64, int(seq_off[-1]))
        out = candidates_kernel(self.data.km, depot_km, ready, self.data.ordi, flat, seq_off, k,
                                limit)  # fmt: skip
        return out.tolist()

    def try_insert(
        self,
        truck: int,
        seq: list[int],
        states: NDArray[np.float64] | None,
        key: float,
        k: int,
        pos: int,
    ) -> tuple[float, NDArray[np.float64] | None]:
        """Increase of the route key when ``k`` goes in at ``pos``, and the new states."""
        old = _NO_STATES if states is None else states
        inc, out = self._run(try_kernel, truck, np.asarray(seq, np.int64), old,
                              states is not None, key, k, pos)  # fmt: skip
        return (float(inc), None) if inc == math.inf else (float(inc), out)

    def best_each(
        self,
        trucks: list[int],
        seqs: list[list[int]],
        states: list[Any],
        keys: list[float],
        k: int,
    ) -> list[tuple[float, int, NDArray[np.float64] | None]]:
        """Per truck, on its own: the cheapest (increase, position, states) for order ``k``."""
        routes = _pack(trucks, seqs, states, keys)
        incs, poss, out, off = self._run(best_each_kernel, *routes, k)
        res: list[tuple[float, int, NDArray[np.float64] | None]] = []
        for i, (inc, pos) in enumerate(zip(incs.tolist(), poss.tolist(), strict=True)):
            res.append((inc, pos, out[off[i] : off[i + 1]] if pos >= 0 else None))
        return res

    def best_insert(
        self,
        trucks: list[int],
        seqs: list[list[int]],
        states: list[Any],
        keys: list[float],
        k: int,
        blinks: NDArray[np.float64],
        blink: float,
    ) -> tuple[float, int, int, NDArray[np.float64]]:
        """Cheapest insertion of ``k``: (increase, index into ``trucks``, position, states);
        ``states`` holds each route's state array (None for an empty route)."""
        routes = _pack(trucks, seqs, states, keys)
        inc, i, pos, out = self._run(best_insert_kernel, *routes, k, blinks, blink)
        return float(inc), int(i), int(pos), out
