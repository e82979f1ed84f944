"""Models against enumeration on small generated networks (offline): rule, max-flow,
min-stations, existing stations, deviation and capacitated variants; greedy never beats the MILP."""

from __future__ import annotations

from itertools import combinations, product

import numpy as np
import pytest
from frlm_brute import enumerate_best, round_trip_ok
from scipy.optimize import linprog
from siting_data import SMALL

from h2lane.siting import milp
from h2lane.siting.greedy import greedy
from h2lane.siting.inputs import deviation_routes, every_node, paths_to
from h2lane.siting.network import NetworkPath, SitingNetwork
from h2lane.siting.problem import Candidate, Flow, SitingProblem, SizeClass
from h2lane.siting.rule import cover_sets


def random_network(seed: int, n: int = 9) -> tuple[SitingNetwork, list[Flow]]:
    """A connected random planar network and gravity-like flows between random pairs."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 300, size=(n, 2))
    edges = {(i, i + 1) for i in range(n - 1)}  # a spanning chain keeps it connected
    while len(edges) < n + 4:
        a, b = sorted(rng.choice(n, 2, replace=False).tolist())
        edges.add((a, b))
    u = np.array([a for a, _ in edges])
    v = np.array([b for _, b in edges])
    km = np.round(np.linalg.norm(pts[u] - pts[v], axis=1) * 1.2 + 1, 1)
    net = SitingNetwork(
        [str(i) for i in range(n)], pts[:, 0], pts[:, 1], u, v, km, geographic=False
    )
    pairs = [(a, b) for a, b in combinations(range(n), 2) if rng.random() < 0.5]
    paths = paths_to(net, pairs)
    flows = [
        Flow(str(a), str(b), float(rng.integers(1, 50)), p, a, b)
        for (a, b), p in zip(pairs, paths, strict=True)
    ]
    return net, flows


def test_cover_sets_match_the_simulation() -> None:
    """Random paths and station sets: 'every cover set has a station' == the driven round trip."""
    rng = np.random.default_rng(7)
    for _ in range(3000):
        m = int(rng.integers(2, 9))
        steps = rng.choice([0.0, 10.0, 40.0, 80.0, 120.0, 200.0], size=m - 1)
        pos = tuple(np.concatenate([[0.0], np.cumsum(steps)]).tolist())
        nodes = tuple(range(m))
        cands = [[j] if rng.random() < 0.7 else [] for j in range(m)]
        range_km = float(rng.choice([100.0, 160.0, 250.0, 400.0]))
        sets = cover_sets(pos, cands, range_km)
        for _ in range(4):
            open_ = {j for j in range(m) if cands[j] and rng.random() < 0.5}
            by_sets = all(any(k in open_ for k in s) for s in sets)
            assert by_sets == round_trip_ok(pos, nodes, open_, range_km), (
                pos,
                cands,
                range_km,
                open_,
            )


@pytest.mark.parametrize("seed", range(6))
def test_max_flow_equals_enumeration(seed: int) -> None:
    net, flows = random_network(seed)
    paths = [(f.path.positions_km, f.path.nodes) for f in flows]
    for range_km in (150.0, 250.0, 400.0):
        prob = SitingProblem.build(net, flows, every_node(net), range_km)
        for p in (1, 2, 3):
            res = milp.solve(prob, p=p, gap=0.0)
            best, _ = enumerate_best(paths, prob.volumes, range(net.n_nodes), p, range_km)
            assert res.objective == pytest.approx(best, abs=1e-6)
            assert greedy(prob, p).covered_flow <= res.objective + 1e-6


def test_existing_stations_stay_open_and_are_not_counted() -> None:
    net, flows = random_network(3)
    paths = [(f.path.positions_km, f.path.nodes) for f in flows]
    cands = [Candidate(str(i), i, existing=i in (0, 5)) for i in range(net.n_nodes)]
    prob = SitingProblem.build(net, flows, cands, 250.0)
    res = milp.solve(prob, p=2, gap=0.0)
    best, _ = enumerate_best(paths, prob.volumes, range(net.n_nodes), 2, 250.0, frozenset({0, 5}))
    assert res.objective == pytest.approx(best, abs=1e-6)
    assert res.open_mask[0] and res.open_mask[5]
    assert int(res.open_mask.sum()) == 4


def test_min_stations_equals_enumeration() -> None:
    net, flows = random_network(4)
    paths = [(f.path.positions_km, f.path.nodes) for f in flows]
    prob = SitingProblem.build(net, flows, every_node(net), 250.0)
    everything = prob.evaluate(np.ones(net.n_nodes, dtype=bool))[0]
    target = 0.6 * everything
    res = milp.solve(prob, target_flow=target, gap=0.0)
    fewest = next(
        p
        for p in range(1, net.n_nodes + 1)
        if enumerate_best(paths, prob.volumes, range(net.n_nodes), p, 250.0)[0] >= target - 1e-9
    )
    assert int(res.open_mask.sum()) == fewest
    assert prob.evaluate(res.open_mask)[0] >= target - 1e-6


def test_deviation_equals_enumeration() -> None:
    net, flows = random_network(5)
    cands = every_node(net)
    routes = deviation_routes(net, flows, cands, 120.0, penalty=0.5, max_paths=3)
    assert len(routes) > len(flows)
    prob = SitingProblem.build(net, flows, cands, 200.0, routes)
    for p in (1, 2, 3):
        res = milp.solve(prob, p=p, gap=0.0)
        best = 0.0
        for combo in combinations(range(net.n_nodes), p):
            open_ = set(combo)
            value = dict.fromkeys(range(len(flows)), 0.0)
            for r in routes:
                if round_trip_ok(r.path.positions_km, r.path.nodes, open_, 200.0):
                    value[r.flow] = max(value[r.flow], flows[r.flow].volume * r.weight)
            best = max(best, sum(value.values()))
        assert res.objective == pytest.approx(best, abs=1e-6)
        assert greedy(prob, p).covered_flow <= res.objective + 1e-6
    # a detour path goes O → via → D and its weight falls linearly with the detour
    detour = next(r for r in routes if r.via is not None)
    assert cands[detour.via].node in detour.path.nodes
    assert detour.weight == pytest.approx(1 - 0.5 * detour.deviation_km / 120.0)


def _capacitated_reference(
    prob: SitingProblem, p: int, sizes: list[SizeClass], kg: np.ndarray
) -> tuple[float, float]:
    """Max served flow (then min cost) over every p-set and size assignment, by LP."""
    n = prob.n_candidates
    best = (-1.0, 0.0)
    for combo in combinations(range(n), p):
        open_ = set(combo)
        served = [
            q
            for q, f in enumerate(prob.flows)
            if round_trip_ok(f.path.positions_km, f.path.nodes, open_, prob.range_km)
        ]
        for assign in product(range(len(sizes)), repeat=p):
            cap = {k: sizes[s].kg_per_day for k, s in zip(combo, assign, strict=True)}
            cost = sum(sizes[s].cost for s in assign)
            # variables: y_q for served flows, then z_qk for open k on q's path
            z = [(q, k) for q in served for k in sorted(set(prob.flows[q].path.nodes) & open_)]
            nv = len(served) + len(z)
            if nv == 0:
                value = 0.0
            else:
                c = np.zeros(nv)
                c[: len(served)] = [-prob.flows[q].volume for q in served]
                a_eq = np.zeros((len(served), nv))
                for i, q in enumerate(served):
                    a_eq[i, i] = -kg[q]
                for j, (q, _) in enumerate(z):
                    a_eq[served.index(q), len(served) + j] = 1.0
                a_ub = np.zeros((len(combo), nv))
                for j, (_, k) in enumerate(z):
                    a_ub[combo.index(k), len(served) + j] = 1.0
                bounds = [(0, 1)] * len(served) + [(0, None)] * len(z)
                lp = linprog(
                    c,
                    A_ub=a_ub,
                    b_ub=[cap[k] for k in combo],
                    A_eq=a_eq,
                    b_eq=np.zeros(len(served)),
                    bounds=bounds,
                    method="highs",
                )
                value = -lp.fun
            if value > best[0] + 1e-7 or (abs(value - best[0]) <= 1e-7 and cost < best[1]):
                best = (value, cost)
    return best


@pytest.mark.parametrize("seed", (1, 2))
def test_capacitated_equals_enumeration(seed: int) -> None:
    net, flows = random_network(seed, n=7)
    sizes = [SizeClass("small", 300.0, 10.0), SizeClass("large", 900.0, 16.0)]
    kg = np.array([f.volume * 20.0 for f in flows])  # kg/day per flow
    prob = SitingProblem.build(net, flows, every_node(net), 250.0)
    for p in (1, 2, 3):
        res = milp.solve(prob, p=p, sizes=sizes, kg_per_flow=kg, gap=0.0)
        served, cost = _capacitated_reference(prob, p, sizes, kg)
        assert res.objective == pytest.approx(served, abs=1e-5)
        got_cost = sum(sizes[s].cost for s in res.size_of.values())
        assert got_cost == pytest.approx(cost)
        for k, used in res.supply.items():
            assert used <= sizes[res.size_of[k]].kg_per_day + 1e-6


def test_capacity_limits_what_is_served() -> None:
    """A flow needing more than the largest size is only partly served."""
    net = SitingNetwork.load(SMALL)
    flow = Flow("10", "13", 10.0, paths_to(net, [(0, 3)])[0], 0, 3)
    prob = SitingProblem.build(net, [flow], every_node(net), 900.0)
    res = milp.solve(
        prob, p=1, sizes=[SizeClass("s", 100.0, 1.0)], kg_per_flow=np.array([400.0]), gap=0.0
    )
    assert res.objective == pytest.approx(10.0 * 100.0 / 400.0)


def test_repeated_node_paths_use_both_visits() -> None:
    """A given path may pass a node twice (a detour): stations count at every visit."""
    net = SitingNetwork.load(SMALL)
    p = net.path_from_ids(["10", "11", "12", "11", "15"])
    assert isinstance(p, NetworkPath)
    sets = cover_sets(p.positions_km, [[n] for n in p.nodes], 300.0)
    for open_ in ({1}, {0, 2}, {5}, {1, 5}):
        by_sets = all(any(k in open_ for k in s) for s in sets)
        assert by_sets == round_trip_ok(p.positions_km, p.nodes, open_, 300.0)
