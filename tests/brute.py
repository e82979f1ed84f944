"""Independent reference for the refuelling planner: enumerate stop sequences, solve amounts by LP."""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import linprog

from h2lane.routing.refuel import RefuelProblem


def _leg_sequences(n: int, max_stops: int):
    for k in range(max_stops + 1):
        yield from itertools.permutations(range(n), k)


def brute_force(
    p: RefuelProblem, objective: str, full_refuel: bool = False, max_stops: int = 4
) -> float:
    """Best objective value over all stop sequences (all stations always open)."""
    L, n = p.n_legs, p.n_stations
    best = math.inf
    per_leg = [list(_leg_sequences(n, max_stops)) for _ in range(L)]
    for combo in itertools.product(*per_leg):
        # walk the route: list of (km, kg) between consecutive stops, stops as (station)
        stops: list[int] = []
        seg_km: list[float] = []
        seg_kg: list[float] = []
        acc_km = acc_kg = 0.0
        for k, seq in enumerate(combo):
            prev = ("wp", k)
            for j in seq:
                d = p.wp_to_st[k, j] if prev[0] == "wp" else p.st_st[prev[1], j]
                acc_km += d
                acc_kg += d * p.kg_per_km[k]
                seg_km.append(acc_km)
                seg_kg.append(acc_kg)
                acc_km = acc_kg = 0.0
                stops.append(j)
                prev = ("st", j)
            d = p.leg_km[k] if prev[0] == "wp" else p.st_to_wp[k, prev[1]]
            acc_km += d
            acc_kg += d * p.kg_per_km[k]
        seg_km.append(acc_km)
        seg_kg.append(acc_kg)
        total_km = sum(seg_km)
        drive_h = total_km / p.speed_kmh
        m = len(stops)
        fuel_before = np.cumsum(seg_kg)  # consumption up to each stop and to the end
        if full_refuel:
            level, money, time_h, ok = p.start_kg, 0.0, drive_h, True
            for i, j in enumerate(stops):
                level -= seg_kg[i]
                if level < p.reserve_kg - 1e-9:
                    ok = False
                    break
                buy = p.tank_kg - level
                money += buy * p.price[j]
                time_h += p.connect_h[j] + buy * p.fill_h_per_kg[j]
                level = p.tank_kg
            level -= seg_kg[-1]
            if ok and level >= p.reserve_kg - 1e-9:
                best = min(best, time_h if objective == "time" else money)
            continue
        if m == 0:
            if p.start_kg - fuel_before[-1] >= p.reserve_kg - 1e-9:
                best = min(best, drive_h if objective == "time" else 0.0)
            continue
        # variables q_0..q_{m-1} >= 0
        # arrival at stop i: start + sum_{j<i} q_j - fuel_before[i] >= reserve
        # after buying:      start + sum_{j<=i} q_j - fuel_before[i] <= tank
        # end:               start + sum q - fuel_before[m] >= reserve
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
            const = drive_h + sum(p.connect_h[j] for j in stops)
        else:
            c = np.array([p.price[j] for j in stops], dtype=float)
            const = 0.0
        res = linprog(
            c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=[(0, None)] * m, method="highs"
        )
        if res.status == 0:
            best = min(best, res.fun + const)
    return best


def random_problem(
    rng: np.random.Generator, n_stations: int, n_legs: int, tank: float | None = None
) -> RefuelProblem:
    """Waypoints and stations in the plane with Euclidean distances (a metric)."""
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
        fill_h_per_kg=1.0 / rng.choice([216.0, 324.0], size=n_stations),
        connect_h=rng.choice([0.05, 0.1, 0.25], size=n_stations),
        open_h=np.zeros(n_stations),
        close_h=np.full(n_stations, 24.0),
        speed_kmh=60.0,
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
