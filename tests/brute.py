"""Independent reference for the refuelling planner: enumerate stop sequences, solve amounts by LP."""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import linprog

from h2lane.routing.refuel import RefuelProblem
from h2lane.routing.rest import RestRules


def _leg_sequences(n: int, max_stops: int):
    for k in range(max_stops + 1):
        yield from itertools.permutations(range(n), k)


def _route(p: RefuelProblem, combo) -> list[tuple[float, int, tuple]]:
    """The route of one stop sequence as (km, leg, point reached) segments.

    A point is ("station", j, leg), ("wp", k) or ("end",).
    """
    L = p.n_legs
    segs: list[tuple[float, int, tuple]] = []
    for k, seq in enumerate(combo):
        prev = None
        for j in seq:
            d = p.wp_to_st[k, j] if prev is None else p.st_st[prev, j]
            segs.append((float(d), k, ("station", j, k)))
            prev = j
        d = p.leg_km[k] if prev is None else p.st_to_wp[k, prev]
        segs.append((float(d), k, ("wp", k + 1) if k + 1 < L else ("end",)))
    return segs


class _Rules:
    """The rest rules as plain numbers (inf when switched off)."""

    def __init__(self, p: RefuelProblem) -> None:
        r = p.rest
        self.on = r.enabled
        self.cont = r.max_drive_h if r.enabled else math.inf
        self.day = r.max_daily_drive_h if r.enabled else math.inf
        self.brk = r.break_h
        self.rest = r.daily_rest_h

    def pause(self, length: float, c: float, d: float) -> tuple[float, float]:
        """Counters after standing still for ``length`` hours."""
        if not self.on:
            return c, d
        if length >= self.rest - 1e-9:
            return 0.0, 0.0
        if length >= self.brk - 1e-9:
            return 0.0, d
        return c, d

    def road(self, t: float, c: float, d: float, hours: float):
        """Every way to drive ``hours``: at each moment a limit is reached, rest or stop for the day."""
        if hours <= 1e-12 or not self.on:
            return [(t + hours, c + hours if self.on else 0.0, d + hours if self.on else 0.0)]
        # time until the first limit is reached
        until = min(self.cont - c, self.day - d)
        if until >= hours - 1e-9:
            return [(t + hours, c + hours, d + hours)]
        until = max(until, 0.0)
        t, c, d, left = t + until, c + until, d + until, hours - until
        ways = self.road(t + self.rest, 0.0, 0.0, left)
        if d < self.day - 1e-9:
            ways = ways + self.road(t + self.brk, 0.0, d, left)
        return ways


def _joins(p: RefuelProblem, j: int, x: float, limit: float) -> list[float]:
    """Fill starts of joining station j's queue at a moment in ``[x, limit]``.

    Within a clock hour the wait is constant, so joining later in the hour only starts
    later: the joins worth trying are ``x`` and the start of every later hour up to ``limit``.
    Without queues the fill starts on arrival.
    """
    if p.queue_h is None:
        return [x]
    w = np.asarray(p.queue_h, dtype=float)[j]
    joins = [x, *[float(h) for h in range(math.floor(x) + 1, math.floor(limit) + 1)]]
    return [a + float(w[math.floor(a) % 24]) for a in joins if a <= limit + 1e-12]


def _earliest_fill(p: RefuelProblem, j: int, t: float, fill: float) -> float | None:
    """First fill start >= t with [start, start + fill] inside one opening window.

    With queues: the least start over every moment of joining the queue inside a window.
    """
    o, c = float(p.open_h[j]), float(p.close_h[j])
    if c - o >= 24.0 - 1e-9:
        return min(_joins(p, j, t, t + 48.0))
    best = None
    for day in range(int(t // 24) - 2, int(t // 24) + 3):
        w_open, w_close = day * 24 + o, day * 24 + c
        if w_close < t:
            continue
        for s in _joins(p, j, max(t, w_open), w_close):
            if s + fill <= w_close + 1e-9 and (best is None or s < best):
                best = s
    return best


def _free_arrivals(p: RefuelProblem, rules: _Rules, segs, i: int, leave: float, room: float):
    """Departure times from the stop ending segment ``i`` (leaving at ``leave`` plus up to
    ``room`` hours of extra fill) that reach a later point just when it stops making the
    truck wait: the next waypoint's ready time, or the next station's opening or the start
    of any of its clock hours (with queues), after a road rest of none, a break or a daily
    rest. The truck would wait there anyway, so filling longer here until then is free."""
    pauses = [0.0, rules.brk, rules.rest] if rules.on else [0.0]
    ready = p.wp_ready_h
    drive = 0.0
    out = []
    for km, _, point in segs[i + 1 :]:
        drive += km / p.speed_kmh
        times: list[float] = []
        lo_t, hi_t = leave + drive, leave + drive + room + max(pauses)
        if point[0] == "wp" and ready is not None and math.isfinite(ready[point[1]]):
            times.append(float(ready[point[1]]))
        if point[0] == "station":
            jn = point[1]
            if p.close_h[jn] - p.open_h[jn] < 24.0 - 1e-9:
                for day in range(math.floor(lo_t / 24) - 1, math.floor(hi_t / 24) + 2):
                    times.append(day * 24.0 + float(p.open_h[jn]))
            if p.queue_h is not None:
                times += [float(x) for x in range(math.floor(lo_t), math.floor(hi_t) + 2)]
        out += [t - drive - pause for t in times for pause in pauses]
        if point[0] != "wp":
            break
    return out


def _lp_cost(p: RefuelProblem, stops: list[int], seg_kg: list[float], objective: str):
    """Old reference: optimal amounts by LP (valid without rests and opening hours)."""
    m = len(stops)
    fuel_before = np.cumsum(seg_kg)
    a_ub, b_ub = [], []
    for i in range(m + 1):
        row = np.zeros(m)
        row[:i] = -1.0
        a_ub.append(row)
        b_ub.append(p.start_kg - fuel_before[i] - p.reserve_kg)
    for i in range(m):
        row = np.zeros(m)
        row[: i + 1] = 1.0
        a_ub.append(row)
        b_ub.append(p.tank_kg - p.start_kg + fuel_before[i])
    if objective == "time":
        c = np.array([p.fill_h_per_kg[j] for j in stops])
        const = sum(p.connect_h[j] for j in stops)
    else:
        c = np.array([p.price[j] for j in stops], dtype=float)
        const = 0.0
    res = linprog(
        c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=[(0, None)] * m, method="highs"
    )
    return None if res.status != 0 else res.fun + const


def brute_force_pair(
    p: RefuelProblem,
    objective: str,
    full_refuel: bool = False,
    max_stops: int = 4,
    grid: int = 3,
) -> tuple[float, float]:
    """Best (objective, tie-break) over all stop sequences, amounts and rest choices.

    Amounts at each stop: a full tank, just enough for the next stop, the amount that makes
    the stop last a break or a daily rest, the most that ends before closing, and ``grid``
    evenly spaced amounts in between. Rests: at each stop or waiting waypoint stand still for
    the activity, a break or a daily rest; on the road rest or stop for the day whenever a
    limit is reached. Written without the planner's code.
    """
    rules = _Rules(p)
    L = p.n_legs
    ready = np.full(L + 1, -math.inf) if p.wp_ready_h is None else p.wp_ready_h
    due = np.full(L + 1, math.inf) if p.wp_due_h is None else p.wp_due_h
    best = [(math.inf, math.inf)]
    trail_best: list = [None]

    def score(t: float, money: float) -> tuple[float, float]:
        dur = t - p.depart_h
        return (round(dur, 7), money) if objective == "time" else (round(money, 6), dur)

    def walk(segs, i, t, level, c, d, money, trail=()):
        if score(t, money) >= best[0]:
            return
        km, leg, point = segs[i]
        level -= km * p.kg_per_km[leg]
        if level < p.reserve_kg - 1e-9:
            return
        for t2, c2, d2 in rules.road(t, c, d, km / p.speed_kmh):
            if point[0] == "end":
                if t2 <= due[L] + 1e-9 and score(t2, money) < best[0]:
                    best[0] = score(t2, money)
                    trail_best[0] = (*trail, ("end", t2, c2, d2))
                continue
            if point[0] == "wp":
                k = point[1]
                if t2 > due[k] + 1e-9:
                    continue
                wait = max(0.0, ready[k] - t2)
                for length in {wait, max(wait, rules.brk), max(wait, rules.rest)}:
                    c3, d3 = rules.pause(length, c2, d2)
                    walk(
                        segs,
                        i + 1,
                        t2 + length,
                        level,
                        c3,
                        d3,
                        money,
                        (*trail, ("wp", k, t2, length)),
                    )
                continue
            j = point[1]
            need_next = 0.0  # hydrogen to the next stop or the end
            for km_n, leg_n, pt_n in segs[i + 1 :]:
                need_next += km_n * p.kg_per_km[leg_n]
                if pt_n[0] != "wp":
                    break
            lo = max(p.reserve_kg + need_next - level, 0.0)
            hi = p.tank_kg - level
            if hi < lo - 1e-9:
                continue
            if full_refuel:
                amounts = {hi}
            else:
                amounts = {hi, lo}
                amounts |= {lo + (hi - lo) * (g + 1) / (grid + 1) for g in range(grid)}
                h = p.fill_h_per_kg[j]
                always = p.close_h[j] - p.open_h[j] >= 24.0 - 1e-9
                for day in range(int(t2 // 24) - 1, int(t2 // 24) + 3):
                    w_close = t2 + 48.0 if always else day * 24 + p.close_h[j]
                    w_start = t2 if always else max(t2, day * 24 + p.open_h[j])
                    if w_close < t2:
                        continue
                    for s in (min(_joins(p, j, w_start, w_close)),):
                        for length in (w_close - s, rules.brk - (s - t2), rules.rest - (s - t2)):
                            q = (length - p.connect_h[j]) / h
                            if lo - 1e-9 <= q <= hi + 1e-9 and math.isfinite(q):
                                amounts.add(q)
                        # arrive where the next stop (or a ready time) would make it wait anyway
                        for when in _free_arrivals(p, rules, segs, i, s + p.connect_h[j], hi * h):
                            q = (when - s - p.connect_h[j]) / h
                            if lo - 1e-9 <= q <= hi + 1e-9:
                                amounts.add(q)
            for q in amounts:
                if q <= 1e-9:
                    continue  # buying nothing is not a stop
                fill = p.connect_h[j] + q * p.fill_h_per_kg[j]
                s = _earliest_fill(p, j, t2, fill)
                if s is None:
                    continue
                base = s + fill - t2
                for length in {base, max(base, rules.brk), max(base, rules.rest)}:
                    c3, d3 = rules.pause(length, c2, d2)
                    walk(
                        segs,
                        i + 1,
                        t2 + length,
                        level + q,
                        c3,
                        d3,
                        money + q * p.price[j],
                        (*trail, ("st", j, t2, c2, d2, level, q, s - t2, length)),
                    )

    always_open = bool(np.all(p.close_h - p.open_h >= 24.0 - 1e-9))
    use_lp = (
        not rules.on
        and always_open
        and p.wp_ready_h is None
        and p.wp_due_h is None
        and p.queue_h is None
    )
    per_leg = [list(_leg_sequences(p.n_stations, max_stops)) for _ in range(L)]
    for combo in itertools.product(*per_leg):
        segs = _route(p, combo)
        if use_lp and not full_refuel:
            stops = [pt[1] for _, _, pt in segs if pt[0] == "station"]
            # kg between consecutive stops
            seg_kg, acc = [], 0.0
            for km, leg, pt in segs:
                acc += km * p.kg_per_km[leg]
                if pt[0] == "station":
                    seg_kg.append(acc)
                    acc = 0.0
            seg_kg.append(acc)
            drive_h = sum(km for km, _, _ in segs) / p.speed_kmh
            if not stops:
                if p.start_kg - seg_kg[0] >= p.reserve_kg - 1e-9:
                    best[0] = min(
                        best[0], (drive_h, 0.0) if objective == "time" else (0.0, drive_h)
                    )
                continue
            val = _lp_cost(p, stops, seg_kg, objective)
            if val is not None:
                prim = val + drive_h if objective == "time" else val
                best[0] = min(best[0], (prim, math.nan))
            continue
        walk(segs, 0, p.depart_h, p.start_kg, 0.0, 0.0, 0.0)
    brute_force_pair.trail = trail_best[0]  # type: ignore[attr-defined]
    return best[0]


def brute_force(
    p: RefuelProblem, objective: str, full_refuel: bool = False, max_stops: int = 4
) -> float:
    """Best objective value over all stop sequences, amounts and rest choices."""
    return brute_force_pair(p, objective, full_refuel, max_stops)[0]


def replay(p: RefuelProblem, sol) -> tuple[float, float]:
    """Check a planner solution against the rules, independently; return (duration, cost).

    Walks the plan's pauses (stops, rests on the road, waits at waypoints) in km order and
    asserts levels stay in [reserve, tank], fills end before closing, no stretch of driving
    exceeds the continuous limit and no driving day exceeds the daily limit.
    """
    rules = _Rules(p)
    tol = 1e-6
    pauses = []  # (km, arrive_h, length_h, what)
    for s in sol.stops:
        pauses.append((s.km_from_start, s.arrive_h, s.wait_h + s.refuel_h + s.rest_h, s))
        fill = p.connect_h[s.station] + s.refuel_kg * p.fill_h_per_kg[s.station]
        assert abs(fill - s.refuel_h) < tol
        start = s.arrive_h + s.wait_h
        if p.queue_h is not None:  # the fill starts after the queue joined at some moment
            assert min(_joins(p, s.station, s.arrive_h, start + tol)) <= start + tol
        o, c = p.open_h[s.station], p.close_h[s.station]
        if c - o < 24 - 1e-9:
            ok = any(
                day * 24 + o - tol <= start and start + fill <= day * 24 + c + tol
                for day in range(int(start // 24) - 2, int(start // 24) + 2)
            )
            assert ok, f"fill at station {s.station} does not fit in an opening window"
        assert s.arrive_kg >= p.reserve_kg - tol and s.arrive_kg + s.refuel_kg <= p.tank_kg + tol
    for b in sol.breaks:
        if b.station is None and b.waypoint is None:
            pauses.append((b.km_from_start, b.start_h, b.minutes / 60.0, b))
    for v in sol.visits:
        if v.depart_h > v.arrive_h + 1e-12:
            pauses.append((v.km_from_start, v.arrive_h, v.depart_h - v.arrive_h, v))
    pauses.sort(key=lambda x: (x[0], x[1]))
    t, km, c, d = p.depart_h, 0.0, 0.0, 0.0
    for at_km, arrive, length, _ in pauses:
        drive = (at_km - km) / p.speed_kmh
        c, d = c + drive, d + drive
        if rules.on:
            assert c <= rules.cont + tol and d <= rules.day + tol, (c, d)
        assert abs(t + drive - arrive) < tol, (t + drive, arrive)
        t, km = arrive + length, at_km
        c, d = rules.pause(length, c, d)
    drive = (sol.distance_km - km) / p.speed_kmh
    c, d = c + drive, d + drive
    if rules.on:
        assert c <= rules.cont + tol and d <= rules.day + tol
    t += drive
    assert abs(sol.drive_h - sol.distance_km / p.speed_kmh) < tol
    cost = sum(s.refuel_kg * p.price[s.station] for s in sol.stops)
    return t - p.depart_h, cost


def random_problem(
    rng: np.random.Generator,
    n_stations: int,
    n_legs: int,
    tank: float | None = None,
    *,
    rest: RestRules | None = None,
    windows: bool = False,
    queues: bool = False,
) -> RefuelProblem:
    """Waypoints and stations in the plane with Euclidean distances (a metric).

    ``rest`` defaults to the statutory rules; ``windows`` gives some stations daytime
    opening hours and a random departure time; ``queues`` gives most stations random
    hourly queue waits (0–2 h, deliberately not FIFO) and a random departure time.
    """
    wp = np.cumsum(rng.uniform([60, -40], [160, 40], size=(n_legs + 1, 2)), axis=0)
    wp[0] = 0
    lo, hi = wp.min(axis=0) - 30, wp.max(axis=0) + 30
    st = rng.uniform(lo, hi, size=(n_stations, 2))

    def d(a, b):
        return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)

    rate = rng.uniform(0.05, 0.1, size=n_legs)
    leg_km = np.array([np.linalg.norm(wp[k + 1] - wp[k]) for k in range(n_legs)])
    need = float((leg_km * rate).sum())
    tank = tank if tank is not None else float(rng.uniform(0.35, 0.8) * need + 4)
    open_h, close_h, depart_h = np.zeros(n_stations), np.full(n_stations, 24.0), 8.0
    if windows:
        part = rng.random(n_stations) < 0.6
        open_h = np.where(part, rng.choice([5.0, 7.0, 9.0], size=n_stations), 0.0)
        close_h = np.where(part, rng.choice([10.0, 12.5, 19.0], size=n_stations), 24.0)
        depart_h = float(rng.choice([4.0, 7.5, 9.0, 11.0, 17.5, 21.0]))
    queue_h = None
    if queues:
        queue_h = random_queues(rng, n_stations)
        depart_h = float(rng.choice([4.0, 7.5, 9.0, 10.75, 17.5, 21.0]))
    return RefuelProblem(
        leg_km=leg_km,
        wp_to_st=d(wp[:-1], st),
        st_to_wp=d(st, wp[1:]).T.copy(),
        st_st=d(st, st),
        kg_per_km=rate,
        tank_kg=tank,
        start_kg=float(rng.uniform(0.5, 1.0) * tank),
        reserve_kg=float(rng.choice([0.0, 2.0])),
        price=rng.choice([30.0, 45.0, 55.0, 60.0, 75.0], size=n_stations),
        fill_h_per_kg=1.0 / rng.choice([20.0, 40.0, 216.0], size=n_stations),
        connect_h=rng.choice([0.05, 0.1, 0.25], size=n_stations),
        open_h=open_h,
        close_h=close_h,
        speed_kmh=60.0,
        depart_h=depart_h,
        rest=RestRules() if rest is None else rest,
        queue_h=queue_h,
    )


def random_queues(rng: np.random.Generator, n_stations: int) -> np.ndarray:
    """``(n, 24)`` hourly queue waits in hours: a quarter of the stations without queues,
    the others with random steps (0, 5 min … 2 h) whose drops make joining later pay."""
    levels = np.array([0.0, 1 / 12, 0.25, 0.5, 1.0, 2.0])
    w = rng.choice(levels, size=(n_stations, 24), p=[0.35, 0.2, 0.15, 0.15, 0.1, 0.05])
    w[rng.random(n_stations) < 0.25] = 0.0
    return w


def small_rules(rng: np.random.Generator) -> RestRules:
    """Scaled-down rest rules that bind on the short random trips."""
    return RestRules(
        max_drive_h=float(rng.choice([0.75, 1.0, 1.5])),
        break_min=float(rng.choice([15.0, 20.0, 30.0])),
        max_daily_drive_h=float(rng.choice([1.5, 2.0, 3.0])),
        daily_rest_h=float(rng.choice([1.0, 2.0, 10.0])),
    )


def set_partitions(items):
    """Every partition of ``items`` into blocks (sorted tuples); for VRP enumeration."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k in range(len(rest) + 1):
        for others in itertools.combinations(rest, k):
            block = tuple(sorted((first, *others)))
            remaining = [x for x in rest if x not in others]
            for p in set_partitions(remaining):
                yield [block, *p]
