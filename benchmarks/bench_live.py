"""Live operations: telemetry ingest rate over HTTP and message → alarm latency on the stream.

Issue targets (2 cores): ingest ≥ 20,000 messages/s over HTTP batches into SQLite, alarm
evaluation included (PostgreSQL reported beside it); end-to-end latency from a message to its
alarm on the live stream p95 ≤ 1 s.

Method: a real ``h2lane serve`` process on a free loopback port (alarm clock off), an admin
token, synthetic telemetry of 1,000 trucks and 100 stations (every message valid, each truck
message run through every truck rule, each station message through the leak ladder, fill and
detector rules), posted as JSON arrays of ``--batch`` messages by ``--clients`` concurrent
clients. Latency: while the load runs, a probe posts one leak reading at a time for a fresh
station and a Server-Sent-Events subscriber timestamps the ``alarm`` event it causes.

    python benchmarks/bench_live.py [--messages 200000] [--batch 1000] [--clients 3] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, fresh_pg_database, machine, today, write_section

ROOT = Path(__file__).resolve().parents[1]


def make_token(url: str, scenario: str | None = None) -> str:
    from h2lane.ops.db import store
    from h2lane.ops.db.engine import make_engine, upgrade
    from h2lane.scenario import io as scenario_io

    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        if scenario:
            store.replace_scenario(conn, scenario_io.load_scenario(scenario))
        _, token = store.create_user(conn, f"bench-{os.getpid()}-{time.time_ns()}", "admin")
    engine.dispose()
    return token


def serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "H2LANE_ALARM_TICK_S": "0", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "h2lane", "serve", "--db", url, "--port", str(port), "--workers", "0"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the server did not start: {log.read_text()[-1500:]}")


def messages(n: int, run: str) -> list[dict[str, Any]]:
    """``n`` messages: 10 truck messages per station message, times advancing by the second."""
    out = []
    for i in range(n):
        sec = 1_733_097_600 + i // 1100
        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(sec))
        if i % 11 == 10:
            s = (i // 11) % 100
            out.append({"id": f"{run}-{i}", "device": f"S{s:03d}", "time": t,
                        "detectors": {"D1": 0.01, "D2": 0.0}})  # fmt: skip
        else:
            k = i % 1000
            step = i // 1000
            out.append({"id": f"{run}-{i}", "device": f"T{k:04d}", "time": t,
                        "lat": 37.0 + 0.001 * step, "lon": 112.0 + 0.001 * k, "h2_kg": max(1.0, 58.0 - 0.01 * step),
                        "speed_kmh": 60.0, "odometer_km": 1000.0 + 0.1 * step})  # fmt: skip
    return out


def ingest_rate(
    port: int, token: str, msgs: list[dict[str, Any]], batch: int, clients: int
) -> dict[str, Any]:
    bodies = [json.dumps(msgs[i : i + batch]).encode() for i in range(0, len(msgs), batch)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    accepted = [0] * clients
    lock = threading.Lock()
    queue = list(range(len(bodies)))

    def worker(c: int) -> None:
        with httpx.Client(timeout=120) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    b = queue.pop(0)
                r = client.post(
                    f"http://127.0.0.1:{port}/api/v1/telemetry", content=bodies[b], headers=headers
                )
                r.raise_for_status()
                accepted[c] += r.json()["accepted"]

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {
        "messages": len(msgs),
        "accepted": sum(accepted),
        "seconds": wall,
        "rate": sum(accepted) / wall,
    }


def alarm_latency(
    port: int, token: str, probes: int, run: str, load: list[dict[str, Any]]
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    sent: dict[str, float] = {}
    got: dict[str, float] = {}
    ready = threading.Event()
    done = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(timeout=None) as client,
            client.stream(
                "GET", f"http://127.0.0.1:{port}/api/v1/stream?types=alarm", headers=headers
            ) as r,
        ):
            ready.set()
            for line in r.iter_lines():
                if line.startswith("data:"):
                    ev = json.loads(line[5:])
                    dev = ev["alarm"]["device"]
                    if ev["action"] == "raise" and dev in sent:
                        got[dev] = time.perf_counter()
                if done.is_set() and len(got) >= len(sent):
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(10)
    time.sleep(0.3)
    background = threading.Thread(
        target=ingest_rate, args=(port, token, load, 1000, 2), daemon=True
    )
    background.start()
    with httpx.Client(timeout=30) as client:
        for k in range(probes):
            dev = f"probe-{run}-{k}"
            msg = [
                {
                    "id": "1",
                    "device": dev,
                    "time": "2026-12-02T08:00:00+08:00",
                    "detectors": {"D1": 0.5},
                }
            ]
            sent[dev] = time.perf_counter()
            client.post(
                f"http://127.0.0.1:{port}/api/v1/telemetry", json=msg, headers=headers
            ).raise_for_status()
            time.sleep(0.05)
    done.set()
    deadline = time.time() + 10
    while len(got) < len(sent) and time.time() < deadline:
        time.sleep(0.05)
    background.join(120)
    lat = sorted((got[d] - sent[d]) * 1000 for d in got)
    return {
        "probes": probes,
        "received": len(lat),
        "p50_ms": statistics.median(lat) if lat else float("nan"),
        "p95_ms": lat[int(0.95 * (len(lat) - 1))] if lat else float("nan"),
        "max_ms": lat[-1] if lat else float("nan"),
    }


def dashboard_1hz(port: int, token: str, trucks: int = 1000, seconds: int = 15) -> dict[str, Any]:
    """The Live view in headless Chromium while ``trucks`` trucks report once a second each:
    frames drawn, long frames (> 50 ms), events received, markers on the map."""
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(base + "/#live")
        page.fill("#token", token)
        page.click("#signin-form button")
        page.wait_for_selector("#live-conn:text('live')", timeout=60000)
        page.evaluate("""() => { window.__frames = []; let last = performance.now();
            const tick = t => { window.__frames.push(t - last); last = t; requestAnimationFrame(tick); };
            requestAnimationFrame(tick); }""")
        start_events = page.evaluate("window.h2lane.live.events")
        with httpx.Client(timeout=30) as client:
            t0 = time.perf_counter()
            for sec in range(seconds):
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_733_097_600 + sec))
                batch = [{"id": f"d{sec}-{k}", "device": f"L{k:04d}", "time": stamp, "lat": 37.0 + 0.002 * k % 2.0,
                          "lon": 111.5 + 0.004 * k % 6.0 + 0.001 * sec, "h2_kg": 40.0, "speed_kmh": 60.0}
                         for k in range(trucks)]  # fmt: skip
                client.post(
                    f"{base}/api/v1/telemetry", json=batch, headers=headers
                ).raise_for_status()
                time.sleep(max(0.0, t0 + sec + 1 - time.perf_counter()))
        time.sleep(1.0)
        frames = page.evaluate("window.__frames")
        events = page.evaluate("window.h2lane.live.events") - start_events
        markers = page.evaluate("Object.keys(window.h2lane.live.markers).length")
        browser.close()
    frames = frames[1:]
    return {
        "trucks": trucks,
        "seconds": seconds,
        "events": events,
        "markers": markers,
        "fps": len(frames) / (sum(frames) / 1000) if frames else 0.0,
        "long_frames": sum(1 for f in frames if f > 50),
        "worst_frame_ms": max(frames) if frames else float("nan"),
        "frames": len(frames),
    }


def run_one(name: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    token = make_token(url, "shanxi-tianjin")  # its stations: the range rule asks the road graph
    port = free_port()
    proc = serve(url, port, tmp / f"{name}.log")
    try:
        warm = ingest_rate(port, token, messages(5_000, f"{name}-warm"), args.batch, 1)
        rate = ingest_rate(port, token, messages(args.messages, name), args.batch, args.clients)
        # a gateway that batches 5 s of a 1,000-truck fleet at 1 Hz: 5,000 messages a request
        big = ingest_rate(port, token, messages(args.messages, f"{name}-big"), 5_000, 2)
        latency = alarm_latency(port, token, args.probes, name, messages(60_000, f"{name}-bg"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    print(f"{name}: warm-up {warm['rate']:,.0f}/s; {rate['accepted']:,} messages in {rate['seconds']:.2f} s = "
          f"{rate['rate']:,.0f} msg/s; alarm latency p50 {latency['p50_ms']:.0f} ms, p95 {latency['p95_ms']:.0f} ms "
          f"({latency['received']}/{latency['probes']} probes)")  # fmt: skip
    print(f"{name}: batches of 5,000 by 2 clients: {big['rate']:,.0f} msg/s")
    return {"rate": rate, "big": big, "latency": latency}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--probes", type=int, default=100)
    ap.add_argument(
        "--dashboard-seconds", type=int, default=15, help="0 leaves the dashboard part out"
    )
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/live.md")
    args = ap.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="h2lane-bench-live-") as tmp:
        results["SQLite"] = run_one("sqlite", f"sqlite:///{Path(tmp) / 'live.db'}", args, Path(tmp))
        url = fresh_pg_database("h2lane_bench_live")
        if url:
            results["PostgreSQL"] = run_one("postgresql", url, args, Path(tmp))
        dash = None
        if args.dashboard_seconds and Path("/usr/bin/chromium").exists():
            durl = f"sqlite:///{Path(tmp) / 'dash.db'}"
            token = make_token(durl, "shanxi-tianjin")
            port = free_port()
            proc = serve(durl, port, Path(tmp) / "dash.log")
            try:
                dash = dashboard_1hz(port, token, seconds=args.dashboard_seconds)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
            print(f"dashboard: {dash}")
    rows = []
    for db, r in results.items():
        lat = r["latency"]
        for label, rate in (
            (f"{args.batch:,} × {args.clients} clients", r["rate"]),
            ("5,000 × 2 clients", r["big"]),
        ):
            verdict = (
                ("met" if rate["rate"] >= 20_000 else "missed") if db == "SQLite" else "(reported)"
            )
            rows.append(
                f"| {db} | {label} | {rate['accepted']:,} | {rate['seconds']:.2f} | {rate['rate']:,.0f} | "
                f"{verdict} | {lat['p50_ms']:.0f} | {lat['p95_ms']:.0f} | {'met' if lat['p95_ms'] <= 1000 else 'missed'} |"
            )
    md = f"""## Live operations: telemetry ingest and alarm latency (`bench_live.py`)

{today()} · {machine()} · machine shared with other agents while it ran.
A real `h2lane serve` on loopback (one process) holding the bundled scenario (its stations for the
range rule), synthetic telemetry of 1,000 trucks and 100 stations in Shanxi–Hebei, JSON batches of
{args.batch} by {args.clients} concurrent clients, every message through the alarm rules (the range
rule looks again when a truck moved 1 km, its hydrogen changed 0.5 kg or a minute passed); latency = a leak reading posted during a 2-client background load until its
`alarm` event arrives on `/api/v1/stream` ({args.probes} probes).

| database | batch × clients | messages | s | messages/s | target ≥ 20,000/s (SQLite) | alarm p50 ms | alarm p95 ms | target p95 ≤ 1 s |
|---|---|---:|---:|---:|---|---:|---:|---|
{chr(10).join(rows)}

How ingest runs: a compiled decoder (msgspec) checks each batch's types and bounds in C (≈ 1 µs a
message; a batch with a fault goes the reference parser's way, which names each bad message);
group commit — batches that arrive while a transaction runs join it, and each caller is answered
after the one commit that holds its batch, on SQLite with `synchronous=FULL` (the WAL synced at
every commit: durable against a power loss, not only a crash of the process); ingest's own SQLite
connection with a 128 MiB page cache and a 32,768-page WAL before checkpoints; scenario facts
(stations, truck types, the reach table) cached until the scenario's audit version changes.
What limits it: the one interpreter — about 22 µs of server CPU a message with 1,000-message
batches (13 µs with 5,000): inserting into the telemetry table's two device-keyed indexes
(dedupe and history), the alarm rules (≈ 7 µs; the range rule's road query costs ≈ 25 µs and runs
on about one truck message in nine), and the commit, which writes each device's index pages once
per transaction (so larger groups cost less a message). The clients run on the same two cores.
"""
    if dash:
        ok = dash["long_frames"] == 0 and dash["markers"] == dash["trucks"]
        md += f"""
**Live dashboard**, headless Chromium 1280×860 on the same machine (software rendering),
{dash["trucks"]:,} trucks each reporting once a second for {dash["seconds"]} s through the API
and the stream: {dash["events"]:,} state events received, {dash["markers"]:,} markers on the
map, {dash["frames"]} frames at {dash["fps"]:.0f} frames/s, {dash["long_frames"]} frames longer
than 50 ms (worst {dash["worst_frame_ms"]:.0f} ms) — target "no dropped frames": {"met" if ok else "missed"}.
"""
    print(md)
    if args.write:
        print(f"wrote {write_section('live', md)}")


if __name__ == "__main__":
    main()
