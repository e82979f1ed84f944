"""Exact refuelling-stop planning for one truck along a sequence of waypoints.

The truck drives waypoint 0 → 1 → … → L (origin, vias, destination). Between
consecutive waypoints it may detour to any station. The planner chooses the
stations and how much to buy at each, minimising total time or money.

Method
------
A *stop node* is "station j visited during leg k"; with the origin and the
destination they form a hop graph whose arcs carry the road distance and the
hydrogen needed between two consecutive stops (through any intermediate
waypoints). For a fixed sequence of stops the cheapest refuelling amounts
follow the gas-station structure (Khuller, Malekian & Mestre 2011): at every
stop the truck either fills the tank or buys just enough to reach the next stop
with the reserve. A label-setting search over states ``(stop node, arrival
level)`` with only those two departure levels therefore explores every
candidate optimum, and with lexicographic keys ``(objective, tie-break)`` it is
exact for both objectives:

* ``cost``: money = Σ price × kg; tie-break total time;
* ``time``: elapsed time = driving + waiting for opening hours + Σ (connect
  time + kg / nozzle flow); tie-break money.

Opening hours make waiting depend on arrival time; the search stays exact for
the arrival times it explores because waiting never lets a later arrival
leave earlier (FIFO). With ``full_refuel=True`` every stop fills the tank, the
classic station-graph shortest path.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Objective = Literal["time", "cost"]
EPS = 1e-9


@dataclass(slots=True)
class RefuelProblem:
    """Abstract instance: distances, consumption and station attributes.

    Attributes
    ----------
    leg_km
        ``(L,)`` road km from waypoint k to waypoint k+1.
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
        Departure time in hours after midnight of the first day.
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

    @property
    def n_legs(self) -> int:
        return len(self.leg_km)

    @property
    def n_stations(self) -> int:
        return len(self.price)


@dataclass(slots=True)
class PlannedStop:
    """One refuelling stop of a solution."""

    leg: int
    station: int
    km_from_start: float
    arrive_h: float
    wait_h: float
    refuel_h: float
    arrive_kg: float
    refuel_kg: float
    cost: float


@dataclass(slots=True)
class RefuelSolution:
    """Optimal stops and totals."""

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


def wait_hours(arrive_h: float, open_h: float, close_h: float) -> float:
    """Hours to wait at a station with a daily window, arriving at ``arrive_h``."""
    if close_h - open_h >= 24.0 - EPS:
        return 0.0
    t = arrive_h % 24.0
    for shift in (-24.0, 0.0):
        if open_h + shift - EPS <= t < close_h + shift:
            return 0.0
    return (open_h - t) % 24.0


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


@dataclass(slots=True, order=True)
class _Label:
    key: tuple[float, float]
    seq: int
    node: int = field(compare=False)
    level: float = field(compare=False)
    time_h: float = field(compare=False)
    money: float = field(compare=False)
    km: float = field(compare=False)
    parent: int = field(compare=False)
    # stop data at the *parent* node that led here (buy, wait, refuel time)
    buy: float = field(compare=False, default=0.0)
    wait: float = field(compare=False, default=0.0)
    fill: float = field(compare=False, default=0.0)
    arrive_parent_h: float = field(compare=False, default=0.0)


def solve(
    p: RefuelProblem, objective: Objective = "time", *, full_refuel: bool = False
) -> RefuelSolution | None:
    """Optimal refuelling plan, or ``None`` when no plan reaches the destination."""
    hops = StopGraph(p)
    tank, reserve = p.tank_kg, p.reserve_kg
    if p.start_kg < reserve - EPS:
        return None

    def key(time_h: float, money: float) -> tuple[float, float]:
        return (time_h, money) if objective == "time" else (money, time_h)

    labels: list[_Label] = []
    heap: list[_Label] = []
    settled: set[tuple[int, float]] = set()
    best_seen: dict[tuple[int, float], tuple[float, float]] = {}
    arcs_cache: dict[int, tuple[NDArray, NDArray, NDArray]] = {}

    def push(lab: _Label) -> None:
        state = (lab.node, round(lab.level, 6))
        if state in settled:
            return
        prev = best_seen.get(state)
        if prev is not None and prev <= lab.key:
            return
        best_seen[state] = lab.key
        lab.seq = len(labels)
        labels.append(lab)
        heapq.heappush(heap, lab)

    push(_Label(key(0.0, 0.0), 0, 0, p.start_kg, 0.0, 0.0, 0.0, -1))
    explored = 0
    while heap:
        lab = heapq.heappop(heap)
        state = (lab.node, round(lab.level, 6))
        if state in settled:
            continue
        settled.add(state)
        explored += 1
        if lab.node == hops.dest:
            return _reconstruct(p, hops, labels, lab, objective, explored)
        if lab.node not in arcs_cache:
            arcs_cache[lab.node] = hops.out_arcs(lab.node)
        succ, km, kg = arcs_cache[lab.node]
        now = p.depart_h + lab.time_h
        if lab.node == 0:
            ok = kg <= lab.level - reserve + EPS
            for b, d, f in zip(succ[ok], km[ok], kg[ok], strict=True):
                drive = d / p.speed_kmh
                push(
                    _Label(
                        key(lab.time_h + drive, lab.money),
                        0,
                        int(b),
                        lab.level - f,
                        lab.time_h + drive,
                        lab.money,
                        lab.km + d,
                        lab.seq,
                    )
                )
            continue
        _, i = hops.leg_station(lab.node)
        wait = wait_hours(now, p.open_h[i], p.close_h[i])
        ok = kg <= tank - reserve + EPS
        for b, d, f in zip(succ[ok], km[ok], kg[ok], strict=True):
            targets = (tank,) if full_refuel else (tank, reserve + f)
            for depart_level in targets:
                if depart_level < reserve + f - EPS:
                    continue
                buy = depart_level - lab.level
                if buy <= EPS:
                    continue  # buying nothing is not a stop; the direct hop covers it
                fill = p.connect_h[i] + buy * p.fill_h_per_kg[i]
                money = lab.money + buy * p.price[i]
                time_h = lab.time_h + wait + fill + d / p.speed_kmh
                push(
                    _Label(
                        key(time_h, money),
                        0,
                        int(b),
                        depart_level - f,
                        time_h,
                        money,
                        lab.km + d,
                        lab.seq,
                        buy,
                        wait,
                        fill,
                        now,
                    )
                )
                if full_refuel:
                    break
    return None


def _reconstruct(
    p: RefuelProblem,
    hops: StopGraph,
    labels: list[_Label],
    end: _Label,
    objective: Objective,
    explored: int,
) -> RefuelSolution:
    chain: list[_Label] = []
    lab: _Label | None = end
    while lab is not None:
        chain.append(lab)
        lab = labels[lab.parent] if lab.parent >= 0 else None
    chain.reverse()
    stops: list[PlannedStop] = []
    bought = 0.0
    for prev, nxt in itertools.pairwise(chain):
        if prev.node == 0:
            continue
        k, j = hops.leg_station(prev.node)
        stops.append(
            PlannedStop(
                leg=k,
                station=j,
                km_from_start=prev.km,
                arrive_h=nxt.arrive_parent_h,
                wait_h=nxt.wait,
                refuel_h=nxt.fill,
                arrive_kg=prev.level,
                refuel_kg=nxt.buy,
                cost=nxt.buy * float(p.price[j]),
            )
        )
        bought += nxt.buy
    drive_h = end.km / p.speed_kmh
    return RefuelSolution(
        stops=stops,
        distance_km=end.km,
        duration_h=end.time_h,
        drive_h=drive_h,
        cost=end.money,
        h2_used_kg=p.start_kg + bought - end.level,
        end_kg=end.level,
        states_explored=explored,
        objective=objective,
    )


def max_hop_km(p: RefuelProblem, leg: int) -> float:
    """Distance a full tank covers above the reserve on ``leg``."""
    rate = float(p.kg_per_km[leg])
    return math.inf if rate <= 0 else (p.tank_kg - p.reserve_kg) / rate
