"""The compiled FTL evaluation (ftlkernels) against the Python evaluator, the reference.

Randomized: generated instances with stops on most legs, stations with opening hours, rest
rules on and off, the three objectives, closing legs to the depot or not, a horizon. The
kernels must give the same feasibility and the same numbers — to the bit, which is what
lets a seeded search take the same path on either engine (checked at the end).
"""

import dataclasses
import math

import numpy as np
import pytest

from h2lane.errors import OptionError
from h2lane.routing.rest import RestRules
from h2lane.routing.vrp.ftl import (
    Evaluator,
    FTLInstance,
    FTLOrder,
    FTLSearch,
    FTLStation,
    FTLTruck,
    FTLTruckType,
    _Route,
    solve_ftl,
)
from h2lane.routing.vrp.ftlkernels import FTLKernels

TYPES = [
    FTLTruckType("pengfei", 58.0, 0.09, 0.055, 31.0, 60.0, 500.0, 120.0, 1.0),
    FTLTruckType("small-tank", 30.0, 0.10, 0.06, 25.0, 55.0, 300.0, 100.0, 1.5),
]


def _instance(seed, objective="time", rest=True, return_to_depot=True, horizon=math.inf):
    """Locations and stations on a plane (km = 1.3 × Euclidean), small tanks: most legs
    need a stop; a third of the stations keep opening hours."""
    rng = np.random.default_rng(seed)
    n_loc, n_st = 6, 9
    xy = rng.uniform(0, 600, size=(n_loc + n_st, 2))
    km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)) * 1.3
    stations = []
    for i in range(n_st):
        open_h, close_h = (0.0, 24.0)
        if i % 3 == 0:
            open_h = float(rng.choice([5.0, 7.0, 9.5]))
            close_h = open_h + float(rng.choice([8.0, 12.0, 14.5]))
        stations.append(
            FTLStation(
                f"S{i}",
                float(rng.choice([35.0, 48.5, 55.0, 61.0])),
                float(rng.choice([0.1, 0.25, 0.4])),
                1 / float(rng.choice([150.0, 216.0, 300.0])),
                open_h,
                close_h,
            )
        )
    trucks = [
        FTLTruck("A", 0, 0),
        FTLTruck("B", 1, 1),
        FTLTruck("C", 0, 2, available_h=float(rng.uniform(0, 20))),
        FTLTruck("D", 1, 0, available_h=float(rng.uniform(0, 30))),
    ]
    orders = []
    for k in range(14):
        o, d = (int(x) for x in rng.choice(n_loc, size=2, replace=False))
        ready = float(rng.uniform(0, 72)) if k % 5 else -math.inf
        slack = float(rng.uniform(8, 70))
        due = ready + km[o, d] / 50.0 + slack if math.isfinite(ready) else math.inf
        pickup_due = ready + float(rng.uniform(2, 30)) if k % 4 == 1 else math.inf
        orders.append(
            FTLOrder(
                f"O{k}",
                o,
                d,
                float(rng.choice([20.0, 25.0, 31.0])),
                ready,
                due,
                pickup_due,
                load_h=float(rng.choice([0.0, 0.5, 1.0])),
                unload_h=float(rng.choice([0.0, 0.5])),
            )
        )
    return FTLInstance(
        f"kern{seed}",
        [f"L{i}" for i in range(n_loc)],
        stations,
        km,
        TYPES,
        trucks,
        orders,
        rest=RestRules() if rest else RestRules.off(),
        objective=objective,
        return_to_depot=return_to_depot,
        horizon_h=horizon,
    )


CASES = [
    (1, "time", True, True, math.inf),
    (2, "cost", True, True, math.inf),
    (3, "total-cost", True, False, math.inf),
    (4, "time", False, True, 160.0),
    (5, "cost", False, False, math.inf),
    (6, "time", True, False, 140.0),
]


def _as_array(states):
    return np.array([tuple(float(x) for x in s) for s in states])


@pytest.mark.parametrize(("seed", "objective", "rest", "back", "horizon"), CASES)
def test_states_match_the_python_evaluator(seed, objective, rest, back, horizon):
    inst = _instance(seed, objective, rest, back, horizon)
    ev = Evaluator(inst)
    kern = FTLKernels(Evaluator(inst))
    rng = np.random.default_rng(100 + seed)
    feasible = stops = long = 0

    def compare(truck, seq):
        nonlocal feasible, stops, long
        ref = ev.states(truck, seq)
        got, key = kern.states(truck, seq)
        assert (ref is None) == (got is None), (truck, seq)
        if ref is None:
            return False
        feasible += 1
        stops += ref[-1].kg_bought > 0
        long += len(seq) >= 3
        want = _as_array(ref)
        assert np.array_equal(want, got), (truck, seq, np.abs(want - got).max())
        assert key == ev.route_key(truck, ref[0].t, ref[-1])
        return True

    for _ in range(150):
        truck = int(rng.integers(len(inst.trucks)))
        n = int(rng.integers(1, 5))
        compare(truck, [int(x) for x in rng.choice(len(inst.orders), size=n, replace=False)])
        # a chain grown order by order: every probe compared, the feasible ones kept
        seq: list[int] = []
        for k in rng.permutation(len(inst.orders)):
            if compare(truck, [*seq, int(k)]) and len(seq) < 5:
                seq.append(int(k))
    # the comparison must have covered feasible chains, long ones and stops
    assert feasible >= 150
    assert long >= 30
    assert stops >= feasible // 2


@pytest.mark.parametrize(("seed", "objective", "rest", "back", "horizon"), CASES)
def test_insertions_match_the_python_search(seed, objective, rest, back, horizon):
    inst = _instance(seed, objective, rest, back, horizon)
    # both searches evaluate the same legs while they set up (the leg cache must agree)
    py = FTLSearch(inst, 0, engine="python")
    kern = FTLSearch(inst, 0, engine="compiled").kernels
    assert kern is not None
    rng = np.random.default_rng(200 + seed)
    tried = finite = 0
    for _ in range(60):
        truck = int(rng.integers(len(inst.trucks)))
        n = int(rng.integers(0, 4))
        seq = [int(x) for x in rng.choice(len(inst.orders), size=n, replace=False)]
        ref_states = py.ev.states(truck, seq) if seq else None
        if seq and ref_states is None:
            continue
        got_states, key = kern.states(truck, seq) if seq else (None, 0.0)
        ref_key = py.ev.route_key(truck, ref_states[0].t, ref_states[-1]) if seq else 0.0
        assert key == ref_key
        route = _Route(list(seq), ref_states, ref_key)
        for k in range(len(inst.orders)):
            if k in seq:
                continue
            for pos in range(n + 1):
                tried += 1
                inc, st = py._try(truck, route, k, pos)
                inc2, st2 = kern.try_insert(truck, seq, got_states, key, k, pos)
                assert inc == inc2 or (math.isnan(inc) and math.isnan(inc2)), (truck, seq, k, pos)
                assert (st is None) == (st2 is None)
                if st is not None:
                    finite += 1
                    assert np.array_equal(_as_array(st), st2), (truck, seq, k, pos)
    assert tried >= 300
    assert finite >= 30


@pytest.mark.parametrize("seed", [1, 4, 6])
def test_best_insert_with_blinks_matches(seed):
    """The best insertion over several trucks, random blinks included (the same choice and
    the same random stream afterwards), and the best per truck on its own (regret)."""
    inst = _instance(seed)
    py = FTLSearch(inst, 7, engine="python")
    cc = FTLSearch(inst, 7, engine="compiled")
    routes_py = [_Route([], None, 0.0) for _ in inst.trucks]
    routes_cc = [_Route([], None, 0.0) for _ in inst.trucks]
    placed = 0
    for k in range(len(inst.orders)):
        trucks = list(range(len(inst.trucks)))
        # per truck on its own (regret insertion), trucks in a shuffled order
        order = [int(x) for x in py.rng.permutation(trucks)]
        assert [int(x) for x in cc.rng.permutation(trucks)] == order
        each = cc.kernels.best_each(
            order,
            [routes_cc[ti].seq for ti in order],
            [routes_cc[ti].states for ti in order],
            [routes_cc[ti].key for ti in order],
            k,
        )
        for ti, (inc, pos, st) in zip(order, each, strict=True):
            inc_py, ti_py, pos_py, st_py = py.best_insert(routes_py, k, [ti], 0.0)
            assert (inc, pos) == (inc_py, pos_py)
            assert (st is None) == (st_py is None)
            if st is not None:
                assert ti_py == ti
                assert np.array_equal(_as_array(st_py), st)
        a = py.best_insert(routes_py, k, trucks, 0.3)
        b = cc.best_insert(routes_cc, k, trucks, 0.3)
        assert a[:3] == b[:3]
        assert py.rng.random() == cc.rng.random()  # same draws consumed
        if a[1] < 0:
            continue
        placed += 1
        assert np.array_equal(_as_array(a[3]), b[3])
        for rs, (inc, ti, pos, st) in ((routes_py, a), (routes_cc, b)):
            rs[ti].seq.insert(pos, k)
            rs[ti].states, rs[ti].key = st, rs[ti].key + inc
    assert placed >= 5


@pytest.mark.parametrize(("seed", "objective", "rest", "back", "horizon"), CASES)
def test_seeded_search_is_the_same_on_both_engines(seed, objective, rest, back, horizon):
    inst = _instance(seed, objective, rest, back, horizon)
    a = solve_ftl(inst, time_limit=1e9, max_iterations=150, seed=seed, engine="python")
    b = solve_ftl(inst, time_limit=1e9, max_iterations=150, seed=seed, engine="compiled")
    assert [h[1] for h in a.history] == [h[1] for h in b.history]
    assert [(r.truck, r.orders) for r in a.routes] == [(r.truck, r.orders) for r in b.routes]
    assert a.truck_hours == b.truck_hours and a.cost == b.cost
    assert [u.order for u in a.unserved] == [u.order for u in b.unserved]
    assert sum(len(r.orders) for r in a.routes) >= 3


def test_unknown_engine_is_refused():
    inst = _instance(1)
    with pytest.raises(OptionError, match="engine must be one of compiled, python"):
        FTLSearch(inst, 0, engine="cuda")  # type: ignore[arg-type]


def test_kernels_copy_the_instance_when_built():
    """The kernels read the instance once: an order changed afterwards needs new kernels."""
    inst = _instance(2)
    ev = Evaluator(inst)
    k = next(k for k in range(len(inst.orders)) if ev.states(0, [k]) is not None)
    old = FTLKernels(Evaluator(inst))
    inst.orders[k] = dataclasses.replace(inst.orders[k], due_h=-1.0)
    assert Evaluator(inst).states(0, [k]) is None
    assert old.states(0, [k])[0] is not None
    assert FTLKernels(Evaluator(inst)).states(0, [k])[0] is None
