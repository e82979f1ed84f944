"""Kill -9 during sustained ingest: every acknowledged message is stored, none twice (HTTP, MQTT)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from h2lane.ops.db import store
from h2lane.ops.db.engine import make_engine, upgrade
from h2lane.ops.db.live_tables import telemetry
from tests.conftest import IN_CI
from tests.ops.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]



def _env() -> dict[str, str]:
    return {**os.environ, "H2LANE_ALARM_TICK_S": "0", "PYTHONPATH": str(ROOT)}


def _serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "h2lane", "serve", "--db", url, "--port", str(port), "--workers", "0"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=_env(), cwd=log.parent,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not start in 60 s")


RUN = uuid.uuid4().hex[:6]
"""Device ids of this run start with it: other tests publish on the same broker at the same time."""


def _msg(i: int) -> dict[str, Any]:
    return {"id": f"k{i}", "device": f"{RUN}-T{i % 7:02d}", "time": f"2026-12-02T08:00:{i % 60:02d}+08:00",
            "lat": 37.1, "lon": 111.8, "h2_kg": 40.0, "speed_kmh": 50.0}  # fmt: skip


def _stored(url: str, device: str | None = None) -> tuple[int, int]:
    """(rows, distinct (device, id) pairs) of the load (probe messages of ``PROBE`` left out)."""
    engine = make_engine(url)
    where = [telemetry.c.device == device] if device else [telemetry.c.device.like(f"{RUN}-T%")]
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(telemetry).where(*where)).scalar_one()
        pairs = select(telemetry.c.device, telemetry.c.msg_id).where(*where).distinct().subquery()
        distinct = conn.execute(select(func.count()).select_from(pairs)).scalar_one()
    engine.dispose()
    return int(rows), int(distinct)


def test_http_kill_9_loses_no_acknowledged_message_and_stores_none_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        _, token = store.create_user(conn, "loader", "admin")
    engine.dispose()
    port = free_port()
    log = tmp_path / "server.log"
    proc = _serve(url, port, log)
    headers = {"Authorization": f"Bearer {token}"}
    acked: set[str] = set()
    sent_batches: list[list[dict[str, Any]]] = []
    stop = threading.Event()

    def load() -> None:
        i = 0
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                batch = [_msg(j) for j in range(i, i + 200)]
                i += 200
                sent_batches.append(batch)
                try:
                    r = client.post(
                        f"http://127.0.0.1:{port}/api/v1/telemetry", json=batch, headers=headers
                    )
                except httpx.HTTPError:
                    return  # the server died mid-request: this batch is unacknowledged
                if r.status_code == 200:
                    acked.update(m["id"] for m in batch)

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(2.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    loader.join(15)
    assert acked, "no batch was acknowledged before the kill"
    rows, distinct = _stored(url)
    assert rows == distinct  # none twice
    assert rows >= len(acked)  # at least every acknowledged one (an unanswered batch may be in)
    proc = _serve(url, port, log)
    try:
        with httpx.Client(timeout=30) as client:
            r = client.get(f"http://127.0.0.1:{port}/api/v1/telemetry", params={"device": f"{RUN}-T00", "limit": 10000},
                           headers=headers)  # fmt: skip
            stored_t00 = {m["id"] for m in r.json()["items"]}
            assert {i for i in acked if _msg(int(i[1:]))["device"] == f"{RUN}-T00"} <= stored_t00
            dup = 0
            for batch in (
                sent_batches
            ):  # the client retries everything: the acknowledged ones are duplicates
                dup += client.post(f"http://127.0.0.1:{port}/api/v1/telemetry", json=batch,
                                   headers=headers).json()["duplicates"]  # fmt: skip
        assert dup >= len(acked)
    finally:
        proc.terminate()
        proc.wait(20)
    rows, distinct = _stored(url)
    assert rows == distinct == sum(len(b) for b in sent_batches)


def _broker_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 1883)) == 0


def _ingest(url: str, client_id: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "h2lane", "ingest", "mqtt", "--db", url, "--client-id", client_id],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=_env(), cwd=log.parent,
    )  # fmt: skip


def _wait_rows(url: str, n: int, timeout: float, device: str | None = None) -> int:
    deadline = time.time() + timeout
    rows = 0
    while time.time() < deadline:
        try:
            rows, _ = _stored(url, device)
        except Exception:
            rows = 0
        if rows >= n:
            return rows
        time.sleep(0.2)
    return rows


def test_mqtt_kill_9_redelivers_unacknowledged_messages_once(tmp_path: Path) -> None:
    if not _broker_up():
        if IN_CI:
            pytest.fail("no MQTT broker on 127.0.0.1:1883 (CI must have Mosquitto)")
        pytest.skip("no MQTT broker on 127.0.0.1:1883 (start Mosquitto to run this test)")
    import paho.mqtt.client as mqtt

    from h2lane.ops.telemetry.mqtt import topic_for

    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(make_engine(url))
    client_id = f"h2lane-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "ingest.log"
    proc = _ingest(url, client_id, log)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", 1883)
    pub.loop_start()

    def publish(i: int) -> None:
        m = _msg(i)
        info = pub.publish(topic_for(m), json.dumps(m), qos=1)
        info.wait_for_publish(10)

    try:
        for probe in range(120):  # the session exists once a probe is stored
            m = {**_msg(probe), "device": f"{RUN}-PROBE", "id": f"p{probe}"}
            pub.publish(topic_for(m), json.dumps(m), qos=1).wait_for_publish(10)
            if _wait_rows(url, 1, 0.5, f"{RUN}-PROBE"):
                break
        assert _wait_rows(url, 1, 1, f"{RUN}-PROBE"), log.read_text()[-2000:]
        for i in range(300):
            publish(i)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for i in range(300, 600):  # the broker queues these for the dead session
            publish(i)
        proc = _ingest(url, client_id, log)
        rows = _wait_rows(url, 600, 60)
        time.sleep(1.0)  # any late redelivery would show as an extra row
        rows, distinct = _stored(url)
        assert rows == distinct == 600, log.read_text()[-2000:]
    finally:
        proc.terminate()
        proc.wait(20)
        pub.loop_stop()
        pub.disconnect()
        cleanup = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True
        )
        cleanup.connect("127.0.0.1", 1883)
        cleanup.disconnect()
