"""Exact refuelling-stop planning for one truck along a sequence of waypoints, with driver rests.

The truck drives waypoint 0 → 1 → … → L (origin, vias, destination). Between consecutive
waypoints it may detour to any station. The planner chooses the stations, how much to buy at
each, and where the driver rests, minimising total time or money.

Method
------
A *stop node* is "station j visited during leg k"; with the origin and the destination they
form a hop graph whose arcs carry the road distance and the hydrogen needed between two
consecutive stops (through any intermediate waypoints). A label-setting search runs over
labels ``(stop node, arrival level; elapsed time, money, driving since the last break c,
driving today d)``. Keys are lexicographic, ``(time, money)`` for ``time`` and
``(money, time)`` for ``cost``; the key adds a consistent bound on what is still needed,
an A*: for ``time`` the driving plus the rests it forces, for ``cost`` the hydrogen still to
buy at the lowest price (the compiled search of :mod:`h2lane.routing.refuelkernel` adds the
refuel stops to both). A label is dropped only when another
at the same ``(node, level)`` is no worse in time, money, c and d — or, for ``cost`` when no
due time can be missed, simply cheaper (see :meth:`_Search.dominates`).

Why this is exact
-----------------
* **Amounts.** For a fixed sequence of stops the cheapest amounts follow the gas-station
  structure (Khuller, Malekian & Mestre 2011): at each stop fill the tank or buy just enough
  for the next stop. Time windows and rest thresholds add three more vertices of the
  amount polytope that are decided at the stop itself: the amount that makes the stop last
  exactly one break (or one daily rest), and the most that can be dispensed before the
  station closes. Every stop tries these departure levels.
* **Rests on the road.** A rest taken before it is needed can be moved later — to the next
  stop, where a short stop is *extended* to a break, or to the point where the limit is
  reached — without arriving anywhere later and with counters no higher (exchange
  argument). So the road is driven until a limit is hit; there the driver takes a break
  (limit of continuous driving) or a daily rest (either limit); both branches are kept.
* **Stops.** At a station or a waypoint that has to wait for a ready time the stop lasts
  ``max(wait + fill, rest)`` with ``rest`` ∈ {0, break, daily rest}: a stop of at least a
  break resets c, one of at least a daily rest resets c and d. Filling first and resting
  afterwards is never later than resting first.
* **Opening hours.** A fill of ``h`` hours must *end* by closing time: it starts at the
  first moment ``s ≥ arrival`` with ``s`` inside an opening window and ``s + h`` not after
  its close. ``s`` is non-decreasing in the arrival time, so a later arrival never leaves
  earlier (FIFO); with the stop rule above every transition is monotone in
  (time, c, d), which makes the Pareto dominance sound and the first label popped at the
  destination optimal.
* **Station queues** (``queue_h``: expected queue wait per station and clock hour of
  arrival, e.g. from ``h2lane simulate --waits``). An hourly step function of waits is not
  FIFO (arrive 10:59 and wait 30 min, arrive 11:00 and wait none), so the truck may wait
  at the gate and join the queue later: joining at ``t' ≥ t`` starts the fill at
  ``t' + w(t')``, and the earliest start is ``Q(t) = min over t' ≥ t of t' + w(t')``,
  non-decreasing in ``t``. Within an hour ``t' + w`` grows with ``t'``, so the minimum is
  ``t + w(hour of t)`` or the start of a later hour plus its wait (:func:`queue_next`,
  one cycle of 24 hours is enough). With opening hours the queue is joined inside a
  window (``t' ≥`` its opening) and the fill must still end by its close: the start is the
  first window's ``Q(max(t, open))`` whose fill fits, else the next window's. The set of
  allowed joins only shrinks as ``t`` grows, so the start stays FIFO; the queue wait is
  part of the stop (a break may be taken in it).
* Waypoint ready times (earliest departure) and due times (latest arrival) used by dispatch
  keep the same monotonicity: waiting is a stop as above, a due time only removes late labels.

Limits
------
* Both objectives are lexicographic: ``time`` with ties broken by money, ``cost`` with ties
  broken by time (objective values are compared to 1e-7 h / 1e-6 yuan).
* Amounts are decided at each stop from what is known there, plus the amounts coupled to
  the next stop (:meth:`_Search.coupled_levels`): while the truck would wait at the next
  station's gate (opening, or a queue that a later join shortens) or for the next
  waypoint's ready time, buying more here is free, so the amounts that arrive there just
  when that wait ends are tried. A coupling across more than one stop, or to a later stop
  that should last exactly one break, is not enumerated. The randomised comparison with a
  brute force that also tries intermediate and coupled amounts (``tests/brute.py``) and a
  fine sweep of two-stop amounts have found no such case, but that corner is not proven
  exact.

With ``full_refuel=True`` every stop fills the tank. ``RestRules.off()`` drops the rest
resources and reproduces the plans without breaks.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from h2lane.routing.rest import RestRules

if TYPE_CHECKING:
    from h2lane.routing import refuelrun

Objective = Literal["time", "cost"]
RestKind = Literal["break", "daily-rest"]
EPS = 1e-9


@dataclass(slots=True)
class RefuelProblem:
    """Abstract instance: distances, consumption and station attributes.

    Attributes
    ----------
    leg_km
        ``(L,)`` km from waypoint k to waypoint k+1.
    wp_to_st, st_to_wp
        ``(L, n)`` km from waypoint k to station j, and from station j to waypoint k+1.
    st_st
        ``(n, n)`` km between stations.
    kg_per_km
        ``(L,)`` consumption on each leg, kg/km.
    tank_kg, start_kg, reserve_kg
        Usable tank, level at departure and minimum level on arrival anywhere.
    price
        ``(n,)`` yuan/kg.
    fill_h_per_kg
        ``(n,)`` hours per kg dispensed (1 / nozzle flow).
    connect_h
        ``(n,)`` fixed hours per stop.
    open_h, close_h
        ``(n,)`` daily opening window in hours after midnight (close may exceed 24).
    speed_kmh
        Average driving speed.
    depart_h
        Departure time in hours after midnight of the first day; every absolute time of the
        solution (``arrive_h``, ``start_h``) is counted from that midnight.
    rest
        Driver rest rules.
    wp_ready_h, wp_due_h
        ``(L+1,)`` optional earliest departure from / latest arrival at each waypoint, in
        hours after the first midnight (``-inf`` / ``inf`` for none; waypoint 0's ready time
        and the destination's ready time are not used).
    queue_h
        ``(n, 24)`` optional expected queue wait in hours for joining the queue at station
        j in clock hour h (hour 0 starts at the first midnight); the planners wait by the
        FIFO rule of the module docstring. ``None``: no queues.
    """

    leg_km: NDArray
    wp_to_st: NDArray
    st_to_wp: NDArray
    st_st: NDArray
    kg_per_km: NDArray
    tank_kg: float
    start_kg: float
    reserve_kg: float
    price: NDArray
    fill_h_per_kg: NDArray
    connect_h: NDArray
    open_h: NDArray
    close_h: NDArray
    speed_kmh: float
    depart_h: float = 8.0
    rest: RestRules = field(default_factory=RestRules)
    wp_ready_h: NDArray | None = None
    wp_due_h: NDArray | None = None
    queue_h: NDArray | None = None

    @property
    def n_legs(self) -> int:
        return len(self.leg_km)

    @property
    def n_stations(self) -> int:
        return len(self.price)


@dataclass(slots=True)
class PlannedStop:
    """One refuelling stop of a solution (times in hours after the first midnight)."""

    leg: int
    station: int
    km_from_start: float
    arrive_h: float
    wait_h: float
    refuel_h: float
    arrive_kg: float
    refuel_kg: float
    cost: float
    rest_h: float = 0.0
    queue_h: float = 0.0  # the part of wait_h spent in the station's queue

    @property
    def stop_h(self) -> float:
        """Waiting + refuelling + the extension that makes the stop a break."""
        return self.wait_h + self.refuel_h + self.rest_h

    @property
    def depart_h(self) -> float:
        return self.arrive_h + self.stop_h


@dataclass(slots=True)
class RestEvent:
    """A break or daily rest: on the road, at a station stop or while waiting at a waypoint.

    ``start_h`` is in hours after the first midnight, ``driven_h`` the driving of the day
    before it; ``station``/``waypoint`` say where it is taken (both None: on the road).
    """

    leg: int
    km_from_start: float
    start_h: float
    minutes: float
    kind: RestKind
    station: int | None = None
    waypoint: int | None = None
    driven_h: float = 0.0


@dataclass(slots=True)
class WaypointVisit:
    """When the truck reaches waypoint ``index`` and leaves it (hours after the first midnight)."""

    index: int
    km_from_start: float
    arrive_h: float
    depart_h: float


@dataclass(slots=True)
class RefuelSolution:
    """Optimal stops, rests and totals."""

    stops: list[PlannedStop]
    distance_km: float
    duration_h: float
    drive_h: float
    cost: float
    h2_used_kg: float
    end_kg: float
    states_explored: int = 0
    objective: Objective = "time"
    extra: dict[str, float] = field(default_factory=dict)
    breaks: list[RestEvent] = field(default_factory=list)
    visits: list[WaypointVisit] = field(default_factory=list)


def queue_next(queue_h: NDArray) -> NDArray:
    """``(n, 24)``: ``min over m = 1..24 of m + w[(h + m) % 24]`` for each station and hour h.

    The earliest fill start from joining at the start of a later hour, counted from the
    start of hour h; with it :func:`queue_start` is exact (a later cycle never starts earlier,
    the waits being ≥ 0). Both searches take this table, so they share its floats.
    """
    w = np.asarray(queue_h, dtype=float).reshape(-1, 24)
    m = np.arange(1, 25, dtype=float)
    idx = (np.arange(24)[:, None] + np.arange(1, 25)[None, :]) % 24
    return (m[None, None, :] + w[:, idx]).min(axis=2)


def queue_start(t: float, wait: NDArray, nxt: NDArray) -> float:
    """``min over t' ≥ t of t' + w(t')``: the earliest fill start of a queue joined at ≥ t.

    ``wait`` holds one station's 24 hourly waits (hours), ``nxt`` its :func:`queue_next` row.
    """
    hour = math.floor(t)
    h = int(hour) % 24
    return min(t + float(wait[h]), hour + float(nxt[h]))


def fill_start(
    arrive_h: float,
    fill_h: float,
    open_h: float,
    close_h: float,
    wait: NDArray | None = None,
    nxt: NDArray | None = None,
) -> float | None:
    """Earliest start ≥ ``arrive_h`` of a fill lasting ``fill_h`` that ends by closing time.

    With a queue (``wait``, ``nxt``: one station's rows of ``queue_h`` and
    :func:`queue_next`) the start is :func:`queue_start` of the first moment the window
    allows, in the first window where the fill still ends by its close. ``None`` when the
    fill is longer than the daily window, or no window leaves time for the queue and fill.
    """
    if close_h - open_h >= 24.0 - EPS:
        return arrive_h if wait is None or nxt is None else queue_start(arrive_h, wait, nxt)
    if fill_h > close_h - open_h + EPS:
        return None
    day = math.floor(arrive_h / 24.0)
    for base in (day - 1, day, day + 1):
        o, c = base * 24.0 + open_h, base * 24.0 + close_h
        s = max(arrive_h, o)
        if wait is not None and nxt is not None:
            s = queue_start(s, wait, nxt)
        if s + fill_h <= c + EPS:
            return s
    if wait is not None:
        return None  # every later window starts at its opening, as window day+1 did
    return (day + 2) * 24.0 + open_h  # unreachable: window day+1 opens after arrival


def wait_hours(arrive_h: float, open_h: float, close_h: float, fill_h: float = 0.0) -> float:
    """Hours to wait at a station, arriving at ``arrive_h``, for a fill of ``fill_h`` hours."""
    s = fill_start(arrive_h, fill_h, open_h, close_h)
    return math.inf if s is None else s - arrive_h


def window_starts(
    arrive_h: float,
    open_h: float,
    close_h: float,
    wait: NDArray | None = None,
    nxt: NDArray | None = None,
) -> list[tuple[float, float]]:
    """``(start, close)`` of the open moment at arrival (if open) and the next two openings.

    With a queue each start is the :func:`queue_start` of that moment.
    """
    if close_h - open_h >= 24.0 - EPS:
        if wait is None or nxt is None:
            return [(arrive_h, math.inf)]
        return [(queue_start(arrive_h, wait, nxt), math.inf)]
    out: list[tuple[float, float]] = []
    day = math.floor(arrive_h / 24.0)
    for base in (day - 1, day, day + 1, day + 2):
        o, c = base * 24.0 + open_h, base * 24.0 + close_h
        if c <= arrive_h + EPS:
            continue
        s = max(arrive_h, o)
        if wait is not None and nxt is not None:
            s = queue_start(s, wait, nxt)
        out.append((s, c))
        if len(out) == 3:
            break
    return out


class StopGraph:
    """Distances and fuel between stop nodes.

    Node ids: 0 = origin, 1 + k*n + j = station j in leg k, 1 + L*n = destination.
    """

    def __init__(self, p: RefuelProblem) -> None:
        self.p = p
        n, L = p.n_stations, p.n_legs
        self.n, self.L = n, L
        self.dest = 1 + L * n
        # km and fuel from each waypoint k to the destination along the waypoints
        self.leg_fuel = p.leg_km * p.kg_per_km
        self.wp_rest_km = np.concatenate([np.cumsum(p.leg_km[::-1])[::-1], [0.0]])
        self.wp_rest_fuel = np.concatenate([np.cumsum(self.leg_fuel[::-1])[::-1], [0.0]])
        self.wp_cum_km = np.concatenate([[0.0], np.cumsum(p.leg_km)])
        self.wp_cum_fuel = np.concatenate([[0.0], np.cumsum(self.leg_fuel)])

    def leg_station(self, node: int) -> tuple[int, int]:
        k, j = divmod(node - 1, self.n)
        return k, j

    def pieces(self, a: int, b: int) -> list[tuple[float, int, int | None]]:
        """The hop ``a → b`` as ``(km, leg, waypoint reached at its end or None)`` pieces."""
        p, L = self.p, self.L
        out: list[tuple[float, int, int | None]] = []
        if a == 0:
            k0, first = 0, None
        else:
            k0, i = self.leg_station(a)
            first = i
        if b == self.dest:
            k1, last = L - 1, None
        else:
            k1, last = self.leg_station(b)
        if last is not None and k0 == k1:
            if first is None:  # origin to a station of the first leg
                return [(float(p.wp_to_st[k0, last]), k0, None)]
            return [(float(p.st_st[first, last]), k0, None)]
        # leave towards waypoint k0+1
        out.append((float(p.leg_km[k0] if first is None else p.st_to_wp[k0, first]), k0, k0 + 1))
        for m in range(k0 + 1, k1 + (1 if last is None else 0)):
            out.append((float(p.leg_km[m]), m, m + 1))
        if last is not None:
            out.append((float(p.wp_to_st[k1, last]), k1, None))
        return out

    def out_arcs(self, node: int) -> tuple[NDArray, NDArray, NDArray]:
        """Successor nodes with their km and kg from ``node``."""
        p, n, L = self.p, self.n, self.L
        succ: list[NDArray] = []
        km: list[NDArray] = []
        kg: list[NDArray] = []
        if node == 0:
            # origin -> station j in leg m: waypoints 0..m then to j
            for m in range(L):
                d = self.wp_cum_km[m] + p.wp_to_st[m]
                f = self.wp_cum_fuel[m] + p.wp_to_st[m] * p.kg_per_km[m]
                succ.append(1 + m * n + np.arange(n))
                km.append(d)
                kg.append(f)
            succ.append(np.array([self.dest]))
            km.append(np.array([self.wp_cum_km[L]]))
            kg.append(np.array([self.wp_cum_fuel[L]]))
        else:
            k, i = self.leg_station(node)
            r = p.kg_per_km
            # same leg, other stations
            others = np.arange(n) != i
            succ.append((1 + k * n + np.arange(n))[others])
            km.append(p.st_st[i][others])
            kg.append(p.st_st[i][others] * r[k])
            # later legs: station i -> waypoint k+1 -> ... -> waypoint m -> station j
            out_km = p.st_to_wp[k, i]
            out_kg = out_km * r[k]
            for m in range(k + 1, L):
                between_km = self.wp_cum_km[m] - self.wp_cum_km[k + 1]
                between_kg = self.wp_cum_fuel[m] - self.wp_cum_fuel[k + 1]
                succ.append(1 + m * n + np.arange(n))
                km.append(out_km + between_km + p.wp_to_st[m])
                kg.append(out_kg + between_kg + p.wp_to_st[m] * r[m])
            succ.append(np.array([self.dest]))
            km.append(np.array([out_km + self.wp_rest_km[k + 1]]))
            kg.append(np.array([out_kg + self.wp_rest_fuel[k + 1]]))
        return np.concatenate(succ), np.concatenate(km), np.concatenate(kg)


# (absolute time, driving since break, driving today, rests, waypoint visits)
_Partial = tuple[float, float, float, tuple[RestEvent, ...], tuple[WaypointVisit, ...]]


@dataclass(slots=True)
class _Label:
    key: tuple[float, float]
    node: int
    level: float
    time_h: float  # elapsed since departure
    money: float
    km: float
    c: float
    d: float
    parent: int
    stop: PlannedStop | None = None  # the stop made at the parent node
    events: tuple[RestEvent, ...] = ()  # rests of that stop and of the hop to this node
    visits: tuple[WaypointVisit, ...] = ()  # waypoints passed on that hop
    dead: bool = False


def _pareto(states: list[_Partial]) -> list[_Partial]:
    """Drop partial states no better in time, c and d than another."""
    if len(states) < 2:
        return states
    states.sort(key=lambda s: (s[0], s[1], s[2]))
    keep: list[_Partial] = []
    for s in states:
        if not any(k[0] <= s[0] + EPS and k[1] <= s[1] + EPS and k[2] <= s[2] + EPS for k in keep):
            keep.append(s)
    return keep


def _pinned(lab: _Label, rows: list[tuple[float, float, float, float, float]]) -> bool:
    """Whether ``lab`` is at the level of one of ``rows`` (level, hours, money, c, d) and
    no worse than it in the others (with room for float noise)."""
    for level, t, m, c, d in rows:
        if (
            abs(lab.level - level) <= 1e-6
            and lab.time_h <= t + 1e-7
            and lab.money <= m + 1e-6 * max(1.0, abs(m))
            and lab.c <= c + 1e-7
            and lab.d <= d + 1e-7
        ):
            return True
    return False


def _timed(p: RefuelProblem) -> bool:
    """Whether departure levels depend on the clock (queues, opening hours, ready times)."""
    return (
        p.queue_h is not None
        or bool(np.any(p.close_h - p.open_h < 24.0 - EPS))
        or (p.wp_ready_h is not None and bool(np.any(np.isfinite(p.wp_ready_h[1:-1]))))
    )


class _Search:
    """One label-setting run; see the module docstring."""

    def __init__(
        self,
        p: RefuelProblem,
        objective: Objective,
        full_refuel: bool,
        upper: float = math.inf,
        chain: list[tuple[int, float, float, float, float, float]] | None = None,
    ) -> None:
        self.p, self.objective, self.full_refuel = p, objective, full_refuel
        self.upper = upper  # labels whose A* key exceeds this objective value are not made
        # a plan to replay (see :func:`solve`): only its hops are taken, and at each of its
        # nodes only labels at its level that are no later, dearer or more driven than it
        self.arcs: dict[int, set[int]] | None = None
        self.pins: dict[int, list[tuple[float, float, float, float, float]]] = {}
        if chain is not None:
            self.arcs = {}
            for a, b in zip(chain, chain[1:], strict=False):
                self.arcs.setdefault(a[0], set()).add(b[0])
            for node, level, t, m, c, d in chain[1:]:
                self.pins.setdefault(node, []).append((level, t, m, c, d))
        self.hops = StopGraph(p)
        r = p.rest
        self.on = r.enabled
        self.cmax = r.max_drive_h if r.enabled else math.inf
        self.dmax = r.max_daily_drive_h if r.enabled else math.inf
        self.brk, self.day_rest = r.break_h, r.daily_rest_h
        L = p.n_legs
        self.ready = (
            np.full(L + 1, -math.inf) if p.wp_ready_h is None else np.asarray(p.wp_ready_h, float)
        )
        self.due = np.full(L + 1, math.inf) if p.wp_due_h is None else np.asarray(p.wp_due_h, float)
        self.free_time = bool(np.all(np.isinf(self.due)))
        self.to_go: dict[int, float] = {}
        self.to_go_fuel: dict[int, tuple[float, float]] = {}
        # lowest price, slightly lowered so that float noise keeps the cost bound admissible
        self.pmin = float(np.min(p.price)) * (1.0 - 1e-9) if p.n_stations else 0.0
        self.due_ahead: dict[int, list[tuple[float, float]]] = {}
        self.pieces_cache: dict[tuple[int, int], list[tuple[float, int, int | None]]] = {}
        self.queue: tuple[NDArray, NDArray] | None = None
        if p.queue_h is not None:
            qw = np.asarray(p.queue_h, dtype=float).reshape(-1, 24)
            self.queue = (qw, queue_next(qw))

    def _queue_rows(self, j: int) -> tuple[NDArray | None, NDArray | None]:
        """Station ``j``'s hourly waits and their :func:`queue_next` row (None: no queue)."""
        if self.queue is None:
            return None, None
        return self.queue[0][j], self.queue[1][j]

    # -- resting rules -------------------------------------------------------------------
    def _after_stop(
        self, stop_h: float, c: float, d: float
    ) -> tuple[float, float, RestKind | None]:
        if not self.on:
            return 0.0, 0.0, None
        if stop_h >= self.day_rest - EPS:
            return 0.0, 0.0, "daily-rest"
        if stop_h >= self.brk - EPS:
            return 0.0, d, "break"
        return c, d, None

    def _rest_options(self, base_h: float, c: float, d: float) -> list[float]:
        """Stop lengths to try for a stop whose own activity lasts ``base_h``."""
        out = [base_h]
        if not self.on:
            return out
        if c > EPS and base_h < self.brk - EPS:
            out.append(self.brk)
        if d > EPS and base_h < self.day_rest - EPS:
            out.append(self.day_rest)
        return out

    # -- driving a hop -------------------------------------------------------------------
    def drive(
        self, start: _Partial, km0: float, pieces: list[tuple[float, int, int | None]]
    ) -> list[_Partial]:
        states = [start]
        km = km0
        for piece_km, leg, wp in pieces:
            nxt: list[_Partial] = []
            for st in states:
                nxt.extend(self._drive_piece(st, km, piece_km, leg))
            km += piece_km
            if wp is not None:
                nxt = [s for w in nxt for s in self._at_waypoint(w, km, wp, leg)]
            states = _pareto(nxt)
            if not states:
                break
        return states

    def _drive_piece(self, st: _Partial, km0: float, piece_km: float, leg: int) -> list[_Partial]:
        speed = self.p.speed_kmh
        hours = piece_km / speed
        if not self.on:
            return [(st[0] + hours, 0.0, 0.0, st[3], st[4])]
        out: list[_Partial] = []
        stack = [(st, hours, km0)]
        while stack:
            (t, c, d, ev, vis), rem, km = stack.pop()
            room = min(self.cmax - c, self.dmax - d)
            if rem <= room + EPS:
                out.append((t + rem, c + rem, d + rem, ev, vis))
                continue
            room = max(room, 0.0)
            t, c, d, km = t + room, c + room, d + room, km + room * speed
            rem -= room
            daily = RestEvent(leg, km, t, self.day_rest * 60.0, "daily-rest", driven_h=d)
            stack.append(((t + self.day_rest, 0.0, 0.0, (*ev, daily), vis), rem, km))
            if d < self.dmax - EPS:
                brk = RestEvent(leg, km, t, self.brk * 60.0, "break", driven_h=d)
                stack.append(((t + self.brk, 0.0, d, (*ev, brk), vis), rem, km))
        return out

    def _at_waypoint(self, st: _Partial, km: float, wp: int, leg: int) -> list[_Partial]:
        t, c, d, ev, vis = st
        if t > self.due[wp] + EPS:
            return []
        last = wp == self.p.n_legs
        wait = 0.0 if last else max(0.0, float(self.ready[wp]) - t)
        if wait <= EPS:
            return [(t, c, d, ev, (*vis, WaypointVisit(wp, km, t, t)))]
        out: list[_Partial] = []
        for stop in self._rest_options(wait, c, d):
            c2, d2, kind = self._after_stop(stop, c, d)
            ev2 = ev
            if kind is not None:
                ev2 = (*ev, RestEvent(leg, km, t, stop * 60.0, kind, waypoint=wp, driven_h=d))
            out.append((t + stop, c2, d2, ev2, (*vis, WaypointVisit(wp, km, t, t + stop))))
        return out

    # -- refuelling stops ----------------------------------------------------------------
    def stop_levels(self, lab: _Label, j: int, now: float) -> list[float]:
        """Departure levels tried at every successor (full tank and window/rest vertices)."""
        p, tank = self.p, self.p.tank_kg
        levels = [tank]
        if self.full_refuel:
            return levels
        hpk, conn = float(p.fill_h_per_kg[j]), float(p.connect_h[j])
        if hpk <= 0:
            return levels
        qw, qn = self._queue_rows(j)
        for s, close in window_starts(now, float(p.open_h[j]), float(p.close_h[j]), qw, qn):
            wait = s - now
            kgs = [close - s - conn] if math.isfinite(close) else []
            if self.on:
                kgs += [self.brk - wait - conn, self.day_rest - wait - conn]
            levels += [lab.level + h / hpk for h in kgs]
        return [x for x in levels if lab.level + EPS < x <= tank + EPS]

    def timed(self) -> bool:
        """Whether departure levels depend on the clock (queues, opening hours, ready times)."""
        return _timed(self.p)

    def breakpoints(self, jb: int, lo: float, hi: float) -> list[float]:
        """Arrival times in ``(lo, hi]`` at station ``jb`` where its fill start stops being flat.

        An arrival before one of these waits (for the opening, or at the gate for an hour
        whose queue is shorter) until it; arriving exactly then costs nothing more. They are
        the openings and, with a queue, the hour starts ``H`` where joining at once is the
        best join (``w(H) ≤ queue_next``) inside an opening window.
        """
        p = self.p
        o, c = float(p.open_h[jb]), float(p.close_h[jb])
        always = c - o >= 24.0 - EPS
        out: list[float] = []
        if not always:
            for base in range(math.floor((lo - o) / 24.0), math.floor((hi - o) / 24.0) + 1):
                t = base * 24.0 + o
                if lo < t <= hi:
                    out.append(t)
        if self.queue is not None:
            qw, qn = self.queue[0][jb], self.queue[1][jb]
            for hour in range(math.floor(lo) + 1, math.floor(hi) + 1):
                h = hour % 24
                if qw[h] > qn[h]:
                    continue
                x = hour - o
                if always or x - 24.0 * math.floor(x / 24.0) <= c - o + EPS:
                    out.append(float(hour))
        return out

    def coupled_levels(self, lab: _Label, j: int, now: float, b: int, dkm: float) -> list[float]:
        """Departure levels at ``j`` that make the truck reach the next stop ``b`` (or the
        next waypoint's ready time) exactly at a breakpoint of its start (see
        :meth:`breakpoints`): buying more here is free while the truck would wait there.
        Each opening window at ``j`` and each road rest (none, a break, a daily rest) that
        could fall on the hop gives its own amount."""
        p, hops = self.p, self.hops
        hpk, conn = float(p.fill_h_per_kg[j]), float(p.connect_h[j])
        if hpk <= 0 or self.full_refuel:
            return []
        jb = -1
        if b != hops.dest:
            jb = hops.leg_station(b)[1]
            timed = self.queue is not None or p.close_h[jb] - p.open_h[jb] < 24.0 - EPS
            if not timed:
                jb = -1
        key = (lab.node, b)
        pieces = self.pieces_cache.get(key)
        if pieces is None:
            pieces = self.pieces_cache[key] = hops.pieces(lab.node, b)
        first_km, _, wp = pieces[0]
        ready = math.nan
        if wp is not None and wp < p.n_legs and math.isfinite(self.ready[wp]):
            ready = float(self.ready[wp])
        if jb < 0 and math.isnan(ready):
            return []
        room = (p.tank_kg - lab.level) * hpk
        offs = [0.0, self.brk, self.day_rest] if self.on else [0.0]
        qw, qn = self._queue_rows(j)
        out: list[float] = []
        for s, _ in window_starts(now, float(p.open_h[j]), float(p.close_h[j]), qw, qn):
            for off in offs:
                if jb >= 0:
                    a0 = s + conn + dkm / p.speed_kmh + off
                    out += [lab.level + (t - a0) / hpk for t in self.breakpoints(jb, a0, a0 + room)]
                if not math.isnan(ready):
                    a0 = s + conn + first_km / p.speed_kmh + off
                    if a0 < ready <= a0 + room:
                        out.append(lab.level + (ready - a0) / hpk)
        return out

    def departures(
        self, lab: _Label, k: int, j: int, now: float, depart_level: float
    ) -> list[tuple[_Partial, PlannedStop]]:
        """Ways to leave station ``j`` with ``depart_level`` kg."""
        p = self.p
        buy = depart_level - lab.level
        fill = float(p.connect_h[j] + buy * p.fill_h_per_kg[j])
        o, c = float(p.open_h[j]), float(p.close_h[j])
        s = fill_start(now, fill, o, c, *self._queue_rows(j))
        if s is None:
            return []
        wait = s - now
        queue = 0.0
        if self.queue is not None:
            unqueued = fill_start(now, fill, o, c)
            queue = s - unqueued if unqueued is not None else wait
        base = wait + fill
        out: list[tuple[_Partial, PlannedStop]] = []
        for stop in self._rest_options(base, lab.c, lab.d):
            c2, d2, kind = self._after_stop(stop, lab.c, lab.d)
            ev: tuple[RestEvent, ...] = ()
            if kind is not None:
                ev = (RestEvent(k, lab.km, now, stop * 60.0, kind, station=j, driven_h=lab.d),)
            planned = PlannedStop(
                leg=k,
                station=j,
                km_from_start=lab.km,
                arrive_h=now,
                wait_h=wait,
                refuel_h=fill,
                arrive_kg=lab.level,
                refuel_kg=buy,
                cost=buy * float(p.price[j]),
                rest_h=stop - base,
                queue_h=queue,
            )
            out.append(((now + stop, c2, d2, ev, ()), planned))
        return out

    # -- the search ----------------------------------------------------------------------
    def dominates(self, a: _Label, b: _Label) -> bool:
        """``a`` at the same (node, level) is at least as good as ``b`` for every future.

        Later arrival, more driving since the last break and more driving today never help
        (monotone transitions), so ``a`` must be no worse in those three and no dearer
        (Pareto in all four). For ``cost`` without due times being strictly cheaper is
        enough: future money does not depend on time or rests, and every future stays
        feasible at any time when no due time can be missed.
        """
        if self.objective == "cost":
            if self.free_time and a.money < b.money - 1e-9:
                return True
            if a.money > b.money + EPS:
                return False
        if not (a.time_h <= b.time_h + EPS and a.c <= b.c + EPS and a.d <= b.d + EPS):
            return False
        if self.objective == "cost":
            return True
        return a.money <= b.money + EPS

    def key(
        self, time_h: float, money: float, node: int, c: float, d: float, level: float
    ) -> tuple[float, float]:
        """Heap key: objective (rounded so that float noise does not beat the tie-break).

        Both objectives add a consistent lower bound on what is still to come, so the search
        is an A* and still pops the optimal destination label first. ``time``: the driving
        to the destination plus the breaks and daily rests that driving forces. ``cost``:
        the hydrogen still to buy — the fuel to the destination (by the triangle inequality
        at least the direct way on through the waypoints) plus the reserve, less what is on
        board — at the lowest price of any station (consistent: a hop costs its fuel, a stop
        pays at least that price for what it adds).
        """
        if self.objective == "time":
            drive = self.to_go_h(node)
            return (round(time_h + drive + self.rest_lb(drive, c, d), 7), money)
        return (round(money + self.cost_lb(node, level), 6), time_h)

    def cost_lb(self, node: int, level: float) -> float:
        """Least money still to spend from ``node`` arriving with ``level`` kg."""
        need = self.to_go_kg(node) + self.p.reserve_kg - level
        return need * self.pmin if need > 0 else 0.0

    def to_go_kg(self, node: int) -> float:
        return self._to_go(node)[1]

    def _to_go(self, node: int) -> tuple[float, float]:
        """Km and kg from ``node`` straight on through the remaining waypoints."""
        out = self.to_go_fuel.get(node)
        if out is None:
            hops, p = self.hops, self.p
            if node == 0:
                out = (float(hops.wp_rest_km[0]), float(hops.wp_rest_fuel[0]))
            elif node == hops.dest:
                out = (0.0, 0.0)
            else:
                k, i = hops.leg_station(node)
                out = (
                    float(p.st_to_wp[k, i] + hops.wp_rest_km[k + 1]),
                    float(p.st_to_wp[k, i] * p.kg_per_km[k] + hops.wp_rest_fuel[k + 1]),
                )
            self.to_go_fuel[node] = out
        return out

    def rest_lb(self, drive: float, c: float, d: float) -> float:
        """Least pause time that ``drive`` more hours of driving need from counters c, d."""
        if not self.on or drive <= 0:
            return 0.0
        if not math.isfinite(drive):
            return math.inf  # a stop with no way on (a masked station of restrict())
        days = max(0, math.ceil((d + drive) / self.dmax - 1e-9) - 1)
        pauses = max(0, math.ceil((c + drive) / self.cmax - 1e-9) - 1)
        return days * self.day_rest + max(0, pauses - days) * self.brk

    def to_go_h(self, node: int) -> float:
        h = self.to_go.get(node)
        if h is None:
            h = self.to_go[node] = self._to_go(node)[0] / self.p.speed_kmh * (1.0 - 1e-12)
        return h

    def too_late(self, node: int, time_h: float, c: float, d: float) -> bool:
        """True when even driving straight on, resting only as forced, misses a due time."""
        if self.free_time:
            return False
        ahead = self.due_ahead.get(node)
        if ahead is None:
            hops, p = self.hops, self.p
            L = p.n_legs
            if node == hops.dest:
                ws, km = np.zeros(0, dtype=int), np.zeros(0)
            elif node == 0:
                ws = np.arange(1, L + 1)
                km = hops.wp_cum_km[1:]
            else:
                k, i = hops.leg_station(node)
                ws = np.arange(k + 1, L + 1)
                km = p.st_to_wp[k, i] + hops.wp_cum_km[k + 1 :] - hops.wp_cum_km[k + 1]
            fin = np.isfinite(self.due[ws])
            ahead = self.due_ahead[node] = [
                (float(self.due[w] - p.depart_h), float(x / p.speed_kmh) * (1.0 - 1e-12))
                for w, x in zip(ws[fin], km[fin], strict=True)
            ]
        return any(time_h + h + self.rest_lb(h, c, d) > due + 1e-7 for due, h in ahead)

    def run(self) -> RefuelSolution | None:
        p, hops = self.p, self.hops
        tank, reserve = p.tank_kg, p.reserve_kg
        if p.start_kg < reserve - EPS:
            return None
        if self.timed() and not reachable(p):
            return None  # the time-dependent levels could otherwise grow without end
        labels: list[_Label] = []
        heap: list[tuple[tuple[float, float], int]] = []
        front: dict[tuple[int, float], list[int]] = {}
        arcs_cache: dict[int, tuple[NDArray, NDArray, NDArray]] = {}

        dominates = self.dominates

        pins = self.pins

        def push(lab: _Label) -> None:
            if lab.key[0] > self.upper:
                return  # cannot lead to a plan as good as the one the bound comes from
            if lab.node in pins and not _pinned(lab, pins[lab.node]):
                return
            state = (lab.node, round(lab.level, 6))
            bucket = front.setdefault(state, [])
            for i in bucket:
                if dominates(labels[i], lab):
                    return
            keep = []
            for i in bucket:
                o = labels[i]
                if dominates(lab, o):
                    o.dead = True
                else:
                    keep.append(i)
            keep.append(len(labels))
            front[state] = keep
            labels.append(lab)
            heapq.heappush(heap, (lab.key, len(labels) - 1))

        origin = WaypointVisit(0, 0.0, p.depart_h, p.depart_h)
        push(
            _Label(
                self.key(0.0, 0.0, 0, 0.0, 0.0, p.start_kg),
                0,
                p.start_kg,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                -1,
                visits=(origin,),
            )
        )
        explored = 0
        while heap:
            _, idx = heapq.heappop(heap)
            lab = labels[idx]
            if lab.dead:
                continue
            explored += 1
            if lab.node == hops.dest:
                return self._reconstruct(labels, lab, explored)
            if lab.node not in arcs_cache:
                arcs_cache[lab.node] = self._out_arcs(lab.node)
            succ, km, kg = arcs_cache[lab.node]
            now = p.depart_h + lab.time_h
            if lab.node == 0:
                ok = kg <= lab.level - reserve + EPS
                start: _Partial = (now, lab.c, lab.d, (), ())
                for b, dkm, f in zip(succ[ok], km[ok], kg[ok], strict=True):
                    self._hop(
                        push, lab, idx, int(b), float(dkm), float(f), lab.level, start, None, 0.0
                    )
                continue
            k, j = hops.leg_station(lab.node)
            shared = self.stop_levels(lab, j, now)
            memo: dict[float, list[tuple[_Partial, PlannedStop]]] = {}
            ok = kg <= tank - reserve + EPS
            for b, dkm, f in zip(succ[ok], km[ok], kg[ok], strict=True):
                if self.full_refuel:
                    levels = shared
                else:
                    extra = self.coupled_levels(lab, j, now, int(b), float(dkm))
                    levels = [*shared, reserve + float(f), *extra]
                pinned = self.pins.get(int(b)) if self.pins else None
                for level in levels:
                    level = min(level, tank)
                    if level < reserve + f - EPS or level - lab.level <= EPS:
                        continue  # buying nothing is not a stop; the direct hop covers it
                    if pinned is not None and not any(
                        abs(level - f - row[0]) <= 1e-6 for row in pinned
                    ):
                        continue  # a replay leaves only at the level its next label has
                    r = round(level, 9)
                    if r not in memo:
                        memo[r] = self.departures(lab, k, j, now, level)
                    for start, planned in memo[r]:
                        self._hop(
                            push,
                            lab,
                            idx,
                            int(b),
                            float(dkm),
                            float(f),
                            level,
                            start,
                            planned,
                            planned.cost,
                        )
        return None

    def _out_arcs(self, node: int) -> tuple[NDArray, NDArray, NDArray]:
        """The hops from ``node``, only those :attr:`arcs` allows when it is given."""
        succ, km, kg = self.hops.out_arcs(node)
        if self.arcs is None:
            return succ, km, kg
        ok = np.zeros(succ.size, dtype=bool)
        for b in self.arcs.get(node, ()):  # a chain leaves each node by a hop or two
            ok |= succ == b
        return succ[ok], km[ok], kg[ok]

    def _hop(
        self,
        push,
        lab: _Label,
        idx: int,
        b: int,
        dkm: float,
        f: float,
        level: float,
        start: _Partial,
        planned: PlannedStop | None,
        spend: float,
    ) -> None:
        key = (lab.node, b)
        pieces = self.pieces_cache.get(key)
        if pieces is None:
            pieces = self.pieces_cache[key] = self.hops.pieces(lab.node, b)
        money = lab.money + spend
        for t, c, d, ev, vis in self.drive(start, lab.km, pieces):
            time_h = t - self.p.depart_h
            if self.too_late(b, time_h, c, d):
                continue
            push(
                _Label(
                    self.key(time_h, money, b, c, d, level - f),
                    b,
                    level - f,
                    time_h,
                    money,
                    lab.km + dkm,
                    c,
                    d,
                    idx,
                    planned,
                    ev,
                    vis,
                )
            )

    def _reconstruct(self, labels: list[_Label], end: _Label, explored: int) -> RefuelSolution:
        p = self.p
        chain: list[_Label] = []
        lab: _Label | None = end
        while lab is not None:
            chain.append(lab)
            lab = labels[lab.parent] if lab.parent >= 0 else None
        chain.reverse()
        stops: list[PlannedStop] = []
        breaks: list[RestEvent] = []
        visits: list[WaypointVisit] = []
        for lab in chain:
            if lab.stop is not None:
                stops.append(lab.stop)
            breaks.extend(lab.events)
            visits.extend(lab.visits)
        bought = sum(s.refuel_kg for s in stops)
        return RefuelSolution(
            stops=stops,
            distance_km=end.km,
            duration_h=end.time_h,
            drive_h=end.km / p.speed_kmh,
            cost=end.money,
            h2_used_kg=p.start_kg + bought - end.level,
            end_kg=end.level,
            states_explored=explored,
            objective=self.objective,
            breaks=breaks,
            visits=visits,
        )


def max_fill_kg(p: RefuelProblem) -> NDArray:
    """``(n,)`` the most one stop at each station can dispense, at the best time of day.

    A fill must end by closing time; with a queue it starts at the earliest queue start from
    the opening (:func:`queue_start` of the opening). Always open or instant: no limit.
    """
    n = p.n_stations
    out = np.full(n, math.inf)
    queue = None if p.queue_h is None else np.asarray(p.queue_h, float).reshape(n, 24)
    nxt = None if queue is None else queue_next(queue)
    for j in range(n):
        o, c, hpk = float(p.open_h[j]), float(p.close_h[j]), float(p.fill_h_per_kg[j])
        if c - o >= 24.0 - EPS or hpk <= 0:
            continue
        best = o if queue is None or nxt is None else queue_start(o, queue[j], nxt[j])
        out[j] = max(0.0, (c - best - float(p.connect_h[j])) / hpk + EPS)
    return out


def reachable(p: RefuelProblem) -> bool:
    """Whether any plan reaches the destination, times ignored (rests and waits never block).

    Without due times this is exact: opening hours and queues repeat daily, so a fill that
    fits at some time of day fits after waiting for it, and a stop can raise the level by
    at most :func:`max_fill_kg`. A necessary condition in any case (a due time only removes
    plans). Propagates the highest arrival level of every stop node until nothing changes.
    """
    hops = StopGraph(p)
    cap = max_fill_kg(p)
    best = np.full(hops.dest + 1, -math.inf)
    best[0] = p.start_kg
    todo = [0]
    while todo:
        u = todo.pop()
        if u == hops.dest:
            return True
        if u == 0:
            level = float(best[0])
        else:
            level = min(p.tank_kg, float(best[u]) + float(cap[hops.leg_station(u)[1]]))
        succ, _, kg = hops.out_arcs(u)
        after = level - kg
        better = (after >= p.reserve_kg - EPS) & (after > best[succ] + EPS)
        for v, x in zip(succ[better], after[better], strict=True):
            best[int(v)] = x
            todo.append(int(v))
    return bool(best[hops.dest] > -math.inf)


# Up to this many stations the Python search answers directly; above, the compiled one
# (with rest rules the Python search branches more, and the compiled one wins sooner).
PYTHON_UP_TO = 4
PYTHON_UP_TO_WITH_RESTS = 1
# Above this many stations a cost search with rest rules and no due times is first bounded
# by the cheapest plan without rests (:func:`_cost_bounds`).
TWO_PHASE_FROM = 8
# Label budget of the compiled search (about 90 bytes a label).
MAX_LABELS = 20_000_000


def solve(
    p: RefuelProblem,
    objective: Objective = "time",
    *,
    full_refuel: bool = False,
    compiled: bool | None = None,
    max_labels: int = MAX_LABELS,
    upper: float = math.inf,
    upper_time: float = math.inf,
) -> RefuelSolution | None:
    """Optimal refuelling and rest plan, or ``None`` when no plan reaches the destination.

    ``compiled`` (default: above :data:`PYTHON_UP_TO` stations, or
    :data:`PYTHON_UP_TO_WITH_RESTS` with rest rules) runs the search of
    :mod:`h2lane.routing.refuelkernel` and then writes the plan by solving again, in
    Python, over just the stops it chose; ``False`` runs the Python search throughout.
    Raises :class:`~h2lane.errors.ResourceLimitError` past ``max_labels`` labels.
    ``upper`` (compiled search): the objective value of a plan known to be feasible (time or
    money, with some slack for rounding); labels that cannot beat it are not made.
    ``upper_time`` (cost objective): the hours, with slack, of a plan known to cost the
    least; labels whose time bound exceeds it are not made.
    """
    if compiled is None:
        compiled = p.n_stations > (PYTHON_UP_TO_WITH_RESTS if p.rest.enabled else PYTHON_UP_TO)
    if not compiled:
        return _Search(p, objective, full_refuel).run()
    found = _kernel_search(p, objective, full_refuel, max_labels, upper, upper_time)
    if found is None:
        return None
    if found.status != 0:  # a hop with more rest branches than the kernel holds
        return _Search(p, objective, full_refuel).run()
    sub = np.array(sorted({j for _, j in found.stops}), dtype=np.int64)
    small = restrict(p, sub, found.stops)
    value = found.time_h if objective == "time" else found.money
    upper = value + 1e-6 * max(1.0, abs(value))
    # replay the chain: the same model on its hops, keeping at each of its nodes only the
    # labels no worse than the chain's own, finds that plan; none above ``upper`` is made,
    # so whatever it finds is optimal too
    sol = _Search(
        small, objective, full_refuel, upper, _small_chain(p, small, sub, found.chain)
    ).run()
    if sol is None:  # not expected: float noise beyond the pins' room
        sol = _Search(small, objective, full_refuel, upper).run()
    if sol is None:  # not expected: the chain's plan is a plan of the restricted problem
        sol = _Search(small, objective, full_refuel).run()
    if sol is None:  # cannot happen
        return _Search(p, objective, full_refuel).run()
    for stop in sol.stops:
        stop.station = int(sub[stop.station])
    for b in sol.breaks:
        if b.station is not None:
            b.station = int(sub[b.station])
    sol.states_explored = found.explored
    return sol


@dataclass(slots=True)
class Optimum:
    """An optimal plan's value and stops, without the plan written out (:func:`optimum`)."""

    stops: list[tuple[int, int]]
    """``(leg, station)`` of each stop, in order."""
    duration_h: float
    cost: float
    explored: int


def optimum(
    p: RefuelProblem,
    objective: Objective = "time",
    *,
    full_refuel: bool = False,
    max_labels: int = MAX_LABELS,
    upper: float = math.inf,
    upper_time: float = math.inf,
) -> Optimum | None:
    """The hours, money and stops of the plan the compiled :func:`solve` finds, without
    replaying it in Python to write the plan: what a bound needs. ``None``: no plan."""
    found = _kernel_search(p, objective, full_refuel, max_labels, upper, upper_time)
    if found is None:
        return None
    if found.status == 0:
        return Optimum(list(found.stops), found.time_h, found.money, found.explored)
    sol = _Search(p, objective, full_refuel).run()  # more rest branches than the kernel holds
    if sol is None:
        return None
    stops = [(s.leg, s.station) for s in sol.stops]
    return Optimum(stops, sol.duration_h, sol.cost, sol.states_explored)


def _kernel_search(
    p: RefuelProblem,
    objective: Objective,
    full_refuel: bool,
    max_labels: int,
    upper: float,
    upper_time: float,
) -> refuelrun.KernelResult | None:
    """The compiled search of :func:`solve` (``None``: no plan; status 3: too many rest
    branches on one hop, for the Python search)."""
    if _timed(p) and not reachable(p):
        return None  # rather than searching the clock-dependent levels to the label budget
    from h2lane.routing import refuelrun

    if (
        objective == "cost"
        and p.rest.enabled
        and not math.isfinite(upper_time)
        and p.n_stations > TWO_PHASE_FROM
        and (p.wp_due_h is None or not np.any(np.isfinite(p.wp_due_h)))
    ):
        upper, upper_time = _cost_bounds(p, full_refuel, max_labels, upper)
    found = refuelrun.run(p, objective, full_refuel, max_labels, upper, upper_time)
    if found.status == 1 and (math.isfinite(upper) or math.isfinite(upper_time)):
        # not expected: the bound was no plan's
        found = refuelrun.run(p, objective, full_refuel, max_labels)
    if found.status == 1:
        return None
    return found


def _cost_bounds(
    p: RefuelProblem, full_refuel: bool, max_labels: int, upper: float
) -> tuple[float, float]:
    """``(money, hours)`` bounds of the cheapest plan of ``p`` under its rest rules, without
    due times: the money of the cheapest plan without rests (rests and waits change neither
    which plans exist nor what they cost) and the hours, with rests, of the cheapest plan
    over that plan's stops when it costs as much (else ``inf``), each with slack."""
    import dataclasses

    from h2lane.routing import refuelrun

    relaxed = dataclasses.replace(p, rest=RestRules.off())
    cheap = refuelrun.run(relaxed, "cost", full_refuel, max_labels, upper)
    if cheap.status != 0:
        return upper, math.inf
    money = cheap.money + 1e-6 * max(1.0, abs(cheap.money))
    sub = np.array(sorted({j for _, j in cheap.stops}), dtype=np.int64)
    timed = refuelrun.run(restrict(p, sub, cheap.stops), "cost", full_refuel, max_labels)
    if timed.status != 0 or timed.money > money:
        return min(upper, money), math.inf
    return min(upper, money), timed.time_h + 1e-6 * max(1.0, timed.time_h)


def _small_chain(
    p: RefuelProblem,
    small: RefuelProblem,
    sub: NDArray,
    chain: list[tuple[int, float, float, float, float, float]],
) -> list[tuple[int, float, float, float, float, float]]:
    """The kernel's label chain on ``p`` with its nodes renumbered for ``small``, the
    problem :func:`restrict` makes over the stations ``sub``."""
    n, L = small.n_stations, small.n_legs
    where = {int(j): i for i, j in enumerate(sub)}
    out: list[tuple[int, float, float, float, float, float]] = []
    for node, level, t, m, c, d in chain:
        if node == 0:
            v = 0
        elif node == 1 + L * p.n_stations:
            v = 1 + L * n
        else:
            k, j = divmod(int(node) - 1, p.n_stations)
            v = 1 + k * n + where[j]
        out.append((v, level, t, m, c, d))
    return out


def restrict(p: RefuelProblem, sub: NDArray, stops: list[tuple[int, int]]) -> RefuelProblem:
    """``p`` over the stations ``sub``, each usable only in the legs ``stops`` names."""
    import dataclasses

    L = p.n_legs
    where = {int(j): i for i, j in enumerate(sub)}
    allowed = np.zeros((L, len(sub)), dtype=bool)
    for k, j in stops:
        allowed[k, where[j]] = True
    wp_to_st = np.where(allowed, p.wp_to_st[:, sub], np.inf)
    st_to_wp = np.where(allowed, p.st_to_wp[:, sub], np.inf)
    return dataclasses.replace(
        p,
        wp_to_st=wp_to_st,
        st_to_wp=st_to_wp,
        st_st=p.st_st[np.ix_(sub, sub)],
        price=p.price[sub],
        fill_h_per_kg=p.fill_h_per_kg[sub],
        connect_h=p.connect_h[sub],
        open_h=p.open_h[sub],
        close_h=p.close_h[sub],
        queue_h=None if p.queue_h is None else np.asarray(p.queue_h).reshape(-1, 24)[sub],
    )


def max_hop_km(p: RefuelProblem, leg: int) -> float:
    """Distance a full tank covers above the reserve on ``leg``."""
    rate = float(p.kg_per_km[leg])
    return math.inf if rate <= 0 else (p.tank_kg - p.reserve_kg) / rate
