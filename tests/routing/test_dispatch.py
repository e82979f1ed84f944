import dataclasses
import json
from datetime import datetime

from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.routing.dispatch import plan_dispatch
from h2lane.scenario import load_scenario


def test_bundled_orders_are_all_served_on_time(north_china):
    scen = load_scenario("shanxi-tianjin")
    plan = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    assert plan["unassigned"] == []
    served = sorted(o for r in plan["routes"] for o in r["orders"])
    assert served == sorted(o.id for o in scen.orders)
    for r in plan["routes"]:
        # the trip planner's output shape, plus the truck and its orders
        for key in (
            "distance_km",
            "duration_h",
            "h2_kg",
            "cost",
            "stops",
            "legs",
            "geometry",
            "truck_id",
        ):
            assert key in r
        deliveries = [e for e in r["schedule"] if e["event"] == "delivery"]
        assert deliveries and all(e["on_time"] for e in deliveries)
        loaded = [leg for leg in r["legs"] if leg["loaded"]]
        assert all(leg["order_id"] in r["orders"] and leg["tonnes"] > 0 for leg in loaded)
        # a 632 km loaded leg needs a refuel on the way for every truck type of the scenario
        assert r["stops"]


def test_order_due_too_early_is_reported(north_china):
    scen = load_scenario("shanxi-tianjin")
    first = scen.orders[0]
    scen.orders = [dataclasses.replace(first, id="RUSH", due="2026-12-01T09:00"), *scen.orders[1:3]]
    plan = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    assert [u["order_id"] for u in plan["unassigned"]] == ["RUSH"]
    assert "after its due time 2026-12-01 09:00" in plan["unassigned"][0]["reason"]
    assert plan["totals"]["orders_served"] == 2


def test_cli_dispatch_json_feeds_emissions(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["dispatch", "--json", "--depart", "2026-12-01T06:00"])
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    assert plan["kind"] == "h2lane.dispatch-plan"
    path = tmp_path / "dispatch.json"
    path.write_text(res.output)
    em = runner.invoke(app, ["emissions", "--plan", str(path), "--json"])
    assert em.exit_code == 0, em.output
    out = json.loads(em.output)
    assert len(out["shipments"]) >= len(plan["routes"])
    assert sum(s["avoided_kg"] for s in out["shipments"]) > 0
