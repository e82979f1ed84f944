"""Partial recharging evaluates a customer sequence at least as well as full recharging.

Any full-recharge plan is a partial-recharge plan (charge to full), so for the same customer
sequence the partial-recharge evaluation must be feasible whenever the full-recharge one is,
and never longer. Before the evaluation could charge more at a station while the waiting after
it absorbs the time (a "free" charge), it judged some such sequences infeasible.
"""

import dataclasses

import numpy as np
import pytest

from h2lane.routing.vrp.checker import check_result
from h2lane.routing.vrp.instances import find_unservable
from h2lane.routing.vrp.model import VRPInstance
from h2lane.routing.vrp.solver import _Data, solve_vrp


def _waiting_instance(seed: int, n_cust: int = 14, n_st: int = 5) -> VRPInstance:
    """Random instance with wide, staggered time windows (much waiting) and a slow charger."""
    rng = np.random.default_rng(seed)
    n = 1 + n_cust + n_st
    pts = rng.uniform(0, 100, size=(n, 2))
    pts[0] = (50.0, 50.0)
    kinds = np.array([0] + [1] * n_cust + [2] * n_st, dtype=np.int8)
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    ready = np.zeros(n)
    due = np.full(n, 1000.0)
    ready[1 : 1 + n_cust] = rng.uniform(0, 500, n_cust)
    due[1 : 1 + n_cust] = ready[1 : 1 + n_cust] + rng.uniform(60, 200, n_cust)
    return VRPInstance(
        name=f"wait{seed}",
        kinds=kinds,
        labels=[f"N{i}" for i in range(n)],
        x=pts[:, 0],
        y=pts[:, 1],
        dist=dist,
        speed=1.0,
        demand=np.r_[0.0, np.ones(n_cust), np.zeros(n_st)],
        service=np.r_[0.0, np.full(n_cust, 10.0), np.zeros(n_st)],
        ready=ready,
        due=due,
        tank=110.0,
        consumption=1.0,
        load_capacity=100.0,
        refuel_fixed=0.0,
        refuel_rate=2.0,
        full_refuel=True,
    )


def _sequences(inst: VRPInstance, rng: np.random.Generator, count: int) -> list[list[int]]:
    """Random customer subsets in order of ready time (with noise): many are feasible."""
    cust = np.asarray(inst.customers)
    out = []
    for _ in range(count):
        k = int(rng.integers(3, 8))
        pick = rng.choice(cust, k, replace=False)
        noise = rng.normal(0.0, 40.0, k)
        out.append([int(c) for c in pick[np.argsort(np.asarray(inst.ready)[pick] + noise)]])
    return out


def test_partial_never_worse_than_full_on_a_sequence():
    feasible = worse = infeasible = 0
    for seed in range(12):
        full = _waiting_instance(seed)
        partial = dataclasses.replace(full, full_refuel=False)
        t_full, t_part = _Data(full).types[0], _Data(partial).types[0]
        for seq in _sequences(full, np.random.default_rng(seed), 150):
            c_full = t_full.evaluate(seq)[0]
            if not np.isfinite(c_full):
                continue
            feasible += 1
            c_part = t_part.evaluate(seq)[0]
            worse += c_part > c_full + 1e-6
            infeasible += not np.isfinite(c_part)
    assert feasible >= 200  # enough feasible sequences to test on
    # the label cap (MAX_LABELS) may still lose the best plan of a rare sequence, never all
    # plans of one; without the free charge 30 of these 236 were worse, 18 infeasible
    assert infeasible == 0
    assert worse <= 0.01 * feasible


@pytest.mark.parametrize("seed", [0, 3])
def test_partial_plans_with_free_charges_pass_the_checker(seed):
    inst = dataclasses.replace(_waiting_instance(seed), full_refuel=False)
    find_unservable(inst)
    sol = solve_vrp(inst, max_iterations=300, seed=1)
    assert any(sol.refuel_amounts.values())
    rep = check_result(inst, sol)
    assert rep.ok, rep.violations[:3]
    assert sol.distance == pytest.approx(rep.distance)
