"""Station graph, range alarm, full-refuel Dijkstra and the exact candidate filter."""

import dataclasses
import json
import os
import time
from datetime import datetime

import numpy as np
import pytest

from h2lane import forking
from h2lane.errors import InfeasibleTripError, OptionError
from h2lane.roads.graph import RoadGraph
from h2lane.routing import stationgraph as sgm
from h2lane.routing.rest import RestRules
from h2lane.routing.trip import TripRequest, Waypoint, plan_trip
from h2lane.scenario import load_scenario
from tests.paths import DATA

FIX = DATA / "stationgraph"


@pytest.fixture(scope="module")
def scen():
    return load_scenario("shanxi-tianjin")


@pytest.fixture(scope="module")
def cases():
    return json.loads((FIX / "cases.json").read_text(encoding="utf-8"))


def _stations(scen, north_china, extra_nodes, seed, windows=False):
    """The bundled stations (24 h unless ``windows``) plus stations on the given nodes."""
    rng = np.random.default_rng(seed)
    out = [
        _on_node(s if windows else dataclasses.replace(s, opening_hours="00:00-24:00"), north_china)
        for s in scen.stations
    ]
    for i, node in enumerate(extra_nodes):
        out.append(
            dataclasses.replace(
                scen.stations[1],
                id=f"x{i}",
                name=f"extra {i}",
                lat=float(north_china.lat[node]),
                lon=float(north_china.lon[node]),
                price=float(rng.choice([35.0, 45.0, 55.0, 60.0])),
                nozzle_flow_g_s=float(rng.choice([30.0, 60.0, 120.0])),
                opening_hours="07:00-19:00" if windows and rng.random() < 0.5 else "00:00-24:00",
            )
        )
    return out


def _on_node(point, graph):
    """The point moved onto its road node: the station graph, like the planner's brute force,
    has no off-road access (trip planning counts it; the comparison must not)."""
    node = graph.snap(point.lat, point.lon).node
    return dataclasses.replace(point, lat=float(graph.lat[node]), lon=float(graph.lon[node]))


def _request(scen, names, loaded, **kw):
    graph = RoadGraph.bundled()
    wps = [_on_node(Waypoint(p.name, p.lat, p.lon), graph) for p in (scen.place(n) for n in names)]
    truck = scen.truck_type(kw.pop("truck", "pengfei-49t"))
    args = dict(
        waypoints=wps,
        truck=truck,
        loaded=loaded,
        start_kg=truck.tank_kg,
        reserve_kg=5.0,
        depart=datetime(2026, 12, 1, 6, 0),
        rest=RestRules.off(),  # the station graph plans without driver rest rules
    )
    args.update(kw)
    return TripRequest(**args)


def _value(req, stations, graph):
    try:
        sol = plan_trip(graph, stations, req).solution
    except InfeasibleTripError:
        return None
    return sol.duration_h if req.objective == "time" else sol.cost


# ---------------------------------------------------------------- station graph
def test_station_graph_built_in_two_processes_equals_one(north_china, cases, monkeypatch):
    """The CCH build split over a forked process gives the same arcs as in one process."""
    nodes = np.array(cases["graph_nodes"], dtype=np.int64)
    nodes[7] = nodes[3]
    one = sgm.StationGraph(north_china, nodes, 250.0)
    monkeypatch.setattr(sgm, "PROCESS_MIN_STATIONS", 1)
    monkeypatch.setattr(forking, "others_running", lambda: False)  # as in a plain process
    forked = []
    real = sgm.in_processes

    def spy(work, shares):
        out = real(work, shares)
        forked.append(out is not None)
        return out

    monkeypatch.setattr(sgm, "in_processes", spy)
    two = sgm.StationGraph(north_china, nodes, 250.0)
    assert forked == [True]
    for a, b in ((one.indptr, two.indptr), (one.idx, two.idx), (one.metres, two.metres)):
        assert np.array_equal(a, b) and a.dtype == b.dtype
    assert one.n_arcs > 0


def test_station_graph_equals_thresholded_matrix(north_china, cases):
    nodes = np.array(cases["graph_nodes"], dtype=np.int64)
    nodes[7] = nodes[3]  # two stations on one node: a 0 m arc both ways
    range_km = 250.0
    a = sgm.StationGraph(north_china, nodes, range_km, method="cch")
    b = sgm.StationGraph(north_china, nodes, range_km, method="dijkstra")
    full = north_china.matrix_km(nodes, nodes)
    want = (full <= range_km) & ~np.eye(len(nodes), dtype=bool)
    assert a.n_arcs == int(want.sum()) > 0 and a.n_arcs < len(nodes) * (len(nodes) - 1)
    for sg in (a, b):
        for i in range(len(nodes)):
            row = slice(sg.indptr[i], sg.indptr[i + 1])
            assert sg.idx[row].tolist() == np.flatnonzero(want[i]).tolist()
            assert np.array_equal(sg.metres[row], np.round(full[i, want[i]] * 1000).astype(int))
    assert a.hop_m(3, 7) == 0 and a.hop_m(7, 3) == 0
    sub = [3, 7, 12, 30]
    dense = a.dense_km(sub)
    inner = full[np.ix_(sub, sub)]
    assert np.array_equal(dense, np.where(inner <= range_km, inner, np.inf))
    far = np.unravel_index(np.argmax(np.where(np.isfinite(full), full, -1)), full.shape)
    assert a.hop_m(int(far[0]), int(far[1])) == -1


def test_station_graph_rejects_bad_input(north_china):
    with pytest.raises(OptionError, match="range_km"):
        sgm.StationGraph(north_china, [1, 2], float("nan"))
    with pytest.raises(OptionError, match="range_km"):
        sgm.StationGraph(north_china, [1, 2], -5)
    with pytest.raises(OptionError, match="station nodes"):
        sgm.StationGraph(north_china, [1, north_china.n_nodes], 100)
    with pytest.raises(OptionError, match="one finite value"):
        sgm.StationGraph(north_china, [1, 2], 100, price=np.array([1.0, np.inf]))


# ---------------------------------------------------------------- range alarm
def test_reach_equals_brute_force(north_china, cases):
    nodes = np.array(cases["graph_nodes"], dtype=np.int64)
    sg = sgm.StationGraph(north_china, nodes, 400.0)
    sg.prepare_reach(3)
    probes = np.array(cases["probe_nodes"], dtype=np.int64)
    d = north_china.matrix_km(probes, nodes)
    checked = 0
    for p, row in zip(probes, d, strict=True):
        for rng_km in (30.0, 120.0, 600.0):
            for k in (1, 3, 6):  # k = 6 is beyond the table: bounded Dijkstra fallback
                got = sg.reach(rng_km, node=int(p), k=k)
                order = np.argsort(row, kind="stable")
                want = [float(row[j]) for j in order if row[j] <= rng_km + 1e-9][:k]
                assert got.km == pytest.approx(want, abs=1e-6)
                assert got.reachable == bool(want)
                assert [float(row[s]) for s in got.stations] == pytest.approx(want, abs=1e-6)
                checked += bool(want)
    assert checked > 10


def test_reach_from_lat_lon_and_kg(north_china, scen):
    sg = sgm.StationGraph.from_stations(north_china, scen.stations, 300.0)
    tj = scen.place("Tianjin Port")
    r = sg.reach(50.0, lat=tj.lat, lon=tj.lon)
    assert r.reachable and scen.stations[r.stations[0]].id == "tianjin-rongcheng"
    assert r.snap_km > 0 and r.km[0] > r.snap_km
    # 8 kg with a 5 kg reserve at 9 kg/100 km: 33 km of range, Rongcheng is ~26 km away
    kg = sg.reach_kg(8.0, 9.0, 5.0, lat=tj.lat, lon=tj.lon)
    assert kg.reachable == (r.km[0] <= 3.0 / 0.09)
    none = sg.reach_kg(5.5, 9.0, 5.0, lat=tj.lat, lon=tj.lon)
    assert not none.reachable and none.stations == []
    with pytest.raises(OptionError, match="range_km"):
        sg.reach(-1.0, node=0)
    with pytest.raises(OptionError, match="position"):
        sg.reach(10.0)
    with pytest.raises(OptionError, match="kg_per_100km"):
        sg.reach_kg(10.0, 0.0, 5.0, node=0)


# ---------------------------------------------------------------- full refuels
@pytest.mark.parametrize("objective", ["time", "cost"])
def test_full_refuel_dijkstra_equals_planner(north_china, scen, cases, objective):
    stations = _stations(scen, north_china, cases["corridor_nodes"][:6], seed=3)
    req = _request(
        scen,
        ["Xiaoyi", "Tianjin Port", "Xiaoyi"],
        [True, False],
        objective=objective,
        full_refuel=True,
    )
    sg = sgm.StationGraph.from_stations(north_china, stations, 964.0)
    spec = sgm.TripSpec.from_request(north_china, req)
    path = sgm.full_refuel_path(sg, spec, objective)
    sol = plan_trip(north_china, stations, req).solution
    want = sol.duration_h if objective == "time" else sol.cost
    assert path is not None and path.value == pytest.approx(want, rel=1e-12)
    assert path.distance_km == pytest.approx(sol.distance_km, abs=1e-6)
    assert len(path.stops) == len(sol.stops)


def test_full_refuel_dijkstra_infeasible(north_china, scen):
    only = [s for s in scen.stations if s.id == "xiaoyi-beiyao"]
    req = _request(scen, ["Xiaoyi", "Tianjin Port"], [True], truck="legacy-35mpa")
    sg = sgm.StationGraph.from_stations(north_china, only, 964.0)
    assert sgm.full_refuel_path(sg, sgm.TripSpec.from_request(north_china, req)) is None


# ---------------------------------------------------------------- exact filter
def test_filter_keeps_the_optimum_on_random_cases(north_china, scen, cases):
    rng = np.random.default_rng(11)
    pool = cases["corridor_nodes"]
    checked = 0
    for case in range(5):
        extra = [int(x) for x in rng.choice(pool, size=5, replace=False)]
        stations = _stations(scen, north_china, extra, seed=case, windows=case % 2 == 1)
        truck = scen.truck_type("pengfei-49t" if case % 3 else "legacy-35mpa")
        start = float(rng.uniform(15.0, truck.tank_kg))
        names = (
            ["Xiaoyi", "Tianjin Port", "Xiaoyi"] if case % 2 == 0 else ["Xiaoyi", "Tianjin Port"]
        )
        loaded = [True, False][: len(names) - 1]
        sg = sgm.StationGraph.from_stations(north_china, stations, 964.0)
        for objective in ("time", "cost"):
            req = _request(
                scen,
                names,
                loaded,
                objective=objective,
                start_kg=start,
                truck=truck.id,
                depart=datetime(2026, 12, 1, int(rng.integers(0, 24)), 0),
            )
            spec = sgm.TripSpec.from_request(north_china, req)
            ub = sgm.upper_bound(sg, spec, objective, depart_h=req.depart.hour)
            full = _value(req, stations, north_china)
            if ub is None:
                continue
            assert full is not None and full <= ub.value + 1e-9  # a true upper bound
            cand = sgm.candidate_stations(sg, spec, objective, ub.value)
            sub = [stations[i] for i in cand.stations]
            assert _value(req, sub, north_china) == pytest.approx(full, rel=1e-12)
            checked += 1
    assert checked >= 6


def test_filter_drops_far_and_dear_stations(north_china, scen):
    stations = _stations(scen, north_china, [], seed=0)
    lanzhou = north_china.snap(36.06, 103.83)
    stations.append(
        dataclasses.replace(stations[0], id="far", lat=lanzhou.lat, lon=lanzhou.lon, price=1.0)
    )
    req = _request(scen, ["Xiaoyi", "Tianjin Port", "Xiaoyi"], [True, False])
    sg = sgm.StationGraph.from_stations(north_china, stations, 964.0)
    spec = sgm.TripSpec.from_request(north_china, req)
    ub = sgm.upper_bound(sg, spec, "time")
    assert ub is not None
    cand = sgm.candidate_stations(sg, spec, "time", ub.value)
    assert len(stations) - 1 not in cand.stations.tolist()
    assert 0 < len(cand.stations) < len(stations)
    assert _value(req, [stations[i] for i in cand.stations], north_china) == pytest.approx(
        _value(req, stations, north_china), rel=1e-12
    )
    # a bound below the optimum leaves nothing: the filter really filters
    assert sgm.candidate_stations(sg, spec, "time", 1.0).stations.size == 0


def test_trip_spec_rejects_bad_input():
    nodes = np.array([0, 1])
    with pytest.raises(OptionError, match="reserve_kg"):
        sgm.TripSpec(nodes, np.array([0.09]), 40.0, 40.0, 40.0, 60.0)
    with pytest.raises(OptionError, match="start_kg"):
        sgm.TripSpec(nodes, np.array([0.09]), 40.0, 50.0, 5.0, 60.0)
    with pytest.raises(OptionError, match="kg_per_km"):
        sgm.TripSpec(nodes, np.array([float("nan")]), 40.0, 40.0, 5.0, 60.0)
    with pytest.raises(OptionError, match="one consumption per leg"):
        sgm.TripSpec(nodes, np.array([0.09, 0.05]), 40.0, 40.0, 5.0, 60.0)


# ---------------------------------------------------------------- compiled search
def test_compiled_search_equals_planner(north_china, scen, cases):
    from h2lane.routing.stationsearch import solve_station_graph

    rng = np.random.default_rng(5)
    checked = 0
    for case in range(4):
        extra = [int(x) for x in rng.choice(cases["corridor_nodes"], size=6, replace=False)]
        stations = _stations(scen, north_china, extra, seed=case, windows=case % 2 == 0)
        sg = sgm.StationGraph.from_stations(north_china, stations, 964.0)
        names = ["Xiaoyi", "Tianjin Port", "Xiaoyi"] if case < 2 else ["Tianjin Port", "Xiaoyi"]
        for objective in ("time", "cost"):
            for full in (False, True):
                req = _request(
                    scen,
                    names,
                    [True, False][: len(names) - 1],
                    objective=objective,
                    full_refuel=full,
                    start_kg=float(rng.uniform(20.0, 58.0)),
                    depart=datetime(2026, 12, 1, int(rng.integers(0, 24)), 0),
                )
                spec = sgm.TripSpec.from_request(north_china, req)
                got = solve_station_graph(
                    sg, spec, objective, full_refuel=full, depart_h=req.depart.hour
                )
                try:
                    want = plan_trip(north_china, stations, req).solution
                except InfeasibleTripError:
                    assert got is None
                    continue
                assert got is not None
                assert got.duration_h == pytest.approx(want.duration_h, rel=1e-9)
                assert got.cost == pytest.approx(want.cost, rel=1e-9)
                assert got.distance_km == pytest.approx(want.distance_km, rel=1e-9)
                assert got.end_kg == pytest.approx(want.end_kg, abs=1e-6)
                # the same optimum on the filtered (leg, station) pairs only
                sgm_dist = sg.trip_distances(spec)
                ub: float | None
                if full:  # the optimum itself is the tightest valid bound
                    ub = want.duration_h if objective == "time" else want.cost
                else:
                    b = sgm.upper_bound(sg, spec, objective, sgm_dist, req.depart.hour)
                    ub = None if b is None else b.value
                if ub is not None:
                    cand = sgm.candidate_stations(sg, spec, objective, ub, sgm_dist)
                    sub = solve_station_graph(
                        sg,
                        spec,
                        objective,
                        full_refuel=full,
                        depart_h=req.depart.hour,
                        dist=sgm_dist,
                        leg_mask=cand.leg_mask,
                    )
                    assert sub is not None
                    assert sub.duration_h == pytest.approx(got.duration_h, rel=1e-12)
                    assert sub.cost == pytest.approx(got.cost, rel=1e-12)
                    assert all(cand.leg_mask[s.leg, s.station] for s in sub.stops)
                checked += 1
    assert checked >= 10


def test_compiled_search_limits(north_china, scen):
    from h2lane.errors import ResourceLimitError
    from h2lane.routing.stationsearch import solve_station_graph

    stations = _stations(scen, north_china, [], seed=0)
    req = _request(scen, ["Xiaoyi", "Tianjin Port", "Xiaoyi"], [True, False])
    spec = sgm.TripSpec.from_request(north_china, req)
    short = sgm.StationGraph.from_stations(north_china, stations, 300.0)
    with pytest.raises(OptionError, match="range_km"):
        solve_station_graph(short, spec)
    sg = sgm.StationGraph.from_stations(north_china, stations, 964.0)
    with pytest.raises(ResourceLimitError, match="labels"):
        solve_station_graph(sg, spec, max_labels=10)


# ---------------------------------------------------------------- disk cache
def test_saved_station_graph_loads_only_for_what_it_was_built_from(north_china, cases, tmp_path):
    nodes = np.array(cases["graph_nodes"], dtype=np.int64)
    price = np.linspace(30.0, 60.0, len(nodes))
    built = sgm.StationGraph(north_china, nodes, 250.0, price=price)
    path = tmp_path / "sub" / "sg.npz"
    built.save(path)
    assert path.exists() and not list(path.parent.glob("*.tmp"))  # renamed into place
    got = sgm.StationGraph.load(path, north_china, nodes, 250.0, price=price)
    assert got is not None and got.n_arcs == built.n_arcs > 0
    for a, b in ((built.indptr, got.indptr), (built.idx, got.idx), (built.metres, got.metres)):
        assert np.array_equal(a, b) and a.dtype == b.dtype
    assert np.array_equal(got.price, price) and got.range_km == 250.0
    assert got.hop_m(3, 9) == built.hop_m(3, 9)
    # the attributes are not part of the file: they come from the caller
    other_price = sgm.StationGraph.load(path, north_china, nodes, 250.0)
    assert other_price is not None and not other_price.price.any()
    # another range, other nodes, another road graph: not this file
    assert sgm.StationGraph.load(path, north_china, nodes, 251.0) is None
    moved = nodes.copy()
    moved[5] += 1
    assert sgm.StationGraph.load(path, north_china, moved, 250.0) is None
    assert sgm.StationGraph.load(path, north_china, nodes[:-1], 250.0) is None
    longer = north_china.length_m.copy()
    longer[0] += 1
    roads = RoadGraph(north_china.lat, north_china.lon, north_china.u, north_china.v, longer)
    assert sgm.StationGraph.load(path, roads, nodes, 250.0) is None
    assert sgm.StationGraph.load(tmp_path / "missing.npz", north_china, nodes, 250.0) is None


def test_corrupt_or_foreign_station_graph_file_is_refused(
    north_china, cases, tmp_path, monkeypatch
):
    nodes = np.array(cases["graph_nodes"], dtype=np.int64)
    path = tmp_path / "sg.npz"
    sgm.StationGraph(north_china, nodes, 250.0).save(path)
    data = path.read_bytes()
    for broken in (data[: len(data) // 2], data[:-30], b"", b"not a zip file"):
        path.write_bytes(broken)
        assert sgm.StationGraph.load(path, north_china, nodes, 250.0) is None
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside the arcs: the zip CRC no longer matches
    path.write_bytes(bytes(flipped))
    assert sgm.StationGraph.load(path, north_china, nodes, 250.0) is None
    path.write_bytes(data)
    assert sgm.StationGraph.load(path, north_china, nodes, 250.0) is not None
    monkeypatch.setattr(sgm, "CACHE_FORMAT", sgm.CACHE_FORMAT + 1)
    assert sgm.StationGraph.load(path, north_china, nodes, 250.0) is None
    monkeypatch.undo()
    # right identity, arcs that are no CSR of these stations
    with np.load(path) as z:
        fields = {k: z[k] for k in z.files}
    bad_idx = fields["idx"].copy()
    bad_idx[0] = len(nodes)
    for change in ({"idx": bad_idx}, {"metres": fields["metres"].astype(np.int64)}):
        np.savez(path, **{**fields, **change})
        assert sgm.StationGraph.load(path, north_china, nodes, 250.0) is None


def _trip_cache(monkeypatch, tmp_path, min_stations=20):
    """The trip planner's disk cache in ``tmp_path`` from ``min_stations`` on, memory empty."""
    from h2lane.routing import trip as trip_mod

    monkeypatch.setenv("H2LANE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("H2LANE_NO_CACHE", raising=False)
    monkeypatch.setattr(trip_mod, "DISK_CACHE_MIN_STATIONS", min_stations)
    monkeypatch.setattr(trip_mod, "_GRAPH_CACHE", [])
    return trip_mod


def test_trip_plan_from_the_disk_cache_equals_a_fresh_build(
    north_china, scen, cases, tmp_path, monkeypatch
):
    trip_mod = _trip_cache(monkeypatch, tmp_path)
    stations = _stations(scen, north_china, cases["corridor_nodes"], seed=7, windows=True)
    req = _request(scen, ["Xiaoyi", "Tianjin Port", "Xiaoyi"], [True, False], objective="cost")
    fresh = plan_trip(north_china, stations, req).to_dict()
    files = list(tmp_path.glob("stationgraph-*.npz"))
    assert len(files) == 1
    trip_mod._GRAPH_CACHE.clear()
    builds = []
    real = sgm.StationGraph._build_cch
    monkeypatch.setattr(sgm.StationGraph, "_build_cch", lambda self: builds.append(1) or real(self))
    cached = plan_trip(north_china, stations, req).to_dict()
    assert builds == [] and cached == fresh
    # the in-memory cache holds the loaded graph: no second read
    assert trip_mod._GRAPH_CACHE[0][2].n == len(stations)
    # a moved station or another range is another graph (built, and kept beside the first)
    moved = list(stations)
    moved[-1] = dataclasses.replace(moved[-1], lat=moved[-1].lat + 0.05)
    trip_mod._GRAPH_CACHE.clear()
    plan_trip(north_china, moved, req)
    assert builds == [1] and len(list(tmp_path.glob("stationgraph-*.npz"))) == 2
    smaller = dataclasses.replace(req.truck, tank_kg=40.0)
    trip_mod._GRAPH_CACHE.clear()
    plan_trip(north_china, stations, dataclasses.replace(req, truck=smaller, start_kg=40.0))
    assert builds == [1, 1] and len(list(tmp_path.glob("stationgraph-*.npz"))) == 3
    # a price change keeps the arcs: read from the file, the new prices used
    dearer = [dataclasses.replace(s, price=s.price + 10.0) for s in stations]
    trip_mod._GRAPH_CACHE.clear()
    got = plan_trip(north_china, dearer, req).to_dict()
    trip_mod._GRAPH_CACHE.clear()
    monkeypatch.setenv("H2LANE_NO_CACHE", "1")
    assert builds == [1, 1] and got == plan_trip(north_china, dearer, req).to_dict()
    assert builds == [1, 1, 1]


def test_trip_rebuilds_a_truncated_cache_file(north_china, scen, cases, tmp_path, monkeypatch):
    trip_mod = _trip_cache(monkeypatch, tmp_path)
    stations = _stations(scen, north_china, cases["corridor_nodes"], seed=8)
    req = _request(scen, ["Xiaoyi", "Tianjin Port"], [True], objective="time")
    want = plan_trip(north_china, stations, req).to_dict()
    (path,) = tmp_path.glob("stationgraph-*.npz")
    path.write_bytes(path.read_bytes()[:1000])
    trip_mod._GRAPH_CACHE.clear()
    assert plan_trip(north_china, stations, req).to_dict() == want
    nodes = trip_mod._GRAPH_CACHE[0][2].nodes
    again = sgm.StationGraph.load(path, north_china, nodes, trip_mod.truck_range_km(req.truck))
    assert again is not None  # written anew


def test_trip_disk_cache_off_and_small_station_sets(
    north_china, scen, cases, tmp_path, monkeypatch
):
    _trip_cache(monkeypatch, tmp_path, min_stations=len(cases["corridor_nodes"]) + 8)
    stations = _stations(scen, north_china, cases["corridor_nodes"][:20], seed=9)
    req = _request(scen, ["Xiaoyi", "Tianjin Port"], [True])
    plan_trip(north_china, stations, req)
    assert not list(tmp_path.iterdir())  # below the threshold: memory only
    trip_mod = _trip_cache(monkeypatch, tmp_path)
    monkeypatch.setenv("H2LANE_NO_CACHE", "1")
    assert trip_mod.cache_dir() is None
    plan_trip(north_china, stations, req)
    assert not list(tmp_path.iterdir())
    monkeypatch.setenv("H2LANE_NO_CACHE", "0")
    assert trip_mod.cache_dir() == tmp_path
    monkeypatch.delenv("H2LANE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert trip_mod.cache_dir() == tmp_path / "xdg" / "h2lane"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # not absolute: ignored (XDG spec)
    assert trip_mod.cache_dir() == trip_mod.Path.home() / ".cache" / "h2lane"

    def no_home() -> None:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(trip_mod.Path, "home", staticmethod(no_home))
    assert trip_mod.cache_dir() is None


def test_trip_disk_cache_keeps_the_most_recent_files(north_china, cases, tmp_path, monkeypatch):
    trip_mod = _trip_cache(monkeypatch, tmp_path, min_stations=2)
    monkeypatch.setattr(trip_mod, "DISK_CACHE_FILES", 2)
    nodes = np.array(cases["graph_nodes"][:6], dtype=np.int64)
    attrs = {"price": np.zeros(len(nodes))}
    paths = [trip_mod._disk_path(tmp_path, north_china, nodes, km) for km in (100.0, 110.0)]
    trip_mod._cached_graph(north_china, nodes, attrs, 100.0)
    trip_mod._cached_graph(north_china, nodes, attrs, 110.0)
    now = time.time()
    os.utime(paths[1], (now - 50.0, now - 50.0))
    os.utime(paths[0], (now - 10.0, now - 10.0))  # the first one used more recently
    trip_mod._cached_graph(north_china, nodes, attrs, 120.0)
    left = sorted(tmp_path.glob("stationgraph-*.npz"))
    assert len(left) == 2 and paths[0] in left and paths[1] not in left
    # a size cap removes older files too, but never the newest; stale temporary files go
    newest = trip_mod._disk_path(tmp_path, north_china, nodes, 120.0)
    stale, fresh = tmp_path / ".stationgraph-x.tmp", tmp_path / ".stationgraph-y.tmp"
    stale.write_bytes(b"interrupted")
    fresh.write_bytes(b"being written")
    os.utime(stale, (now - 7200.0, now - 7200.0))
    trip_mod._prune(tmp_path, 8, 1)
    assert sorted(tmp_path.glob("stationgraph-*.npz")) == [newest]
    assert not stale.exists() and fresh.exists()


def test_trip_kernels_are_cached_on_disk():
    """Every compiled kernel of the trip path keeps its machine code on disk (``cache=True``),
    so a new ``h2lane trip`` process loads it instead of compiling again."""
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    from h2lane.routing import refuelkernel, stationkernels

    kernels = [
        (mod.__name__, name, f)
        for mod in (stationkernels, refuelkernel)
        for name, f in vars(mod).items()
        if isinstance(f, CPUDispatcher)
    ]
    assert len(kernels) > 10
    assert [(m, n) for m, n, f in kernels if isinstance(f._cache, NullCache)] == []
