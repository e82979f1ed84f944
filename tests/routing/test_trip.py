import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.errors import InfeasibleTripError
from h2lane.routing.trip import TripRequest, Waypoint, plan_trip
from h2lane.scenario import load_scenario

runner = CliRunner()


def _request(scen, truck_id="pengfei-49t", **kw):
    x, t = scen.place("Xiaoyi"), scen.place("Tianjin Port")
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


def test_cli_trip_json_and_map(tmp_path):
    out = tmp_path / "trip.html"
    res = runner.invoke(
        app,
        [
            "trip",
            "--from",
            "Xiaoyi",
            "--to",
            "Tianjin Port",
            "--round-trip",
            "--json",
            "--map",
            str(out),
            "--depart",
            "2026-12-01T06:00",
        ],
    )
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    for key in ("distance_km", "duration_h", "h2_kg", "cost", "stops", "legs", "geometry"):
        assert key in plan
    html = out.read_text()
    assert "© OpenStreetMap contributors" in html and "<svg" in html
    assert "src=" not in html and "<link" not in html  # self-contained: works offline


def test_cli_trip_with_stations_csv_and_latlon(data_dir):
    res = runner.invoke(
        app,
        [
            "trip",
            "--from",
            "37.145,111.785",
            "--to",
            "Baoding",
            "--stations",
            str(data_dir / "stations.csv"),
            "--tank-kg",
            "30",
            "--kg-per-100km",
            "9",
            "--optimize",
            "cost",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    assert {s["station_id"] for s in plan["stops"]} <= {"yq", "sjz", "bd"}
    assert plan["truck"]["type"] == "custom"


def test_cli_infeasible_exits_nonzero_without_traceback():
    res = runner.invoke(
        app,
        [
            "trip",
            "--from",
            "Xiaoyi",
            "--to",
            "Tianjin Port",
            "--tank-kg",
            "20",
            "--kg-per-100km",
            "9",
        ],
    )
    assert res.exit_code == 3
    assert "Traceback" not in res.output and "No refuelling plan reaches Tianjin Port" in res.output


def test_cli_unknown_place_and_bad_options():
    res = runner.invoke(app, ["trip", "--from", "Atlantis", "--to", "Tianjin Port"])
    assert res.exit_code == 2 and "'Atlantis' is neither a place" in res.output
    res = runner.invoke(
        app, ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--truck", "nope"]
    )
    assert res.exit_code == 2 and "unknown truck type 'nope'" in res.output
    res = runner.invoke(
        app, ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--start-kg", "80"]
    )
    assert res.exit_code == 3 and "exceeds the usable tank" in res.output


def test_cli_bad_stations_csv(tmp_path):
    bad = tmp_path / "st.csv"
    bad.write_text("id,name,lat,lon,price\na,Alpha,37.8,113.5,50\nb,Beta,137.8,113.5,50\n")
    res = runner.invoke(
        app, ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--stations", str(bad)]
    )
    assert res.exit_code == 2
    assert "st.csv, row 2 (line 3), field 'lat': must be at most 90" in res.output.replace(
        "\n", " "
    )
