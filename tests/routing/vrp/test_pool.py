"""Route pool and set-partitioning recombination, checked against brute-force exact covers."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from collections.abc import Sequence

import highspy
import numpy as np
import pytest
from paths import REPO

from h2lane.routing.vrp.pool import PoolRoute, RoutePool, recombine


def total(routes: Sequence[PoolRoute], route_weight: float = 0.0) -> float:
    return math.fsum(r.cost for r in routes) + route_weight * len(routes)


def assert_exact_cover(routes: Sequence[PoolRoute], customers: Sequence[int]) -> None:
    visits = sorted(c for r in routes for c in r.customers)
    assert visits == sorted(customers)


def brute_force_best(
    routes: Sequence[PoolRoute],
    customers: Sequence[int],
    type_counts: Sequence[int | None],
    route_weight: float = 0.0,
) -> float | None:
    """Cheapest exact cover by enumerating every one of them (None if there is none)."""
    universe = frozenset(customers)
    usable = [
        r
        for r in routes
        if set(r.customers) <= universe and r.vtype < len(type_counts) and type_counts[r.vtype] != 0
    ]
    covers: list[list[PoolRoute]] = []

    def extend(chosen: list[PoolRoute], covered: frozenset[int]) -> None:
        if covered == universe:
            covers.append(list(chosen))
            return
        first = min(universe - covered)  # every cover has exactly one route through it
        for r in usable:
            if first in r.customers and covered.isdisjoint(r.customers):
                chosen.append(r)
                extend(chosen, covered | frozenset(r.customers))
                chosen.pop()

    extend([], frozenset())
    best = None
    for cover in covers:
        per_type = [sum(r.vtype == k for r in cover) for k in range(len(type_counts))]
        if any(c is not None and n > c for n, c in zip(per_type, type_counts, strict=True)):
            continue
        value = total(cover, route_weight)
        best = value if best is None else min(best, value)
    return best


def random_pool(
    rng: np.random.Generator, customers: list[int], n_routes: int, n_types: int = 1
) -> RoutePool:
    pool = RoutePool()
    for _ in range(n_routes):
        size = int(rng.integers(1, 5))
        seq = rng.choice(customers, size=size, replace=False)
        pool.add(seq, float(rng.uniform(1.0, 10.0)) * size**0.7, int(rng.integers(0, n_types)))
    return pool


# ------------------------------------------------------------------------------ the pool


def test_dedupe_keeps_the_cheapest_cost_and_first_position():
    pool = RoutePool()
    pool.add([1, 2, 3], 5.0)
    pool.add([4], 1.0)
    pool.add((1, 2, 3), 3.0)
    pool.add(np.array([1, 2, 3]), 4.0)
    assert len(pool) == 2
    assert pool.routes() == [PoolRoute((1, 2, 3), 3.0, 0), PoolRoute((4,), 1.0, 0)]
    # the visit order and the vehicle type are part of a route's identity
    pool.add([3, 2, 1], 9.0)
    pool.add([1, 2, 3], 7.0, vtype=1)
    assert len(pool) == 4
    assert PoolRoute((3, 2, 1), 9.0) in pool
    assert {(r.vtype, r.customers): r.cost for r in pool.routes()}[(1, (1, 2, 3))] == 7.0


@pytest.mark.parametrize(
    ("customers", "cost", "vtype"),
    [([], 1.0, 0), ([1, 2, 1], 1.0, 0), ([1], math.nan, 0), ([1], math.inf, 0), ([1], 1.0, -1)],
)
def test_add_rejects_bad_routes(customers, cost, vtype):
    with pytest.raises(ValueError):
        RoutePool().add(customers, cost, vtype)


def test_eviction_drops_the_worst_cost_per_customer():
    pool = RoutePool(max_routes=3)
    pool.add([1], 4.0)  # 4.0 per customer
    pool.add([2, 3], 4.0)  # 2.0
    pool.add([4, 5, 6], 4.5)  # 1.5
    pool.add([7, 8], 5.0)  # 2.5: overflow, [1] goes
    assert {r.customers for r in pool.routes()} == {(2, 3), (4, 5, 6), (7, 8)}
    pool.add([9], 3.0)  # 3.0, itself the worst: not kept
    assert {r.customers for r in pool.routes()} == {(2, 3), (4, 5, 6), (7, 8)}
    pool.add([7, 8], 1.0)  # improvement to 0.5 leaves a stale heap entry for (7, 8)
    pool.add([10, 11], 3.0)  # 1.5 ties with (4, 5, 6): the worst now is (2, 3) at 2.0
    assert {r.customers for r in pool.routes()} == {(4, 5, 6), (7, 8), (10, 11)}
    pool.add([12, 13], 3.0)  # another 1.5: among equal ratios the newest goes
    assert {r.customers for r in pool.routes()} == {(4, 5, 6), (7, 8), (10, 11)}
    assert len(pool) == 3


@pytest.mark.parametrize("seed", range(5))
def test_eviction_keeps_the_best_ratios_seen(seed):
    rng = np.random.default_rng(seed)
    pool = RoutePool(max_routes=25)
    best: dict[tuple[int, ...], float] = {}
    for _ in range(600):
        seq = tuple(int(c) for c in rng.choice(12, size=int(rng.integers(1, 4)), replace=False))
        cost = float(rng.uniform(1, 100))
        pool.add(seq, cost)
        best[seq] = min(cost, best.get(seq, math.inf))
    expected = sorted(best, key=lambda s: best[s] / len(s))[:25]
    assert {r.customers: r.cost for r in pool.routes()} == {s: best[s] for s in expected}


def test_pool_capacity_must_be_positive():
    with pytest.raises(ValueError):
        RoutePool(max_routes=0)


# ------------------------------------------------------------------------- recombination


@pytest.mark.parametrize("seed", range(12))
def test_recombine_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    customers = [int(c) for c in rng.choice(50, size=int(rng.integers(6, 9)), replace=False)]
    n_types = 1 + seed % 2
    pool = random_pool(rng, customers, int(rng.integers(15, 31)), n_types)
    if seed % 3 == 0:  # make sure a good share of the pools have a cover
        for c in customers:
            pool.add([c], 6.0, int(rng.integers(0, n_types)))
    type_counts = (None,) if n_types == 1 else (int(rng.integers(1, 4)), None)
    route_weight = 0.0 if seed % 4 else 2.5
    expected = brute_force_best(pool.routes(), customers, type_counts, route_weight)
    got = recombine(pool, customers, type_counts=type_counts, route_weight=route_weight)
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert_exact_cover(got, customers)
    assert all(r in pool for r in got)
    for k, cap in enumerate(type_counts):
        assert cap is None or sum(r.vtype == k for r in got) <= cap
    assert total(got, route_weight) == pytest.approx(expected, abs=1e-6)
    assert got == sorted(got, key=lambda r: (r.vtype, r.customers))


def test_brute_force_check_sees_feasible_pools():
    feasible = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        customers = [int(c) for c in rng.choice(50, size=int(rng.integers(6, 9)), replace=False)]
        pool = random_pool(rng, customers, int(rng.integers(15, 31)), 1 + seed % 2)
        if seed % 3 == 0:
            for c in customers:
                pool.add([c], 6.0)
        feasible += brute_force_best(pool.routes(), customers, (None, None)) is not None
    assert feasible >= 4


def test_type_counts_are_respected():
    pool = RoutePool()
    for seq in ([1, 2], [3, 4], [5, 6]):
        pool.add(seq, 1.0)  # three routes, total 3.0
    pool.add([1, 2, 3, 4], 2.5)
    pool.add([5, 6, 1, 2], 2.8)
    customers = [1, 2, 3, 4, 5, 6]
    free = recombine(pool, customers)
    assert free is not None and total(free) == pytest.approx(3.0) and len(free) == 3
    capped = recombine(pool, customers, type_counts=(2,))
    assert capped == [PoolRoute((1, 2, 3, 4), 2.5), PoolRoute((5, 6), 1.0)]
    assert recombine(pool, customers, type_counts=(1,)) is None


def test_other_vehicle_types():
    pool = RoutePool()
    pool.add([1, 2], 6.0, vtype=0)
    pool.add([1], 5.0, vtype=0)
    pool.add([2], 0.1, vtype=1)
    pool.add([1], 0.1, vtype=2)
    # types without a type_counts entry are unavailable
    assert recombine(pool, [1, 2]) == [PoolRoute((1, 2), 6.0, 0)]
    assert recombine(pool, [1, 2], type_counts=(None, 1)) == [
        PoolRoute((1,), 5.0, 0),
        PoolRoute((2,), 0.1, 1),
    ]
    assert recombine(pool, [1, 2], type_counts=(None, 1, None)) == [
        PoolRoute((2,), 0.1, 1),
        PoolRoute((1,), 0.1, 2),
    ]
    assert recombine(pool, [1, 2], type_counts=(None, 0, None)) == [PoolRoute((1, 2), 6.0, 0)]


def test_route_weight_prefers_fewer_routes():
    pool = RoutePool()
    for c in (1, 2, 3):
        pool.add([c], 1.0)
    pool.add([3, 1, 2], 4.0)
    assert len(recombine(pool, [1, 2, 3]) or []) == 3
    assert recombine(pool, [1, 2, 3], route_weight=10.0) == [PoolRoute((3, 1, 2), 4.0)]


@pytest.mark.parametrize("seed", range(6))
def test_incumbent_warm_start_is_never_worse(seed):
    rng = np.random.default_rng(100 + seed)
    customers = list(range(1, 9))
    pool = random_pool(rng, customers, 25)
    order = [int(c) for c in rng.permutation(customers)]
    incumbent = [PoolRoute(tuple(order[i : i + 3]), 7.0) for i in range(0, 8, 3)]
    n_before = len(pool)
    got = recombine(pool, customers, incumbent=incumbent)
    assert all(r in pool for r in incumbent)  # added to the pool
    assert len(pool) >= n_before
    best = brute_force_best(pool.routes(), customers, (None,))
    assert best is not None and best <= total(incumbent)
    if got is None:
        assert best == pytest.approx(total(incumbent), abs=1e-6)
    else:
        assert_exact_cover(got, customers)
        assert total(got) < total(incumbent)
        assert total(got) == pytest.approx(best, abs=1e-6)


def test_optimal_incumbent_gives_none():
    pool = RoutePool()
    pool.add([1], 1.0)
    pool.add([2], 1.0)
    pool.add([1, 2], 2.5)
    assert recombine(pool, [1, 2], incumbent=[PoolRoute((1,), 1.0), PoolRoute((2,), 1.0)]) is None
    # the pool knows the incumbent's route cheaper: that counts as an improvement
    pool.add([1, 2], 1.5)
    assert recombine(pool, [1, 2], incumbent=[PoolRoute((1, 2), 2.5)]) == [PoolRoute((1, 2), 1.5)]


def test_incumbent_evicted_from_a_full_pool_still_starts_the_search():
    pool = RoutePool(max_routes=2)
    pool.add([1, 2], 1.0)
    pool.add([3, 4], 1.0)
    incumbent = [PoolRoute((1,), 5.0), PoolRoute((2,), 5.0), PoolRoute((3, 4), 1.0)]
    got = recombine(pool, [1, 2, 3, 4], incumbent=incumbent)
    assert PoolRoute((1,), 5.0) not in pool  # evicted again at once: worst cost per customer
    assert got == [PoolRoute((1, 2), 1.0), PoolRoute((3, 4), 1.0)]
    pool = RoutePool(max_routes=1)
    pool.add([1, 2], 0.5)
    assert recombine(pool, [1, 2], incumbent=[PoolRoute((1,), 5.0), PoolRoute((2,), 5.0)]) == [
        PoolRoute((1, 2), 0.5)
    ]
    assert recombine(pool, [1, 2], incumbent=[PoolRoute((1,), 0.1), PoolRoute((2,), 0.1)]) is None


@pytest.mark.parametrize(
    "incumbent",
    [
        [PoolRoute((1,), 1.0)],  # 2 uncovered
        [PoolRoute((1,), 1.0), PoolRoute((1, 2), 1.0)],  # 1 twice
        [PoolRoute((1, 2, 9), 1.0)],  # foreign customer
        [PoolRoute((1,), 1.0, 1), PoolRoute((2,), 1.0)],  # unavailable type
        [PoolRoute((1,), 1.0), PoolRoute((2,), 1.0), PoolRoute((2,), 1.0)],  # route twice
    ],
)
def test_infeasible_incumbent_is_an_error(incumbent):
    pool = RoutePool()
    pool.add([1, 2], 1.0)
    with pytest.raises(ValueError):
        recombine(pool, [1, 2], incumbent=incumbent)


def test_incumbent_over_type_count_is_an_error():
    pool = RoutePool()
    with pytest.raises(ValueError):
        recombine(
            pool, [1, 2], type_counts=(1,), incumbent=[PoolRoute((1,), 1.0), PoolRoute((2,), 1.0)]
        )


def test_no_exact_cover_gives_none():
    pool = RoutePool()
    pool.add([1, 2], 1.0)
    pool.add([2, 3], 1.0)
    assert recombine(pool, [1, 2, 3]) is None  # overlapping routes only (solved by HiGHS)
    pool.add([1], 1.0)
    assert recombine(pool, [1, 2, 3, 4]) is None  # customer 4 on no route
    assert recombine(RoutePool(), [1]) is None


def test_routes_with_foreign_customers_are_ignored():
    pool = RoutePool()
    pool.add([1, 2, 99], 0.1)
    pool.add([1], 1.0)
    pool.add([2], 1.0)
    assert recombine(pool, [1, 2]) == [PoolRoute((1,), 1.0), PoolRoute((2,), 1.0)]
    only_foreign = RoutePool()
    only_foreign.add([1, 2, 99], 0.1)
    assert recombine(only_foreign, [1, 2]) is None
    # a sub-problem over part of the customers uses the routes inside it
    assert recombine(pool, [2]) == [PoolRoute((2,), 1.0)]


def test_empty_customer_set():
    pool = RoutePool()
    pool.add([1], 1.0)
    assert recombine(pool, []) == []
    assert recombine(pool, [], incumbent=[]) is None


def test_bad_arguments():
    pool = RoutePool()
    pool.add([1], 1.0)
    with pytest.raises(ValueError):
        recombine(pool, [1, 1])
    with pytest.raises(ValueError):
        recombine(pool, [1], type_counts=(-1,))
    with pytest.raises(ValueError):
        recombine(pool, [1], time_limit=0.0)


def test_recombine_is_deterministic():
    rng = np.random.default_rng(7)
    customers = list(range(8))
    pool = random_pool(rng, customers, 30)
    for c in customers:
        pool.add([c], 8.0)
    first = recombine(pool, customers)
    assert first is not None
    assert all(recombine(pool, customers) == first for _ in range(3))


def test_no_highs_output_on_stdout():
    script = (
        "from h2lane.routing.vrp.pool import RoutePool, recombine, PoolRoute\n"
        "p = RoutePool()\n"
        "for s, c in (([1], 1.0), ([2], 1.0), ([1, 2], 1.5), ([2, 3], 0.5)):\n"
        "    p.add(s, c)\n"
        "assert recombine(p, [1, 2]) == [PoolRoute((1, 2), 1.5)]\n"
        "assert recombine(p, [1, 2, 3]) == [PoolRoute((1,), 1.0), PoolRoute((2, 3), 0.5)]\n"
        "assert recombine(p, [1, 3]) is None\n"
        "assert recombine(p, [1, 2], incumbent=[PoolRoute((1, 2), 1.5)]) is None\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_works_after_highs_ran_multithreaded_in_the_same_thread():
    # HiGHS keeps one scheduler per OS thread; asking for 1 thread after another count fails.
    result: list[object] = []

    def work() -> None:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 2)
        h.passModel(
            2, 1, 2, 1, 1, 0.0, np.array([1.0, 2.0]), np.zeros(2), np.ones(2),
            np.ones(1), np.ones(1), np.array([0, 1], dtype=np.int32),
            np.array([0, 0], dtype=np.int32), np.ones(2), np.ones(2, dtype=np.int32),
        )  # fmt: skip
        h.run()
        pool = RoutePool()
        pool.add([1], 1.0)
        pool.add([2], 1.0)
        pool.add([1, 2], 1.5)
        result.append(recombine(pool, [1, 2]))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert result == [[PoolRoute((1, 2), 1.5)]]


@pytest.mark.slow
def test_large_pool_builds_and_returns_a_valid_selection():
    rng = np.random.default_rng(11)
    m, n_routes = 1000, 20000
    customers = list(range(1, m + 1))
    xy = rng.uniform(-1.0, 1.0, (m + 1, 2))
    angle = np.arctan2(xy[:, 1], xy[:, 0])

    def route(idx: np.ndarray) -> tuple[tuple[int, ...], float]:
        idx = idx[np.argsort(angle[idx])]
        pts = np.vstack([[0.0, 0.0], xy[idx], [0.0, 0.0]])
        return tuple(int(i) for i in idx), float(np.hypot(*np.diff(pts, axis=0).T).sum())

    order = np.argsort(angle[1:]) + 1
    base = np.split(order, np.arange(20, m, 20))
    incumbent = [PoolRoute(*route(b)) for b in base]
    pool = RoutePool(max_routes=n_routes)
    while len(pool) < n_routes:  # re-split windows of 2-3 neighbouring incumbent routes
        s, w = int(rng.integers(0, len(base))), int(rng.integers(2, 4))
        win = np.concatenate([base[(s + j) % len(base)] for j in range(w)])
        win = win[np.argsort(angle[win] + rng.normal(0.0, 0.08, win.size))]
        cuts = np.sort(rng.choice(np.arange(5, win.size - 4), w - 1, replace=False))
        for part in np.split(win, cuts):
            pool.add(*route(part))
    assert len(pool) == n_routes
    got = recombine(pool, customers, incumbent=incumbent, time_limit=1.0)
    assert len(pool) == n_routes
    if got is not None:
        assert_exact_cover(got, customers)
        assert total(got) < total(incumbent)
        assert all(r in pool for r in got)
