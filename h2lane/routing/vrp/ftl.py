"""Full-truckload (FTL) dispatch on the refuelling VRP engine: pick-up → delivery tasks.

Model
-----
An order is a *task*: the truck drives empty to its origin (at the empty consumption of its
type), waits for the ready time, loads (``load_h``), drives loaded to the destination (loaded
consumption), must arrive by the due time, and unloads (``unload_h``). A truck's route is a
sequence of tasks ``depot → o₁ → d₁ → o₂ → d₂ → … → depot`` (the closing empty leg only with
``return_to_depot``; otherwise the truck stays out after its last delivery and its hours end
there). Trucks have a type (tank, loaded and empty consumption, payload, speed and cost per
truck used, per hour and per km) and a depot (several depots allowed); tonnes ≤ payload.

Every leg, empty or loaded, may need refuelling. Road km between the few *locations*
(depots, origins, destinations) and the stations come from the road graph once (one
many-to-many matrix, :func:`build_instance`), so the search runs on a small matrix. For
each truck type and load state the station-to-station shortest paths with hops inside one
tank (less the reserve) are computed once; a leg ``a → b`` then has, for each first
station ``s₁``, its best path ``s₁ … s₂ → b``. The evaluation of a sequence places the stops
leg by leg: the direct drive when the hydrogen on board covers it and still leaves enough to
reach a station from ``b`` at the next leg's consumption, otherwise the shortest station
path whose first station is within reach; every stop fills the tank (connect time + kg ÷
nozzle flow, waiting for the opening hours, the fill ending before closing). Each arrival
keeps the reserve.

Time runs in hours after midnight (China time) of the instance's first day, over as many days
as the routes need (the horizon ``horizon_h`` bounds the finish when given). A truck leaves
its depot so as to reach its first origin at the ready time (never before ``available_h``).
The driver rest rules (:class:`~h2lane.routing.rest.RestRules`) are carried along the whole
chain: a break after ``max_drive_h`` of driving, on the road or at a station stop (a stop that
long counts, a shorter one is stretched to a break when the driving up to the next stop would
pass the limit), and a daily rest of ``daily_rest_h`` after ``max_daily_drive_h`` of driving
(a wait that long counts; the truck stays out overnight wherever the rest falls). Waiting
for a ready time counts towards breaks and rests; loading and unloading do not.

Objectives (``objective``): ``time`` (truck-hours: departure to finish, waits included),
``cost`` (hydrogen bought, yuan) or ``total-cost`` (per type: fixed per truck used + per hour +
per km + hydrogen), each with the others as tie-breakers (time ↔ hydrogen cost), and then
fleet balance: among equal plans the one with the smaller sum of squared route hours.

Search: insertion construction (orders by ready time, cheapest truck and position), then
ruin and recreate (random, related and string removals; greedy reinsertion in a random or
ready-time order with blinks, or regret-2 insertion when few orders are out) accepted by
simulated annealing in two phases (temperatures relative to truck-hours per served order):
three quarters of the run hot, which keeps the orders served but lets truck-hours wander and
finds plans serving more, then from the best plan a cooling on truck-hours (by iterations
when they are capped, so a seed and an iteration cap give the same plan); orders no truck can
take are left unassigned at a large penalty (a plan serving more always wins).
:func:`empty_km_lower_bound` and :func:`truck_hours_lower_bound` bound any plan of a set of
orders from below (for the benchmark's gap). Routes are evaluated incrementally: the state after
each task of the current route is kept, an insertion re-simulates from the insertion point
and stops as soon as the new state meets the old one (same time, hydrogen and driving
counters) — the rest of the route is unchanged. The search evaluates on compiled kernels
(:mod:`h2lane.routing.vrp.ftlkernels`, ``engine="compiled"``) that give the same results as
this module's :class:`Evaluator` to the bit (``engine="python"`` runs on the evaluator).

What this evaluation simplifies, and how plans are made exact: stops fill up (no partial
amounts) and the first feasible station path is taken per leg (no look-ahead over later
legs), station queues (dispensers) are not modelled. Every sequence it accepts is a feasible
plan (:func:`h2lane.routing.vrp.ftlcheck.check_ftl` replays it independently). ``h2lane
dispatch`` then plans each truck's chain with the exact trip planner
(:func:`h2lane.routing.trip.plan_trip`: partial refuels, price-aware stops, exact rests,
station queues), which can only lower the route's time or cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from h2lane.errors import OptionError
from h2lane.routing.rest import RestRules
from h2lane.routing.vrp.ftlkernels import FTLKernels
from h2lane.routing.vrp.stop import (
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    StoppingCriterion,
    as_criterion,
)

FTLObjective = Literal["time", "cost", "total-cost"]
FTLEngine = Literal["compiled", "python"]
FTL_ENGINES: tuple[str, ...] = ("compiled", "python")
FTL_OBJECTIVES: tuple[str, ...] = ("time", "cost", "total-cost")
_TIE = 1e-9
"""Weight of the tie-breaking term relative to the primary one (hours vs yuan)."""
_BALANCE = 1e-12
"""Weight of the fleet-balance term (sum of squared route hours)."""
_EPS = 1e-9


@dataclass(slots=True)
class FTLTruckType:
    """A truck model: tank and consumption in kg, payload in t, speed in km/h, costs in yuan."""

    name: str
    tank_kg: float
    kg_per_km_loaded: float
    kg_per_km_empty: float
    payload_t: float
    speed_kmh: float
    fixed_cost: float = 0.0
    cost_per_hour: float = 0.0
    cost_per_km: float = 0.0


@dataclass(slots=True)
class FTLTruck:
    """One truck: its type (index into ``FTLInstance.types``) and depot (location index)."""

    id: str
    type: int
    depot: int
    available_h: float = -math.inf
    """Earliest departure from the depot."""


@dataclass(slots=True)
class FTLOrder:
    """One full-truckload order between two locations (indices), times in instance hours."""

    id: str
    origin: int
    destination: int
    tonnes: float
    ready_h: float = -math.inf
    """Earliest start of loading at the origin."""
    due_h: float = math.inf
    """Latest arrival at the destination."""
    pickup_due_h: float = math.inf
    """Latest start of loading."""
    load_h: float = 0.0
    unload_h: float = 0.0


@dataclass(slots=True)
class FTLStation:
    """A station: pump price (yuan/kg), stop time = connect_h + kg × h_per_kg, opening hours."""

    id: str
    price: float
    connect_h: float
    h_per_kg: float
    open_h: float = 0.0
    close_h: float = 24.0

    @property
    def always_open(self) -> bool:
        return self.close_h - self.open_h >= 24.0 - 1e-9


@dataclass(slots=True)
class FTLInstance:
    """Locations and stations on one km matrix, the fleet and the orders.

    ``km`` is ``(L + S, L + S)``: rows ``0 … L-1`` are the locations (``locations`` names
    them), rows ``L …`` the stations in ``stations`` order.
    """

    name: str
    locations: list[str]
    stations: list[FTLStation]
    km: NDArray[np.float64]
    types: list[FTLTruckType]
    trucks: list[FTLTruck]
    orders: list[FTLOrder]
    reserve_kg: float = 5.0
    rest: RestRules = field(default_factory=RestRules)
    objective: FTLObjective = "time"
    return_to_depot: bool = True
    horizon_h: float = math.inf
    """Every route finishes by this time (``inf`` = no limit)."""

    def __post_init__(self) -> None:
        n = len(self.locations) + len(self.stations)
        if self.km.shape != (n, n):
            raise OptionError(f"the km matrix must be {n} × {n}, not {self.km.shape}")
        if self.objective not in FTL_OBJECTIVES:
            raise OptionError(
                f"objective must be one of {', '.join(FTL_OBJECTIVES)}, not {self.objective!r}"
            )
        for t in self.types:
            if self.reserve_kg >= t.tank_kg:
                raise OptionError(
                    f"--reserve-kg {self.reserve_kg:g} leaves nothing of the {t.tank_kg:g} kg "
                    f"tank of truck type {t.name} to drive on: it must be below the tank"
                )

    @property
    def n_locations(self) -> int:
        return len(self.locations)


class State(NamedTuple):
    """The truck after a task: where, when, hydrogen on board, driving counters, totals."""

    loc: int
    t: float
    fuel: float
    drive_since_break: float
    drive_today: float
    km: float
    kg_bought: float
    money: float
    price: float = 0.0
    """Pump price of the last fill (for the end-of-route credit of the cost objectives)."""
    last_kg: float = 0.0
    """Kilograms bought at the last fill."""


@dataclass(slots=True)
class Visit:
    """One place of a route plan, as the checker replays it.

    ``kind``: ``depot`` (departure), ``pickup``, ``delivery``, ``station``, ``return``
    (arrival at the depot). ``node`` indexes the km matrix. ``start`` is when the work there
    starts (loading, unloading, filling) after any wait; ``depart`` when the truck leaves.
    """

    kind: str
    node: int
    arrive: float
    start: float
    depart: float
    fuel_arrive: float
    kg: float = 0.0
    order: int = -1
    rest: bool = False
    """A station stop stretched to a break."""


@dataclass(slots=True)
class RoadBreak:
    """A break or daily rest taken on the road between two visits."""

    kind: str
    start: float
    hours: float


@dataclass(slots=True)
class RoutePlan:
    """One truck's plan: the orders in sequence, every visit and road break, totals."""

    truck: int
    orders: list[int]
    visits: list[Visit]
    breaks: list[RoadBreak]
    depart: float
    finish: float
    km: float
    kg_used: float
    kg_bought: float
    h2_cost: float
    cost: float

    @property
    def hours(self) -> float:
        return self.finish - self.depart


@dataclass(frozen=True, slots=True)
class Unserved:
    """An order left out: ``reason`` payload | range | time_window | horizon | fleet."""

    order: int
    reason: str
    message: str


@dataclass(slots=True)
class FTLSolution:
    routes: list[RoutePlan]
    unserved: list[Unserved]
    truck_hours: float
    h2_cost: float
    cost: float
    km: float
    empty_km: float
    seconds: float
    iterations: int
    first_feasible_s: float
    history: list[tuple[float, float]] = field(default_factory=list)
    first_served: int = 0
    """Orders served by the construction (insertion) plan."""
    first_truck_hours: float = 0.0
    """Truck-hours of the construction plan."""


class _Profile:
    """Station paths of one truck type in one load state."""

    def __init__(self, inst: FTLInstance, rate: float, tank: float) -> None:
        L, S = inst.n_locations, len(inst.stations)
        km = inst.km
        self.rate = rate
        usable = tank - inst.reserve_kg
        hop = usable / rate if rate > 0 else math.inf
        ss = km[L:, L:].copy()
        ss[ss > hop + 1e-9] = math.inf
        np.fill_diagonal(ss, 0.0)
        nxt = np.where(np.isfinite(ss), np.arange(S)[None, :], -1)
        for k in range(S):  # Floyd–Warshall over the hops inside one tank
            via = ss[:, k : k + 1] + ss[k : k + 1, :]
            better = via < ss - 1e-12
            ss = np.where(better, via, ss)
            nxt = np.where(better, nxt[:, k : k + 1], nxt)
        self.ss = ss
        self.nxt = nxt
        # best last station s2 for each (first station s1, target location b)
        to_b = km[L:, :L].copy()
        to_b[to_b > hop + 1e-9] = math.inf
        tail = ss[:, :, None] + to_b[None, :, :]  # (s1, s2, b)
        self.best_s2 = np.argmin(tail, axis=1)  # (s1, b)
        self.tail_km = np.min(tail, axis=1)  # (s1, b)
        from_a = km[:L, L:]  # (a, s1)
        total = from_a[:, :, None] + self.tail_km[None, :, :]  # (a, s1, b)
        self.options: list[list[list[int]]] = []
        for a in range(L):
            row = []
            for b in range(L):
                tot = total[a, :, b]
                order = np.argsort(tot, kind="stable")
                row.append([int(s) for s in order if np.isfinite(tot[s])])
            self.options.append(row)
        self.paths: dict[tuple[int, int], list[int]] = {}
        self.escape = rate * np.min(km[:L, L:], axis=1) if S else np.zeros(L)

    def path(self, s1: int, b: int) -> list[int]:
        """Stations (0-based among stations) from ``s1`` to the best last station before ``b``."""
        key = (s1, b)
        p = self.paths.get(key)
        if p is None:
            s2 = int(self.best_s2[s1, b])
            p = [s1]
            x = s1
            while x != s2:
                x = int(self.nxt[x, s2])
                p.append(x)
            self.paths[key] = p
        return p


def _fill_start(st: FTLStation, t: float, fill_h: float) -> float:
    """Earliest start ≥ t of a fill of ``fill_h`` inside an opening window (inf if none)."""
    if st.always_open:
        return t
    day = math.floor(t / 24.0)
    for k in range(day - 1, day + 3):
        s = max(t, 24.0 * k + st.open_h)
        if s + fill_h <= 24.0 * k + st.close_h + 1e-9:
            return s
    return math.inf


class Evaluator:
    """Simulates task sequences of one instance (see the module docstring for the rules)."""

    def __init__(self, inst: FTLInstance) -> None:
        self.inst = inst
        self.L = inst.n_locations
        self.km = inst.km.tolist()  # Python floats: faster to index than numpy scalars
        self.profiles = [
            (
                _Profile(inst, t.kg_per_km_empty, t.tank_kg),
                _Profile(inst, t.kg_per_km_loaded, t.tank_kg),
            )
            for t in inst.types
        ]
        r = inst.rest
        self.rest_on = r.enabled
        self.max_drive = r.max_drive_h
        self.break_h = r.break_h
        self.max_daily = r.max_daily_drive_h
        self.daily_rest = r.daily_rest_h
        self.station_choices = 3
        self.open24 = [st.always_open for st in inst.stations]
        self._cache: dict[tuple, tuple | bool] = {}
        """Leg outcomes (time shift, hydrogen, counters, totals) by starting state; legs whose
        stations are all open around the clock do not depend on the clock time."""
        self._cache_timed: dict[tuple, tuple | bool] = {}
        """First stations tried per leg that needs a stop (the best outcome is kept)."""
        self.compiled: FTLKernels | None = None
        """When set, the legs evaluated without a log run on these kernels and their cache
        (the search on compiled kernels shares one leg cache with this evaluator)."""

    # ---------------------------------------------------------------- time and rests
    def _drive(
        self, t: float, c: float, d: float, h: float, log: list[RoadBreak] | None
    ) -> tuple[float, float, float]:
        if not self.rest_on:
            return t + h, c, d
        while h > 1e-12:
            allowed = min(self.max_drive - c, self.max_daily - d)
            if allowed <= 1e-12:
                if d >= self.max_daily - 1e-12:
                    if log is not None:
                        log.append(RoadBreak("daily-rest", t, self.daily_rest))
                    t += self.daily_rest
                    c = d = 0.0
                else:
                    if log is not None:
                        log.append(RoadBreak("break", t, self.break_h))
                    t += self.break_h
                    c = 0.0
                continue
            x = min(h, allowed)
            t += x
            c += x
            d += x
            h -= x
        return t, c, d

    def _rested(self, c: float, d: float, hours: float) -> tuple[float, float]:
        """Counters after standing still ``hours`` (a wait or a station stop)."""
        if hours >= self.daily_rest - 1e-9:
            return 0.0, 0.0
        if hours >= self.break_h - 1e-9:
            return 0.0, d
        return c, d

    # ---------------------------------------------------------------- one leg
    def leg(
        self,
        ty: int,
        loaded: bool,
        s: State,
        b: int,
        need_after: float,
        log: list | None = None,
    ) -> State | None:
        """Drive from ``s.loc`` to location ``b``; ``need_after`` kg beyond the reserve on arrival."""
        if log is None and self.compiled is not None:
            ok, f = self.compiled.leg(ty, loaded, s, b, need_after)
            return State(int(f[0]), *f[1:]) if ok else None
        inst = self.inst
        tt = inst.types[ty]
        prof = self.profiles[ty][1 if loaded else 0]
        rate, speed, reserve = prof.rate, tt.speed_kmh, inst.reserve_kg
        a = s.loc
        t, fuel, c, d = s.t, s.fuel, s.drive_since_break, s.drive_today
        direct = self.km[a][b]
        breaks = log[1] if log is not None else None
        if rate * direct <= fuel - reserve - need_after + _EPS:
            t, c, d = self._drive(t, c, d, direct / speed, breaks)
            return State(
                b,
                t,
                fuel - rate * direct,
                c,
                d,
                s.km + direct,
                s.kg_bought,
                s.money,
                s.price,
                s.last_kg,
            )
        key = (ty, loaded, a, b, fuel, c, d, need_after)
        if log is None:
            hit = self._cache.get(key)
            if hit is None:
                hit = self._cache_timed.get((*key, t))
            if hit is not None:
                return self._apply(s, b, hit)
        best: State | None = None
        best_log: tuple[list[Visit], list[RoadBreak]] | None = None
        tried = 0
        invariant = True
        for s1 in prof.options[a][b]:
            if tried >= self.station_choices:
                break
            if rate * self.km[a][self.L + s1] > fuel - reserve + _EPS:
                continue
            tried += 1
            path = prof.path(s1, b)
            if invariant and not all(self.open24[x] for x in path):
                invariant = False
            sub: tuple[list[Visit], list[RoadBreak]] | None = ([], []) if log is not None else None
            out = self._via(ty, rate, s, b, path, sub)
            if out is not None and (best is None or self._better(out, best)):
                best, best_log = out, sub
        if best is not None and log is not None and best_log is not None:
            log[0].extend(best_log[0])
            log[1].extend(best_log[1])
        if log is None:
            delta: tuple | bool = False
            if best is not None:
                delta = (
                    best.t - t,
                    best.fuel,
                    best.drive_since_break,
                    best.drive_today,
                    best.km - s.km,
                    best.kg_bought - s.kg_bought,
                    best.money - s.money,
                    best.price,
                    best.last_kg,
                )
            cache = self._cache if invariant else self._cache_timed
            if len(cache) > 1_000_000:
                cache.clear()
            cache[key if invariant else (*key, t)] = delta
        return best

    @staticmethod
    def _apply(s: State, b: int, hit: tuple | bool) -> State | None:
        if hit is False or hit is True:
            return None
        dt, fuel, c, d, dkm, dkg, dm, price, last_kg = hit
        return State(
            b, s.t + dt, fuel, c, d, s.km + dkm, s.kg_bought + dkg, s.money + dm, price, last_kg
        )

    def _better(self, x: State, y: State) -> bool:
        if self.inst.objective == "time":
            return (x.t, x.money, -x.fuel) < (y.t - 1e-9, y.money, -y.fuel)
        return (x.money, x.t, -x.fuel) < (y.money - 1e-9, y.t, -y.fuel)

    def _via(
        self,
        ty: int,
        rate: float,
        s: State,
        b: int,
        path: list[int],
        log: tuple[list[Visit], list[RoadBreak]] | None,
    ) -> State | None:
        """Drive to ``b`` through the stations of ``path``, filling up at each stop; a stop
        is skipped when the next one (or ``b``) is already within reach."""
        inst = self.inst
        tt = inst.types[ty]
        speed, reserve, tank, L = tt.speed_kmh, inst.reserve_kg, tt.tank_kg, self.L
        t, fuel, c, d = s.t, s.fuel, s.drive_since_break, s.drive_today
        km_total, kg_bought, money = s.km, s.kg_bought, s.money
        price, last_kg = s.price, s.last_kg
        breaks = log[1] if log is not None else None
        km = self.km
        here = s.loc
        i = 0
        n = len(path)
        while True:
            # the farthest stop along the path within reach of the hydrogen on board
            if rate * km[here][b] <= fuel - reserve + _EPS and i > 0:
                break
            j = i
            while j + 1 < n and rate * km[here][L + path[j + 1]] <= fuel - reserve + _EPS:
                j += 1
            if j >= n or rate * km[here][L + path[j]] > fuel - reserve + _EPS:
                return None
            sx = path[j]
            node = L + sx
            hop = km[here][node]
            t, c, d = self._drive(t, c, d, hop / speed, breaks)
            km_total += hop
            fuel -= rate * hop
            st = inst.stations[sx]
            buy = tank - fuel
            fill_h = st.connect_h + buy * st.h_per_kg
            start = _fill_start(st, t, fill_h)
            if not math.isfinite(start):
                return None
            stop = start - t + fill_h
            nxt = L + path[j + 1] if j + 1 < n and rate * km[node][b] > tank - reserve else b
            ahead = km[node][nxt] / speed
            stretched = False
            if (
                self.rest_on
                and stop < self.break_h
                and c > 0
                and c + ahead > self.max_drive + 1e-12
                and d + (self.max_drive - c) < self.max_daily - 1e-12
            ):
                stop = self.break_h
                stretched = True
            if self.rest_on:
                c, d = self._rested(c, d, stop)
            if log is not None:
                log[0].append(Visit("station", node, t, start, t + stop, fuel, buy, rest=stretched))
            t += stop
            kg_bought += buy
            money += buy * st.price
            price, last_kg = st.price, buy
            fuel = tank
            here = node
            i = j + 1
            if i >= n and rate * km[here][b] > fuel - reserve + _EPS:
                return None
        hop = km[here][b]
        t, c, d = self._drive(t, c, d, hop / speed, breaks)
        fuel -= rate * hop
        if fuel < reserve - _EPS:
            return None
        return State(b, t, fuel, c, d, km_total + hop, kg_bought, money, price, last_kg)

    # ---------------------------------------------------------------- tasks and routes
    def start_state(self, truck: int, first: int | None) -> State | None:
        """The truck leaving its depot, timed to reach ``first``'s origin at its ready time."""
        inst = self.inst
        tr = inst.trucks[truck]
        tank = inst.types[tr.type].tank_kg
        s0 = State(tr.depot, 0.0, tank, 0.0, 0.0, 0.0, 0.0, 0.0)
        if first is None:
            return s0._replace(t=max(tr.available_h, 0.0) if math.isfinite(tr.available_h) else 0.0)
        o = inst.orders[first]
        ready = o.ready_h if math.isfinite(o.ready_h) else 0.0
        probe = self.leg(tr.type, False, s0, o.origin, self._need(tr.type, True, o.origin))
        if probe is None:
            return None
        depart = ready - probe.t
        if math.isfinite(tr.available_h):
            depart = max(depart, tr.available_h)
        return s0._replace(t=depart)

    def _need(self, ty: int, next_loaded: bool, b: int) -> float:
        return float(self.profiles[ty][1 if next_loaded else 0].escape[b])

    def task(self, truck: int, s: State, k: int, log: list | None = None) -> State | None:
        """Serve order ``k`` from state ``s`` (None when infeasible)."""
        inst = self.inst
        tr = inst.trucks[truck]
        o = inst.orders[k]
        if o.tonnes > inst.types[tr.type].payload_t + 1e-9:
            return None
        if s.loc != o.origin:
            s2 = self.leg(tr.type, False, s, o.origin, self._need(tr.type, True, o.origin), log)
            if s2 is None:
                return None
            s = s2
        arrive = s.t
        start = max(arrive, o.ready_h)
        if start > o.pickup_due_h + 1e-9:
            return None
        c, d = s.drive_since_break, s.drive_today
        need = self._need(tr.type, False, o.destination)
        if self.rest_on and start > arrive:
            c, d = self._rested(c, d, start - arrive)
            late = arrive + self.daily_rest
            if d > 0 and start < late <= o.pickup_due_h:
                # the wait may be stretched to the daily rest when that delivers earlier
                s_a = s._replace(t=start + o.load_h, drive_since_break=c, drive_today=d)
                s_b = s._replace(t=late + o.load_h, drive_since_break=0.0, drive_today=0.0)
                ra = self.leg(tr.type, True, s_a, o.destination, need)
                rb = self.leg(tr.type, True, s_b, o.destination, need)
                if rb is not None and (ra is None or rb.t < ra.t - 1e-9):
                    start, c, d = late, 0.0, 0.0
        if log is not None:
            log[0].append(Visit("pickup", o.origin, arrive, start, start + o.load_h, s.fuel, 0, k))
        s = s._replace(t=start + o.load_h, drive_since_break=c, drive_today=d)
        s2 = self.leg(tr.type, True, s, o.destination, need, log)
        if s2 is None or s2.t > o.due_h + 1e-9:
            return None
        if log is not None:
            log[0].append(
                Visit("delivery", o.destination, s2.t, s2.t, s2.t + o.unload_h, s2.fuel, 0, k)
            )
        return s2._replace(t=s2.t + o.unload_h)

    def finish(self, truck: int, s: State, log: list | None = None) -> State | None:
        inst = self.inst
        tr = inst.trucks[truck]
        if inst.return_to_depot and s.loc != tr.depot:
            s2 = self.leg(tr.type, False, s, tr.depot, 0.0, log)
            if s2 is None:
                return None
            s = s2
        if s.t > inst.horizon_h + 1e-9:
            return None
        return s

    def route_key(self, truck: int, depart: float, end: State) -> float:
        """Scalar objective of a route with its tie-breaks (lower is better)."""
        inst = self.inst
        hours = end.t - depart
        tt = inst.types[inst.trucks[truck].type]
        # the last fill needed only what the rest of the route burns: credit the surplus
        surplus = min(max(end.fuel - inst.reserve_kg, 0.0), end.last_kg) * end.price
        money = end.money - surplus
        total = tt.fixed_cost + tt.cost_per_hour * hours + tt.cost_per_km * end.km + money
        if inst.objective == "time":
            key = hours + _TIE * money
        elif inst.objective == "cost":
            key = money + _TIE * 1e3 * hours
        else:
            key = total + _TIE * 1e3 * hours
        return key + _BALANCE * hours * hours

    def states(self, truck: int, seq: list[int]) -> list[State] | None:
        """``[start, after task 1, …, end]`` or None when the sequence is infeasible."""
        s = self.start_state(truck, seq[0] if seq else None)
        if s is None:
            return None
        out = [s]
        for k in seq:
            s2 = self.task(truck, s, k)
            if s2 is None:
                return None
            out.append(s2)
            s = s2
        end = self.finish(truck, s)
        if end is None:
            return None
        out.append(end)
        return out

    def cost(self, truck: int, seq: list[int]) -> float:
        if not seq:
            return 0.0
        st = self.states(truck, seq)
        if st is None:
            return math.inf
        return self.route_key(truck, st[0].t, st[-1])

    def plan(self, truck: int, seq: list[int]) -> RoutePlan | None:
        """The full plan of a sequence: visits, road breaks and totals."""
        inst = self.inst
        tr = inst.trucks[truck]
        tt = inst.types[tr.type]
        s = self.start_state(truck, seq[0] if seq else None)
        if s is None:
            return None
        visits: list[Visit] = [Visit("depot", tr.depot, s.t, s.t, s.t, s.fuel)]
        breaks: list[RoadBreak] = []
        log = [visits, breaks]
        depart = s.t
        for k in seq:
            s2 = self.task(truck, s, k, log)
            if s2 is None:
                return None
            s = s2
        end = self.finish(truck, s, log)
        if end is None:
            return None
        if inst.return_to_depot:
            visits.append(Visit("return", tr.depot, end.t, end.t, end.t, end.fuel))
        hours = end.t - depart
        kg_used = tt.tank_kg + end.kg_bought - end.fuel
        total = tt.fixed_cost + tt.cost_per_hour * hours + tt.cost_per_km * end.km + end.money
        return RoutePlan(
            truck,
            list(seq),
            visits,
            breaks,
            depart,
            end.t,
            end.km,
            kg_used,
            end.kg_bought,
            end.money,
            total,
        )

    def why_alone(self, k: int) -> Unserved | None:
        """Why no truck can serve order ``k`` on its own (None when one can)."""
        inst = self.inst
        o = inst.orders[k]
        name = f"order {o.id} ({inst.locations[o.origin]} → {inst.locations[o.destination]})"
        best_payload = max(t.payload_t for t in inst.types)
        if o.tonnes > best_payload + 1e-9:
            return Unserved(
                k,
                "payload",
                f"{name} has {o.tonnes:g} t but the largest payload is {best_payload:g} t",
            )
        reason = ""
        tried: set[tuple[int, int, float]] = set()
        for ti, tr in enumerate(inst.trucks):
            if inst.types[tr.type].payload_t + 1e-9 < o.tonnes:
                continue
            kind = (tr.type, tr.depot, tr.available_h)
            if kind in tried:  # the same type at the same depot: the same answer
                continue
            tried.add(kind)
            if self.states(ti, [k]) is not None:
                return None
            reason = reason or self._diagnose(ti, k)
        code, text = reason.split(":", 1) if reason else ("range", "no truck reaches it")
        return Unserved(k, code, f"{name} cannot be served: {text.strip()}")

    def _diagnose(self, truck: int, k: int) -> str:
        inst = self.inst
        o = inst.orders[k]
        tr = inst.trucks[truck]
        free = State(tr.depot, 0.0, inst.types[tr.type].tank_kg, 0, 0, 0, 0, 0)
        saved = (o.ready_h, o.due_h, o.pickup_due_h)
        o.ready_h, o.due_h, o.pickup_due_h = -math.inf, math.inf, math.inf
        horizon = inst.horizon_h
        inst.horizon_h = math.inf
        try:
            ok = self.task(truck, free, k) is not None
            ok_all = self.states(truck, [k]) is not None
        finally:
            o.ready_h, o.due_h, o.pickup_due_h = saved
            inst.horizon_h = horizon
        if not ok:
            return "range: a leg is out of reach of the truck's tank and the stations"
        if not ok_all:
            return "range: the return to the depot is out of reach"
        s = self.states_relaxed_due(truck, k)
        if s is not None and s > o.due_h:
            return (
                f"time_window: the earliest delivery is at hour {s:.1f}, after its due time "
                f"(hour {o.due_h:.1f})"
            )
        if s is not None:
            return "horizon: the truck cannot be back within the planning horizon"
        return "time_window: it cannot be picked up in its window"

    def states_relaxed_due(self, truck: int, k: int) -> float | None:
        """Earliest arrival at ``k``'s destination ignoring its due time."""
        o = self.inst.orders[k]
        saved = o.due_h
        o.due_h = math.inf
        try:
            st = self.start_state(truck, k)
            if st is None:
                return None
            s2 = self.task(truck, st, k)
            return None if s2 is None else s2.t - o.unload_h
        finally:
            o.due_h = saved


# ====================================================================== search


@dataclass(slots=True)
class FTLParams:
    """Search knobs."""

    max_removed: int = 30
    min_removed: int = 2
    removed_share: float = 0.15
    blink_rate: float = 0.02
    explore_share: float = 0.75
    """Share of the run (time or iterations) spent exploring: at ``t_explore`` the search
    accepts almost any change of truck-hours that keeps the orders served, which finds plans
    serving more; then it restarts from the best plan and cools on truck-hours."""
    t_explore: float = 0.2
    """Exploring temperature as a share of the route objective per served order."""
    t_start: float = 0.05
    """Start temperature of the cooling as a share of the route objective per served order."""
    t_end: float = 0.001
    regret_rate: float = 0.3
    """Share of the recreates done by regret-2 insertion (when few orders are out)."""
    regret_max: int = 25
    candidate_trucks: int = 60
    """Trucks tried per order insertion (nearest by depot and route locations); all when fewer."""


class _Route:
    """A truck's sequence with its states (``states[i]`` before task ``i``, last = end)."""

    __slots__ = ("key", "seq", "states")

    def __init__(self, seq: list[int], states: RouteStates | None, key: float) -> None:
        self.seq = seq
        self.states = states
        self.key = key

    def copy(self) -> _Route:
        return _Route(self.seq[:], self.states, self.key)


_NO_DRAWS = np.empty(0)
RouteStates = list[State] | NDArray[np.float64]
"""A route's states: State tuples (Python evaluator) or an ``(n + 2, 10)`` array (kernels)."""


def _hours(states: RouteStates) -> float:
    """Hours from the departure to the end of a route's states."""
    if isinstance(states, np.ndarray):
        return float(states[-1, 1] - states[0, 1])
    return states[-1].t - states[0].t


def _same(a: State, b: State) -> bool:
    return (
        abs(a.t - b.t) <= 1e-9
        and abs(a.fuel - b.fuel) <= 1e-9
        and abs(a.drive_since_break - b.drive_since_break) <= 1e-9
        and abs(a.drive_today - b.drive_today) <= 1e-9
        and a.loc == b.loc
        and a.price == b.price
        and abs(a.last_kg - b.last_kg) <= 1e-9
    )


class FTLSearch:
    """Construction plus ruin-and-recreate over task sequences (one route per truck)."""

    def __init__(
        self,
        inst: FTLInstance,
        seed: int = 0,
        params: FTLParams | None = None,
        engine: FTLEngine = "compiled",
    ) -> None:
        if engine not in FTL_ENGINES:
            raise OptionError(f"engine must be one of {', '.join(FTL_ENGINES)}, not {engine!r}")
        self.inst = inst
        self.ev = Evaluator(inst)
        self.kernels: FTLKernels | None = None
        """The compiled evaluation (``engine="compiled"``): the same results as the Python
        evaluator to the bit, so the same search for a seed."""
        if engine == "compiled":
            self.kernels = FTLKernels(self.ev)
            self.ev.compiled = self.kernels
        self.rng = np.random.default_rng(seed)
        self.params = params or FTLParams()
        n = len(inst.orders)
        km = inst.km
        orig = np.array([o.origin for o in inst.orders], dtype=np.int64)
        dest = np.array([o.destination for o in inst.orders], dtype=np.int64)
        ready = np.array([o.ready_h if math.isfinite(o.ready_h) else 0.0 for o in inst.orders])
        # relatedness: origins close, ready times close (30 km ≈ 1 h)
        self.related = (
            km[orig[:, None], orig[None, :]] / 30.0
            + km[dest[:, None], dest[None, :]] / 60.0
            + np.abs(ready[:, None] - ready[None, :])
        )
        self.ready = ready
        depots = np.array([t.depot for t in inst.trucks], dtype=np.int64)
        self.depot_km = km[depots[:, None], orig[None, :]] if n else np.zeros((len(depots), 0))
        self.big = 1e4 * (1.0 + self._scale())
        self.speed = [inst.types[t.type].speed_kmh for t in inst.trucks]

    def _scale(self) -> float:
        """A typical single-order route objective (for the penalty and temperatures)."""
        vals = []
        for k in range(min(len(self.inst.orders), 20)):
            best = math.inf
            for ti in range(min(len(self.inst.trucks), 5)):
                best = min(best, self.ev.cost(ti, [k]))
            if math.isfinite(best):
                vals.append(best)
        return float(np.median(vals)) if vals else 1.0

    # ---------------------------------------------------------------- insertion
    def best_insert(
        self, routes: list[_Route], k: int, trucks: list[int], blink: float
    ) -> tuple[float, int, int, RouteStates | None]:
        """Cheapest (increase, truck, position, states) for order ``k``."""
        if self.kernels is not None:
            draws = _NO_DRAWS
            if blink > 0 and trucks:
                draws = self.rng.random(sum(len(routes[ti].seq) + 1 for ti in trucks))
            inc, i, pos, st = self.kernels.best_insert(
                trucks,
                [routes[ti].seq for ti in trucks],
                [routes[ti].states for ti in trucks],
                [routes[ti].key for ti in trucks],
                k,
                draws,
                blink,
            )
            return (inc, trucks[i], pos, st) if i >= 0 else (math.inf, -1, -1, None)
        best: tuple[float, int, int, RouteStates | None] = (math.inf, -1, -1, None)
        rand = self.rng.random
        for ti in trucks:
            r = routes[ti]
            for pos in range(len(r.seq) + 1):
                if blink > 0 and rand() < blink:
                    continue
                inc, states = self._try(ti, r, k, pos)
                if inc < best[0]:
                    best = (inc, ti, pos, states)
        return best

    def _try(self, ti: int, r: _Route, k: int, pos: int) -> tuple[float, list[State] | None]:
        """Increase of the route key when ``k`` goes in at ``pos``, and the new states."""
        ev = self.ev
        seq = r.seq
        o = self.inst.orders[k]
        km = ev.km
        speed = self.speed[ti]
        # time screens with driving alone (no stops, no rests): a lower bound on every arrival
        if pos < len(seq):
            nxt = self.inst.orders[seq[pos]]
            if o.ready_h > nxt.pickup_due_h or o.ready_h > nxt.due_h:
                return math.inf, None
            earliest = max(o.ready_h, 0.0 if r.states is None else r.states[pos].t)
            reach = km[o.origin][o.destination] + km[o.destination][nxt.origin]
            if earliest + (reach + km[nxt.origin][nxt.destination]) / speed > nxt.due_h + 1e-9:
                return math.inf, None
        if r.states is not None and pos > 0:
            here = r.states[pos]
            pickup = max(here.t + km[here.loc][o.origin] / speed, o.ready_h)
            if pickup + km[o.origin][o.destination] / speed > o.due_h + 1e-9:
                return math.inf, None
        if pos == 0 or r.states is None:
            new_seq = [*seq[:pos], k, *seq[pos:]]
            st = ev.states(ti, new_seq)
            if st is None:
                return math.inf, None
            return ev.route_key(ti, st[0].t, st[-1]) - r.key, st
        old = r.states
        s = ev.task(ti, old[pos], k)
        if s is None:
            return math.inf, None
        new_states = [*old[: pos + 1], s]
        for j in range(pos, len(seq)):
            s2 = ev.task(ti, s, seq[j])
            if s2 is None:
                return math.inf, None
            s = s2
            new_states.append(s)
            if _same(s, old[j + 1]):
                # converged: the rest of the route is as before, shifted in totals only
                tail = old[j + 2 :]
                dk, dm, db = (
                    s.km - old[j + 1].km,
                    s.money - old[j + 1].money,
                    (s.kg_bought - old[j + 1].kg_bought),
                )
                new_states.extend(
                    x._replace(km=x.km + dk, money=x.money + dm, kg_bought=x.kg_bought + db)
                    for x in tail
                )
                return ev.route_key(ti, new_states[0].t, new_states[-1]) - r.key, new_states
        last = ev.finish(ti, s)
        if last is None:
            return math.inf, None
        new_states.append(last)
        return ev.route_key(ti, new_states[0].t, last) - r.key, new_states

    def candidates(self, routes: list[_Route], k: int) -> list[int]:
        limit = self.params.candidate_trucks
        n = len(self.inst.trucks)
        if n <= limit:
            return list(range(n))
        if self.kernels is not None:
            return self.kernels.candidates(
                self.depot_km, self.ready, [r.seq for r in routes], k, limit
            )
        km = self.inst.km
        o = self.inst.orders[k]
        score = self.depot_km[:, k].copy()
        for ti, r in enumerate(routes):
            if r.seq:
                dests = [self.inst.orders[j].destination for j in r.seq]
                near = min(km[d, o.origin] for d in dests)
                rt = min(abs(self.ready[j] - self.ready[k]) for j in r.seq)
                score[ti] = min(score[ti], near + 20.0 * max(0.0, rt - 24.0) / 24.0)
        return [int(i) for i in np.argsort(score, kind="stable")[:limit]]

    def insert(self, routes: list[_Route], k: int, blink: float) -> bool:
        inc, ti, pos, states = self.best_insert(routes, k, self.candidates(routes, k), blink)
        if ti < 0:
            return False
        r = routes[ti]
        r.seq.insert(pos, k)
        r.states = states
        r.key = r.key + inc
        return True

    # ---------------------------------------------------------------- ruin
    def ruin(self, routes: list[_Route], served: list[int]) -> list[int]:
        p, rng = self.params, self.rng
        if not served:
            return []
        q = int(min(p.max_removed, max(p.min_removed, p.removed_share * len(served))))
        q = int(rng.integers(1, q + 1))
        kind = int(rng.integers(3))
        removed: list[int]
        if kind == 0:
            removed = [int(x) for x in rng.choice(served, size=min(q, len(served)), replace=False)]
        elif kind == 1:
            seed_o = served[int(rng.integers(len(served)))]
            rel = self.related[seed_o, served]
            removed = [served[i] for i in np.argsort(rel, kind="stable")[:q]]
        else:
            removed = []
            owners = [ti for ti, r in enumerate(routes) if r.seq]
            while len(removed) < q and owners:
                ti = owners.pop(int(rng.integers(len(owners))))
                seq = routes[ti].seq
                ln = int(rng.integers(1, len(seq) + 1))
                st = int(rng.integers(0, len(seq) - ln + 1))
                removed.extend(seq[st : st + ln])
        gone = set(removed)
        for ti, r in enumerate(routes):
            if any(k in gone for k in r.seq):
                r.seq = [k for k in r.seq if k not in gone]
                self.refresh(ti, r)
        return removed

    def refresh(self, ti: int, r: _Route) -> None:
        if not r.seq:
            r.states, r.key = None, 0.0
            return
        if self.kernels is not None:
            r.states, r.key = self.kernels.states(ti, r.seq)
            return
        st = self.ev.states(ti, r.seq)
        if st is None:  # removing a task never makes a route infeasible here, but be safe
            r.states, r.key = None, math.inf
        else:
            r.states, r.key = st, self.ev.route_key(ti, st[0].t, st[-1])

    def recreate(self, routes: list[_Route], removed: list[int], blink: float) -> list[int]:
        rng = self.rng
        if len(removed) <= self.params.regret_max and rng.random() < self.params.regret_rate:
            return self.recreate_regret(routes, removed)
        if rng.random() < 0.5:
            rng.shuffle(removed)
        else:
            removed.sort(key=lambda k: (self.ready[k], rng.random()))
        left = []
        for k in removed:
            if not self.insert(routes, k, blink):
                left.append(k)
        return left

    def recreate_regret(self, routes: list[_Route], removed: list[int]) -> list[int]:
        """Regret-2 insertion: the order whose second-best truck is worst off goes first
        (an order with one possible truck before any with two)."""
        best_by: dict[tuple[int, int], tuple[float, int, RouteStates | None]] = {}

        def per_truck(k: int, ti: int) -> tuple[float, int, RouteStates | None]:
            key = (k, ti)
            hit = best_by.get(key)
            if hit is None:
                inc, _t, pos, st = self.best_insert(routes, k, [ti], 0.0)
                hit = best_by[key] = (inc, pos, st)
            return hit

        remaining = list(removed)
        cands = {k: self.candidates(routes, k) for k in remaining}
        left: list[int] = []
        while remaining:
            pick, pick_regret, pick_choice = -1, -math.inf, None
            for k in remaining:
                if self.kernels is not None:  # the missing trucks in one call, in order
                    todo = [ti for ti in cands[k] if (k, ti) not in best_by]
                    if todo:
                        got = self.kernels.best_each(
                            todo,
                            [routes[ti].seq for ti in todo],
                            [routes[ti].states for ti in todo],
                            [routes[ti].key for ti in todo],
                            k,
                        )
                        for ti, hit in zip(todo, got, strict=True):
                            best_by[(k, ti)] = hit
                opts = sorted(((per_truck(k, ti), ti) for ti in cands[k]), key=lambda x: x[0][0])
                if not opts or not math.isfinite(opts[0][0][0]):
                    continue
                second = opts[1][0][0] if len(opts) > 1 else math.inf
                regret = second - opts[0][0][0]
                if regret > pick_regret + 1e-12:
                    pick, pick_regret, pick_choice = k, regret, opts[0]
            if pick < 0:
                left.extend(remaining)
                break
            assert pick_choice is not None
            (inc, pos, states), ti = pick_choice
            r = routes[ti]
            r.seq.insert(pos, pick)
            r.states = states
            r.key += inc
            remaining.remove(pick)
            for key in [key for key in best_by if key[1] == ti]:
                del best_by[key]
        return left

    # ---------------------------------------------------------------- main loop
    def solve(
        self,
        stop: MultipleCriteria,
        idle_iterations: int | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> FTLSolution:
        """Search until ``stop`` (or ``idle_iterations`` without a new best); the cooling
        follows ``stop``'s deterministic criteria when it has any (iterations), so a seeded
        run capped by iterations is reproducible."""
        t0 = time.perf_counter()
        inst, ev = self.inst, self.ev
        n = len(inst.orders)
        unserved: list[Unserved] = []
        servable = []
        for k in range(n):
            why = ev.why_alone(k)
            if why is None:
                servable.append(k)
            else:
                unserved.append(why)
        routes = [_Route([], None, 0.0) for _ in inst.trucks]
        order = sorted(servable, key=lambda k: (self.ready[k], inst.orders[k].due_h, k))
        left = [k for k in order if not self.insert(routes, k, 0.0)]
        first_feasible = time.perf_counter() - t0
        first_hours = sum(_hours(r.states) for r in routes if r.seq and r.states is not None)
        first_served = len(servable) - len(left)

        def total(rs: list[_Route], lf: list[int]) -> float:
            return sum(r.key for r in rs) + self.big * len(lf)

        cur, cur_left = routes, left
        cur_val = total(cur, cur_left)
        best, best_left, best_val = [r.copy() for r in cur], cur_left[:], cur_val
        history = [(first_feasible, best_val)]
        # temperatures on the route objective per served order (the unserved penalty apart)
        per_order = max(sum(r.key for r in cur) / max(1, first_served), 1e-6)
        temp0 = self.params.t_start * per_order
        temp1 = self.params.t_end * per_order
        hot = self.params.t_explore * per_order
        explore = self.params.explore_share
        cooling = explore <= 0.0
        it = 0
        idle = 0
        while servable:
            elapsed = time.perf_counter() - t0
            if stop.fraction(it, elapsed) >= 1.0:
                break
            frac = stop.schedule_fraction(it, elapsed)
            if not cooling and (frac >= explore or (idle_iterations and idle >= idle_iterations)):
                # cool from the best plan found so far (it serves the most orders)
                cooling, explore, idle = True, min(frac, 1.0), 0
                cur, cur_left, cur_val = [r.copy() for r in best], best_left[:], best_val
            if cooling and idle_iterations is not None and idle >= idle_iterations:
                break
            if progress is not None and it % 10 == 0:
                progress(min(frac, 1.0))
            if cooling:
                x = min(max(frac - explore, 0.0) / max(1.0 - explore, 1e-9), 1.0)
                temp = temp0 * (temp1 / temp0) ** x
            else:
                temp = hot
            cand = [r.copy() for r in cur]
            served = [k for r in cand for k in r.seq]
            removed = self.ruin(cand, served) + cur_left
            blink = self.params.blink_rate
            cand_left = self.recreate(cand, removed, blink)
            val = total(cand, cand_left)
            it += 1
            if val < cur_val - 1e-12 or self.rng.random() < math.exp(
                -(val - cur_val) / max(temp, 1e-12)
            ):
                cur, cur_left, cur_val = cand, cand_left, val
            if val < best_val - 1e-9:
                best, best_left, best_val = [r.copy() for r in cand], cand_left[:], val
                history.append((time.perf_counter() - t0, best_val))
                idle = 0
            else:
                idle += 1
        for k in best_left:
            o = inst.orders[k]
            unserved.append(
                Unserved(
                    k,
                    "fleet",
                    f"order {o.id} ({inst.locations[o.origin]} → "
                    f"{inst.locations[o.destination]}) fits no truck's day: every truck "
                    "that could serve it is busy in its window",
                )
            )
        plans = []
        for ti, r in enumerate(best):
            if not r.seq:
                continue
            p = ev.plan(ti, r.seq)
            if p is None:  # the states said feasible; a plan must exist
                raise AssertionError(f"route of truck {inst.trucks[ti].id} failed to replay")
            plans.append(p)
        out = _solution(
            inst, plans, unserved, time.perf_counter() - t0, it, first_feasible, history
        )
        out.first_served, out.first_truck_hours = first_served, first_hours
        return out


def _solution(
    inst: FTLInstance,
    plans: list[RoutePlan],
    unserved: list[Unserved],
    seconds: float,
    iterations: int,
    first_feasible: float,
    history: list[tuple[float, float]],
) -> FTLSolution:
    loaded = {k: inst.km[o.origin, o.destination] for k, o in enumerate(inst.orders)}
    km = sum(p.km for p in plans)
    empty = km - sum(loaded[k] for p in plans for k in p.orders)
    return FTLSolution(
        routes=plans,
        unserved=sorted(unserved, key=lambda u: u.order),
        truck_hours=sum(p.hours for p in plans),
        h2_cost=sum(p.h2_cost for p in plans),
        cost=sum(p.cost for p in plans),
        km=km,
        empty_km=empty,
        seconds=seconds,
        iterations=iterations,
        first_feasible_s=first_feasible,
        history=history,
    )


def solve_ftl(
    inst: FTLInstance,
    *,
    time_limit: float = 10.0,
    max_iterations: int | None = None,
    idle_iterations: int | None = None,
    seed: int = 0,
    params: FTLParams | None = None,
    progress: Callable[[float], None] | None = None,
    engine: FTLEngine = "compiled",
) -> FTLSolution:
    """Assign and sequence ``inst``'s orders; orders no truck can take are in ``unserved``.

    Stops at ``time_limit`` seconds, ``max_iterations`` or ``idle_iterations`` without a new
    best, whichever comes first (deterministic for a seed when only iterations limit it).
    ``engine``: ``compiled`` (numba kernels, :mod:`h2lane.routing.vrp.ftlkernels`) or
    ``python`` (the reference evaluator); both give the same plan for a seed.
    """
    limits: list[StoppingCriterion] = [MaxRuntime(time_limit)]
    if max_iterations is not None:
        limits.append(MaxIterations(max_iterations))
    return FTLSearch(inst, seed, params, engine).solve(
        as_criterion(limits), idle_iterations, progress
    )


def empty_km_lower_bound(inst: FTLInstance, served: list[int] | None = None) -> float:
    """Lower bound on the empty km of any plan serving the orders ``served`` (default: all),
    time and range relaxed.

    Each order's destination is followed by one empty run: to another order's origin or
    back to a depot (``return_to_depot``) — a min-cost assignment of deliveries to pick-ups
    and truck returns, where each truck's first empty run (depot → first origin) also
    appears as a pick-up fed by a depot "delivery". Solved with scipy's
    ``linear_sum_assignment``.
    """
    from scipy.optimize import linear_sum_assignment

    km = inst.km
    orders = inst.orders if served is None else [inst.orders[k] for k in served]
    n, m = len(orders), len(inst.trucks)
    if n == 0:
        return 0.0
    big = 1e9
    # rows: n deliveries + m truck starts; cols: n pick-ups + m truck ends
    cost = np.full((n + m, n + m), big)
    for i, oi in enumerate(orders):
        for j, oj in enumerate(orders):
            if i != j:
                cost[i, j] = km[oi.destination, oj.origin]
        for t, tr in enumerate(inst.trucks):
            cost[i, n + t] = km[oi.destination, tr.depot] if inst.return_to_depot else 0.0
    for t, tr in enumerate(inst.trucks):
        for j, oj in enumerate(orders):
            cost[n + t, j] = km[tr.depot, oj.origin]
        cost[n + t, n + t] = 0.0  # an unused truck
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum())


def truck_hours_lower_bound(inst: FTLInstance, served: list[int] | None = None) -> float:
    """Lower bound on the truck-hours of any plan serving ``served`` (default: all orders).

    Driving: each order's loaded run direct at the fastest type's speed plus the empty-km
    bound (:func:`empty_km_lower_bound`) at that speed; loading and unloading. Rests (rules
    on): the larger of those inside each loaded run (a daily rest per full driving day, a
    break per further ``max_drive_h``) and those the total driving ``D`` forces on a fleet
    of ``m`` trucks (at least ``D / max_daily_drive_h − m`` daily rests, and at least
    ``D / max_drive_h`` driving stretches, each after the first of a route or a rest behind a
    break). Waits, station stops and detours are relaxed.
    """
    speed = max(t.speed_kmh for t in inst.types)
    rest = inst.rest
    orders = list(range(len(inst.orders))) if served is None else list(served)
    drive = service = inner = 0.0
    for k in orders:
        o = inst.orders[k]
        h = float(inst.km[o.origin, o.destination]) / speed
        drive += h
        service += o.load_h + o.unload_h
        if rest.enabled and h > 0:
            days = math.ceil(h / rest.max_daily_drive_h - 1e-9)
            spans = math.ceil(h / rest.max_drive_h - 1e-9)
            inner += (days - 1) * rest.daily_rest_h + max(spans - days, 0) * rest.break_h
    drive += empty_km_lower_bound(inst, orders) / speed
    if not rest.enabled or not orders:
        return drive + service
    m = len(inst.trucks)
    daily = max(math.ceil(drive / rest.max_daily_drive_h - 1e-9) - m, 0)
    breaks = max(math.ceil(drive / rest.max_drive_h - 1e-9) - daily - m, 0)
    fleet = daily * rest.daily_rest_h + breaks * rest.break_h
    return drive + service + max(inner, fleet)
