import dataclasses
from datetime import UTC, datetime

import pytest

from h2lane import timeutil
from h2lane.routing.dispatch import plan_dispatch
from h2lane.routing.rest import RestRules
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


def _small(n=3):
    scen = load_scenario("shanxi-tianjin")
    scen.orders = scen.orders[:n]
    return scen


def test_dispatch_plans_breaks_and_checks_due_times_with_them(north_china):
    scen = _small()
    calls = []
    plan = plan_dispatch(
        scen,
        north_china,
        default_depart=datetime(2026, 12, 1, 6, 0),
        progress=lambda done, total: calls.append((done, total)),
    ).to_dict()
    assert calls and calls[-1][0] == calls[-1][1] and len(calls) >= len(scen.orders)
    assert plan["totals"]["breaks"] > 0
    for r in plan["routes"]:
        assert r["breaks"], "a 1,265 km round trip needs breaks and daily rests"
        rests = [e for e in r["schedule"] if e["event"] in ("break", "daily-rest")]
        assert len(rests) == len(r["breaks"])
        times = [datetime.fromisoformat(e["time"]) for e in r["schedule"]]
        assert times == sorted(times)
        for e in r["schedule"]:
            assert e["time"].endswith("+08:00")
            if e["event"] == "delivery":
                # the delivery time is the planned arrival, breaks included
                assert datetime.fromisoformat(e["time"]) <= datetime.fromisoformat(e["due"])
        assert r["finish"] == r["arrive"]
        # the route duration runs from departure to finish
        span = datetime.fromisoformat(r["finish"]) - datetime.fromisoformat(r["depart"])
        assert span.total_seconds() / 3600 == pytest.approx(r["duration_h"], abs=1 / 60)


def test_dispatch_without_rest_rules_is_shorter(north_china):
    scen = _small(2)
    on = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    off = plan_dispatch(
        scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0), rest=RestRules.off()
    ).to_dict()
    assert off["totals"]["breaks"] == 0
    assert all(not r["breaks"] for r in off["routes"])
    assert on["totals"]["duration_h"] >= off["totals"]["duration_h"] + 20.0


def test_rest_rules_can_make_an_order_late(north_china):
    scen = _small(1)
    # 632 km loaded: 10.5 h of driving needs a break and a daily rest with rests on
    scen.orders = [dataclasses.replace(scen.orders[0], id="TIGHT", due="2026-12-01T18:00")]
    off = plan_dispatch(
        scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0), rest=RestRules.off()
    ).to_dict()
    assert off["unassigned"] == []
    on = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    assert [u["order_id"] for u in on["unassigned"]] == ["TIGHT"]
    assert "after its due time 2026-12-01 18:00" in on["unassigned"][0]["reason"]


def test_orders_with_datetime_ready_and_due(north_china):
    scen = _small(2)
    # the scenario parses times on load; text (naive = China time) and UTC datetimes plan alike
    scen.orders = [
        dataclasses.replace(o, ready=timeutil.iso(o.ready)[:16], due=timeutil.iso(o.due)[:16])
        for o in scen.orders
    ]
    text = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    scen.orders = [
        dataclasses.replace(
            o,
            ready=timeutil.parse_datetime(o.ready).astimezone(UTC),
            due=timeutil.parse_datetime(o.due).astimezone(UTC),
        )
        for o in scen.orders
    ]
    aware = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    assert aware["totals"] == text["totals"]
    assert [r["schedule"] for r in aware["routes"]] == [r["schedule"] for r in text["routes"]]


def test_cost_objective_dispatch(north_china):
    scen = _small(2)
    by_cost = plan_dispatch(
        scen, north_china, objective="cost", default_depart=datetime(2026, 12, 1, 6, 0)
    ).to_dict()
    by_time = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    assert by_cost["unassigned"] == [] and by_cost["objective"] == "cost"
    assert by_cost["totals"]["cost"] <= by_time["totals"]["cost"] + 1e-6


def test_greedy_engine_stays_available_and_vrp_is_not_worse(north_china):
    scen = _small(3)
    kw = {"default_depart": datetime(2026, 12, 1, 6, 0)}
    greedy = plan_dispatch(scen, north_china, engine="greedy", **kw).to_dict()
    vrp = plan_dispatch(scen, north_china, engine="vrp", **kw).to_dict()
    assert greedy["unassigned"] == [] and vrp["unassigned"] == []
    assert "notices" not in greedy
    assert any("VRP engine" in n for n in vrp["notices"])
    # the same document shape from both engines
    assert greedy.keys() - {"notices"} == vrp.keys() - {"notices"}
    assert greedy["routes"][0].keys() == vrp["routes"][0].keys()
    assert vrp["totals"]["duration_h"] <= greedy["totals"]["duration_h"] + 0.5


def test_vrp_engine_reports_orders_the_fleet_cannot_take(north_china):
    """One truck, two loads that must both reach the port within a day: one is left out and
    the reason says the fleet is busy, not that the order is impossible."""
    scen = _small(2)
    scen.trucks = scen.trucks[:1]
    scen.orders = [
        dataclasses.replace(o, ready="2026-12-01T06:00", due="2026-12-02T12:00")
        for o in scen.orders
    ]
    plan = plan_dispatch(scen, north_china, default_depart=datetime(2026, 12, 1, 6, 0)).to_dict()
    assert plan["totals"]["orders_served"] == 1
    (left,) = plan["unassigned"]
    assert "busy" in left["reason"] and left["order_id"] in {o.id for o in scen.orders}


def test_unknown_engine_is_refused(north_china):
    from h2lane.errors import OptionError

    with pytest.raises(OptionError, match="--engine"):
        plan_dispatch(_small(1), north_china, engine="simplex")


@pytest.mark.parametrize("engine", ["vrp", "greedy"])
def test_trucks_may_stay_out_after_their_last_delivery(north_china, engine):
    scen = _small(2)
    kw = {"default_depart": datetime(2026, 12, 1, 6, 0), "engine": engine}
    back = plan_dispatch(scen, north_china, **kw).to_dict()
    out = plan_dispatch(scen, north_china, return_to_depot=False, **kw).to_dict()
    assert out["unassigned"] == [] and back["unassigned"] == []
    for r in out["routes"]:
        assert r["legs"][-1]["loaded"] and r["legs"][-1]["to"] == "Tianjin Port"
    # no empty run home: fewer km and hours
    assert out["totals"]["distance_km"] < back["totals"]["distance_km"] - 1000
    assert out["totals"]["duration_h"] < back["totals"]["duration_h"] - 20


@pytest.fixture
def own_threads_only(monkeypatch):
    """pytest and its plug-ins (xdist) may run threads of their own: only the test's count."""
    import threading
    import weakref

    from h2lane import forking

    monkeypatch.setattr(forking, "_FORK_SAFE", weakref.WeakSet(threading.enumerate()))


def _dispatcher_and_chains(graph):
    """A dispatcher of the bundled scenario, and one one-order chain per truck."""
    from h2lane.routing import dispatch as dispatch_mod

    scen = load_scenario("shanxi-tianjin")
    depart = timeutil.parse_datetime(datetime(2026, 12, 1, 6, 0))
    disp = dispatch_mod._Dispatcher(scen, graph, scen.stations, "time", 5.0, depart, RestRules())
    types = {t.id: t for t in scen.truck_types}
    chains = [
        (truck, types[truck.type], [dispatch_mod._job(scen, order)])
        for truck, order in zip(scen.trucks, scen.orders, strict=False)
    ]
    return disp, chains


def test_chains_planned_in_processes_match_planning_them_in_turn(north_china, own_threads_only):
    disp, chains = _dispatcher_and_chains(north_china)
    ticks: list[int] = []
    disp.prefetch(chains, workers=2, tick=ticks.append)
    assert len(disp.cache) == len(chains), "forked planning filled the cache"
    assert ticks and max(ticks) <= len(chains) + 1
    alone, _ = _dispatcher_and_chains(north_china)
    for truck, ttype, jobs in chains:
        mine, theirs = disp.evaluate(truck, ttype, jobs), alone.evaluate(truck, ttype, jobs)
        assert mine.feasible == theirs.feasible
        assert mine.score == theirs.score
        assert mine.schedule == theirs.schedule
        assert mine.plan is not None and theirs.plan is not None
        assert mine.plan.to_dict() == theirs.plan.to_dict()
    assert disp.stats["evaluations"] == alone.stats["evaluations"] == len(chains)
    assert disp.stats["plans"] == alone.stats["plans"]


def test_chains_are_planned_in_turn_while_other_threads_run(north_china, own_threads_only):
    import threading

    disp, chains = _dispatcher_and_chains(north_china)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        disp.prefetch(chains, workers=2)
    finally:
        stop.set()
        other.join()
    assert disp.cache == {}, "no fork while another thread holds locks: left to evaluate()"
