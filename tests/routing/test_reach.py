"""The range alarm's query: nearest stations by road, kg needed, reachable with the reserve."""

import dataclasses
import json

import numpy as np
import pytest

from h2lane.errors import OptionError
from h2lane.routing.reach import StationReach
from h2lane.scenario import load_scenario
from tests.paths import DATA


@pytest.fixture(scope="module")
def scen():
    return load_scenario("shanxi-tianjin")


@pytest.fixture(scope="module")
def stations(scen, north_china):
    """The bundled stations (off-road by their snap distance) plus some on graph nodes."""
    nodes = json.loads((DATA / "stationgraph" / "cases.json").read_text())["graph_nodes"]
    extra = [
        dataclasses.replace(
            scen.stations[1],
            id=f"x{i}",
            lat=float(north_china.lat[v]) + 0.01 * (i % 3),  # some off the road
            lon=float(north_china.lon[v]),
        )
        for i, v in enumerate(nodes)
    ]
    return [*scen.stations, *extra]


def test_nearest_equal_a_brute_force_with_both_accesses(north_china, stations):
    reach = StationReach(north_china, stations, k=3)
    st_nodes, st_snap = north_china.snap_many(
        np.array([s.lat for s in stations]), np.array([s.lon for s in stations])
    )
    probes = np.random.default_rng(4).integers(0, north_china.n_nodes, 25)
    road = north_china.matrix_km(probes, st_nodes)  # CCH, independent of the table's Dijkstra
    for p, row in zip(probes, road, strict=True):
        total = row + np.round(st_snap * 1000.0) / 1000.0
        want = np.sort(total[np.isfinite(total)])[:3]
        r = reach.query(int(p), h2_kg=30.0, kg_per_100km=9.0, reserve_kg=5.0)
        assert [km for _, km, _ in r.nearest] == pytest.approx(list(want), abs=2e-3)
        assert [kg for _, _, kg in r.nearest] == pytest.approx(list(want * 0.09), abs=2e-4)
        assert r.reachable == bool(want.size and want[0] * 0.09 <= 25.0 + 1e-9)
        assert r.range_km == pytest.approx(25.0 / 0.09)


def test_lat_lon_adds_the_snap_and_the_reserve_decides(north_china, scen):
    reach = StationReach(north_china, scen.stations)
    tj = scen.place("Tianjin Port")
    r = reach.query((tj.lat, tj.lon), h2_kg=20.0, kg_per_100km=9.0, reserve_kg=5.0)
    sid, km, kg = r.nearest[0]
    assert sid == "tianjin-rongcheng" and r.reachable and r.snap_km > 0 and km > r.snap_km
    assert kg == pytest.approx(km * 0.09, abs=1e-6)
    # just below and just above what the nearest station needs
    low = reach.query((tj.lat, tj.lon), h2_kg=5.0 + kg - 0.01, kg_per_100km=9.0, reserve_kg=5.0)
    high = reach.query((tj.lat, tj.lon), h2_kg=5.0 + kg + 0.01, kg_per_100km=9.0, reserve_kg=5.0)
    assert not low.reachable and low.nearest[0][0] == sid  # the alarm still names it
    assert high.reachable


def test_beyond_the_table_falls_back_to_a_bounded_search(north_china, scen):
    near = StationReach(north_china, scen.stations[:1], max_km=1.0)  # a table holding ~nothing
    far = StationReach(north_china, scen.stations[:1])
    tj = scen.place("Tianjin Port")
    a = near.query((tj.lat, tj.lon), h2_kg=200.0, kg_per_100km=9.0)
    b = far.query((tj.lat, tj.lon), h2_kg=200.0, kg_per_100km=9.0)
    assert a.nearest == b.nearest and a.reachable and b.reachable


def test_bad_input_is_one_sentence(north_china, scen):
    reach = StationReach(north_china, scen.stations)
    for call, word in [
        (lambda: reach.query(0, h2_kg=-1.0, kg_per_100km=9.0), "h2_kg"),
        (lambda: reach.query(0, h2_kg=10.0, kg_per_100km=0.0), "kg_per_100km"),
        (lambda: reach.query(-5, h2_kg=10.0, kg_per_100km=9.0), "node"),
        (lambda: reach.query((1.0,), h2_kg=10.0, kg_per_100km=9.0), "position"),
        (lambda: reach.query("Xiaoyi", h2_kg=10.0, kg_per_100km=9.0), "position"),
    ]:
        with pytest.raises(OptionError, match=word):
            call()
    with pytest.raises(OptionError, match="k must"):
        StationReach(north_china, scen.stations, k=0)
