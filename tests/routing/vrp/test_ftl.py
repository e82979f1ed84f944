"""Full-truckload tasks on the VRP engine: search vs brute force, checker, tie-breaks, reasons."""

import dataclasses
import itertools
import math

import numpy as np
import pytest

from h2lane.routing.rest import RestRules
from h2lane.routing.vrp.ftl import (
    Evaluator,
    FTLInstance,
    FTLOrder,
    FTLStation,
    FTLTruck,
    FTLTruckType,
    empty_km_lower_bound,
    solve_ftl,
)
from h2lane.routing.vrp.ftlcheck import check_ftl

PENGFEI = FTLTruckType("pengfei", 58.0, 0.09, 0.055, 31.0, 60.0, 500.0, 120.0, 1.0)
LEGACY = FTLTruckType("legacy", 40.0, 0.09, 0.055, 25.0, 60.0, 300.0, 100.0, 1.0)


def _plane(rng, n_loc, n_st, span=450.0):
    """Random points in a square; km = 1.2 × Euclidean (a road factor, symmetric)."""
    xy = rng.uniform(0, span, size=(n_loc + n_st, 2))
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) * 1.2
    return d


def _random_instance(seed, n_orders, objective="time", rest=True, return_to_depot=True):
    rng = np.random.default_rng(seed)
    n_loc, n_st = 4, 6
    km = _plane(rng, n_loc, n_st)
    stations = [
        FTLStation(f"S{i}", float(rng.choice([35.0, 55.0, 60.0])), 0.25, 1 / 216, 0.0, 24.0)
        for i in range(n_st)
    ]
    stations[0] = dataclasses.replace(stations[0], open_h=7.0, close_h=19.0)
    trucks = [FTLTruck("A", 0, 0), FTLTruck("B", 1, 1)]
    orders = []
    for k in range(n_orders):
        o, d = (int(x) for x in rng.choice(n_loc, size=2, replace=False))
        ready = float(rng.uniform(0, 48))
        due = ready + km[o, d] / 60.0 + float(rng.uniform(20, 60))
        tonnes = float(rng.choice([20.0, 25.0, 31.0]))
        orders.append(FTLOrder(f"O{k}", o, d, tonnes, ready, due, load_h=0.5, unload_h=0.5))
    return FTLInstance(
        f"rand{seed}",
        [f"L{i}" for i in range(n_loc)],
        stations,
        km,
        [PENGFEI, LEGACY],
        trucks,
        orders,
        rest=RestRules() if rest else RestRules.off(),
        objective=objective,
        return_to_depot=return_to_depot,
    )


def _brute_force(inst):
    """Best total key over every assignment of every order to one of the trucks and every
    sequence per truck (None when no plan serves them all)."""
    ev = Evaluator(inst)
    n, m = len(inst.orders), len(inst.trucks)
    memo = {}

    def best_route(t, subset):
        key = (t, subset)
        if key not in memo:
            memo[key] = min(
                (ev.cost(t, list(p)) for p in itertools.permutations(subset)), default=0.0
            )
        return memo[key]

    best = math.inf
    for owner in itertools.product(range(m), repeat=n):
        total = 0.0
        for t in range(m):
            total += best_route(t, tuple(k for k in range(n) if owner[k] == t))
            if total >= best:
                break
        best = min(best, total)
    return best if math.isfinite(best) else None


def _solution_key(inst, sol):
    ev = Evaluator(inst)
    return sum(ev.cost(p.truck, p.orders) for p in sol.routes)


@pytest.mark.parametrize(
    ("seed", "n_orders", "objective", "rest"),
    [
        (1, 3, "time", True),
        (2, 4, "time", True),
        (3, 4, "cost", True),
        (4, 5, "time", False),
        (5, 5, "total-cost", True),
        (6, 4, "cost", False),
        (7, 5, "time", True),
        (8, 3, "total-cost", False),
    ],
)
def test_search_matches_brute_force_on_small_cases(seed, n_orders, objective, rest):
    inst = _random_instance(seed, n_orders, objective, rest)
    best = _brute_force(inst)
    sol = solve_ftl(inst, time_limit=60.0, max_iterations=400, seed=seed)
    report = check_ftl(inst, sol.routes)
    assert report.ok, report.violations
    if best is None:
        assert sol.unserved  # no plan serves every order: someone is left out
        return
    assert not sol.unserved
    assert _solution_key(inst, sol) == pytest.approx(best, rel=1e-9, abs=1e-9)
    # the reported totals are the checker's
    assert sol.truck_hours == pytest.approx(report.truck_hours)
    assert sol.km == pytest.approx(report.km)
    assert sol.h2_cost == pytest.approx(report.h2_cost)


def test_brute_force_cases_are_not_trivial():
    """The cases above need sequencing and refuelling: the search's first plan is not always
    optimal, and routes stop at stations on loaded and empty legs."""
    stops_loaded = stops_empty = 0
    for seed in range(1, 9):
        inst = _random_instance(seed, 4)
        sol = solve_ftl(inst, time_limit=60.0, max_iterations=200, seed=seed)
        for p in sol.routes:
            loaded = False
            for v in p.visits:
                if v.kind == "pickup":
                    loaded = True
                elif v.kind == "delivery":
                    loaded = False
                elif v.kind == "station":
                    stops_loaded += loaded
                    stops_empty += not loaded
    assert stops_loaded > 0 and stops_empty > 0


def _line(tank=1000.0, rest=False, objective="time"):
    """Depot X and port Y 300 km apart (5 h), no refuelling needed (tank large)."""
    km = np.array([[0.0, 300.0, 150.0], [300.0, 0.0, 150.0], [150.0, 150.0, 0.0]])
    ty = FTLTruckType("big", tank, 0.09, 0.055, 31.0, 60.0)
    return FTLInstance(
        "line",
        ["X", "Y"],
        [FTLStation("S", 55.0, 0.25, 1 / 216)],
        km,
        [ty],
        [FTLTruck("A", 0, 0), FTLTruck("B", 0, 0)],
        [],
        rest=RestRules() if rest else RestRules.off(),
        objective=objective,
    )


@pytest.mark.parametrize("objective", ["cost", "total-cost", "time"])
def test_equal_hydrogen_ties_are_broken_by_truck_hours(objective):
    """One truck serving both orders waits 5 h at the origin for the second one; two trucks
    burn the same hydrogen (the same legs) in 20 truck-hours instead of 25."""
    inst = _line(objective=objective)
    inst.orders = [
        FTLOrder("EARLY", 0, 1, 31.0, 0.0, 6.0),
        FTLOrder("LATE", 0, 1, 31.0, 15.0, 21.0),
    ]
    ev = Evaluator(inst)
    one = ev.plan(0, [0, 1])
    assert one is not None and one.hours == pytest.approx(25.0)
    sol = solve_ftl(inst, time_limit=30.0, max_iterations=200)
    assert sorted(p.orders for p in sol.routes) == [[0], [1]]
    assert sol.truck_hours == pytest.approx(20.0)
    assert sol.km == pytest.approx(one.km)  # same legs, same hydrogen


def test_fleet_balance_breaks_remaining_ties():
    """Back-to-back on one truck or one order each: 20 h either way; the balanced plan wins."""
    inst = _line()
    inst.orders = [FTLOrder("A1", 0, 1, 31.0, 0.0, 6.0), FTLOrder("A2", 0, 1, 31.0, 10.0, 16.0)]
    ev = Evaluator(inst)
    assert ev.plan(0, [0, 1]).hours == pytest.approx(20.0)
    sol = solve_ftl(inst, time_limit=30.0, max_iterations=200)
    assert sorted(p.orders for p in sol.routes) == [[0], [1]]
    assert sol.truck_hours == pytest.approx(20.0)


def test_loaded_leg_longer_than_a_tank_refuels_and_rests():
    """634 km loaded at 9 kg/100 km is more than 53 usable kg: a stop on the loaded leg;
    10.6 h of driving: a break and a daily rest, replayed by the checker."""
    km = np.array(
        [
            [0.0, 634.0, 300.0, 420.0],
            [634.0, 0.0, 340.0, 220.0],
            [300.0, 340.0, 0.0, 130.0],
            [420.0, 220.0, 130.0, 0.0],
        ]
    )
    inst = FTLInstance(
        "corridor",
        ["Xiaoyi", "Port"],
        [FTLStation("mid", 45.0, 0.25, 1 / 216), FTLStation("late", 55.0, 0.25, 1 / 216)],
        km,
        [PENGFEI],
        [FTLTruck("T", 0, 0)],
        [FTLOrder("C1", 0, 1, 31.0, 6.0, 60.0)],
    )
    sol = solve_ftl(inst, time_limit=10.0, max_iterations=50)
    (plan,) = sol.routes
    kinds = [v.kind for v in plan.visits]
    first_station = kinds.index("station")
    assert kinds.index("pickup") < first_station < kinds.index("delivery")
    assert {b.kind for b in plan.breaks} >= {"daily-rest"}
    assert check_ftl(inst, sol.routes).ok


def _tampered(inst, sol, change):
    routes = [
        dataclasses.replace(p, visits=[dataclasses.replace(v) for v in p.visits])
        for p in sol.routes
    ]
    change(routes)
    return check_ftl(inst, routes)


def test_checker_rejects_broken_plans():
    inst = _random_instance(2, 4)
    sol = solve_ftl(inst, time_limit=30.0, max_iterations=100)
    assert check_ftl(inst, sol.routes).ok

    def less_fuel(routes):
        v = next(v for p in routes for v in p.visits if v.kind == "station")
        v.kg -= 3.0

    def late(routes):
        p = routes[0]
        k = p.orders[0]
        inst.orders[k] = dataclasses.replace(inst.orders[k], due_h=-1.0)

    def faster(routes):
        v = routes[0].visits[2]
        v.arrive -= 0.5

    def twice(routes):
        routes.append(routes[0])

    def no_breaks(routes):
        for p in routes:
            p.breaks = []

    for change in (less_fuel, faster, twice, no_breaks):
        assert not _tampered(inst, sol, change).ok, change.__name__
    assert not _tampered(inst, sol, late).ok


def test_unserved_orders_have_reasons():
    inst = _line(tank=58.0)
    inst.trucks = [FTLTruck("A", 0, 0)]
    inst.orders = [
        FTLOrder("HEAVY", 0, 1, 40.0, 0.0, 100.0),
        FTLOrder("RUSH", 0, 1, 31.0, 0.0, 2.0),
        FTLOrder("OK1", 0, 1, 31.0, 0.0, 6.0),
        FTLOrder("OK2", 0, 1, 31.0, 0.0, 6.0),
    ]
    sol = solve_ftl(inst, time_limit=10.0, max_iterations=50)
    reasons = {inst.orders[u.order].id: u.reason for u in sol.unserved}
    assert reasons["HEAVY"] == "payload" and reasons["RUSH"] == "time_window"
    assert sorted(reasons) == ["HEAVY", "OK1", "RUSH"] or sorted(reasons) == [
        "HEAVY",
        "OK2",
        "RUSH",
    ]
    fleet = [u for u in sol.unserved if u.reason == "fleet"]
    assert len(fleet) == 1 and "OK" in fleet[0].message
    assert check_ftl(inst, sol.routes).ok


def test_empty_km_lower_bound_is_below_every_plan():
    for seed in range(1, 6):
        inst = _random_instance(seed, 5, rest=False)
        sol = solve_ftl(inst, time_limit=30.0, max_iterations=200, seed=seed)
        if sol.unserved:
            continue
        assert empty_km_lower_bound(inst) <= sol.empty_km + 1e-6


def test_open_routes_end_at_the_last_delivery():
    inst = _random_instance(3, 4, return_to_depot=False)
    sol = solve_ftl(inst, time_limit=30.0, max_iterations=100)
    assert check_ftl(inst, sol.routes).ok
    for p in sol.routes:
        assert p.visits[-1].kind == "delivery"
        assert p.finish == pytest.approx(p.visits[-1].depart)


def test_search_is_deterministic_for_a_seed_and_an_iteration_cap():
    inst = _random_instance(5, 5)
    a = solve_ftl(inst, time_limit=60.0, max_iterations=150, seed=3)
    b = solve_ftl(inst, time_limit=60.0, max_iterations=150, seed=3)
    assert [p.orders for p in a.routes] == [p.orders for p in b.routes]
    assert a.truck_hours == b.truck_hours


def test_truck_hours_lower_bound_is_below_every_plan():
    from h2lane.routing.vrp.ftl import truck_hours_lower_bound

    for seed in range(1, 6):
        inst = _random_instance(seed, 5)
        sol = solve_ftl(inst, time_limit=30.0, max_iterations=100, seed=seed)
        served = sorted(k for p in sol.routes for k in p.orders)
        bound = truck_hours_lower_bound(inst, served)
        assert 0 < bound <= sol.truck_hours + 1e-6


@pytest.mark.parametrize("explore", [0.0, 0.75, 1.0])
def test_search_never_serves_fewer_or_spends_more_than_its_construction(explore):
    from h2lane.routing.vrp.ftl import FTLParams

    for seed in range(1, 4):
        inst = _random_instance(seed, 9)
        params = FTLParams(explore_share=explore)
        sol = solve_ftl(inst, time_limit=60.0, max_iterations=120, seed=seed, params=params)
        served = sum(len(p.orders) for p in sol.routes)
        assert served >= sol.first_served
        if served == sol.first_served:
            assert sol.truck_hours <= sol.first_truck_hours + 1e-6
        assert check_ftl(inst, sol.routes).ok
