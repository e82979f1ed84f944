"""The live stream (Server-Sent Events) over a real server: state and alarm events arrive."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import uvicorn

from tests.ops.conftest import OWN_STATION, free_port, make_api


def test_stream_delivers_state_and_alarm_events(sqlite_url: str) -> None:
    api = make_api(sqlite_url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(api.client.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    headers = api.headers("auditor")
    events: list[dict[str, Any]] = []
    subscribed = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(timeout=20) as client,
            client.stream("GET", f"{base}/api/v1/stream?types=state,alarm", headers=headers) as r,
        ):
            assert r.status_code == 200 and r.headers["content-type"].startswith(
                "text/event-stream"
            )
            for line in r.iter_lines():
                subscribed.set()
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if any(e["type"] == "alarm" for e in events):
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        assert subscribed.wait(10)
        msg = {
            "id": "x1",
            "device": OWN_STATION,
            "time": "2026-12-02T09:00:00+08:00",
            "detectors": {"D1": 0.45},
        }
        sent = time.perf_counter()
        r = httpx.post(f"{base}/api/v1/telemetry", json=[msg], headers=api.headers("admin"))
        assert r.status_code == 200 and r.json()["alarms_raised"] == 1
        listener.join(10)
        took = time.perf_counter() - sent
        kinds = [e["type"] for e in events]
        assert kinds == ["state", "alarm"], events
        assert events[1]["alarm"]["rule"] == "h2-leak" and events[1]["action"] == "raise"
        assert took < 10
        assert httpx.get(f"{base}/api/v1/stream").status_code == 401
    finally:
        server.should_exit = True
        thread.join(10)
        api.client.app.state.engine.dispose()  # type: ignore[attr-defined]
