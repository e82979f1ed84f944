"""The arc-cover MILP equals exhaustive enumeration on the classic 25-node FRLM network."""

from __future__ import annotations

import numpy as np
import pytest
from frlm_brute import enumerate_best, round_trip_ok
from siting_data import all_nodes, frlm_flows, frlm_network, simulation_paths

from h2lane.siting import milp
from h2lane.siting.greedy import greedy
from h2lane.siting.pathbased import solve_path_based
from h2lane.siting.problem import SitingProblem

RANGES = (6.0, 8.0, 12.0, 16.0, 20.0, 30.0)


@pytest.fixture(scope="module")
def network():  # type: ignore[no-untyped-def]
    net, ods = frlm_network()
    return net, ods, frlm_flows(net, ods)


def test_tie_break_is_the_files_lexicographic_path(network) -> None:  # type: ignore[no-untyped-def]
    net, ods, _ = network
    for r in ods:
        path = net.shortest_path(net.index[r["origin"]], net.index[r["destination"]])
        assert path.length_km == pytest.approx(float(r["sp_length"]))
        assert "-".join(net.ids[n] for n in path.nodes) == r["shortest_path_nodes"]


def _check(network, range_km: float, ps: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    net, _, flows = network
    cands = all_nodes(net)
    prob = SitingProblem.build(net, flows, cands, range_km)
    paths = simulation_paths(flows)
    for p in ps:
        res = milp.solve(prob, p=p, gap=0.0)
        best, _ = enumerate_best(paths, prob.volumes, range(25), p, range_km)
        assert res.optimal
        assert res.objective == pytest.approx(best, rel=1e-9, abs=1e-6), (range_km, p)
        chosen = {int(k) for k in np.flatnonzero(res.open_mask)}
        assert len(chosen) == p
        simulated = sum(
            v
            for (pos, nodes), v in zip(paths, prob.volumes, strict=True)
            if round_trip_ok(pos, nodes, chosen, range_km)
        )
        assert simulated == pytest.approx(res.objective, rel=1e-9)
        heur = greedy(prob, p)
        assert heur.covered_flow <= res.objective + 1e-6


@pytest.mark.parametrize("range_km", RANGES)
def test_milp_equals_enumeration_p1_to_p4(network, range_km: float) -> None:  # type: ignore[no-untyped-def]
    _check(network, range_km, (1, 2, 3, 4))


def test_long_range_single_station_is_flow_capturing(network) -> None:  # type: ignore[no-untyped-def]
    """With R ≥ 2 × diameter any station on the path refuels it (PROVENANCE check 1)."""
    net, _, flows = network
    prob = SitingProblem.build(net, flows, all_nodes(net), 76.0)
    res = milp.solve(prob, p=1, gap=0.0)
    through = {k: sum(f.volume for f in flows if k in f.path.nodes) for k in range(net.n_nodes)}
    assert res.objective == pytest.approx(max(through.values()))


@pytest.mark.parametrize("range_km", (8.0, 12.0, 20.0))
def test_path_based_formulation_agrees(network, range_km: float) -> None:  # type: ignore[no-untyped-def]
    """Kuby & Lim's combination formulation gives the same optimum as the arc cover."""
    net, _, flows = network
    prob = SitingProblem.build(net, flows, all_nodes(net), range_km)
    for p in (2, 4):
        assert solve_path_based(prob, p, gap=0.0).objective == pytest.approx(
            milp.solve(prob, p=p, gap=0.0).objective, rel=1e-9
        )
