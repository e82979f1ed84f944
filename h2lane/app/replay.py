"""Use case: replay a plan as live telemetry — to a file, the service over HTTP, or MQTT."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from h2lane.app.context import load_graph
from h2lane.errors import OptionError
from h2lane.ops.replay import Fault, http_sender, local_start, paced, replay_messages
from h2lane.plan import read_plan_file
from h2lane.timeutil import iso, parse_datetime


def run_replay(
    plan: Path,
    *,
    to: str | None = None,
    token: str | None = None,
    out: Path | None = None,
    speedup: float = 60.0,
    interval_s: float = 60.0,
    faults: list[str] | None = None,
    start: str = "plan",
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Send (or write) a plan's telemetry; the summary says what went where."""
    if (to is None) == (out is None):
        raise OptionError(
            "give exactly one of --to URL (the service or mqtt://HOST:PORT) and --out FILE"
        )
    if speedup < 0:
        raise OptionError("--speedup must be ≥ 0 (0 sends as fast as possible)")
    doc = read_plan_file(plan).model_dump(mode="json")
    graph = load_graph(doc.get("road_graph") or "north-china")
    if start == "plan":
        start_at = None
    elif start == "now":
        start_at = local_start()
    else:
        start_at = parse_datetime(start)
        if start_at is None:
            raise OptionError(f"--start {start!r}: use plan, now or an ISO 8601 time")
    parsed = [Fault.parse(f) for f in faults or []]
    messages = replay_messages(
        doc, graph, interval_s=interval_s, faults=parsed, start_at=start_at, seed=seed
    )
    devices: set[str] = set()
    first: list[str] = []
    last: list[str] = []

    def watch(it: Any) -> Any:
        for when, msg in it:
            devices.add(msg["device"])
            if not first:
                first.append(iso(when))
            last[:] = [iso(when)]
            yield when, msg

    if out is not None:
        with out.open("w", encoding="utf-8") as fh:
            count = 0
            for count, (_, msg) in enumerate(watch(messages), start=1):
                fh.write(json.dumps(msg, separators=(",", ":")) + "\n")
                if progress and count % 5_000 == 0:
                    progress(count)
        target = str(out)
        speedup = 0.0
    else:
        assert to is not None
        if not token:
            raise OptionError(
                "--token (or H2LANE_TOKEN) is needed to post telemetry to the service"
            )
        if to.startswith("mqtt://"):
            from h2lane.ops.telemetry.mqtt import mqtt_sender

            send = mqtt_sender(to)
        else:
            url = to.rstrip("/")
            if not url.endswith("/api/v1/telemetry"):
                url += "/api/v1/telemetry"
            send = http_sender(url, token)
        count = paced(watch(messages), send, speedup=speedup, progress=progress)
        target = to
    return {
        "kind": "h2lane.replay",
        "plan": str(plan),
        "messages": count,
        "devices": sorted(devices),
        "faults": [
            {"kind": f.kind, "device": f.device, "tag": f.tag, "after_min": f.after_min}
            for f in parsed
        ],
        "first": first[0] if first else None,
        "last": last[0] if last else None,
        "speedup": speedup,
        "to": target,
    }
