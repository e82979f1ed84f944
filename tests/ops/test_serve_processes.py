"""``h2lane serve --processes 3``: one primary owns live operations, two secondaries forward
them. A stream opened on a secondary hears an alarm raised by telemetry posted through
another secondary; writes through one process are read at once through another; a killed
secondary is replaced. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2lane.ops.db import store
from h2lane.ops.db.engine import make_engine, upgrade
from h2lane.scenario import io as scenario_io
from tests.ops.conftest import OWN_STATION, free_port

ROOT = Path(__file__).resolve().parents[2]


class Group:
    def __init__(self, base: str, token: str, proc: subprocess.Popen[bytes]) -> None:
        self.base, self.token, self.proc = base, token, proc
        self.headers = {"Authorization": f"Bearer {token}"}

    def client_on(self, role: str, avoid: set[int] | None = None) -> tuple[httpx.Client, int]:
        """A one-connection client whose connection a process of ``role`` accepted.

        The kernel hands a new connection to whichever process accepts first, so a process
        busy for a moment (a loaded CI machine) can miss many in a row: try for a while,
        not a number of times."""
        deadline, tries = time.monotonic() + 60, 0
        while time.monotonic() < deadline:
            tries += 1
            client = httpx.Client(base_url=self.base, headers=self.headers, timeout=20,
                                  limits=httpx.Limits(max_connections=1))  # fmt: skip
            process = client.get("/healthz").json()["process"]
            if process["role"] == role and process["pid"] not in (avoid or set()):
                return client, int(process["pid"])
            client.close()
            time.sleep(0.01 * min(tries, 20))
        raise AssertionError(f"no connection reached a {role} process in 60 s ({tries} tries)")

    def pids(self, tries: int = 60) -> set[int]:
        seen: set[int] = set()
        for _ in range(tries):
            seen.add(httpx.get(f"{self.base}/healthz", timeout=5).json()["process"]["pid"])
        return seen


@pytest.fixture
def group(db_url: str, tmp_path: Path) -> Iterator[Group]:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        store.replace_scenario(conn, scenario_io.load_scenario("shanxi-tianjin"))
        _, token = store.create_user(conn, "group-admin", "admin")
    engine.dispose()
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "H2LANE_ALARM_TICK_S": "0", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "h2lane", "serve", "--db", db_url, "--port", str(port),
         "--workers", "0", "--processes", "3"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
    )  # fmt: skip
    made = Group(f"http://127.0.0.1:{port}", token, proc)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # every process answers
            if proc.poll() is not None:
                raise AssertionError(f"the server exited: {log.read_text()[-2000:]}")
            try:
                if len(made.pids(30)) == 3:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError(f"not all 3 processes answered: {log.read_text()[-2000:]}")
        yield made
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _listen(client: httpx.Client, events: list[dict[str, Any]], ready: threading.Event) -> None:
    with client.stream("GET", "/api/v1/stream?types=state,alarm") as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            ready.set()
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if sum(e["type"] == "alarm" for e in events) >= 2:
                    return


def test_streams_on_any_process_hear_alarms_posted_through_any_other(group: Group) -> None:
    on_secondary, first = group.client_on("secondary")
    on_primary, _ = group.client_on("primary")
    poster, _ = group.client_on("secondary", avoid={first})
    streams: list[list[dict[str, Any]]] = [[], []]
    ready = [threading.Event(), threading.Event()]
    threads = [threading.Thread(target=_listen, args=(c, streams[i], ready[i]), daemon=True)
               for i, c in enumerate((on_secondary, on_primary))]  # fmt: skip
    for t in threads:
        t.start()
    assert all(r.wait(20) for r in ready)
    leak = {"id": "p1", "device": OWN_STATION, "time": "2026-12-02T09:00:00+08:00",
            "detectors": {"D1": 0.45}}  # fmt: skip
    r = poster.post("/api/v1/telemetry", json=[leak])  # forwarded to the primary
    assert r.status_code == 200 and r.json()["alarms_raised"] == 1, r.text
    alarms = poster.get("/api/v1/alarms?state=active").json()["items"]
    assert [a["rule"] for a in alarms] == ["h2-leak"]
    acked = poster.post(f"/api/v1/alarms/{alarms[0]['id']}/ack", json={"note": "on it"})
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged", acked.text
    for t in threads:
        t.join(20)
    for events in streams:
        kinds = [(e["type"], e.get("action")) for e in events]
        assert kinds == [("state", None), ("alarm", "raise"), ("alarm", "ack")], events
    # the stream's token is checked by the primary: none → 401 through a secondary too
    assert httpx.get(f"{group.base}/api/v1/stream", timeout=5).status_code == 401
    for c in (on_secondary, on_primary, poster):
        c.close()


def test_a_write_through_one_process_is_read_at_once_through_another(group: Group) -> None:
    writer, pid = group.client_on("secondary")
    readers = [group.client_on("primary")[0], group.client_on("secondary", avoid={pid})[0]]
    station = readers[0].get("/api/v1/stations").json()["items"][0]
    for reader in readers:  # stored on every reader
        assert reader.get("/api/v1/stations").json()["items"][0] == station
    for price in (station["price"] + 1, station["price"] + 2):
        r = writer.patch(f"/api/v1/stations/{station['id']}", json={"price": price})
        assert r.status_code == 200, r.text
        for reader in readers:
            assert reader.get("/api/v1/stations").json()["items"][0]["price"] == price
    for c in (writer, *readers):
        c.close()


def test_a_killed_secondary_is_replaced(group: Group) -> None:
    _, pid = group.client_on("secondary")
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = group.pids(30)
        if pid not in pids and len(pids) == 3:
            return
        time.sleep(0.5)
    raise AssertionError(f"the killed secondary {pid} was not replaced")
