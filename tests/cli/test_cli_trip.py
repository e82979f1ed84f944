"""``h2lane trip`` on the command line: the plan document, maps and one-sentence errors."""

import json
import re

from typer.testing import CliRunner

from h2lane.cli import app

runner = CliRunner()


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
    assert plan["kind"] == "trip"
    for key in ("distance_km", "duration_h", "h2_kg", "cost", "notices", "orders"):
        assert key in plan
    route = plan["routes"][0]
    for key in ("stops", "legs", "breaks", "geometry"):
        assert key in route
    assert plan["depart"] == "2026-12-01T06:00+08:00" and plan["rest_rules"]["enabled"]
    html = out.read_text()
    # the dashboard's map component inlined (Leaflet from node_modules), or the SVG fallback
    assert "© OpenStreetMap contributors" in html and ("H2Map.create" in html or "<svg" in html)
    # self-contained: no script, style sheet or image loaded from anywhere (works offline)
    assert re.search(r"<(script|link|img)\b[^>]*\b(src|href)\s*=", html) is None


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
    route = plan["routes"][0]
    assert {s["station_id"] for s in route["stops"]} <= {"yq", "sjz", "bd"}
    assert route["truck"]["type"] == "custom"


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
    # an input error now (exit 2), named as the CLI spells the option
    assert res.exit_code == 2 and "--start-kg 80 exceeds the usable tank" in res.output


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
