"""h2lane's own VRP format: bundled example, distance modes, malformed files, round trips."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from paths import DATA

from h2lane.errors import OptionError, RoadNetworkError
from h2lane.roads.geo import haversine_km
from h2lane.routing.vrp import (
    CUSTOMER,
    DEPOT,
    STATION,
    InstanceFormatError,
    VRPInstance,
    check_solution,
    read_cec,
    read_emh,
    read_evrptw,
    read_instance,
)
from h2lane.routing.vrp.native import (
    EXAMPLES,
    example_path,
    fleet_unservable,
    read_native,
    to_native,
    type_view,
    write_native,
)
from h2lane.scenario import load_scenario

DATA_DIR = DATA / "vrp"
NATIVE = DATA_DIR / "native"


def assert_same(a: VRPInstance, b: VRPInstance) -> None:
    """Every field equal (arrays exactly, NaN equal to NaN).

    Stations carry no time window or service time in the h2lane format (the planner does not
    model station opening hours), so those entries are compared as unset.
    """

    def unset(x: VRPInstance) -> VRPInstance:
        st = x.kinds == STATION
        return dataclasses.replace(
            x,
            ready=np.where(st, 0.0, x.ready),
            due=np.where(st, np.inf, x.due),
            service=np.where(st, 0.0, x.service),
        )

    a, b = unset(a), unset(b)
    for f in dataclasses.fields(VRPInstance):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray) or isinstance(vb, np.ndarray):
            np.testing.assert_array_equal(va, vb, err_msg=f.name)
            assert np.asarray(va).dtype == np.asarray(vb).dtype, f.name
        else:
            assert va == vb, f.name


def error_of(path: Path, **kw: Any) -> InstanceFormatError:
    with pytest.raises(InstanceFormatError) as info:
        read_native(path, **kw)
    msg = str(info.value)
    assert msg.startswith(str(path)) and msg.endswith(".") and "\n" not in msg, msg
    assert "Traceback" not in msg
    return info.value


# --------------------------------------------------------------------------- bundled example


@pytest.fixture(scope="module")
def example() -> VRPInstance:
    return read_native(example_path())


def test_example_loads_on_real_roads(example: VRPInstance) -> None:
    inst = example
    assert EXAMPLES == ("xiaoyi-fleet",) and inst.name == "xiaoyi-fleet"
    assert example_path().is_file()
    assert inst.distance_unit == "km" and inst.time_unit == "h" and inst.objective == "cost"
    assert [vt.name for vt in inst.fleet] == ["pengfei-58kg", "legacy-40kg"]
    assert [inst.labels[vt.depot] for vt in inst.fleet] == ["XY", "TY"]
    assert list(inst.depots) == [0, 1]
    assert 12 <= len(inst.customers) <= 25
    # instance-wide fields follow the first type
    first = inst.fleet[0]
    assert (inst.tank, inst.consumption, inst.speed) == (first.tank, first.consumption, 60.0)
    assert inst.start_energy == first.start_energy < first.tank
    assert inst.fleet_size == first.count and inst.fixed_cost == first.fixed_cost
    assert not inst.full_refuel and inst.refuel_rate > 0
    # road distances: finite, symmetric (undirected graph), longer than great circles
    d = inst.dist
    assert np.all(np.isfinite(d)) and np.all(np.diag(d) == 0)
    assert np.allclose(d, d.T, rtol=1e-6, atol=1e-6)
    gc = haversine_km(inst.y[:, None], inst.x[:, None], inst.y[None, :], inst.x[None, :])
    far = gc > 20
    ratio = d[far] / gc[far]
    assert ratio.min() > 0.95 and ratio.max() < 2.0  # detours around rivers and hills
    xy, ty = inst.labels.index("XY"), inst.labels.index("TY")
    assert 100 < d[xy, ty] < 140  # Xiaoyi–Taiyuan ≈120 km by road (parameters doc §7.2)
    # x = lon, y = lat, labels = ids
    assert inst.x[xy] == 111.785 and inst.y[xy] == 37.145
    assert inst.unservable == []


def test_example_stations_match_the_scenario(example: VRPInstance) -> None:
    scen = load_scenario("shanxi-tianjin")
    inst = example
    assert inst.station_capacity is not None
    assert len(inst.stations) >= 4
    for s in inst.stations:
        ref = scen.station(inst.labels[s])
        assert ref is not None
        assert (inst.y[s], inst.x[s]) == (ref.lat, ref.lon)
        assert inst.station_capacity[s] == ref.dispensers > 0
    assert np.all(inst.station_capacity[inst.kinds != STATION] == 0)
    # the refuel rate is the stations' nozzle flow: 60 g/s = 216 kg/h
    assert {scen.station(inst.labels[s]).nozzle_flow_g_s for s in inst.stations} == {60.0}
    assert inst.refuel_rate == pytest.approx(1 / 216)
    depots = {inst.labels[d]: d for d in inst.depots}
    for label, place in (("XY", "Xiaoyi"), ("TY", "Taiyuan")):
        p = scen.place(place)
        assert p is not None and (inst.y[depots[label]], inst.x[depots[label]]) == (p.lat, p.lon)


def test_example_is_built_from_the_scenario(example: VRPInstance) -> None:
    """The file names stations and truck types; it repeats none of their numbers."""
    raw = yaml.safe_load(example_path().read_text(encoding="utf-8"))
    assert raw["scenario"] == "shanxi-tianjin" and "rate" not in raw["refuel"]
    stations = [nd for nd in raw["nodes"] if nd["kind"] == "station"]
    assert stations and all(set(nd) == {"kind", "station"} for nd in stations)
    for vt in raw["vehicle_types"]:
        assert "truck_type" in vt and not {"tank", "consumption", "speed", "payload"} & set(vt)
    scen = load_scenario("shanxi-tianjin")
    for vt, spec in zip(example.fleet, raw["vehicle_types"], strict=True):
        tt = scen.truck_type(spec["truck_type"])
        assert tt is not None
        assert (vt.tank, vt.consumption, vt.speed, vt.load_capacity) == (
            tt.tank_kg,
            tt.kg_per_100km / 100,
            tt.speed_kmh,
            tt.payload_t,
        )


def scenario_doc() -> dict[str, Any]:
    """A small haversine instance built from the test mini scenario."""
    return {
        "scenario": str(DATA / "mini-scenario.yaml"),
        "distance": "haversine",
        "nodes": [
            {"id": "D", "kind": "depot", "place": "A"},
            {"id": "C1", "kind": "customer", "place": "B", "demand": 10},
            {"kind": "station", "station": "s1"},
        ],
        "vehicle_types": [{"name": "small", "truck_type": "small", "count": 1}],
    }


def test_scenario_references(tmp_path: Path) -> None:
    inst = read_native(dump(tmp_path, scenario_doc()))
    assert inst.labels == ["D", "C1", "s1"]
    assert (inst.y[0], inst.x[0]) == (37.145, 111.785) and (inst.y[2], inst.x[2]) == (
        37.857,
        113.581,
    )
    assert inst.station_capacity is not None and inst.station_capacity[2] == 2  # the default
    vt = inst.fleet[0]
    assert (vt.tank, vt.consumption, vt.speed, vt.load_capacity) == (20.0, 0.09, 60.0, 31.0)
    # 5 min connect time, 60 g/s nozzle
    assert inst.refuel_fixed == pytest.approx(5 / 60) and inst.refuel_rate == pytest.approx(1 / 216)
    # a scenario file beside the instance, named relatively; explicit refuel values win
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "scen.yaml").write_text((DATA / "mini-scenario.yaml").read_text())
    doc = scenario_doc()
    doc["scenario"] = "scen.yaml"
    doc["refuel"] = {"fixed_time": 0.2, "rate": 0.01}
    inst = read_native(dump(tmp_path / "sub", doc))
    assert (inst.refuel_fixed, inst.refuel_rate) == (0.2, 0.01)


SCENARIO_BAD = [
    ("unknown station", lambda d: node(d, 2).update(station="s9"), "station", ("nodes[2] has station 's9'", "not a station of scenario 'mini'", "known: s1, s2")),
    ("station and lat", lambda d: node(d, 2).update(lat=37.0), "lat", ("nodes[2] has lat and station 's1'", "leave it out")),
    ("station and dispensers", lambda d: node(d, 2).update(dispensers=3), "dispensers", ("comes from the scenario's station",)),
    ("unknown place", lambda d: node(d, 1).update(place="Mars"), "place", ("place 'Mars'", "known: A, B")),
    ("place on a station", lambda d: node(d, 2).update(station=None, place="A", id="S"), "place", ("is a station but has place", "only depots and customers")),
    ("station on a depot", lambda d: node(d, 0).update(place=None, station="s1"), "station", ("is a depot but has station",)),
    ("both references", lambda d: node(d, 1).update(station="s1"), "place", ("both station and place",)),
    ("unknown truck type", lambda d: vtype(d).update(truck_type="huge"), "truck_type", ("vehicle_types[0] has truck_type 'huge'", "known: small")),
    ("truck type and tank", lambda d: vtype(d).update(tank=50), "tank", ("has tank and truck_type 'small'",)),
    ("truck type and range", lambda d: vtype(d).update(range=300), "range", ("has range and truck_type 'small'",)),
    ("reference not text", lambda d: vtype(d).update(truck_type=5), "truck_type", ("truck_type 5, which is not text",)),
    ("no scenario", lambda d: d.pop("scenario"), "place", ("nodes[0] has place", "needs a top-level 'scenario'")),
    ("unknown scenario", lambda d: d.update(scenario="atlantis"), "scenario", ("the scenario 'atlantis' cannot be used", "no such file or bundled scenario")),
    ("bad scenario", lambda d: d.update(scenario=str(DATA / "scenario" / "ready-next-monday.yaml")), "scenario", ("cannot be used", "field 'ready'")),
    ("time unit", lambda d: d.update(units={"time": "min"}), "time", ("units time 'min' does not match the scenario", "in h")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "change", "field", "words"), SCENARIO_BAD, ids=[b[0] for b in SCENARIO_BAD]
)
def test_scenario_reference_errors(
    tmp_path: Path, case: str, change: Any, field: str, words: tuple[str, ...]
) -> None:
    doc = scenario_doc()
    change(doc)
    path = dump(tmp_path, doc)
    err = error_of(path)
    msg = str(err)
    assert err.field == field, msg
    assert err.line is not None, msg
    for w in words:
        assert w in msg, (w, msg)


def test_example_needs_refuelling_and_is_feasible(example: VRPInstance) -> None:
    inst = example
    lab = inst.labels.index
    # the Gaocheng and Dingzhou deliveries are out of every type's full-tank round trip
    for cid in ("C17", "C18"):
        c = lab(cid)
        for vt in inst.fleet:
            assert vt.consumption * (inst.dist[vt.depot, c] + inst.dist[c, vt.depot]) > vt.tank
    # a feasible day (found by greedy insertion, checked by the independent checker)
    plan = [
        ("legacy-40kg", ["TY", "dingzhou-xuyang", "C18", "TY"]),
        ("pengfei-58kg", ["XY", "shijiazhuang", "C17", "XY"]),
        ("legacy-40kg", ["TY", "yangquan", "C15", "C16", "TY"]),
        ("legacy-40kg", ["TY", "C11", "C14", "TY"]),
        ("pengfei-58kg", ["XY", "C06", "XY"]),
        ("pengfei-58kg", ["XY", "C08", "C07", "XY"]),
        ("legacy-40kg", ["TY", "C12", "C13", "TY"]),
        ("pengfei-58kg", ["XY", "C03", "C04", "XY"]),
        ("pengfei-58kg", ["XY", "C10", "C05", "XY"]),
        ("pengfei-58kg", ["XY", "C01", "C09", "XY"]),
        ("pengfei-58kg", ["XY", "C02", "XY"]),
    ]
    names = [vt.name for vt in inst.fleet]
    routes = [[lab(v) for v in r] for _, r in plan]
    types = [names.index(t) for t, _ in plan]
    rep = check_solution(inst, routes, route_types=types)
    assert rep.ok, str(rep)
    assert rep.vehicles == len(plan)
    assert max(rep.duration) <= min(vt.max_duration for vt in inst.fleet)


def test_read_instance_h2lane_format(example: VRPInstance) -> None:
    assert_same(read_instance(example_path(), "h2lane"), example)
    assert_same(
        read_instance(NATIVE / "tiny-euclidean.yaml", "h2lane"),
        read_native(NATIVE / "tiny-euclidean.yaml"),
    )
    with pytest.raises(OptionError, match="only be set for 'emh'"):
        read_instance(example_path(), "h2lane", max_duration_h=5.0)
    with pytest.raises(OptionError, match="h2lane"):
        read_instance(example_path(), "native")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- distance modes


def test_euclidean_mode() -> None:
    inst = read_native(NATIVE / "tiny-euclidean.yaml")
    assert inst.labels == ["D", "C1", "S", "C2"]
    assert list(inst.kinds) == [DEPOT, CUSTOMER, STATION, CUSTOMER]
    assert inst.dist[0, 1] == 5.0 and inst.dist[1, 3] == pytest.approx(math.hypot(9, 4))
    np.testing.assert_array_equal(inst.x, [0, 3, 6, 12])
    np.testing.assert_array_equal(inst.due, [20, np.inf, np.inf, 9])
    np.testing.assert_array_equal(inst.station_capacity, [0, 0, 1, 0])
    assert inst.full_refuel and inst.refuel_fixed == 0.25 and inst.depot_refuels
    assert inst.fleet_size == 2 and inst.load_capacity == 3 and inst.max_duration == math.inf
    assert inst.start_energy is None and inst.initial_energy == 20
    assert len(inst.fleet) == 1 and inst.fleet[0].depot == 0


def test_haversine_mode_two_depots_and_clock_times() -> None:
    inst = read_native(NATIVE / "two-depots-haversine.yaml")
    assert inst.name == "two-depots" and inst.distance_unit == "km" and inst.time_unit == "h"
    assert list(inst.depots) == [0, 2]
    expect = haversine_km(inst.y[:, None], inst.x[:, None], inst.y[None, :], inst.x[None, :])
    np.testing.assert_allclose(inst.dist, expect, rtol=1e-12)
    assert inst.dist[0, 1] == pytest.approx(13.0, abs=0.3)
    # "05:00" and the unquoted 7:30 (a base-60 integer in plain YAML 1.1) are clock times
    np.testing.assert_array_equal(inst.ready, [5, 7.5, 5, 0, 0])
    np.testing.assert_array_equal(inst.due, [23, 12, 23, np.inf, np.inf])
    big, small = inst.fleet
    assert (big.depot, small.depot) == (0, 2)
    assert big.start_energy == 20 and small.start_energy is None
    assert small.count is None and small.max_duration == 10 and small.speed == 55
    assert small.fixed_cost == small.cost_per_distance == small.cost_per_time == 0
    assert inst.objective == "vehicles-distance" and not inst.full_refuel


def test_matrix_mode_json() -> None:
    inst = read_native(NATIVE / "asymmetric-matrix.json")
    assert inst.dist[1, 0] == 12 and inst.dist[0, 1] == 10  # asymmetric kept
    assert (inst.distance_unit, inst.time_unit, inst.objective) == ("mi", "min", "time")
    assert (inst.x[0], inst.y[0]) == (0, 0) and (inst.x[2], inst.y[2]) == (112.0, 37.5)
    assert np.isnan(inst.x[1]) and np.isnan(inst.y[3])
    assert inst.ready[1] == 30 and inst.service[1] == 5


def test_road_mode_small(tmp_path: Path) -> None:
    doc = base_doc()
    doc["distance"] = "road"
    path = dump(tmp_path, doc)
    inst = read_native(path)
    assert np.all(np.isfinite(inst.dist))
    gc = haversine_km(inst.y[0], inst.x[0], inst.y[1], inst.x[1])
    assert gc * 0.9 < inst.dist[0, 1] < gc * 1.6


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip_example(example: VRPInstance, tmp_path: Path, suffix: str) -> None:
    path = write_native(example, tmp_path / f"out{suffix}")
    back = read_native(path)
    assert_same(back, example)
    # road distances cannot be recomputed from the coordinates: written as a matrix
    assert to_native(example)["distance"] == "matrix"


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("tiny-euclidean.yaml", "euclidean"),
        ("two-depots-haversine.yaml", "haversine"),
        ("asymmetric-matrix.json", "matrix"),
    ],
)
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip_fixtures(tmp_path: Path, name: str, mode: str, suffix: str) -> None:
    inst = read_native(NATIVE / name)
    assert to_native(inst)["distance"] == mode
    back = read_native(write_native(inst, tmp_path / f"out{suffix}"))
    assert_same(back, inst)
    again = read_native(write_native(back, tmp_path / f"again{suffix}"))
    assert_same(again, inst)


@pytest.mark.parametrize(
    ("reader", "name", "mode"),
    [
        (read_evrptw, "c101C5.txt", "euclidean"),
        (read_cec, "E-n22-k4.evrp", "euclidean"),
        (read_emh, "AS1_20c3sU1.txt", "matrix"),  # great circles in miles
    ],
)
def test_round_trip_benchmark_instances(tmp_path: Path, reader: Any, name: str, mode: str) -> None:
    inst = reader(DATA_DIR / name)
    doc = to_native(inst)
    assert doc["distance"] == mode
    back = read_native(write_native(inst, tmp_path / "out.yaml"))
    # the single type comes back as an explicit fleet; no dispensers = unlimited
    assert back.vehicle_types == inst.fleet
    assert back.station_capacity is not None and not back.station_capacity.any()
    back.vehicle_types, back.station_capacity = inst.vehicle_types, inst.station_capacity
    assert_same(back, inst)


def test_write_refuses_infinite_distances(tmp_path: Path) -> None:
    inst = read_native(NATIVE / "tiny-euclidean.yaml")
    inst.dist[0, 1] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        write_native(inst, tmp_path / "x.yaml")


# --------------------------------------------------------------------------- fleet helpers


def test_unservable_per_type(tmp_path: Path) -> None:
    doc = base_doc()
    # C2 fits only the second type's payload; C1 fits neither
    doc["nodes"][1]["demand"] = 50
    doc["nodes"][3]["demand"] = 20
    doc["vehicle_types"][0]["payload"] = 10
    doc["vehicle_types"].append(
        {"name": "big", "depot": "D2", "tank": 58, "consumption": 0.09, "payload": 30, "speed": 60}
    )
    doc["nodes"].append({"id": "D2", "kind": "depot", "lat": 37.87, "lon": 112.549})
    inst = read_native(dump(tmp_path, doc))
    assert inst.unservable == [1] == fleet_unservable(inst)
    view, perm = type_view(inst, 1)
    assert view.labels[0] == "D2" and perm[0] == inst.labels.index("D2")
    assert view.kinds[perm.tolist().index(0)] == STATION  # the other depot refuels
    assert view.load_capacity == 30 and view.vehicle_types is None
    assert view.dist[0, 1] == inst.dist[perm[0], perm[1]]


# --------------------------------------------------------------------------- malformed files


def base_doc() -> dict[str, Any]:
    """A small valid haversine instance (Xiaoyi area, approximate town centres)."""
    return {
        "name": "base",
        "units": {"distance": "km", "time": "h"},
        "distance": "haversine",
        "objective": "cost",
        "refuel": {"full": False, "fixed_time": 0.1, "rate": 0.005, "depot_refuels": True},
        "nodes": [
            {"id": "D", "kind": "depot", "lat": 37.145, "lon": 111.785, "ready": 5, "due": 23},
            {"id": "C1", "kind": "customer", "lat": 37.262, "lon": 111.788, "demand": 10,
             "service": 0.5, "ready": 7, "due": 12},
            {"id": "S1", "kind": "station", "lat": 37.687, "lon": 112.753, "dispensers": 2},
            {"id": "C2", "kind": "customer", "lat": 37.028, "lon": 111.916, "demand": 5},
        ],
        "vehicle_types": [
            {"name": "pengfei", "depot": "D", "count": 2, "tank": 58, "consumption": 0.09,
             "payload": 31, "speed": 60, "max_duration": 12, "start_energy": 40,
             "fixed_cost": 450, "cost_per_distance": 3.15, "cost_per_time": 50},
        ],
    }  # fmt: skip


def dump(tmp_path: Path, doc: Any, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps(doc))
    else:
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def node(doc: dict, i: int) -> dict:
    return doc["nodes"][i]


def vtype(doc: dict, k: int = 0) -> dict:
    return doc["vehicle_types"][k]


# (case id, change to base_doc, field, words the message must contain)
BAD: list[tuple[str, Any, str | None, tuple[str, ...]]] = [
    ("unknown top key", lambda d: d.update(colour="red"), "colour", ("unknown key 'colour'",)),
    ("missing nodes", lambda d: d.pop("nodes"), "nodes", ("no 'nodes'", "required")),
    ("missing vehicle types", lambda d: d.pop("vehicle_types"), "vehicle_types", ("no 'vehicle_types'",)),
    ("missing distance", lambda d: d.pop("distance"), "distance", ("no 'distance'",)),
    ("unknown distance", lambda d: d.update(distance="manhattan"), "distance", ("'manhattan'", "road")),
    ("unknown objective", lambda d: d.update(objective="money"), "objective", ("'money'", "vehicles-distance")),
    ("name not text", lambda d: d.update(name=["a"]), "name", ("a list", "not text")),
    ("nodes not a list", lambda d: d.update(nodes={"D": 1}), "nodes", ("non-empty list",)),
    ("nodes empty", lambda d: d.update(nodes=[]), "nodes", ("non-empty list",)),
    ("types empty", lambda d: d.update(vehicle_types=[]), "vehicle_types", ("non-empty list",)),
    ("unknown unit key", lambda d: d["units"].update(speed="kmh"), "speed", ("units", "unknown key 'speed'")),
    ("haversine in miles", lambda d: d["units"].update(distance="mi"), "distance", ("'mi'", "km")),
    ("unknown refuel key", lambda d: d["refuel"].update(partial=True), "partial", ("refuel", "'partial'")),
    ("refuel flag not bool", lambda d: d["refuel"].update(full="no"), "full", ("'no'", "true or false")),
    ("negative refuel rate", lambda d: d["refuel"].update(rate=-1), "rate", ("-1", "negative")),
    ("node not a mapping", lambda d: d["nodes"].append("C3"), None, ("nodes[4]", "not a mapping")),
    ("unknown node key", lambda d: node(d, 1).update(colour="red"), "colour", ("node 'C1' (nodes[1])", "unknown key 'colour'")),
    ("missing id", lambda d: node(d, 1).pop("id"), "id", ("nodes[1]", "no 'id'")),
    ("id not text", lambda d: node(d, 1).update(id=1.5), "id", ("nodes[1]", "1.5")),
    ("missing kind", lambda d: node(d, 1).pop("kind"), "kind", ("node 'C1' (nodes[1])", "no 'kind'")),
    ("unknown kind", lambda d: node(d, 2).update(kind="hub"), "kind", ("node 'S1' (nodes[2])", "'hub'")),
    ("first not depot", lambda d: d["nodes"].reverse(), "kind", ("node 'C2' (nodes[0])", "first node must be a depot")),
    ("duplicate id", lambda d: node(d, 3).update(id="C1"), "id", ("node 'C1' (nodes[3])", "same id as nodes[1]")),
    ("demand not a number", lambda d: node(d, 1).update(demand="lots"), "demand", ("node 'C1' (nodes[1])", "'lots'", "not a number")),
    ("demand is a bool", lambda d: node(d, 1).update(demand=True), "demand", ("node 'C1'", "true", "not a number")),
    ("negative demand", lambda d: node(d, 1).update(demand=-5), "demand", ("node 'C1' (nodes[1])", "-5", "negative")),
    ("negative service", lambda d: node(d, 3).update(service=-0.5), "service", ("node 'C2' (nodes[3])", "negative")),
    ("infinite ready", lambda d: node(d, 1).update(ready=math.inf), "ready", ("node 'C1' (nodes[1])", "not a finite number")),
    ("nan due", lambda d: node(d, 1).update(due=math.nan), "due", ("node 'C1'", "not a finite number")),
    ("ready after due", lambda d: node(d, 1).update(ready=14), "ready", ("node 'C1' (nodes[1])", "ready 14 after due 12")),
    ("bad clock time", lambda d: node(d, 1).update(due="25:00"), "due", ("node 'C1'", "'25:00'", "not a clock time")),
    ("demand on a station", lambda d: node(d, 2).update(demand=3), "demand", ("node 'S1' (nodes[2])", "only customers")),
    ("service on a station", lambda d: node(d, 2).update(service=0.5), "service", ("node 'S1' (nodes[2])", "opening hours are not modelled")),
    ("dispensers on a customer", lambda d: node(d, 1).update(dispensers=2), "dispensers", ("node 'C1' (nodes[1])", "only stations")),
    ("fractional dispensers", lambda d: node(d, 2).update(dispensers=1.5), "dispensers", ("node 'S1' (nodes[2])", "whole number")),
    ("negative dispensers", lambda d: node(d, 2).update(dispensers=-1), "dispensers", ("node 'S1' (nodes[2])", "at least 0")),
    ("latitude out of range", lambda d: node(d, 1).update(lat=95), "lat", ("node 'C1' (nodes[1])", "at most 90")),
    ("missing longitude", lambda d: node(d, 3).pop("lon"), "lon", ("node 'C2' (nodes[3])", "no 'lon'")),
    ("plane coords in haversine", lambda d: node(d, 1).update(x=1), "x", ("node 'C1' (nodes[1])", "needs lat and lon")),
    ("no customers", lambda d: d.update(nodes=d["nodes"][:1] + d["nodes"][2:3]), "nodes", ("no customer",)),
    ("matrix without matrix mode", lambda d: d.update(matrix=[[0]]), "matrix", ("'haversine', not 'matrix'",)),
    ("unknown type key", lambda d: vtype(d).update(colour="red"), "colour", ("vehicle type 'pengfei' (vehicle_types[0])", "'colour'")),
    ("type not a mapping", lambda d: d["vehicle_types"].append(3), None, ("vehicle_types[1]", "not a mapping")),
    ("type without name", lambda d: vtype(d).pop("name"), "name", ("vehicle_types[0]", "no 'name'")),
    ("duplicate type name", lambda d: d["vehicle_types"].append(dict(vtype(d))), "name", ("vehicle type 'pengfei' (vehicle_types[1])", "same name as vehicle_types[0]")),
    ("depot is a customer", lambda d: vtype(d).update(depot="C1"), "depot", ("vehicle type 'pengfei' (vehicle_types[0])", "'C1'", "a customer, not a depot")),
    ("depot is a station", lambda d: vtype(d).update(depot="S1"), "depot", ("vehicle type 'pengfei'", "a station, not a depot")),
    ("depot unknown", lambda d: vtype(d).update(depot="X9"), "depot", ("vehicle type 'pengfei' (vehicle_types[0])", "'X9'", "not a node id")),
    ("missing speed", lambda d: vtype(d).pop("speed"), "speed", ("vehicle type 'pengfei' (vehicle_types[0])", "no 'speed'")),
    ("zero speed", lambda d: vtype(d).update(speed=0), "speed", ("vehicle type 'pengfei'", "more than zero")),
    ("tank without consumption", lambda d: vtype(d).pop("consumption"), "consumption", ("vehicle type 'pengfei'", "no 'consumption'")),
    ("negative tank", lambda d: vtype(d).update(tank=-58), "tank", ("vehicle type 'pengfei'", "more than zero")),
    ("infinite tank", lambda d: vtype(d).update(tank=math.inf), "tank", ("vehicle type 'pengfei'", "not a finite number", "leave 'tank' out")),
    ("start above tank", lambda d: vtype(d).update(start_energy=70), "start_energy", ("vehicle type 'pengfei'", "70", "at most 58")),
    ("start without tank", lambda d: vtype(d).pop("tank"), "start_energy", ("vehicle type 'pengfei'", "no tank")),
    ("zero count", lambda d: vtype(d).update(count=0), "count", ("vehicle type 'pengfei' (vehicle_types[0])", "at least 1")),
    ("fractional count", lambda d: vtype(d).update(count=2.5), "count", ("vehicle type 'pengfei'", "whole number")),
    ("negative cost", lambda d: vtype(d).update(cost_per_time=-1), "cost_per_time", ("vehicle type 'pengfei'", "negative")),
    ("cost objective without costs", lambda d: vtype(d).update(fixed_cost=0, cost_per_distance=0, cost_per_time=0), "objective", ("no vehicle type has",)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "field", "words"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_malformed(
    tmp_path: Path, case: str, change: Any, field: str | None, words: tuple[str, ...], suffix: str
) -> None:
    doc = copy.deepcopy(base_doc())
    change(doc)
    err = error_of(dump(tmp_path, doc, "case" + suffix))
    msg = str(err)
    assert err.field == field, msg
    if field is not None:
        assert f"field '{field}'" in msg
    for w in words:
        assert w in msg, (w, msg)
    if suffix == ".yaml" and field is not None and case not in ("missing nodes",):
        assert err.line is not None, msg  # YAML errors point at a line


def test_valid_base_doc(tmp_path: Path) -> None:
    inst = read_native(dump(tmp_path, base_doc()))
    assert inst.unservable == [] and inst.n_nodes == 4
    inst = read_native(dump(tmp_path, base_doc(), "case.json"))
    assert inst.labels == ["D", "C1", "S1", "C2"]


MATRIX_BAD = [
    ("rows", [[0, 1], [1, 0]], ("2 rows", "4 nodes")),
    ("row length", [[0, 1, 2, 3], [1, 0, 2], [2, 2, 0, 1], [3, 3, 1, 0]], ("row 1", "3 entries")),
    ("not a list", "far", ("'far'", "not a list of rows")),
    ("row not a list", [[0, 1, 2, 3], 5, [2, 2, 0, 1], [3, 3, 1, 0]], ("row 1", "5")),
    ("negative", [[0, 1, 2, 3], [1, 0, -2, 3], [2, 2, 0, 1], [3, 3, 1, 0]], ("entry [1][2]", "-2")),
    ("text", [[0, 1, 2, 3], [1, 0, "x", 3], [2, 2, 0, 1], [3, 3, 1, 0]], ("entry [1][2]", "'x'")),
    (
        "diagonal",
        [[0, 1, 2, 3], [1, 0, 2, 3], [2, 2, 7, 1], [3, 3, 1, 0]],
        ("entry [2][2]", "diagonal"),
    ),
]


@pytest.mark.parametrize(("case", "matrix", "words"), MATRIX_BAD, ids=[m[0] for m in MATRIX_BAD])
def test_malformed_matrix(tmp_path: Path, case: str, matrix: Any, words: tuple[str, ...]) -> None:
    doc = base_doc()
    doc["distance"] = "matrix"
    doc["matrix"] = matrix
    err = error_of(dump(tmp_path, doc))
    assert err.field == "matrix"
    for w in words:
        assert w in str(err), (w, str(err))


def test_matrix_mode_needs_the_matrix(tmp_path: Path) -> None:
    doc = base_doc()
    doc["distance"] = "matrix"
    err = error_of(dump(tmp_path, doc))
    assert err.field == "matrix" and "no 'matrix'" in str(err)
    doc["matrix"] = [[0, 1, 2, 3], [1, 0, 2, 3], [2, 2, 0, 1], [3, 3, 1, 0]]
    node(doc, 1).update(x=1, y=2)
    err = error_of(dump(tmp_path, doc))
    assert err.field == "x" and "both lat/lon and x/y" in str(err)


def test_euclidean_needs_plane_coordinates(tmp_path: Path) -> None:
    doc = base_doc()
    doc["distance"] = "euclidean"
    err = error_of(dump(tmp_path, doc))
    assert err.field == "lat" and "node 'D' (nodes[0])" in str(err) and "x and y" in str(err)


def test_clock_times_need_hours(tmp_path: Path) -> None:
    doc = base_doc()
    doc["units"]["time"] = "min"
    node(doc, 1)["ready"] = "07:00"
    err = error_of(dump(tmp_path, doc))
    assert err.field == "ready" and "'07:00'" in str(err) and "not a number" in str(err)


def test_road_point_beyond_snapping_limit(tmp_path: Path) -> None:
    doc = base_doc()
    doc["distance"] = "road"
    node(doc, 3).update(lat=30.0, lon=90.0)  # Tibet: far outside the North China graph
    err = error_of(dump(tmp_path, doc))
    msg = str(err)
    assert err.field == "lat" and err.section == "nodes"
    assert "node 'C2' (nodes[3])" in msg and "nearest road" in msg and "limit 30 km" in msg


class _SplitGraph:
    """Stand-in road graph: every point snaps onto its own node; nodes 0 and 3 are cut off."""

    name = "split"

    def snap_many(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(len(lat)), np.zeros(len(lat))

    def matrix_km(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        d = np.full((len(sources), len(targets)), 50.0)
        np.fill_diagonal(d, 0.0)
        d[0, 3] = d[3, 0] = np.inf
        return d


class _BrokenGraph(_SplitGraph):
    def matrix_km(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        raise RoadNetworkError("the engine is not available")


def test_road_unreachable_pair_and_graph_errors(tmp_path: Path) -> None:
    doc = base_doc()
    doc["distance"] = "road"
    path = dump(tmp_path, doc)
    err = error_of(path, graph=_SplitGraph())
    msg = str(err)
    assert (
        "no road of the 'split' graph connects node 'D' (nodes[0]) to node 'C2' (nodes[3])" in msg
    )
    err = error_of(path, graph=_BrokenGraph())
    assert err.field == "distance" and "the engine is not available" in str(err)


def test_malformed_fixture_files() -> None:
    err = error_of(NATIVE / "bad-negative-demand.yaml")
    assert (err.line, err.field, err.section) == (9, "demand", "nodes")
    assert "node 'C2' (nodes[2]) has demand -4" in str(err)
    err = error_of(NATIVE / "bad-depot.json")
    assert err.field == "depot" and "vehicle type 'truck' (vehicle_types[0])" in str(err)
    err = error_of(NATIVE / "bad-duplicate-key.yaml")
    assert err.field == "demand" and err.line == 5 and "appears twice" in str(err)
    err = error_of(NATIVE / "bad-syntax.yaml")
    assert "is not valid YAML" in str(err) and err.line is not None


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("empty.yaml", "", ("is empty",)),
        ("list.yaml", "- 1\n- 2\n", ("the file is a list", "not a mapping")),
        ("broken.json", '{"distance": "road",,}', ("is not valid JSON",)),
        (
            "dup.json",
            '{"distance": "road", "distance": "haversine"}',
            ("'distance' appears twice",),
        ),
        ("key.yaml", "1: a\n", ("key 1 is not text",)),
    ],
)
def test_unreadable_documents(tmp_path: Path, name: str, text: str, words: tuple[str, ...]) -> None:
    path = tmp_path / name
    path.write_text(text)
    msg = str(error_of(path))
    for w in words:
        assert w in msg, (w, msg)


def test_yaml_anchors_and_scalars(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "distance: euclidean\n"
        "nodes:\n"
        "  - {id: D, kind: depot, x: 0, y: 0}\n"
        "  - {id: 1, kind: customer, x: 3, y: 4, ready: 6:30, due: 1.2e1}\n"
        "vehicle_types:\n"
        "  - &truck {name: a, tank: 10, consumption: 1, speed: 1}\n"
        "  - <<: *truck\n"
        "    name: b\n"
        "    tank: 2e1\n"
    )
    inst = read_native(path)
    assert inst.labels == ["D", "1"]  # a numeric id becomes text
    assert (inst.ready[1], inst.due[1]) == (6.5, 12.0)
    assert [(vt.name, vt.tank, vt.speed) for vt in inst.fleet] == [("a", 10, 1), ("b", 20, 1)]
    back = read_native(write_native(inst, tmp_path / "back.yaml"))
    assert back.labels == ["D", "1"]
    assert_same(back, inst)


def test_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in str(error_of(tmp_path / "nope.yaml"))


def test_range_instead_of_tank(tmp_path):
    base = read_native(NATIVE / "tiny-euclidean.yaml")
    doc = to_native(base)
    for vt in doc["vehicle_types"]:
        vt.pop("tank", None)
        vt["range"] = 120.0
        vt.pop("start_energy", None)
    path = tmp_path / "range.yaml"
    path.write_text(yaml.safe_dump(doc))
    inst = read_native(path)
    for vt in inst.fleet:
        assert vt.tank == pytest.approx(120.0 * vt.consumption)
    doc["vehicle_types"][0]["tank"] = 5.0
    path.write_text(yaml.safe_dump(doc))
    assert "give one of them" in str(error_of(path))
