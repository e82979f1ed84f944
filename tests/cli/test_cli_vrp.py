"""``h2lane vrp solve`` on the h2lane format and with the model overrides."""

import json

from paths import DATA
from typer.testing import CliRunner

from h2lane.cli import app

DATA_DIR = DATA / "vrp"
runner = CliRunner()


def _solve(*args: str):
    res = runner.invoke(app, ["vrp", "solve", *args, "--json"])
    return res, (json.loads(res.output) if res.exit_code == 0 else None)


def test_bundled_fleet_example_with_map(tmp_path):
    out_map = tmp_path / "fleet.html"
    res, out = _solve(
        "xiaoyi-fleet", "--format", "h2lane", "--time-limit", "2", "--map", str(out_map)
    )
    assert res.exit_code == 0, res.output
    solver = out["solver"]
    assert out["kind"] == "vrp" and out["version"] == 2
    assert solver["checker"]["ok"] and out["objective"] == "cost"
    assert out["refuel_policy"] == "partial"
    assert solver["checker"]["cost"] == solver["objective_value"]
    assert set(solver["route_types"]) <= {"pengfei-58kg", "legacy-40kg"}
    # two depots: every route returns where it started
    assert all(r["nodes"][0] == r["nodes"][-1] and r["nodes"][0] in (0, 1) for r in out["routes"])
    # some customer is beyond a round trip on one tank: there are refuelling stops
    assert solver["refuels"] and all(x["amount"] > 0 for x in solver["refuels"])
    stops = [s for r in out["routes"] for s in r["stops"]]
    assert stops and all(s["refuel_kg"] > 0 for s in stops)
    # every customer served is one consignment, in km / kg / t with clock times
    assert out["units"] == {"distance": "km", "time": "h", "energy": "kg", "currency": "CNY"}
    assert len(out["orders"]) == out["orders_served"] == 18
    assert all(o["delivery"].endswith("+08:00") for o in out["orders"])
    html = out_map.read_text()
    assert "OpenStreetMap contributors" in html
    assert ('"routes":[{' in html and "H2Map.create" in html) or "<polyline" in html


def test_overrides_refuel_start_level_and_dispensers():
    inst = str(DATA_DIR / "c101C5.txt")
    res, full = _solve(inst, "--format", "evrptw", "--time-limit", "1")
    assert res.exit_code == 0 and full["refuel_policy"] == "full"
    assert not full["solver"]["refuels"]
    res, part = _solve(inst, "--format", "evrptw", "--time-limit", "1", "--refuel", "partial")
    assert res.exit_code == 0 and part["solver"]["checker"]["ok"]
    assert part["refuel_policy"] == "partial"
    res, low = _solve(
        inst, "--format", "evrptw", "--time-limit", "1", "--refuel", "partial",
        "--start-level", "0.5", "--objective", "time", "--dispensers", "1",
    )  # fmt: skip
    assert res.exit_code == 0 and low["solver"]["checker"]["ok"] and low["objective"] == "time"
    assert abs(low["solver"]["objective_value"] - low["duration_h"]) < 1e-4


def test_bad_options_and_files_give_one_sentence(tmp_path):
    res = runner.invoke(
        app,
        ["vrp", "solve", str(DATA_DIR / "c101C5.txt"), "--format", "evrptw", "--start-level", "2"],
    )
    assert res.exit_code == 2 and "--start-level" in res.output and "Traceback" not in res.output
    res = runner.invoke(
        app, ["vrp", "solve", str(DATA_DIR / "c101C5.txt"), "--format", "evrptw", "--map", "m.html"]
    )
    assert res.exit_code == 2 and "--map needs longitude/latitude" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndistance: euclidean\nnodes: []\nvehicle_types: []\n")
    res = runner.invoke(app, ["vrp", "solve", str(bad), "--format", "h2lane"])
    assert res.exit_code == 2 and "bad.yaml" in res.output and "Traceback" not in res.output
