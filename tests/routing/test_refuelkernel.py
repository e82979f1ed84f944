"""The compiled search equals the Python search on random cases with every option."""

import math

import numpy as np
import pytest
from brute import random_problem, random_queues, small_rules

from h2lane.errors import ResourceLimitError
from h2lane.routing import refuelkernel, refuelrun
from h2lane.routing.refuel import RefuelProblem, solve
from h2lane.routing.rest import RestRules


def _case(seed: int) -> RefuelProblem:
    """Random stations (2–16), legs (1–3), rests (off / statutory / small), windows, due times."""
    rng = np.random.default_rng(10_000 + seed)
    n = int(rng.integers(2, 17))
    legs = int(rng.integers(1, 4))
    rest = [RestRules.off(), RestRules(), small_rules(rng)][seed % 3]
    p = random_problem(rng, n_stations=n, n_legs=legs, rest=rest, windows=seed % 2 == 0)
    if seed % 4 == 1 and legs > 1:
        step = rng.uniform(2.0, 5.0)
        p.wp_ready_h = np.array(
            [-np.inf, *[p.depart_h + step * k + rng.uniform(0, 2) for k in range(1, legs)], -np.inf]
        )
        p.wp_due_h = np.array(
            [np.inf, *[p.depart_h + step * k + rng.uniform(1, 8) for k in range(1, legs + 1)]]
        )
    return p


def _key(sol, objective):
    return (sol.duration_h, sol.cost) if objective == "time" else (sol.cost, sol.duration_h)


def _same(p, objective, full):
    """The compiled and the Python search find the same optimum (or both none)."""
    ref = solve(p, objective, full_refuel=full, compiled=False)
    got = solve(p, objective, full_refuel=full, compiled=True)
    assert (ref is None) == (got is None)
    if ref is not None:
        a, b = _key(ref, objective), _key(got, objective)
        assert b[0] == pytest.approx(a[0], rel=1e-7, abs=1e-6)
        assert b[1] == pytest.approx(a[1], rel=1e-6, abs=1e-5)


CASES = [
    (seed, obj, full) for seed in range(45) for obj in ("time", "cost") for full in (False, True)
]


@pytest.mark.parametrize(("seed", "objective", "full"), CASES)
def test_compiled_equals_python(seed, objective, full):
    p = _case(seed)
    ref = solve(p, objective, full_refuel=full, compiled=False)
    got = solve(p, objective, full_refuel=full, compiled=True)
    if ref is None:
        assert got is None
        return
    assert got is not None
    a, b = _key(ref, objective), _key(got, objective)
    assert b[0] == pytest.approx(a[0], rel=1e-7, abs=1e-6)
    assert b[1] == pytest.approx(a[1], rel=1e-6, abs=1e-5)
    # the plan written from the chain is a whole plan of the full problem
    assert got.end_kg >= p.reserve_kg - 1e-6
    for s in got.stops:
        assert 0 <= s.station < p.n_stations
        assert s.arrive_kg >= p.reserve_kg - 1e-6
        assert s.arrive_kg + s.refuel_kg <= p.tank_kg + 1e-6


QUEUE_CASES = [
    (seed, obj, full) for seed in range(24) for obj in ("time", "cost") for full in (False, True)
]


@pytest.mark.parametrize(("seed", "objective", "full"), QUEUE_CASES)
def test_compiled_equals_python_with_station_queues(seed, objective, full):
    """Random hourly queue profiles (not FIFO as given) on the random cases above."""
    p = _case(seed)
    p.queue_h = random_queues(np.random.default_rng(30_000 + seed), p.n_stations)
    _same(p, objective, full)


def test_queue_cases_queue():
    queued = 0
    for seed in range(24):
        p = _case(seed)
        p.queue_h = random_queues(np.random.default_rng(30_000 + seed), p.n_stations)
        sol = solve(p, "time", compiled=True)
        queued += sol is not None and any(s.queue_h > 0 for s in sol.stops)
    assert queued >= 5


def test_random_cases_cover_stops_rests_and_infeasibility():
    stops = rests = none = 0
    for seed in range(45):
        sol = solve(_case(seed), "time", compiled=True)
        if sol is None:
            none += 1
            continue
        stops += bool(sol.stops)
        rests += bool(sol.breaks)
    assert stops >= 15 and rests >= 8 and none >= 2


def test_kernel_result_names_the_chain():
    p = _case(3)
    found = refuelrun.run(p, "cost", False, 10**6)
    assert found.status == 0
    sol = solve(p, "cost", compiled=False)
    assert sol is not None
    assert found.money == pytest.approx(sol.cost, abs=1e-6)
    assert all(0 <= j < p.n_stations and 0 <= k < p.n_legs for k, j in found.stops)
    assert len(found.stops) == len(sol.stops)


def test_label_budget_gives_one_sentence():
    rng = np.random.default_rng(5)
    p = random_problem(rng, n_stations=30, n_legs=3, rest=RestRules(), windows=True)
    with pytest.raises(ResourceLimitError) as err:
        solve(p, "cost", compiled=True, max_labels=50)
    text = str(err.value)
    assert "limit of 50 labels" in text and "\n" not in text
    assert err.value.details["max_labels"] == 50


def test_no_plan_below_the_reserve():
    p = _case(0)
    p.start_kg = p.reserve_kg - 1.0
    assert solve(p, "time", compiled=True) is None
    assert math.isfinite(p.tank_kg)


MEDIUM = [
    (seed, obj, full, rest)
    for seed in range(3)
    for obj, rest in (("time", False), ("cost", False), ("time", True))
    for full in (False, True)
]


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "objective", "full", "rest"), MEDIUM)
def test_medium_cases_equal_the_python_search(seed, objective, full, rest):
    """30–60 stations, three legs, opening hours: the compiled search (with its cross-level
    dominance) against the Python search, which prunes only within one (node, level)."""
    rng = np.random.default_rng(20_000 + seed)
    n = int(rng.integers(30, 61))
    p = random_problem(
        rng, n_stations=n, n_legs=3, rest=RestRules() if rest else RestRules.off(), windows=True
    )
    _same(p, objective, full)


BOUND_CASES = [
    (seed, obj, full) for seed in range(45) for obj in ("time", "cost") for full in (False, True)
]


@pytest.mark.parametrize(("seed", "objective", "full"), BOUND_CASES)
def test_bounds_at_the_optimum_keep_it(seed, objective, full):
    """The A* bounds are admissible along the optimal plan: with ``upper`` set to the
    optimum itself (and, for cost, ``upper_time`` to its hours) every label of that plan
    survives the pruning, so the search still finds the optimum without its fallback."""
    p = _case(seed)
    ref = solve(p, objective, full_refuel=full, compiled=False)
    if ref is None:
        return
    value = ref.duration_h if objective == "time" else ref.cost
    upper = value + 1e-9 * max(1.0, abs(value))
    hours = ref.duration_h + 1e-9 * max(1.0, ref.duration_h) if objective == "cost" else math.inf
    found = refuelrun.run(p, objective, full, 10**7, upper, hours)
    assert found.status == 0
    assert found.time_h == pytest.approx(ref.duration_h, rel=1e-7, abs=1e-6)
    assert found.money == pytest.approx(ref.cost, rel=1e-6, abs=1e-5)
    # and a bound just below the optimum leaves no plan: the pruning is not idle
    below = value - 1e-3 * max(1.0, abs(value))
    assert refuelrun.run(p, objective, full, 10**7, below).status == 1


@pytest.mark.parametrize("seed", range(45))
def test_time_bound_at_the_origin_is_below_the_optimum(seed):
    """The kernel's time bound (driving, stops, forced rests) from the origin never
    exceeds the optimum, and counts the stops: above the bare driving when one is needed."""
    p = _case(seed)
    for full in (False, True):
        ref = solve(p, "time", full_refuel=full, compiled=False)
        if ref is None:
            continue
        r = p.rest
        drive = float(np.sum(p.leg_km)) / p.speed_kmh
        need = float(np.sum(p.leg_km * p.kg_per_km)) + p.reserve_kg - p.start_kg
        lb = refuelkernel._time_lb(
            drive * (1.0 - 1e-12),
            need,
            math.nan,
            0.0,
            p.tank_kg - p.reserve_kg,
            float(np.min(p.connect_h)),
            float(np.min(p.fill_h_per_kg)),
            r.enabled,
            0.0,
            0.0,
            r.max_drive_h if r.enabled else math.inf,
            r.max_daily_drive_h if r.enabled else math.inf,
            r.break_h,
            r.daily_rest_h,
        )
        assert lb <= ref.duration_h + 1e-9
        if need > 1e-3 and not r.enabled:
            assert lb > drive + float(np.min(p.connect_h)) - 1e-9


# --- bounds from the destination backwards (issue 9) ------------------------------------


def _kernel_sums(p):
    """The waypoint sums the kernel works with, in its order."""
    L = p.n_legs
    rate = np.asarray(p.kg_per_km, float)
    leg_km = np.asarray(p.leg_km, float)
    leg_fuel = leg_km * rate
    rest_km, rest_fuel = np.zeros(L + 1), np.zeros(L + 1)
    cum_km, cum_fuel = np.zeros(L + 1), np.zeros(L + 1)
    for k in range(L - 1, -1, -1):
        rest_km[k] = rest_km[k + 1] + leg_km[k]
        rest_fuel[k] = rest_fuel[k + 1] + leg_fuel[k]
    for k in range(L):
        cum_km[k + 1] = cum_km[k] + leg_km[k]
        cum_fuel[k + 1] = cum_fuel[k] + leg_fuel[k]
    return cum_km, cum_fuel, rest_km, rest_fuel, rate


def _kernel_rows(p, cost, full, need_time=True):
    L, n = p.n_legs, p.n_stations
    cum_km, cum_fuel, rest_km, rest_fuel, rate = _kernel_sums(p)
    geo = (
        np.ascontiguousarray(p.wp_to_st, float).reshape(L, n),
        np.ascontiguousarray(p.st_to_wp, float).reshape(L, n),
        np.ascontiguousarray(p.st_st, float),
        rate,
    )
    common = (float(p.tank_kg), float(p.reserve_kg), cum_km, cum_fuel, rest_km, rest_fuel)
    arcs = refuelkernel._rev_arcs(L, n, *common, *geo, True)
    return refuelkernel._reverse_bounds(
        L,
        n,
        float(p.start_kg),
        *common,
        *geo,
        np.asarray(p.price, float),
        cost,
        full,
        need_time,
        arcs,
    )


def _reference_rows(p):
    """Bellman–Ford over ``StopGraph.out_arcs`` (the Python search's hops): least km, kg and
    stations to the destination, the full-refuel money (each later stop buys the hop that
    reaches it) and the running-lowest-price money, by node."""
    from h2lane.routing.refuel import StopGraph

    hops = StopGraph(p)
    n, dest = p.n_stations, hops.dest
    room = p.tank_kg - p.reserve_kg + 1e-9
    arcs = {}
    for u in range(1, dest):
        succ, km, kg = hops.out_arcs(u)
        arcs[u] = [
            (int(v), float(a), float(b)) for v, a, b in zip(succ, km, kg, strict=True) if b <= room
        ]
    price = {v: float(p.price[(v - 1) % n]) for v in range(1, dest)}
    inf = math.inf

    def relax(weight, states):
        best = {s: inf for s in states}
        for s in states:
            if s[0] == dest:
                best[s] = 0.0
        changed = True
        while changed:
            changed = False
            for s in states:
                u = s[0]
                if u == dest:
                    continue
                for v, km, kg in arcs[u]:
                    x = weight(s, v, km, kg, best)
                    if x < best[s] - 1e-12:
                        best[s] = x
                        changed = True
        return best

    nodes = [(v,) for v in range(1, dest + 1)]
    km = relax(lambda s, v, a, b, best: a + best[(v,)], nodes)
    kg = relax(lambda s, v, a, b, best: b + best[(v,)], nodes)
    stops = relax(lambda s, v, a, b, best: (0.0 if v == dest else 1.0) + best[(v,)], nodes)
    full = relax(lambda s, v, a, b, best: (0.0 if v == dest else b * price[v]) + best[(v,)], nodes)
    levels = sorted(set(price.values()))
    states = [(v, r) for v in range(1, dest + 1) for r in levels]

    def running(s, v, a, b, best):
        r = s[1]
        return b * r + best[(v, r if v == dest else min(r, price[v]))]

    part = relax(running, states)
    return {
        "km": {v: km[(v,)] for v in range(1, dest + 1)},
        "kg": {v: kg[(v,)] for v in range(1, dest + 1)},
        "stops": {v: stops[(v,)] for v in range(1, dest + 1)},
        "full": {v: full[(v,)] for v in range(1, dest + 1)},
        "partial": {v: part[(v, price[v] if v != dest else levels[0])] for v in range(1, dest + 1)},
    }


def _near(a, b):
    if math.isinf(b):
        return math.isinf(a)
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(24))
def test_reverse_bounds_are_the_least_over_the_hop_graph(seed):
    """Every row of the reverse bounds at every station node equals an independent
    Bellman–Ford over the Python search's hops (at most five prices: no rounding)."""
    rng = np.random.default_rng(40_000 + seed)
    p = random_problem(
        rng, n_stations=int(rng.integers(2, 8)), n_legs=int(rng.integers(1, 4)), rest=RestRules()
    )
    ref = _reference_rows(p)
    time_rows = _kernel_rows(p, False, False)
    full_rows = _kernel_rows(p, True, True)
    part_rows = _kernel_rows(p, True, False)
    dest = 1 + p.n_legs * p.n_stations
    dead = 0
    for v in range(1, dest):
        if math.isinf(ref["km"][v]):  # a dead end: every row says so
            dead += 1
            assert math.isinf(time_rows[0, v]) and math.isinf(full_rows[3, v])
            assert math.isinf(part_rows[3, v])
            continue
        assert _near(time_rows[0, v], ref["km"][v])
        assert _near(time_rows[1, v], ref["kg"][v])
        assert _near(time_rows[2, v], ref["stops"][v])
        assert _near(full_rows[3, v], ref["full"][v])
        assert _near(part_rows[3, v], ref["partial"][v])
        assert part_rows[4, v] == p.price[(v - 1) % p.n_stations]
    assert dead < dest - 1 or math.isinf(ref["km"][1])


def test_reverse_bounds_find_dead_ends_and_detours():
    """Some random cases have stations with no way on, and the least km through the
    stations exceeds the straight way in most cases that need a stop."""
    dead = longer = 0
    for seed in range(24):
        rng = np.random.default_rng(40_000 + seed)
        p = random_problem(
            rng,
            n_stations=int(rng.integers(2, 8)),
            n_legs=int(rng.integers(1, 4)),
            rest=RestRules(),
        )
        rows = _kernel_rows(p, False, False)
        dead += int(np.isinf(rows[0, 1:-1]).any())
        longer += int(np.isfinite(rows[0, 0]) and rows[0, 0] > float(np.sum(p.leg_km)) + 1e-6)
    assert dead >= 3 and longer >= 5


RESTED = [
    (seed, obj, full) for seed in range(40) for obj in ("time", "cost") for full in (False, True)
]


def _rested_case(seed):
    """6–20 stations, 1–3 legs, statutory or small rest rules, opening hours on half."""
    rng = np.random.default_rng(50_000 + seed)
    rest = RestRules() if seed % 2 else small_rules(rng)
    n = int(rng.integers(6, 21))
    return random_problem(
        rng, n_stations=n, n_legs=int(rng.integers(1, 4)), rest=rest, windows=seed % 4 < 2
    )


@pytest.mark.parametrize(("seed", "objective", "full"), RESTED)
def test_rests_on_compiled_with_backward_bounds_equals_python(seed, objective, full):
    """With rests on: the compiled search (reverse bounds, the cost search bounded by the
    rest-free cheapest plan, the chain replay) finds the Python search's optimum."""
    _same(_rested_case(seed), objective, full)


@pytest.mark.parametrize("seed", range(40))
def test_backward_bounds_at_the_origin_stay_below_the_optimum(seed):
    """The money and time bounds from the origin never exceed the optimum of the Python
    search, and they are sharper than the bare ones in some cases."""
    p = _rested_case(seed)
    for full in (False, True):
        cheap = solve(p, "cost", full_refuel=full, compiled=False)
        if cheap is None:
            continue
        rows = _kernel_rows(p, True, full)
        assert rows[3, 0] <= cheap.cost + 1e-6
        quick = solve(p, "time", full_refuel=full, compiled=False)
        assert quick is not None
        km = _kernel_rows(p, False, full)[0, 0]
        assert km / p.speed_kmh <= quick.drive_h + 1e-9


def test_backward_money_bound_is_sharper_than_the_lowest_price():
    sharper = 0
    for seed in range(40):
        p = _rested_case(seed)
        rows = _kernel_rows(p, True, False)
        need = float(np.sum(p.leg_km * p.kg_per_km)) + p.reserve_kg - p.start_kg
        sharper += int(np.isfinite(rows[3, 0]) and rows[3, 0] > need * np.min(p.price) + 1e-6)
    assert sharper >= 5


@pytest.mark.parametrize("seed", range(12))
def test_cost_bounds_without_rests_are_those_of_the_optimum(seed):
    """``_cost_bounds``: the money of the cheapest plan without rests equals the optimum
    with rests (no due times), and the hours it returns are at least the optimum's."""
    from h2lane.routing.refuel import MAX_LABELS, _cost_bounds

    p = _rested_case(seed)
    for full in (False, True):
        ref = solve(p, "cost", full_refuel=full, compiled=False)
        money, hours = _cost_bounds(p, full, MAX_LABELS, math.inf)
        if ref is None:
            continue
        assert money == pytest.approx(ref.cost, rel=2e-6, abs=2e-6)
        assert money >= ref.cost
        assert hours >= ref.duration_h - 1e-9


@pytest.mark.parametrize(("seed", "objective", "full"), CASES[::3])
def test_optimum_is_the_value_and_stops_of_the_solved_plan(seed, objective, full):
    """``optimum`` (no Python replay) has the hours, money and stops of ``solve``'s plan,
    and the Python search's optimum."""
    from h2lane.routing.refuel import optimum

    p = _case(seed)
    ref = solve(p, objective, full_refuel=full, compiled=False)
    got = optimum(p, objective, full_refuel=full)
    sol = solve(p, objective, full_refuel=full, compiled=True)
    assert (ref is None) == (got is None) == (sol is None)
    if got is None:
        return
    a = _key(ref, objective)
    b = (got.duration_h, got.cost) if objective == "time" else (got.cost, got.duration_h)
    assert b[0] == pytest.approx(a[0], rel=1e-7, abs=1e-6)
    assert b[1] == pytest.approx(a[1], rel=1e-6, abs=1e-5)
    assert got.duration_h == pytest.approx(sol.duration_h, rel=1e-7, abs=1e-6)
    assert got.cost == pytest.approx(sol.cost, rel=1e-7, abs=1e-6)
    assert got.stops == [(s.leg, s.station) for s in sol.stops]
