"""Ingest internals: group commit, the scenario cache's invalidation, and the hydrogen-drop
memory rebuilt after a restart."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from h2lane.ops.db import store
from h2lane.ops.db.engine import make_engine, upgrade
from h2lane.ops.db.live_tables import telemetry
from h2lane.ops.db.models import audit_log
from h2lane.ops.live import LiveOps
from tests.ops.conftest import Api

ADMIN = {"name": "test-admin", "role": "admin"}


def truck(i: int, minute: float, h2: float, km: float, device: str = "T01") -> dict[str, Any]:
    stamp = f"2026-12-02T08:{int(minute):02d}:{round(minute % 1 * 60):02d}+08:00"
    return {"id": f"{device}-{i}", "device": device, "time": stamp, "lat": 37.0 + 0.01 * km,
            "lon": 112.0, "h2_kg": h2, "speed_kmh": 60.0, "odometer_km": 1000.0 + km}  # fmt: skip


def leaking(n: int) -> list[dict[str, Any]]:
    """A truck that drives 1 km a minute (0.09 kg at 9 kg/100 km) and loses 0.5 kg a minute:
    0.365 kg a minute more than consumption with its 50 % tolerance explains, so the
    hydrogen-drop rule (2 kg unexplained within 30 min) raises at the 6th minute."""
    return [truck(i, i, 50.0 - 0.5 * i, float(i)) for i in range(n)]


def drops(live: LiveOps) -> list[dict[str, Any]]:
    return [a for a in live.list_alarms(None, None, 100, 0)["items"] if a["rule"] == "h2-drop"]


@pytest.fixture
def live_db(tmp_path: Any) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_the_hydrogen_drop_memory_survives_a_restart(live_db: Any) -> None:
    msgs = leaking(8)
    whole = LiveOps(live_db)
    raised_at = [i for i, m in enumerate(msgs) if whole.ingest_items([m], ADMIN).alarms]
    assert raised_at == [6]  # one run without a restart: the reference
    whole.stop()
    with live_db.begin() as conn:  # the same readings again, for another truck, with a restart
        for table in ("alarms", "device_state", "telemetry"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    first = LiveOps(live_db)
    assert not first.ingest_items(msgs[:5], ADMIN).alarms
    first.stop()
    again = LiveOps(live_db)  # a restart: the memory comes from the stored telemetry
    assert not again.ingest_items(msgs[5:6], ADMIN).alarms
    assert again.ingest_items(msgs[6:7], ADMIN).alarms
    [alarm] = drops(again)
    assert "lost 3.0 kg H2 since 08:00 over 6 km" in alarm["message"]
    track = again.engine.tracks["T01"]
    assert [p[1] for p in track.points] == [50.0 - 0.5 * i for i in range(7)]
    again.stop()


def test_the_rebuilt_memory_skips_late_readings_and_keeps_the_window(live_db: Any) -> None:
    live = LiveOps(live_db)
    old = [truck(100 + i, i, 50.0, float(i)) for i in range(3)]  # 08:00-08:02
    late = truck(99, 0.5, 10.0, 0.5)  # older than the newest: observe skips it
    recent = [truck(200 + i, 40 + i, 50.0 - 0.1 * i, 40.0 + i) for i in range(3)]  # 08:40-08:42
    for batch in ([*old], [late], recent):
        live.ingest_items(batch, ADMIN)
    kept = [(p[0], p[1]) for p in live.engine.tracks["T01"].points]
    live.stop()
    restarted = LiveOps(live_db)
    rebuilt = [(p[0], p[1]) for p in restarted.engine.tracks["T01"].points]
    assert rebuilt == kept and all(h != 10.0 for _, h in rebuilt)
    # the 30 min window: the reading before it and those in it, not the hour before
    start = restarted.engine.newest["T01"] - timedelta(minutes=30)
    assert [t for t, _ in rebuilt if t < start] == [kept[0][0]]
    restarted.stop()


def test_batches_waiting_share_one_transaction_and_keep_their_own_replies(
    live_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveOps(live_db)
    live.ingest_items([truck(0, 0, 50.0, 0.0, "T09")], ADMIN)  # the engine is built
    real_audit = store.audit

    def audit(conn: Any, user: Any, action: str, resource: str, key: Any, changes: Any) -> None:
        if key == "bad":
            raise RuntimeError("this batch's audit row cannot be written")
        real_audit(conn, user, action, resource, key, changes)

    monkeypatch.setattr(store, "audit", audit)
    batches = {
        "a": [truck(1, 1, 50.0, 1.0, "T01"), truck(2, 2, 49.0, 2.0, "T01")],
        "b": [truck(1, 1, 50.0, 1.0, "T01"), truck(1, 1, 40.0, 1.0, "T02")],  # T01-1 again
        "bad": [truck(3, 3, 48.0, 3.0, "T03")],
        "c": [truck(4, 4, 47.0, 4.0, "T04")],
    }
    replies: dict[str, Any] = {}
    groups: list[list[str]] = []
    transaction = live._transaction

    def counted(group: list[Any], *, absorb: bool) -> Any:
        groups.append([job.audit[1] for job in group])
        return transaction(group, absorb=absorb)

    monkeypatch.setattr(live, "_transaction", counted)

    def post(key: str) -> None:
        try:
            replies[key] = live.ingest_items(batches[key], ADMIN, audit=key).as_dict()
        except RuntimeError as exc:
            replies[key] = exc

    threads = [threading.Thread(target=post, args=(k,)) for k in batches]
    with live.lock:  # the writer is busy: every batch waits in the queue
        for th in threads:
            th.start()
        while len(live._queue) < len(batches):
            time.sleep(0.01)
    for th in threads:
        th.join(30)
    assert replies["a"]["accepted"] == 2 and replies["a"]["duplicates"] == 0
    assert replies["b"]["accepted"] == 1 and replies["b"]["duplicates"] == 1
    assert replies["c"]["accepted"] == 1
    assert isinstance(replies["bad"], RuntimeError)  # its fault fails its caller only
    # one transaction for the four; it failed, so each again alone
    assert sorted(groups[0]) == sorted(batches)
    assert sorted(groups[1:]) == sorted([k] for k in batches)
    with live_db.connect() as conn:
        stored = {r.device for r in conn.execute(select(telemetry.c.device).distinct())}
        audits = conn.execute(
            select(audit_log.c.key).where(audit_log.c.resource == "telemetry")
        ).scalars()
        assert stored == {"T09", "T01", "T02", "T04"}  # nothing of the failed batch
        assert sorted(k for k in audits if k) == ["a", "b", "c"]
        assert conn.execute(select(func.count()).select_from(telemetry)).scalar() == 5
    live.stop()


def test_the_scenario_is_read_again_only_after_a_scenario_write(sqlite_api: Api) -> None:
    live = sqlite_api.client.app.state.live  # type: ignore[attr-defined]
    reach = live.reach
    for i in range(3):
        r = sqlite_api.call("POST", "/api/v1/telemetry", json=[truck(i, i, 40.0, float(i))])
        assert r.status_code == 200, r.text
    assert reach.loads == 1 and "test-new" not in live.engine.stations
    body = {"id": "test-new", "name": "New station", "lat": 37.01, "lon": 112.0, "price": 30}
    assert sqlite_api.call("POST", "/api/v1/stations", json=body).status_code == 201
    sqlite_api.call("POST", "/api/v1/telemetry", json=[truck(9, 9, 40.0, 9.0)])
    assert reach.loads == 2 and live.engine.stations["test-new"] == (37.01, 112.0)
    sqlite_api.call("POST", "/api/v1/telemetry", json=[truck(10, 10, 40.0, 10.0)])
    assert reach.loads == 2
