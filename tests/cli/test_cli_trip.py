"""``h2lane trip`` on the command line: the plan document, maps and one-sentence errors."""

import json
import re
from pathlib import Path

import pytest
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


def _trip_json(*extra):
    args = ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--depart", "2026-12-01T06:00"]
    res = runner.invoke(app, [*args, "--no-rest", *extra, "--json"])
    return res.exit_code, json.loads(res.output)


def test_cli_trip_station_waits_add_the_queue_to_the_stop(data_dir):
    """Every station queues 15 min at every hour: the one stop waits 15 min, the trip 15 min more."""
    code, base = _trip_json()
    assert code == 0, base
    waits = data_dir / "cli" / "station-waits.json"
    code, plan = _trip_json("--station-waits", str(waits))
    assert code == 0, plan
    (stop,) = plan["routes"][0]["stops"]
    assert stop["wait_min"] == 15.0 and stop["queue_wait_min"] == 15.0
    assert plan["duration_h"] == round(base["duration_h"] + 0.25, 4)
    assert any(str(waits) in n and "queue" in n for n in plan["notices"])
    assert base["routes"][0]["stops"][0]["queue_wait_min"] == 0.0


def _bad_waits(tmp_path, change):
    doc = json.loads((Path(__file__).parent.parent / "data/cli/station-waits.json").read_text())
    change(doc)
    path = tmp_path / "waits.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(kind="h2lane.trip-plan"), "field 'kind'"),
        (
            lambda d: d["stations"]["yangquan"]["mean_wait_min"].pop(),
            "field 'stations.yangquan.mean_wait_min'",
        ),
        (
            lambda d: d["stations"]["baoding"]["mean_wait_min"].__setitem__(5, -3),
            "field 'stations.baoding.mean_wait_min[5]'",
        ),
        (lambda d: d.update(stations=[1, 2]), "field 'stations'"),
    ],
)
def test_cli_trip_bad_station_waits_is_one_sentence(tmp_path, change, field):
    path = _bad_waits(tmp_path, change)
    code, err = _trip_json("--station-waits", str(path))
    assert code == 2
    assert str(path) in err["message"] and field in err["message"]
    assert err["message"].count(". ") == 0 and "\n" not in err["message"]


def test_cli_trip_missing_station_waits_file(tmp_path):
    code, err = _trip_json("--station-waits", str(tmp_path / "none.json"))
    assert code == 2 and "none.json" in err["message"] and "not found" in err["message"]


def test_cli_trip_second_process_reads_the_station_graph_cache(tmp_path, monkeypatch, data_dir):
    """``--stations`` with many stations: the next run loads the station graph from the disk
    cache (``H2LANE_CACHE_DIR``) instead of building it, and prints the same plan."""
    from h2lane.roads.graph import RoadGraph
    from h2lane.routing import stationgraph as sgm
    from h2lane.routing import trip as trip_mod

    graph = RoadGraph.bundled()
    nodes = json.loads((data_dir / "stationgraph" / "cases.json").read_text())["corridor_nodes"]
    csv = tmp_path / "stations.csv"
    rows = ["id,name,lat,lon,price"]
    rows += [
        f"c{i},corridor {i},{graph.lat[n]:.5f},{graph.lon[n]:.5f},{(35, 45, 60)[i % 3]}"
        for i, n in enumerate(nodes)
    ]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cache = tmp_path / "cache"
    monkeypatch.setenv("H2LANE_CACHE_DIR", str(cache))
    monkeypatch.delenv("H2LANE_NO_CACHE", raising=False)
    monkeypatch.setattr(trip_mod, "DISK_CACHE_MIN_STATIONS", 20)
    monkeypatch.setattr(trip_mod, "_GRAPH_CACHE", [])
    builds: list[int] = []
    real = sgm.StationGraph._build_cch
    monkeypatch.setattr(sgm.StationGraph, "_build_cch", lambda s: builds.append(1) or real(s))
    args = ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--round-trip"]
    args += ["--stations", str(csv), "--optimize", "cost", "--depart", "2026-12-01T06:00"]
    outputs = []
    for _ in range(2):
        trip_mod._GRAPH_CACHE.clear()  # as in a new process
        res = runner.invoke(app, [*args, "--json"])
        assert res.exit_code == 0, res.output
        outputs.append(json.loads(res.output))
    assert builds == [1] and len(list(cache.glob("stationgraph-*.npz"))) == 1
    assert outputs[0] == outputs[1]
    stops = {s["station_id"] for s in outputs[1]["routes"][0]["stops"]}
    assert stops and stops <= {f"c{i}" for i in range(len(nodes))}
