"""Driver rest rules in the VRP time model: checker timelines by hand, solver against enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from brute import set_partitions

from h2lane.errors import InfeasiblePlanError
from h2lane.routing.rest import RestRules
from h2lane.routing.vrp import (
    MaxIterations,
    VRPInstance,
    check_solution,
    find_unservable,
    solve_vrp,
)
from h2lane.routing.vrp.checker import check_result
from h2lane.routing.vrp.queues import schedule

# Depot D at 0 km, station S at 120 km, customers C at 180 km and F at -180 km; 60 km/h, hours.
# Defaults: 4 h driving, then a 20 min break; 8 h of driving a day.
BREAK = 1.0 / 3.0


def line(rest: RestRules | None = None, **kw) -> VRPInstance:
    x = np.array([0.0, 120.0, 180.0, -180.0])
    params: dict = dict(speed=60.0, refuel_fixed=0.1, time_unit="h", distance_unit="km")
    params.update(kw)
    return VRPInstance(
        name="rest-line",
        kinds=np.array([0, 2, 1, 1], dtype=np.int8),
        labels=["D", "S", "C", "F"],
        x=x,
        y=np.zeros(4),
        dist=np.abs(x[:, None] - x[None, :]),
        rest=RestRules() if rest is None else rest,
        **params,
    )


def route_kinds(rep) -> set[str]:
    """Violation kinds of the routes checked (customers left to other routes aside)."""
    return rep.kinds - {"unserved"}


def test_rest_is_off_by_default_and_costs_nothing_then() -> None:
    bare = VRPInstance(
        name="x",
        kinds=np.zeros(1, np.int8),
        labels=["D"],
        x=np.zeros(1),
        y=np.zeros(1),
        dist=np.zeros((1, 1)),
    )
    assert not bare.rest.enabled
    rep = check_solution(line(RestRules.off()), [[0, 2, 0]])
    assert not route_kinds(rep) and rep.duration == pytest.approx([6.0])


def test_break_taken_on_the_road() -> None:
    # D -> C 3 h, C -> D 3 h: after 4 h of driving (1 h into the way back) a 20 min break
    rep = check_solution(line(), [[0, 2, 0]])
    assert not route_kinds(rep), str(rep)
    assert rep.duration == pytest.approx([6.0 + BREAK])
    # a due time at the depot that the break makes the vehicle miss
    inst = line()
    inst.due[0] = 6.2
    assert not route_kinds(check_solution(line(RestRules.off(), due=inst.due.copy()), [[0, 2, 0]]))
    rep = check_solution(inst, [[0, 2, 0]])
    assert route_kinds(rep) == {"time_window"}, str(rep)


def test_station_stop_extended_to_the_break() -> None:
    route = [[0, 2, 1, 0]]  # D -> C 3 h, C -> S 1 h (4 h driven), stop 0.1 h, S -> D 2 h
    # not extended: the 6 min stop is no break, so the break comes on the road right away
    rep = check_solution(line(), route)
    assert not route_kinds(rep) and rep.duration == pytest.approx([3 + 1 + 0.1 + BREAK + 2])
    # extended: the stop lasts 20 min and is the break
    rep = check_solution(line(), route, rest_stops=[(0, 2)])
    assert not route_kinds(rep) and rep.duration == pytest.approx([3 + 1 + BREAK + 2])
    # a stop that is long anyway (here a queue wait) counts without being listed
    rep = check_solution(line(), route, waits={(0, 2): 0.5})
    assert not route_kinds(rep) and rep.duration == pytest.approx([3 + 1 + 0.5 + 0.1 + 2])
    # the schedule replays the same timeline
    s = schedule(line(), route, rest_stops=[(0, 2)])
    assert s.duration == pytest.approx([3 + 1 + BREAK + 2])
    s = schedule(line(), route)
    assert s.duration == pytest.approx([3 + 1 + 0.1 + BREAK + 2])
    # only station (charging) stops can hold the break
    rep = check_solution(line(), route, rest_stops=[(0, 1)])
    assert route_kinds(rep) == {"shape"} and "rest stop" in rep.violations[0].message


def test_daily_driving_limit() -> None:
    both = [[0, 2, 3, 0]]  # 12 h of driving
    rep = check_solution(line(), both)
    assert rep.kinds == {"rest"}, str(rep)
    (v,) = rep.violations
    assert v.message == (
        "Route 0 drives 12 h, more than the daily limit of 8 h (a route is one driving day)."
    )
    assert check_solution(line(RestRules(max_daily_drive_h=12.0)), both).ok
    assert check_solution(line(RestRules.off()), both).ok


def test_solver_respects_the_daily_limit() -> None:
    """Both customers on one route is 12 h of driving: the rule splits it in two routes."""
    off = line(RestRules.off(), objective="vehicles-distance")
    assert solve_vrp(off, stop=MaxIterations(50)).vehicles == 1
    on = line(objective="vehicles-distance")
    sol = solve_vrp(on, stop=MaxIterations(50))
    rep = check_result(on, sol)
    assert rep.ok, str(rep)
    assert sol.vehicles == 2


# ---------------------------------------------------------------------------- enumeration


def tiny(seed: int) -> VRPInstance:
    """Three customers, two stations, km and hours; windows tight enough for breaks to matter."""
    rng = np.random.default_rng(seed)
    n_cust = 3
    pts = rng.uniform(0, 240, size=(1 + n_cust + 2, 2))
    kinds = np.array([0] + [1] * n_cust + [2, 2], dtype=np.int8)
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    n = len(kinds)
    far = dist[0, 1 : 1 + n_cust].max()
    ready = np.zeros(n)
    due = np.full(n, np.inf)
    ready[1 : 1 + n_cust] = rng.uniform(0, 3, n_cust)
    due[1 : 1 + n_cust] = ready[1 : 1 + n_cust] + rng.uniform(1.5, 4, n_cust)
    due[0] = 9.5
    inst = VRPInstance(
        name=f"rest{seed}",
        kinds=kinds,
        labels=[str(i) for i in range(n)],
        x=pts[:, 0],
        y=pts[:, 1],
        dist=dist,
        speed=60.0,
        demand=np.r_[0, np.ones(n_cust), 0, 0],
        service=np.r_[0, np.full(n_cust, 0.25), 0, 0],
        ready=ready,
        due=due,
        tank=float(far * rng.uniform(1.1, 1.8)),
        load_capacity=3.0,
        refuel_fixed=0.1,
        time_unit="h",
        distance_unit="km",
        rest=RestRules(max_drive_h=2.0, break_min=30.0, max_daily_drive_h=6.0),
    )
    find_unservable(inst)
    return inst


def plausible(inst: VRPInstance, route: list[int]) -> bool:
    """Quick necessary conditions (range between charging stops, due times without any stop
    time) so that the checker only sees routes that may pass."""
    used, t = 0.0, float(inst.ready[0])
    for a, b in itertools.pairwise(route):
        used += inst.dist[a, b] * inst.consumption
        t += inst.dist[a, b] / inst.speed
        if used > inst.tank + 1e-9 or t > inst.due[b] + 1e-9:
            return False
        t = max(t, float(inst.ready[b])) + float(inst.service[b])
        if inst.kinds[b] == 2:
            used = 0.0
    return True


def best_route(inst: VRPInstance, subset: tuple[int, ...]) -> float:
    """Shortest feasible route for ``subset``: every order, up to two stations per arc, and
    every choice of station stops at which the driver takes the break (the checker judges)."""
    stations = [int(s) for s in inst.stations]
    fillers = [()] + [(s,) for s in stations] + list(itertools.permutations(stations, 2))
    cands = []
    for perm in itertools.permutations(subset):
        stops = [0, *perm, 0]
        for choice in itertools.product(fillers, repeat=len(stops) - 1):
            route = [0]
            for k, c in enumerate(choice):
                route.extend(c)
                route.append(stops[k + 1])
            cands.append((sum(inst.dist[a, b] for a, b in itertools.pairwise(route)), route))
    cands.sort(key=lambda x: x[0])
    for d, route in cands:
        if not plausible(inst, route):
            continue
        at = [p for p in range(1, len(route) - 1) if inst.kinds[route[p]] == 2]
        for k in range(len(at) + 1):
            for rest_at in itertools.combinations(at, k):
                rep = check_solution(inst, [route], rest_stops=[(0, p) for p in rest_at])
                if all(v.kind == "unserved" for v in rep.violations):
                    return float(d)
    return math.inf


def exhaustive(inst: VRPInstance) -> float:
    custs = [int(c) for c in inst.customers if int(c) not in inst.unservable]
    cost = {
        sub: best_route(inst, sub)
        for k in range(1, len(custs) + 1)
        for sub in itertools.combinations(custs, k)
    }
    return min(sum(cost[tuple(b)] for b in p) for p in set_partitions(custs))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5, 6, 7, 14, 15])
def test_solver_matches_enumeration_with_rest_rules(seed: int) -> None:
    """(Seeds 4 and 9 leave every customer out of range or window and are not used.)"""
    inst = tiny(seed)
    assert len(inst.unservable) < len(inst.customers)
    best = exhaustive(inst)
    if not math.isfinite(best):  # some customer fits in no route of its own under the rules
        with pytest.raises(InfeasiblePlanError, match="fits in no route of its own"):
            solve_vrp(inst, stop=MaxIterations(50), seed=seed)
        return
    sol = solve_vrp(inst, stop=MaxIterations(300), seed=seed)
    rep = check_result(inst, sol)
    assert rep.ok, str(rep)
    assert sol.distance == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("seed", [2, 14])
def test_rest_rules_change_the_optimum(seed: int) -> None:
    """The enumeration test is not vacuous: on these seeds the rules lengthen the optimum."""
    inst = tiny(seed)
    on = exhaustive(inst)
    inst.rest = RestRules.off()
    find_unservable(inst)
    off = exhaustive(inst)
    assert math.isfinite(on) and on > off + 1.0


def test_solver_takes_the_break_at_the_station() -> None:
    """Only a route whose station stop is extended to the break is back by the due time."""
    x = np.array([0.0, 120.0, 180.0])  # D, S, C
    inst = VRPInstance(
        name="break-at-station",
        kinds=np.array([0, 2, 1], dtype=np.int8),
        labels=["D", "S", "C"],
        x=x,
        y=np.zeros(3),
        dist=np.abs(x[:, None] - x[None, :]),
        speed=60.0,
        tank=300.0,  # D -> C -> D (360 km) needs the station
        refuel_fixed=0.1,
        time_unit="h",
        due=np.array([6.4, np.inf, np.inf]),
        rest=RestRules(),
    )
    sol = solve_vrp(inst, stop=MaxIterations(30))
    rep = check_result(inst, sol)
    assert rep.ok, str(rep)
    (route,) = sol.routes
    assert sol.rest_stops == [(0, route.index(1))]
    assert rep.duration[0] == pytest.approx(6.0 + BREAK)
    # without the break at the station the same route is late
    late = check_solution(inst, sol.routes, departures=sol.departures)
    assert late.kinds == {"time_window"}, str(late)
