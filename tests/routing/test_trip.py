import math
from datetime import UTC, datetime, timedelta

import pytest

from h2lane import timeutil
from h2lane.errors import InfeasibleTripError, OptionError
from h2lane.routing.rest import RestRules
from h2lane.routing.trip import TripRequest, Waypoint, plan_trip
from h2lane.scenario import load_scenario


def _places(scen):
    x, t = scen.place("Xiaoyi"), scen.place("Tianjin Port")
    assert x is not None and t is not None
    return x, t


def _request(scen, truck_id="pengfei-49t", **kw):
    x, t = _places(scen)
    wps = [
        Waypoint(x.name, x.lat, x.lon),
        Waypoint(t.name, t.lat, t.lon),
        Waypoint(x.name, x.lat, x.lon),
    ]
    args = dict(
        waypoints=wps,
        truck=scen.truck_type(truck_id),
        loaded=[True, False],
        start_kg=scen.truck_type(truck_id).tank_kg,
        reserve_kg=5.0,
        depart=datetime(2026, 12, 1, 6, 0),
    )
    args.update(kw)
    return TripRequest(**args)


def test_round_trip_xiaoyi_tianjin(north_china):
    scen = load_scenario("shanxi-tianjin")
    plan = plan_trip(north_china, scen.stations, _request(scen)).to_dict()
    assert 1250 < plan["distance_km"] < 1300  # 2 × 632 km plus station detours
    assert plan["stops"], "a 58 kg tank cannot do 1,265 km"
    assert plan["end_kg"] >= 5.0 - 1e-6
    assert sum(leg["distance_km"] for leg in plan["legs"]) == pytest.approx(
        plan["distance_km"], abs=1e-3
    )
    assert plan["legs"][0]["loaded"] and not plan["legs"][1]["loaded"]
    assert plan["h2_kg"] == pytest.approx(sum(leg["h2_kg"] for leg in plan["legs"]), abs=1e-2)
    for key in ("station_id", "name", "lat", "lon", "km_from_start", "arrive_kg", "refuel_kg"):
        assert key in plan["stops"][0]
    line = plan["geometry"]["features"][0]
    assert line["geometry"]["type"] == "LineString" and len(line["geometry"]["coordinates"]) > 300
    assert plan["attribution"] == "© OpenStreetMap contributors"


def test_cost_objective_is_not_dearer_than_time_objective(north_china):
    scen = load_scenario("shanxi-tianjin")
    by_time = plan_trip(north_china, scen.stations, _request(scen, objective="time")).to_dict()
    by_cost = plan_trip(north_china, scen.stations, _request(scen, objective="cost")).to_dict()
    assert by_cost["cost"] <= by_time["cost"] + 1e-6
    assert by_time["duration_h"] <= by_cost["duration_h"] + 1e-9


def test_full_refuel_policy_fills_the_tank(north_china):
    scen = load_scenario("shanxi-tianjin")
    plan = plan_trip(north_china, scen.stations, _request(scen, full_refuel=True)).to_dict()
    assert all(s["depart_kg"] == pytest.approx(58.0) for s in plan["stops"])


def test_infeasible_trip_names_the_stretch(north_china):
    scen = load_scenario("shanxi-tianjin")
    only_xiaoyi = [s for s in scen.stations if s.id == "xiaoyi-beiyao"]
    with pytest.raises(InfeasibleTripError) as info:
        plan_trip(north_china, only_xiaoyi, _request(scen, truck_id="legacy-35mpa"))
    msg = str(info.value)
    assert msg.startswith("No refuelling plan reaches Xiaoyi")
    assert "stretch from" in msg and "Nearest stations" in msg and "\n" not in msg
    stretch = info.value.details["stretch"]
    assert stretch["km"] > stretch["range_km"]


def test_round_trip_with_and_without_rest_rules(north_china):
    scen = load_scenario("shanxi-tianjin")
    off = plan_trip(north_china, scen.stations, _request(scen, rest=RestRules.off())).to_dict()
    on = plan_trip(north_china, scen.stations, _request(scen)).to_dict()
    assert off["breaks"] == [] and off["notices"] == []
    assert all(s["rest_min"] == 0 for s in off["stops"])
    # 21 h of driving: at least two daily rests of 10 h and breaks every 4 h
    kinds = [b["kind"] for b in on["breaks"]]
    assert kinds.count("daily-rest") == 2 and kinds.count("break") >= 2
    assert on["duration_h"] >= off["duration_h"] + 20.0 + 2 / 3 - 1e-6
    assert on["duration_h"] == pytest.approx(
        on["drive_h"]
        + sum(s["wait_min"] + s["refuel_min"] + s["rest_min"] for s in on["stops"]) / 60
        + sum(b["minutes"] for b in on["breaks"] if b["station"] is None) / 60,
        abs=1e-3,
    )
    assert any(n.startswith("daily rest of 10.0 h after") for n in on["notices"])
    assert on["arrive"].endswith("+08:00") and on["depart"] == "2026-12-01T06:00+08:00"
    for b in on["breaks"]:
        assert b["start"].endswith("+08:00") and b["kind"] in ("break", "daily-rest")
        assert set(b) >= {"leg", "km_from_start", "start", "minutes", "kind", "station"}
    # legs carry their own clock: leg durations add up (no waits at the waypoints here)
    assert sum(leg["duration_h"] for leg in on["legs"]) == pytest.approx(on["duration_h"], abs=1e-3)


def test_cost_objective_breaks_ties_by_time(north_china):
    scen = load_scenario("shanxi-tianjin")
    by_cost = plan_trip(north_china, scen.stations, _request(scen, objective="cost")).to_dict()
    by_time = plan_trip(north_china, scen.stations, _request(scen, objective="time")).to_dict()
    assert by_cost["cost"] <= by_time["cost"] + 1e-6
    assert by_time["duration_h"] <= by_cost["duration_h"] + 1e-9


def test_depart_in_another_offset_is_converted_to_china_time(north_china):
    scen = load_scenario("shanxi-tianjin")
    utc = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 06:00 in China
    a = plan_trip(north_china, scen.stations, _request(scen, depart=utc)).to_dict()
    b = plan_trip(north_china, scen.stations, _request(scen)).to_dict()
    assert a["depart"] == "2026-12-01T06:00+08:00"
    assert a["arrive"] == b["arrive"] and a["duration_h"] == b["duration_h"]
    assert _request(scen).depart.utcoffset() == timedelta(hours=8)  # naive = China time


def test_fill_must_end_before_the_station_closes(north_china):
    scen = load_scenario("shanxi-tianjin")
    x, t = _places(scen)
    # leaving Tianjin Port with 8 kg the truck must refuel at Tianjin Rongcheng (07:00-19:00)
    stations = [s for s in scen.stations if s.id in ("tianjin-rongcheng", "dingzhou-xuyang")]

    def plan(hour, minute):
        req = _request(
            scen,
            start_kg=8.0,
            loaded=[False],
            depart=datetime(2026, 12, 1, hour, minute),
            rest=RestRules.off(),
            waypoints=[Waypoint(t.name, t.lat, t.lon), Waypoint(x.name, x.lat, x.lon)],
        )
        return plan_trip(north_china, stations, req).to_dict()

    early = plan(18, 30)  # arrives 18:43, a 14 min fill ends before 19:00
    stop = early["stops"][0]
    assert stop["station_id"] == "tianjin-rongcheng" and stop["wait_min"] == 0
    end = datetime.fromisoformat(stop["arrive"]) + timedelta(minutes=stop["refuel_min"])
    assert end <= datetime(2026, 12, 1, 19, 1, tzinfo=timeutil.CHINA)
    late = plan(18, 45)  # arrives 18:58: the fill would end after closing, so it waits
    stop = late["stops"][0]
    start = datetime.fromisoformat(stop["arrive"]) + timedelta(minutes=stop["wait_min"])
    # (arrive is written to the minute)
    assert abs(start - datetime(2026, 12, 2, 7, 0, tzinfo=timeutil.CHINA)) < timedelta(minutes=1)
    assert late["notices"] == ["waits 12.0 h at Tianjin Rongcheng station for it to open at 07:00"]


def test_off_road_access_is_counted(north_china):
    scen = load_scenario("shanxi-tianjin")
    x, t = _places(scen)
    on_road = plan_trip(
        north_china,
        scen.stations,
        _request(scen, rest=RestRules.off()),
    )
    snap = north_china.snap(t.lat + 0.03, t.lon)
    off = Waypoint("Off road", t.lat + 0.03, t.lon)
    req = _request(scen, rest=RestRules.off())
    req.waypoints = [Waypoint(x.name, x.lat, x.lon), off, Waypoint(x.name, x.lat, x.lon)]
    plan = plan_trip(north_china, scen.stations, req)
    assert plan.request.waypoints[1].snap_km == pytest.approx(snap.snap_km)
    assert snap.snap_km > 0.5
    legs = plan.to_dict()["legs"]
    # the access counts both ways and is on the route line
    assert sum(leg["distance_km"] for leg in legs) == pytest.approx(
        plan.solution.distance_km, abs=1e-3
    )
    coords = plan.to_dict()["geometry"]["features"][0]["geometry"]["coordinates"]
    assert [off.lon, off.lat] in coords
    # the same trip to the road node itself is shorter by the access in and out
    req2 = _request(scen, rest=RestRules.off())
    req2.waypoints = [
        Waypoint(x.name, x.lat, x.lon),
        Waypoint("Node", snap.lat, snap.lon),
        Waypoint(x.name, x.lat, x.lon),
    ]
    at_node = plan_trip(north_china, scen.stations, req2)
    assert [s.station for s in at_node.solution.stops] == [s.station for s in plan.solution.stops]
    assert plan.solution.distance_km == pytest.approx(
        at_node.solution.distance_km + 2 * snap.snap_km, abs=1e-6
    )
    assert on_road.solution.distance_km > 0
    assert legs[0]["h2_kg"] == pytest.approx(legs[0]["distance_km"] * 0.09, abs=1e-2)


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"start_kg": math.nan}, "--start-kg must be a finite number of kg"),
        ({"start_kg": -1.0}, "--start-kg must be at least 0"),
        ({"start_kg": 80.0}, "--start-kg 80 exceeds the usable tank of 58 kg"),
        ({"reserve_kg": math.inf}, "--reserve-kg must be a finite number"),
        ({"reserve_kg": 58.0}, "--reserve-kg 58 leaves nothing of the 58 kg tank"),
        ({"tonnes": -3.0}, "--tonnes must be at least 0"),
        ({"tonnes": 40.0}, "--tonnes 40 exceeds the payload of 31 t"),
        ({"tonnes": math.nan}, "--tonnes must be a finite number of t"),
    ],
)
def test_request_validation_names_the_option(changes, text):
    scen = load_scenario("shanxi-tianjin")
    with pytest.raises(OptionError) as info:
        _request(scen, **changes)
    assert text in str(info.value) and "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_point_beyond_the_snap_limit_is_refused_in_one_sentence(north_china):
    scen = load_scenario("shanxi-tianjin")
    req = _request(scen)
    req.waypoints[1] = Waypoint("Sea", 30.0, 125.0)
    with pytest.raises(Exception) as info:
        plan_trip(north_china, scen.stations, req)
    msg = str(info.value)
    assert "outside the graph's coverage" in msg and "\n" not in msg
    assert getattr(info.value, "exit_code", None) == 2


def test_due_time_at_a_waypoint_is_enforced(north_china):
    scen = load_scenario("shanxi-tianjin")
    req = _request(scen)
    req.waypoints[1].due = datetime(2026, 12, 1, 12, 0, tzinfo=timeutil.CHINA)
    with pytest.raises(InfeasibleTripError) as info:
        plan_trip(north_china, scen.stations, req)
    assert "by its due time 2026-12-01 12:00" in str(info.value)
    assert info.value.details["late"]["name"] == "Tianjin Port"
