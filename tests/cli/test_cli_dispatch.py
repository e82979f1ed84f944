"""``h2lane dispatch`` on the command line: the plan document feeds the emissions command."""

import json

from typer.testing import CliRunner

from h2lane.cli import app

runner = CliRunner()


def test_cli_dispatch_json_feeds_emissions(tmp_path):
    res = runner.invoke(app, ["dispatch", "--json", "--depart", "2026-12-01T06:00"])
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    assert plan["kind"] == "dispatch" and plan["version"] == 2
    path = tmp_path / "dispatch.json"
    path.write_text(res.output)
    em = runner.invoke(app, ["emissions", "--plan", str(path), "--json"])
    assert em.exit_code == 0, em.output
    out = json.loads(em.output)
    # one shipment per order, with the order ids
    assert sorted(s["shipment_id"] for s in out["shipments"]) == sorted(
        o["order_id"] for o in plan["orders"]
    )
    assert sum(s["avoided_kg"] for s in out["shipments"]) > 0


def test_cli_dispatch_tables_name_breaks_and_orders():
    res = runner.invoke(app, ["dispatch", "--depart", "2026-12-01T06:00"])
    assert res.exit_code == 0, res.output
    assert "Deliveries" in res.output and "C001" in res.output
    assert "daily rest" in res.output  # notices are in the summary, not only in JSON
    off = runner.invoke(app, ["dispatch", "--no-rest", "--json"])
    assert off.exit_code == 0 and json.loads(off.output)["rest_rules"] is None


def test_cli_dispatch_with_station_waits(data_dir):
    """A 15 min queue at every station and hour: every stop queues, all orders still served."""
    waits = data_dir / "cli" / "station-waits.json"
    args = ["dispatch", "--json", "--depart", "2026-12-01T06:00", "--station-waits", str(waits)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    stops = [s for r in plan["routes"] for s in r["stops"]]
    assert stops and all(s["queue_wait_min"] >= 15.0 - 0.01 for s in stops)
    assert all(s["wait_min"] >= s["queue_wait_min"] for s in stops)
    assert not plan["unassigned"]
    assert any(str(waits) in n for n in plan["notices"])


def test_cli_dispatch_engines():
    base = [
        "dispatch",
        "--json",
        "--depart",
        "2026-12-01T06:00",
        "--time-limit",
        "2",
        "--seed",
        "3",
    ]
    vrp = runner.invoke(app, base)
    greedy = runner.invoke(app, [*base, "--engine", "greedy"])
    assert vrp.exit_code == 0 and greedy.exit_code == 0, vrp.output + greedy.output
    a, b = json.loads(vrp.output), json.loads(greedy.output)
    assert a["kind"] == b["kind"] == "dispatch"
    assert sorted(o["order_id"] for o in a["orders"]) == sorted(o["order_id"] for o in b["orders"])
    bad = runner.invoke(app, [*base, "--engine", "simplex"])
    assert bad.exit_code == 2 and "--engine" in json.loads(bad.output)["message"]
    bad = runner.invoke(app, [*base, "--time-limit", "0"])
    assert bad.exit_code == 2 and "--time-limit" in json.loads(bad.output)["message"]
