"""Live operations over HTTP: ingest, duplicates, device scope, state, alarms, rules, incidents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from h2lane.ops.alarms import default_rules
from h2lane.ops.replay import Fault, replay_messages
from h2lane.roads.graph import RoadGraph
from tests.ops.conftest import OWN_STATION, Api


def truck_msg(i: int, device: str = "T01", minute: int = 0, **kw: object) -> dict:
    return {"id": f"m{i}", "device": device, "time": f"2026-12-02T08:{minute:02d}:00+08:00",
            "lat": 37.1, "lon": 111.8, "h2_kg": 40.0, "speed_kmh": 50.0, **kw}  # fmt: skip


def station_msg(i: int, d1: float, minute: int = 0, device: str = OWN_STATION) -> dict:
    return {"id": f"s{i}", "device": device, "time": f"2026-12-02T09:{minute:02d}:00+08:00",
            "detectors": {"D1": d1, "D2": 0.0}}  # fmt: skip


def post(api: Api, body: object, role: str = "admin", ndjson: bool = False):  # type: ignore[no-untyped-def]
    if ndjson:
        content = "\n".join(json.dumps(m) for m in body)  # type: ignore[attr-defined]
        return api.call("POST", "/api/v1/telemetry", role, content=content,
                        headers={"Content-Type": "application/x-ndjson"})  # fmt: skip
    return api.call("POST", "/api/v1/telemetry", role, json=body)


def test_ingest_counts_duplicates_once_and_rejects_by_index(api: Api) -> None:
    batch = [truck_msg(1), truck_msg(2, minute=1), {"id": "bad", "device": "T01"}, truck_msg(1)]
    r = post(api, batch)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert [x["index"] for x in body["rejected"]] == [2]
    again = post(api, [truck_msg(2, minute=1), truck_msg(3, minute=2)], ndjson=True).json()
    assert (again["accepted"], again["duplicates"]) == (1, 1)
    listed = api.get("/api/v1/telemetry?device=T01").json()
    assert listed["total"] == 3 and [m["id"] for m in listed["items"]] == ["m1", "m2", "m3"]
    since = api.get("/api/v1/telemetry?device=T01&since=2026-12-02T08:01:00%2B08:00").json()
    assert since["total"] == 2
    audit = api.get("/api/v1/audit?resource=telemetry").json()["items"]
    assert [a["changes"]["accepted"] for a in audit] == [1, 2]  # each batch, in its transaction


def test_state_uses_the_newest_time_despite_out_of_order_messages(api: Api) -> None:
    post(api, [truck_msg(1, minute=5, h2_kg=30.0)])
    post(api, [truck_msg(2, minute=1, h2_kg=50.0)])  # older, arrives later
    state = api.get("/api/v1/trucks/T01/state").json()
    assert state["state"]["h2_kg"] == 30.0 and state["time"] == "2026-12-02T08:05:00+08:00"
    assert api.get("/api/v1/stations/T01/state").status_code == 404
    assert api.get("/api/v1/live/states?kind=truck").json()["total"] == 1


def test_device_tokens_post_only_for_their_own_ids(api: Api) -> None:
    r = post(api, [station_msg(1, 0.0), station_msg(2, 0.0, device="other-station")], role="device")
    assert r.status_code == 200
    body = r.json()
    assert body["accepted"] == 1 and body["rejected"][0]["index"] == 1
    assert "not one of this token's devices" in body["rejected"][0]["error"]
    for role in ("dispatcher", "auditor", "station-operator"):
        assert post(api, [station_msg(3, 0.0)], role=role).status_code == 403
    assert api.call("POST", "/api/v1/telemetry", None, json=[]).status_code == 401
    assert api.get("/api/v1/telemetry?device=T01", role="device").status_code == 403


@pytest.mark.parametrize(
    ("content", "ctype", "status"),
    [
        (b"", "application/json", 422),
        (b"[1,", "application/json", 422),
        (b"\xff\xfe", "application/json", 422),
        (b'{"id": 1}', "application/json", 200),
    ],
)
def test_whole_body_errors_are_422_not_500(
    sqlite_api: Api, content: bytes, ctype: str, status: int
) -> None:
    r = sqlite_api.call(
        "POST", "/api/v1/telemetry", "admin", content=content, headers={"Content-Type": ctype}
    )
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["field"] == ["body"]


def test_leak_ladder_alarms_lifecycle_and_incident(api: Api) -> None:
    levels = [0.0, 0.5, 1.2, 2.3, 2.4, 0.1]
    r = post(api, [station_msg(i, v, minute=i) for i, v in enumerate(levels)])
    assert r.json()["alarms_raised"] == 3
    alarms = api.get("/api/v1/alarms").json()["items"]
    assert [a["level"] for a in reversed(alarms)] == ["warning", "critical", "emergency"]
    assert all(a["state"] == "active" and a["cleared_at"] for a in alarms)
    incidents = api.get("/api/v1/incidents").json()["items"]
    assert len(incidents) == 1 and incidents[0]["level"] == "emergency"
    inc = incidents[0]["id"]
    critical = next(a for a in alarms if a["level"] == "critical")
    ack = api.call(
        "POST", f"/api/v1/alarms/{critical['id']}/ack", "station-operator", json={"note": "on site"}
    )
    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "station-operator-user"
    assert api.call("POST", f"/api/v1/alarms/{critical['id']}/ack", "admin").status_code == 409
    assert (
        api.call("POST", f"/api/v1/alarms/{critical['id']}/resolve", "auditor").status_code == 403
    )
    assert (
        api.call("POST", f"/api/v1/alarms/{critical['id']}/resolve", "admin").json()["state"]
        == "resolved"
    )
    assert api.call("POST", "/api/v1/alarms/99999/ack", "admin").status_code == 404
    assert api.get("/api/v1/alarms?state=resolved").json()["total"] == 1
    note = api.call("POST", f"/api/v1/incidents/{inc}/notes", "dispatcher",
                    json={"kind": "action", "text": "rerouted T02 to Jiexiu"})  # fmt: skip
    assert note.status_code == 200
    closed = api.call(
        "POST", f"/api/v1/incidents/{inc}/close", "admin", json={"text": "vent fixed"}
    ).json()
    assert closed["state"] == "closed"
    kinds = [t["kind"] for t in closed["timeline"]]
    assert kinds[:3] == ["alarm", "alarm", "acknowledged"] and kinds[-2:] == ["action", "close"]
    report = api.get(f"/api/v1/incidents/{inc}/report")
    assert report.status_code == 200 and "rerouted T02" in report.text and "Timeline" in report.text
    audit = api.get("/api/v1/audit?resource=alarms").json()
    assert audit["total"] == 2


def test_station_operator_handles_only_its_own_stations(api: Api) -> None:
    post(api, [station_msg(1, 0.6, device="jiexiu")])
    (alarm,) = api.get("/api/v1/alarms").json()["items"]
    r = api.call("POST", f"/api/v1/alarms/{alarm['id']}/ack", "station-operator")
    assert r.status_code == 403


def test_alarm_rules_are_versioned_and_validated(api: Api) -> None:
    doc = api.get("/api/v1/alarm-rules").json()
    assert doc["version"] == 0 and doc["rules"] == default_rules()["rules"]
    doc["rules"][0]["levels"][0]["pct_vol"] = 0.3
    put = api.call("PUT", "/api/v1/alarm-rules", "admin", json=doc)
    assert put.status_code == 200 and put.json()["version"] == 1
    assert api.get("/api/v1/alarm-rules").json()["rules"][0]["levels"][0]["pct_vol"] == 0.3
    post(api, [station_msg(1, 0.35)])
    assert api.get("/api/v1/alarms").json()["total"] == 1  # the new threshold applies
    bad = dict(
        doc,
        rules=[{"id": "x", "kind": "leak", "levels": [], "source": "s", "hysteresis_pct_vol": 0.1}],
    )
    r = api.call("PUT", "/api/v1/alarm-rules", "admin", json=bad)
    assert r.status_code == 422 and "rules[0].levels" in r.json()["message"]
    assert api.call("PUT", "/api/v1/alarm-rules", "dispatcher", json=doc).status_code == 403


def test_alarm_episodes_survive_a_restart(sqlite_url: str) -> None:
    from tests.ops.conftest import make_api

    first = make_api(sqlite_url)
    post(first, [station_msg(1, 0.5)])
    first.client.app.state.engine.dispose()  # type: ignore[attr-defined]
    from fastapi.testclient import TestClient

    from h2lane.ops.api.app import create_app
    from h2lane.ops.settings import Settings

    second = Api(TestClient(create_app(Settings(db_url=sqlite_url))), first.tokens, sqlite_url)
    post(second, [station_msg(2, 0.6, minute=1)])  # the same episode: no second alarm
    assert second.get("/api/v1/alarms").json()["total"] == 1
    post(second, [station_msg(3, 0.0, minute=2), station_msg(4, 0.7, minute=3)])
    assert second.get("/api/v1/alarms").json()["total"] == 2


def test_silent_detector_on_the_clock(sqlite_api: Api) -> None:
    live = sqlite_api.client.app.state.live  # type: ignore[attr-defined]
    post(sqlite_api, [station_msg(1, 0.0)])
    post(sqlite_api, [{"id": "s2", "device": OWN_STATION, "time": "2026-12-02T09:03:00+08:00",
                       "detectors": {"D1": 0.0}}])  # fmt: skip
    from datetime import datetime

    from h2lane.timeutil import CHINA

    events = live.tick(datetime(2026, 12, 2, 9, 3, 30, tzinfo=CHINA))
    assert [(e["alarm"]["rule"], e["alarm"]["subject"]) for e in events] == [
        ("detector-silent", "D2")
    ]


def test_a_replayed_fleet_with_a_leak_opens_an_incident_listing_trucks(sqlite_api: Api, data_dir: Path,
                                                                       north_china: RoadGraph) -> None:  # fmt: skip
    from h2lane.ops.db.models import plan_jobs

    doc = json.loads((data_dir / "ops" / "dispatch-bundled.json").read_text())
    station = next(s["station_id"] for r in doc["routes"] for s in r["stops"])
    engine = sqlite_api.client.app.state.engine  # type: ignore[attr-defined]
    from datetime import UTC, datetime

    with engine.begin() as conn:
        conn.execute(plan_jobs.insert().values(
            id="p1", kind="dispatch", request={}, status="done", progress=1.0, task="", result=doc,
            created_by="t", created_at=datetime.now(UTC), finished_at=datetime.now(UTC)))  # fmt: skip
    msgs = [
        m
        for _, m in replay_messages(
            doc, north_china, interval_s=600, faults=[Fault("leak", station, 30)]
        )
    ]
    for i in range(0, len(msgs), 500):
        assert post(sqlite_api, msgs[i : i + 500]).status_code == 200
    incidents = sqlite_api.get("/api/v1/incidents").json()["items"]
    assert [i["device"] for i in incidents] == [station]
    affected = incidents[0]["affected"]
    assert affected["station"] == station and affected["trucks"], affected
    raised = [
        a["level"]
        for a in reversed(sqlite_api.get(f"/api/v1/alarms?device={station}").json()["items"])
    ]
    assert raised == ["warning", "critical", "emergency"]
    assert sqlite_api.get("/api/v1/refuels").json()["total"] > 0


def _store_plan(api: Api, doc: dict, job_id: str) -> None:
    from datetime import UTC, datetime

    from h2lane.ops.db.models import plan_jobs

    with api.client.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(plan_jobs.insert().values(
            id=job_id, kind=doc["kind"], request={}, status="done", progress=1.0, task="", result=doc,
            created_by="t", created_at=datetime.now(UTC), finished_at=datetime.now(UTC)))  # fmt: skip


def test_plan_vs_actual_delay_eta_hydrogen_and_ledger(
    sqlite_api: Api, data_dir: Path, north_china: RoadGraph
) -> None:
    from datetime import timedelta

    from h2lane.emissions.ledger import REQUIRED_COLUMNS
    from h2lane.timeutil import parse_datetime

    doc = json.loads((data_dir / "ops" / "trip-xiaoyi-tianjin-round.json").read_text())
    _store_plan(sqlite_api, doc, "trip1")
    late = parse_datetime(doc["depart"]) + timedelta(minutes=30)  # type: ignore[operator]
    msgs = [m for _, m in replay_messages(doc, north_china, interval_s=300, start_at=late)]
    trucks = [m for m in msgs if "lat" in m]
    cut = next(i for i in range(len(trucks) // 3, len(trucks)) if trucks[i]["speed_kmh"] > 0) + 1
    half = trucks[:cut]
    assert post(sqlite_api, half).status_code == 200
    r = sqlite_api.get("/api/v1/plans/trip1/actual")
    assert r.status_code == 200, r.text
    (route,) = r.json()["routes"]
    assert route["status"] == "en route" and 20 <= route["delay_min"] <= 40, route
    assert route["eta_stops"] and route["eta_destination"] > route["planned_arrival"]
    assert abs(route["h2_actual_kg"] - route["h2_planned_kg"]) < 2.0
    assert post(sqlite_api, trucks[cut:]).status_code == 200
    (done,) = sqlite_api.get("/api/v1/plans/trip1/actual").json()["routes"]
    assert done["status"] == "arrived" and len(done["ledger"]) == 2
    for row, leg in zip(done["ledger"], doc["routes"][0]["legs"], strict=True):
        assert list(row) == list(REQUIRED_COLUMNS)
        assert abs(row["distance_km"] - leg["distance_km"]) / leg["distance_km"] < 0.03
        assert abs(row["h2_kg"] - leg["h2_kg"]) < 2.5
    assert sqlite_api.get("/api/v1/plans/nope/actual").status_code == 404


def test_traccar_forwards_are_ingested_as_truck_messages(api: Api) -> None:
    forward = {
        "position": {"id": 77, "fixTime": "2026-12-02T00:00:00.000+00:00", "latitude": 37.5,
                     "longitude": 112.7, "speed": 20.0, "attributes": {"fuel": 31.5}},
        "device": {"id": 3, "name": "T07", "uniqueId": "860000000000001"},
    }  # fmt: skip
    r = api.call("POST", "/api/v1/telemetry/traccar", "admin", json=forward)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    state = api.get("/api/v1/trucks/T07/state").json()["state"]
    assert state["h2_kg"] == 31.5 and state["speed_kmh"] == pytest.approx(37.04)
    again = api.call(
        "POST", "/api/v1/telemetry/traccar", "admin", json=[forward, {"position": {}}]
    ).json()
    assert again["duplicates"] == 1 and [x["index"] for x in again["rejected"]] == [1]


def test_range_rule_on_the_road_graph_and_a_station_out_of_service(sqlite_api: Api) -> None:
    # 36 km by road from xiaoyi-beiyao (3.2 kg at 9 kg/100 km), 137 km from jinzhong (12.3 kg)
    at = {"lat": 37.3, "lon": 111.5}
    first = post(sqlite_api, [truck_msg(1, device="T01", h2_kg=10.0, **at)]).json()
    assert first["alarms_raised"] == 0
    low = truck_msg(2, device="T02", h2_kg=5.0, **at)  # 5 kg − 2 kg reserve < 3.2 kg
    assert post(sqlite_api, [low]).json()["alarms_raised"] == 1
    (alarm,) = sqlite_api.get("/api/v1/alarms?device=T02").json()["items"]
    assert (alarm["rule"], alarm["level"]) == ("range", "critical")
    assert "nearest station xiaoyi-beiyao is 36 km away" in alarm["message"]
    post(sqlite_api, [truck_msg(3, device="T02", minute=2, h2_kg=50.0, **at)])  # refuelled
    assert sqlite_api.get(f"/api/v1/alarms/{alarm['id']}").json()["cleared_at"] is not None
    # enough for the nearest station only: a leak there takes it out of service
    assert (
        post(sqlite_api, [truck_msg(4, device="T03", h2_kg=6.0, **at)]).json()["alarms_raised"] == 0
    )
    post(sqlite_api, [station_msg(1, 1.5, device=OWN_STATION)])
    post(sqlite_api, [truck_msg(5, device="T03", minute=1, h2_kg=6.0, **at)])
    rules = [a["rule"] for a in sqlite_api.get("/api/v1/alarms?device=T03").json()["items"]]
    assert rules == ["range"]


def test_next_planned_stop_warning_from_the_stored_plan(sqlite_api: Api, data_dir: Path) -> None:
    doc = json.loads((data_dir / "ops" / "trip-xiaoyi-tianjin-round.json").read_text())
    _store_plan(sqlite_api, doc, "trip-next")
    first = doc["routes"][0]["stops"][0]  # dingzhou-xuyang, 363.6 km: 32.7 kg at 9 kg/100 km
    start = {"lat": 37.145, "lon": 111.785}
    r = post(sqlite_api, [truck_msg(1, device="truck-1", h2_kg=30.0, **start)]).json()
    assert r["alarms_raised"] == 1
    (alarm,) = sqlite_api.get("/api/v1/alarms?device=truck-1").json()["items"]
    assert alarm["rule"] == "range-next-stop" and first["station_id"] in alarm["message"]
    assert "364 km" in alarm["message"]
    post(sqlite_api, [truck_msg(2, device="truck-1", minute=1, h2_kg=58.0, **start)])
    assert sqlite_api.get(f"/api/v1/alarms/{alarm['id']}").json()["cleared_at"] is not None
