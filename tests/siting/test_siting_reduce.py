"""The exact reductions (dominated candidates, merged routes) against the full model."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from test_siting_models import random_network

from h2lane.siting import milp
from h2lane.siting.greedy import greedy
from h2lane.siting.inputs import deviation_routes, every_node
from h2lane.siting.problem import Candidate, SitingProblem
from h2lane.siting.reduce import reduce


def _dense(seed: int, n: int = 11) -> SitingProblem:
    net, flows = random_network(seed, n)
    rng = np.random.default_rng(seed)
    cands = [
        Candidate(str(i), i, cost=float(rng.integers(1, 4)), existing=bool(i == 2 and seed % 2))
        for i in range(net.n_nodes)
    ]
    return SitingProblem.build(net, flows, cands, float(rng.choice([180.0, 260.0, 380.0])))


@pytest.mark.parametrize("seed", range(8))
def test_reduced_max_flow_equals_full_model(seed: int) -> None:
    prob = _dense(seed)
    for p in (1, 2, 3, 4):
        full = milp.solve(prob, p=p, gap=0.0, reduce_model=False)
        small = milp.solve(prob, p=p, gap=0.0)
        assert small.objective == pytest.approx(full.objective, abs=1e-6)
        # the bound on the reduced model is a bound on the full one
        assert small.bound >= full.objective - 1e-6
        assert int((small.open_mask & ~prob.existing).sum()) == p
        # a heuristic start lifted onto the kept candidates is still a valid start
        heur = greedy(prob, p)
        warm = milp.solve(prob, p=p, gap=0.0, warm_start=heur.open_mask)
        assert warm.objective == pytest.approx(full.objective, abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_reduced_min_cost_equals_full_model(seed: int) -> None:
    prob = _dense(seed)
    reachable = prob.evaluate(np.ones(prob.n_candidates, dtype=bool))[0]
    for share in (0.3, 0.7, 1.0):
        target = share * reachable
        full = milp.solve(prob, target_flow=target, gap=0.0, reduce_model=False)
        small = milp.solve(prob, target_flow=target, gap=0.0)
        cost = np.array([c.cost for c in prob.candidates])
        new = ~prob.existing
        assert cost[small.open_mask & new].sum() == pytest.approx(cost[full.open_mask & new].sum())
        assert prob.evaluate(small.open_mask)[0] >= target - 1e-6


def test_reduced_deviation_equals_full_model() -> None:
    net, flows = random_network(5)
    cands = every_node(net)
    routes = deviation_routes(net, flows, cands, 120.0, penalty=0.5, max_paths=3)
    prob = SitingProblem.build(net, flows, cands, 200.0, routes)
    for p in (1, 2, 3):
        full = milp.solve(prob, p=p, gap=0.0, reduce_model=False)
        small = milp.solve(prob, p=p, gap=0.0)
        assert small.objective == pytest.approx(full.objective, abs=1e-6)


def test_dominated_candidate_is_removed_and_lifted() -> None:
    """A candidate whose rows all hold a better one is left out; a start using it is lifted."""
    everything = np.ones(11, dtype=bool)
    reds = [(s, reduce(_dense(s), everything, cost_matters=False)) for s in range(8)]
    assert sum(len(r.dominator) for _, r in reds) >= 3  # the seeds above do exercise it
    assert any(len(r.groups) < len(_dense(s).routes) for s, r in reds)
    seed, red = max(reds, key=lambda sr: len(sr[1].dominator))
    prob = _dense(seed)
    for a, b in red.dominator.items():
        assert b not in red.dominator or red.dominator[b] != a  # no cycles
        assert a not in set(red.columns.tolist())
    rng = np.random.default_rng(0)
    for _ in range(200):  # any station set: its removed sites swapped for their dominators
        mask = (rng.random(prob.n_candidates) < 0.4) | prob.existing
        lifted = red.lift(mask, prob.existing)
        assert not (lifted & np.isin(np.arange(prob.n_candidates), list(red.dominator))).any()
        assert lifted.sum() <= mask.sum()
        assert prob.evaluate(lifted)[0] >= prob.evaluate(mask)[0] - 1e-9


def test_reduction_agrees_with_enumeration() -> None:
    """On a denser network, the reduced MILP equals brute force over all p-subsets."""
    prob = _dense(11, n=10)
    n = prob.n_candidates
    for p in (2, 3):
        best = max(
            prob.evaluate(np.isin(np.arange(n), combo) | prob.existing)[0]
            for combo in combinations(np.flatnonzero(~prob.existing), p)
        )
        assert milp.solve(prob, p=p, gap=0.0).objective == pytest.approx(best, abs=1e-6)
