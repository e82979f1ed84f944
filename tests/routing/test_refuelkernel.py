"""The compiled search equals the Python search on random cases with every option."""

import math

import numpy as np
import pytest
from brute import random_problem, random_queues, small_rules

from h2lane.errors import ResourceLimitError
from h2lane.routing import refuelkernel
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
    found = refuelkernel.run(p, "cost", False, 10**6)
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
    found = refuelkernel.run(p, objective, full, 10**7, upper, hours)
    assert found.status == 0
    assert found.time_h == pytest.approx(ref.duration_h, rel=1e-7, abs=1e-6)
    assert found.money == pytest.approx(ref.cost, rel=1e-6, abs=1e-5)
    # and a bound just below the optimum leaves no plan: the pruning is not idle
    below = value - 1e-3 * max(1.0, abs(value))
    assert refuelkernel.run(p, objective, full, 10**7, below).status == 1


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
