import itertools

import numpy as np
import pytest

from h2lane.errors import InputFileError, RoadNetworkError
from h2lane.roads.graph import RoadGraph


def test_bundled_graph_size_and_known_distance(north_china):
    assert north_china.n_nodes == 63724 and north_china.n_edges == 100905
    a = north_china.snap(37.15, 111.78)
    b = north_china.snap(38.98, 117.78)
    assert a.node == 39039 and b.node == 2272  # PROVENANCE.md snap checks
    km, nodes = north_china.path(a.node, b.node)
    assert km == pytest.approx(632.36, abs=0.01)  # PROVENANCE.md: 632.4 km
    assert nodes[0] == a.node and nodes[-1] == b.node


def test_cch_matches_scipy_reference(north_china):
    rng = np.random.default_rng(7)
    src = rng.choice(north_china.n_nodes, 12, replace=False)
    tgt = rng.choice(north_china.n_nodes, 200, replace=False)
    fast = north_china.matrix_km(src, tgt)
    ref = north_china.matrix_km(src, tgt, engine=north_china.reference_engine)
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-6)
    for s, t in zip(src[:5], tgt[:5], strict=True):
        km, nodes = north_china.path(int(s), int(t))
        ref_km, _ = north_china.reference_engine.path(int(s), int(t))
        assert km == pytest.approx(ref_km, abs=1e-6)
        assert len(set(nodes)) == len(nodes)  # a shortest path visits no node twice


def test_path_edges_add_up(north_china):
    a, b = north_china.snap(37.87, 112.55).node, north_china.snap(38.04, 114.51).node
    km, nodes = north_china.path(a, b)
    key = {}
    for u, v, w in zip(
        north_china.u.tolist(), north_china.v.tolist(), north_china.length_m.tolist(), strict=True
    ):
        for e in ((u, v), (v, u)):
            key[e] = min(key.get(e, 1 << 40), w)
    total = sum(key[(x, y)] for x, y in itertools.pairwise(nodes)) / 1000
    assert total == pytest.approx(km, abs=1e-9)


def test_small_csv_graph_with_parallel_edges_and_islands(data_dir):
    g = RoadGraph.load(data_dir / "mini-graph")
    assert g.n_nodes == 8
    idx = np.arange(g.n_nodes)
    fast = g.matrix_km(idx, idx)
    ref = g.matrix_km(idx, idx, engine=g.reference_engine)
    np.testing.assert_allclose(fast, ref, atol=1e-9)
    # node ids 10 and 14 (dense 0 and 4): 10-11-12-14 with the shorter parallel edge
    assert fast[0, 4] == pytest.approx(45.123 + 44.9 + 38.5)
    assert np.isinf(fast[0, 6])  # separate island


def test_snap_outside_coverage(north_china):
    with pytest.raises(RoadNetworkError, match="outside the graph's coverage"):
        north_china.snap(10.0, 10.0)


def test_csv_graph_errors(tmp_path):
    nodes = tmp_path / "nodes.csv"
    edges = tmp_path / "edges.csv"
    nodes.write_text("node_id,lat,lon\n1,38,114\n2,38.1,114.1\n")
    edges.write_text("u,v,length_km\n1,3,5\n")
    with pytest.raises(
        InputFileError,
        match=r"edges.csv, row 1 \(line 2\), field 'v': node 3 is not in the node file",
    ):
        RoadGraph.from_csv(nodes, edges)
    edges.write_text("u,v,length_km\n1,2,-4\n")
    with pytest.raises(InputFileError, match=r"row 1 \(line 2\), field 'length_km'"):
        RoadGraph.from_csv(nodes, edges)
    nodes.write_text("node_id,lat,lon\n1,98,114\n")
    with pytest.raises(InputFileError, match=r"nodes.csv, row 1 \(line 2\), field 'lat'"):
        RoadGraph.from_csv(nodes, edges)


def test_npz_round_trip(tmp_path, data_dir):
    g = RoadGraph.load(data_dir / "mini-graph")
    g.to_npz(tmp_path / "g.npz")
    h = RoadGraph.load(tmp_path / "g.npz")
    idx = np.arange(g.n_nodes)
    np.testing.assert_allclose(h.matrix_km(idx, idx), g.matrix_km(idx, idx))


def test_snap_many_remembers_lists_and_returns_fresh_arrays(north_china):
    """A point list snapped again gives the same nodes and km, in arrays of its own."""
    lat = np.array([37.145, 38.97583, 34.34])
    lon = np.array([111.785, 117.7875, 108.94])
    nodes, km = north_china.snap_many(lat, lon)
    ref = [north_china.snap(a, b) for a, b in zip(lat, lon, strict=True)]
    assert nodes.tolist() == [s.node for s in ref]
    assert km == pytest.approx([s.snap_km for s in ref])
    nodes[:] = -1
    km[:] = -1.0
    again, km2 = north_china.snap_many(lat.copy(), lon.copy())
    assert again.tolist() == [s.node for s in ref]
    assert km2 == pytest.approx([s.snap_km for s in ref])
    other, _ = north_china.snap_many(lat[:2], lon[:2])
    assert other.tolist() == [s.node for s in ref[:2]]


def test_distance_km_is_the_path_km(north_china):
    """The CCH distance without the node path is the path's km, ``inf`` for none."""
    eng = north_china.engine
    for a, b in [(39039, 2272), (0, 5000), (17, 17)]:
        assert eng.distance_km(a, b) == eng.path(a, b)[0]
