"""Fleet replay: a plan becomes ordered, plausible telemetry; injected faults raise their alarms."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.errors import OptionError
from h2lane.ops.alarms import AlarmEngine, default_rules, load_rules
from h2lane.ops.replay import Fault, replay_messages
from h2lane.ops.telemetry import parse_message
from h2lane.roads.graph import RoadGraph
from tests.conftest import IN_CI

runner = CliRunner()


@pytest.fixture(scope="module")
def trip(data_dir: Path) -> dict:
    return json.loads((data_dir / "ops" / "trip-xiaoyi-tianjin-round.json").read_text())


def _run(doc: dict, graph: RoadGraph, faults: list[str]) -> tuple[list, AlarmEngine]:
    stops = {s["station_id"]: (s["lat"], s["lon"]) for r in doc["routes"] for s in r["stops"]}
    engine = AlarmEngine(load_rules(default_rules()), stations=stops)
    conditions = []
    msgs = list(replay_messages(doc, graph, faults=[Fault.parse(f) for f in faults]))
    for _, m in msgs:
        conditions += engine.observe(parse_message(m))
    return conditions, engine


def test_a_clean_replay_raises_nothing_and_refuels_match_the_plan(trip, north_china) -> None:
    msgs = list(replay_messages(trip, north_china))
    times = [w for w, _ in msgs]
    assert times == sorted(times)
    assert all(parse_message(m) for _, m in msgs)  # every message valid
    conditions, engine = _run(trip, north_china, [])
    assert conditions == []
    fills = engine.take_refuels()
    planned = [(s["station_id"], s["refuel_kg"]) for s in trip["routes"][0]["stops"]]
    assert [f.station for f in fills] == [p[0] for p in planned]
    for f, (_, kg) in zip(fills, planned, strict=True):
        assert f.kg == pytest.approx(kg, abs=0.6)


def test_an_injected_leak_raises_the_ladder_in_order(trip, north_china) -> None:
    station = trip["routes"][0]["stops"][0]["station_id"]
    conditions, _ = _run(trip, north_china, [f"leak:{station}@60"])
    raised = [(c.rule, c.level) for c in conditions if c.action == "raise"]
    assert raised == [("h2-leak", "warning"), ("h2-leak", "critical"), ("h2-leak", "emergency")]
    assert [c.level for c in conditions if c.action == "clear"] == [
        "emergency",
        "critical",
        "warning",
    ]


def test_h2_drop_and_silent_detector_faults(trip, north_china) -> None:
    station = trip["routes"][0]["stops"][0]["station_id"]
    truck = "truck-1"
    msgs = list(
        replay_messages(
            trip,
            north_china,
            faults=[Fault("h2-drop", truck, 30), Fault("silent-detector", station, 10, "D2")],
        )
    )
    engine = AlarmEngine(load_rules(default_rules()))
    conditions = []
    for when, m in msgs:
        conditions += engine.observe(parse_message(m))
        conditions += engine.tick(when)
    rules = {c.rule for c in conditions if c.action == "raise"}
    assert {"h2-drop", "detector-silent"} <= rules


@pytest.mark.parametrize(
    "text", ["fire:x", "leak:", "silent-detector:s1", "leak:s1@soon", "leak:s1@-5"]
)
def test_bad_fault_specs(text: str) -> None:
    with pytest.raises(OptionError):
        Fault.parse(text)


def test_cli_writes_ndjson_and_refuses_unknown_devices(tmp_path, data_dir) -> None:
    plan = data_dir / "ops" / "trip-xiaoyi-tianjin-round.json"
    out = tmp_path / "fleet.ndjson"
    res = runner.invoke(app, ["replay", "--plan", str(plan), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    lines = out.read_text().splitlines()
    assert summary["messages"] == len(lines) > 1000
    bad = runner.invoke(
        app, ["replay", "--plan", str(plan), "--out", str(out), "--fault", "leak:nowhere", "--json"]
    )
    assert bad.exit_code == 2 and "nowhere" in json.loads(bad.output)["message"]
    both = runner.invoke(app, ["replay", "--plan", str(plan), "--json"])
    assert both.exit_code == 2 and "exactly one of" in json.loads(both.output)["message"]


def _broker_up(port: int = 1883) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_replay_over_mqtt_reaches_a_subscriber(trip, north_china) -> None:
    if not _broker_up():
        if IN_CI:
            pytest.fail("no MQTT broker on 127.0.0.1:1883 (CI must have Mosquitto)")
        pytest.skip("no MQTT broker on 127.0.0.1:1883 (start Mosquitto to run this test)")
    import threading

    import paho.mqtt.client as mqtt

    from h2lane.ops.telemetry.mqtt import TOPICS, mqtt_sender

    got: list[dict] = []
    ready = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_connect = lambda c, *a: (c.subscribe([(t, 1) for t in TOPICS]), ready.set())
    sub.on_message = lambda c, u, m: got.append(json.loads(m.payload))
    sub.connect("127.0.0.1", 1883)
    sub.loop_start()
    try:
        assert ready.wait(5)
        import time

        time.sleep(0.3)
        batch = [
            m
            for _, m in replay_messages(trip, north_china, interval_s=3600, station_interval_s=3600)
        ]
        mqtt_sender("mqtt://127.0.0.1:1883")(batch)
        deadline = time.time() + 5
        while len(got) < len(batch) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        sub.loop_stop()
        sub.disconnect()
    mine = {(m["device"], m["id"]) for m in batch}  # other tests may publish on this broker too
    assert sorted(k for k in ((m["device"], m["id"]) for m in got) if k in mine) == sorted(mine)


def test_a_dispatch_plan_replays_every_truck_without_false_alarms(data_dir, north_china) -> None:
    doc = json.loads((data_dir / "ops" / "dispatch-bundled.json").read_text())
    conditions, engine = _run(doc, north_china, [])
    assert conditions == []
    devices = {m["device"] for _, m in replay_messages(doc, north_china, interval_s=600)}
    assert {r["truck_id"] for r in doc["routes"]} <= devices
    planned = sum(1 for r in doc["routes"] for s in r["stops"] if s["refuel_kg"] >= 3.0)
    assert len(engine.take_refuels()) == planned
