"""A live fleet for ``h2lane serve --demo``: the bundled dispatch replayed into the server.

A dispatch plan job is queued (the worker plans the scenario's orders), and its trucks and
stations are then replayed (:mod:`h2lane.ops.replay`) from now on at ``speedup`` simulated
seconds per second, straight into the live-operations ingest — with a leak at the plan's first
refuelling station ``leak_after_min`` simulated minutes in, so that a newcomer sees the alarm
ladder and an incident on the Live view within a few minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy.engine import Engine

from h2lane.ops.db import store
from h2lane.ops.live import LiveOps
from h2lane.ops.replay import Fault, local_start, paced, replay_messages
from h2lane.ops.telemetry.messages import parse_message

log = logging.getLogger("h2lane.ops.demo")

DEMO_USER = {"name": "demo-fleet", "role": "admin"}


def _wait_for(db: Engine, job_id: str, stop: threading.Event, timeout_s: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout_s
    while not stop.wait(1.0) and time.monotonic() < deadline:
        with db.connect() as conn:
            job = store.get_job(conn, job_id)
        if job and job["status"] == "done":
            return dict(job["result"])
        if job and job["status"] == "failed":
            log.warning("demo fleet: the dispatch job failed: %s", job["error"])
            return None
    return None


def start_demo_fleet(
    live: LiveOps,
    db: Engine,
    *,
    speedup: float = 60.0,
    leak_after_min: float = 180.0,
    stop: threading.Event | None = None,
) -> tuple[threading.Thread, threading.Event]:
    """Start the demo fleet in a daemon thread; set the returned event to stop it."""
    stop = stop or threading.Event()

    def run() -> None:
        from h2lane.ops.api.deps import graph_for, run_on_graph_thread

        with db.begin() as conn:
            job_id = store.create_job(conn, "dispatch", {}, DEMO_USER["name"])
            store.audit(conn, DEMO_USER, "create", "plans", job_id, {"kind": [None, "dispatch"]})
        doc = _wait_for(db, job_id, stop, 900.0)
        if doc is None:
            return
        stations = [s["station_id"] for r in doc.get("routes", []) for s in r.get("stops", [])]
        faults = [Fault("leak", stations[0], leak_after_min)] if stations else []
        start = local_start()

        def messages() -> list[Any]:
            graph = graph_for(doc.get("road_graph") or "north-china")
            return list(replay_messages(doc, graph, faults=faults, start_at=start))

        msgs = run_on_graph_thread(messages)
        log.warning("demo fleet: replaying plan %s (%d messages) at %g×", job_id, len(msgs), speedup)

        def send(batch: list[dict[str, Any]]) -> None:
            if stop.is_set():
                raise _Stopped
            live.ingest_readings([parse_message(m) for m in batch])

        try:
            paced(iter(msgs), send, speedup=speedup)
        except _Stopped:
            return

    thread = threading.Thread(target=run, name="h2lane-demo-fleet", daemon=True)
    thread.start()
    return thread, stop


class _Stopped(Exception):
    """The server is stopping: the replay ends."""
