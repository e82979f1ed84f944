"""The service under load (issue 10, item 7, API part), against a real ``h2lane serve`` process.

1. **List endpoints** (stations, trucks, orders, places, plans; the default page of 100) with
   100 concurrent clients over loopback, on SQLite and PostgreSQL, on a scenario of
   1,000 trucks, 100 stations and 1,000 orders:

   * *saturated*: 100 connections each sending its next request as soon as the last one is
     answered (``wrk`` when installed — ``apt-get install wrk`` — else an asyncio httpx pool);
     this measures the server's throughput, latency is 100 ÷ throughput;
   * *paced*: 100 clients each sending one request every ``--period`` seconds (default 0.5 s,
     200 requests/s in all; asyncio httpx pool), the load of 100 dashboards refreshing.

   Target: p95 ≤ 50 ms.
2. **Plan job overhead**: the same trip request through the API (POST, then GET with
   ``?wait=30``, which answers when the job has finished) against the app use case called
   directly in a warm process (:func:`h2lane.app.plans.run_plan`), medians of ``--jobs`` runs; the ``h2lane trip --json``
   command's wall time is shown beside them. Target: overhead ≤ 100 ms.

``python benchmarks/bench_serve.py [--quick] [--duration S] [--pg URL] [--write]``
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, fresh_pg_database, machine, today, write_section

LIST_PATHS = ["/api/v1/stations", "/api/v1/trucks", "/api/v1/orders", "/api/v1/places",
              "/api/v1/plans"]  # fmt: skip
TRIP = {"from": "Xiaoyi", "to": "Tianjin Port", "round_trip": True, "depart": "2026-12-03T08:00"}
TRIP_ARGS = ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--round-trip", "--depart",
             "2026-12-03T08:00", "--json"]  # fmt: skip
H2LANE = str(Path(sys.executable).parent / "h2lane")


# --- the database ---------------------------------------------------------------------------


def scaled_scenario(trucks: int, stations: int, orders: int) -> Any:
    """The bundled scenario grown to ``trucks`` trucks, ``stations`` stations and ``orders``
    orders: copies of its own records with new ids (stations spread 0.01° apart)."""
    from h2lane.scenario import io as scenario_io

    base = scenario_io.load_scenario("shanxi-tianjin")
    sts = [dataclasses.replace(s, id=f"{s.id}-{i}", name=f"{s.name} {i}",
                               lat=s.lat + 0.01 * (i // len(base.stations)), lon=s.lon)
           for i, s in enumerate(base.stations * (stations // len(base.stations) + 1))][:stations]  # fmt: skip
    trk = [dataclasses.replace(t, id=f"T{i:04d}")
           for i, t in enumerate(base.trucks * (trucks // len(base.trucks) + 1))][:trucks]  # fmt: skip
    ords = [dataclasses.replace(o, id=f"O{i:04d}")
            for i, o in enumerate(base.orders * (orders // len(base.orders) + 1))][:orders]  # fmt: skip
    return dataclasses.replace(base, stations=sts, trucks=trk, orders=ords, locations={})


def fill(url: str, scenario: Any) -> str:
    """Migrate, load ``scenario``, create an admin; its token."""
    from h2lane.cli.serve import prepare
    from h2lane.ops.db import store
    from h2lane.ops.db.models import plan_jobs

    ready = prepare(url)
    with ready.engine.begin() as conn:
        store.replace_scenario(conn, scenario)
        _, token = store.create_user(conn, f"bench-{time.time_ns()}", "admin")
        for _ in range(20):  # a few failed jobs, so /plans lists something
            store.create_job(conn, "trip", TRIP, "bench")
        conn.execute(plan_jobs.update().values(status="failed", error={"error": "x"}))
    ready.engine.dispose()
    return token


# --- the server ------------------------------------------------------------------------------


class Server:
    """``h2lane serve`` in its own process on a free loopback port."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [H2LANE, "serve", "--db", url, "--port", str(self.port), "--workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SystemExit(f"h2lane serve exited: {self.proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("h2lane serve did not answer /healthz within 60 s")

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- load ------------------------------------------------------------------------------------

WRK_LUA = """
local paths = {%s}
local i = 0
local pause = %d
wrk.headers["Authorization"] = "Bearer %s"
if pause > 0 then
  delay = function() return math.random(math.floor(pause / 2), math.floor(pause * 3 / 2)) end
end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("H2LANE %%d %%d %%f %%f %%f %%f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclasses.dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    tool: str
    cpu_ms: float = 0.0
    """Server CPU time per request (independent of what else the machine runs)."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def run_wrk(base: str, token: str, clients: int, duration: float, pause_ms: int = 0,
            paths: list[str] | None = None) -> Load:  # fmt: skip
    """``wrk`` with ``clients`` connections; ``pause_ms`` > 0: each connection waits a random
    0.5–1.5 × ``pause_ms`` after an answer before its next request (wrk's ``delay`` hook)."""
    paths = paths or LIST_PATHS
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA % (", ".join(f'"{p}"' for p in paths), pause_ms, token))
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{duration:g}s", "--timeout", "10s", "-s", f.name,
             base], capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("H2LANE "))
    n, us, p50, p95, p99, mx, errors = line.split()[1:]
    return Load(int(n), int(us) / 1e6, float(p50) / 1e3, float(p95) / 1e3, float(p99) / 1e3,
                float(mx) / 1e3, int(errors), "wrk")  # fmt: skip


async def _pool(base: str, token: str, clients: int, duration: float,
                period: float | None) -> Load:  # fmt: skip
    """``clients`` asyncio clients; each sends back to back (``period`` None) or one request
    every ``period`` s from a random phase."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as c:
        await asyncio.gather(*(c.get(p) for p in LIST_PATHS))  # warm
        start = time.perf_counter()
        end = start + duration

        async def client(k: int) -> None:
            nonlocal errors
            rng = random.Random(k)
            nxt = start + (rng.random() * period if period else 0.0)
            i = k
            while True:
                if period:
                    await asyncio.sleep(max(0.0, nxt - time.perf_counter()))
                t = time.perf_counter()
                if t >= end:
                    return
                r = await c.get(LIST_PATHS[i % len(LIST_PATHS)])
                latencies.append(time.perf_counter() - t)
                errors += r.status_code != 200
                i += 1
                nxt += period or 0.0

        await asyncio.gather(*(client(k) for k in range(clients)))
        seconds = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return Load(len(latencies), seconds, q[49] * 1e3, q[94] * 1e3, q[98] * 1e3,
                max(latencies) * 1e3, errors, "httpx")  # fmt: skip


def saturated(base: str, token: str, clients: int, duration: float) -> Load:
    if shutil.which("wrk"):
        return run_wrk(base, token, clients, duration)
    return asyncio.run(_pool(base, token, clients, duration, None))


def paced(base: str, token: str, clients: int, duration: float, period: float) -> Load:
    if shutil.which("wrk"):
        return run_wrk(base, token, clients, duration, round(period * 1000))
    return asyncio.run(_pool(base, token, clients, duration, period))


def cpu_by_path(server: Server, token: str, seconds: float) -> dict[str, float]:
    """Server CPU ms per request of each list endpoint alone (10 connections, wrk only)."""
    out: dict[str, float] = {}
    if not shutil.which("wrk"):
        return out
    for path in [*LIST_PATHS, "/healthz"]:
        cpu0 = server.cpu_s()
        load = run_wrk(server.base, token, 10, seconds, paths=[path])
        out[path.rsplit("/", 1)[1]] = (server.cpu_s() - cpu0) / max(1, load.requests) * 1e3
    return out


# --- plan job overhead ---------------------------------------------------------------------


def job_seconds(base: str, token: str) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        t = time.perf_counter()
        job = c.post("/api/v1/plans", json={"kind": "trip", "request": TRIP}).json()
        status = c.get(f"/api/v1/plans/{job['id']}", params={"wait": 30}).json()["status"]
        elapsed = time.perf_counter() - t
    if status != "done":
        raise SystemExit(f"the benchmark trip job failed: {status}")
    return elapsed


def direct_seconds(scenario: Any, runs: int) -> list[float]:
    """The use case in this (warmed) process, on the scenario the server holds."""
    from h2lane.app.context import Context
    from h2lane.app.plans import run_plan

    run_plan("trip", TRIP, Context.of(scenario))  # warm: graph, compiled planners
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        run_plan("trip", TRIP, Context.of(scenario))
        out.append(time.perf_counter() - t)
    return out


def cli_seconds(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([H2LANE, *TRIP_ARGS], check=True, capture_output=True)
        out.append(time.perf_counter() - t)
    return out


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=15.0, help="seconds per load run")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument(
        "--period", type=float, default=1.0, help="paced: s between a client's requests"
    )
    ap.add_argument("--jobs", type=int, default=15, help="plan jobs timed per database")
    ap.add_argument("--trucks", type=int, default=1000)
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="5 s runs, 5 jobs")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    ap.add_argument("--lists-only", action="store_true",
                    help="only the list endpoints (no plan jobs; not for --write)")  # fmt: skip
    ap.add_argument("--write", action="store_true", help="record in benchmarks/RESULTS.md")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.jobs = 5.0, 5

    scenario = scaled_scenario(args.trucks, args.stations, args.orders)
    tmp = Path(tempfile.mkdtemp(prefix="h2lane-bench-serve-"))
    backends = [("SQLite", f"sqlite:///{tmp / 'h2lane.db'}")]
    if not args.no_pg and (pg := fresh_pg_database("h2lane_bench")) is not None:
        backends.append(("PostgreSQL", pg))

    direct = [] if args.lists_only else direct_seconds(scenario, args.jobs)
    cli = [] if args.lists_only else cli_seconds(3)
    rows: list[tuple[str, str, Load]] = []
    jobs: list[tuple[str, list[float]]] = []
    cpus: list[tuple[str, dict[str, float]]] = []
    healthz: list[tuple[str, Load]] = []
    for name, url in backends:
        token = fill(url, scenario)
        server = Server(url, workers=1)
        try:
            for mode in ("saturated", f"paced, ~{args.period:g} s pauses"):
                cpu0 = server.cpu_s()
                if mode == "saturated":
                    load = saturated(server.base, token, args.clients, args.duration)
                else:
                    load = paced(server.base, token, args.clients, args.duration, args.period)
                load.cpu_ms = (server.cpu_s() - cpu0) / max(1, load.requests) * 1e3
                rows.append((name, mode, load))
                print(f"{name:10s} {mode:24s} {load.tool:5s} {load.rps:7.0f} req/s  p50 "
                      f"{load.p50_ms:6.1f}  p95 {load.p95_ms:6.1f}  p99 {load.p99_ms:6.1f} ms  "
                      f"errors {load.errors}  server CPU {load.cpu_ms:.2f} ms/request")  # fmt: skip
            cpus.append((name, cpu_by_path(server, token, min(args.duration, 5.0))))
            if shutil.which("wrk"):  # the smallest answer, back to back: the queue's own shape
                hz = run_wrk(server.base, token, args.clients, min(args.duration, 5.0),
                             paths=["/healthz"])  # fmt: skip
                healthz.append((name, hz))
                print(f"{name:10s} /healthz saturated {hz.rps:.0f} req/s p50 {hz.p50_ms:.1f} "
                      f"p95 {hz.p95_ms:.1f} ms")  # fmt: skip
            print(f"{name:10s} server CPU ms/request: " + ", ".join(
                f"{k} {v:.2f}" for k, v in cpus[-1][1].items()))  # fmt: skip
            if args.lists_only:
                continue
            job_seconds(server.base, token)  # the worker's first job after start
            times = [job_seconds(server.base, token) for _ in range(args.jobs)]
            jobs.append((name, times))
            print(f"{name:10s} plan job median {statistics.median(times) * 1e3:.0f} ms "
                  f"(direct {statistics.median(direct) * 1e3:.1f} ms)")  # fmt: skip
        finally:
            server.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    if args.write:
        write_section("serve", report(args, rows, jobs, direct, cli, cpus, healthz))


def report(args: Any, rows: list[tuple[str, str, Load]], jobs: list[tuple[str, list[float]]],
           direct: list[float], cli: list[float],
           cpus: list[tuple[str, dict[str, float]]],
           healthz: list[tuple[str, Load]]) -> str:  # fmt: skip
    load = os.getloadavg()
    md = dmed = statistics.median(direct) * 1e3
    lines = [
        "## serve — list endpoints under 100 clients, plan job overhead (issue 10)\n",
        f"Machine: {machine()}; {today()}. **Shared machine**: other sessions were running "
        f"(load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on 2 cores at the end of "
        "the run), so the server got a fraction of a core; server, client and database on the "
        "same host over loopback.\n",
        f"A real `h2lane serve` process (uvicorn, one worker process); a scenario of "
        f"{args.trucks:,} trucks, {args.stations} stations and {args.orders:,} orders; GET "
        f"{', '.join(p.rsplit('/', 1)[1] for p in LIST_PATHS)} in turn, each its default page "
        f"of 100 records, with an admin token; {args.clients} concurrent clients, "
        f"{args.duration:g} s per run. *Saturated*: each client sends its next request as soon "
        "as the last is answered (no pause), so the latency is the queue in front of the "
        f"server; *paced*: each client waits 0.5–1.5 × {args.period:g} s after an answer "
        "before its next request.\n",
        "| database | load | tool | requests | req/s | p50 ms | p95 ms | p99 ms | errors | "
        "server CPU ms/request | p95 ≤ 50 ms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, mode, r in rows:
        ok = "yes" if r.p95_ms <= 50 else "**no**"
        lines.append(f"| {name} | {mode} | {r.tool} | {r.requests:,} | {r.rps:,.0f} | "
                     f"{r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | "
                     f"{r.cpu_ms:.2f} | {ok} |")  # fmt: skip
    if cpus and cpus[0][1]:
        names = list(cpus[0][1])
        lines += [
            "",
            "Server CPU per request of each endpoint alone (10 connections, "
            f"{min(args.duration, 5.0):g} s each; list and get answers of the scenario "
            "resources come from the answer cache — one version query, see "
            "`h2lane/ops/api/cache.py`; plans are read from the database every time):\n",
            "| database | " + " | ".join(f"{n} ms" for n in names) + " |",
            "|---|" + "---:|" * len(names),
        ]
        for name, by in cpus:
            lines.append(f"| {name} | " + " | ".join(f"{by.get(n, 0):.2f}" for n in names) + " |")
    sat = [r for _, mode, r in rows if mode == "saturated"]
    if sat:
        worst = max(r.cpu_ms for r in sat)
        lines += [
            "",
            f"What limits it: the mix costs the server {min(r.cpu_ms for r in sat):.2f}–"
            f"{worst:.2f} ms of CPU per request on average (HTTP, the cached token check, the "
            "version query, the cached page; the uncached plans list is the dearest). One "
            f"uvicorn process on a whole core would serve at most ~{1000 / worst:,.0f} "
            "requests/s, so 100 clients sending back to back queue for about 100 ÷ that rate "
            "(the p50). The saturated p95 is far above the p50: a few requests wait much "
            "longer than the queue. `GET /healthz` (no token check, `SELECT 1`, a tiny answer) "
            f"under the same {args.clients} back-to-back clients, "
            f"{min(args.duration, 5.0):g} s: "
            + "; ".join(
                f"{n} p50 {h.p50_ms:.1f} ms, p95 {h.p95_ms:.1f} ms, {h.rps:,.0f} req/s"
                for n, h in healthz
            )
            + ". The list mix's saturated p95 is "
            + ", ".join(
                f"{n} {r.p95_ms / max(h.p95_ms, 1e-9):.1f}×"
                for (n, h), r in zip(healthz, sat, strict=False)
            )
            + " that of /healthz: beyond the queue, one uvicorn process sharing 2 cores with "
            "wrk and the other sessions, and the answers themselves (30 kB pages, the uncached "
            "plans list) make the tail; not isolated further here. With one server process the "
            "p50 (100 ÷ throughput) is about the target already, so p95 ≤ 50 ms saturated needs "
            "several server processes on free cores. The paced runs are the dashboards' load "
            "(on a loaded machine their tail follows the other sessions; their CPU per request "
            "includes the server's background work while idle).",
        ]
    lines += [
        "",
        "Plan job overhead: the trip Xiaoyi ⇄ Tianjin Port (round trip, rest rules) through the "
        "API — POST, then `GET /api/v1/plans/{id}?wait=30`, which answers when the job has "
        "finished (the server checks every 10 ms) — against `run_plan` called in a warm "
        f"process; medians of {args.jobs} runs. The job includes the worker noticing it (it "
        "polls every 20 ms) and checking the scenario's version, forking the job's process (the "
        "worker has parsed the scenario and warmed the planners), planning, the process sending "
        "the document back to the worker, which stores it on its own warm connection (the job's "
        "process opens none), and the two HTTP requests. Both on the scenario above "
        "(100 stations make the trip's search larger than on the bundled 7).\n",
        "| database | use case direct, ms | API job, ms | overhead, ms | ≤ 100 ms | "
        "`h2lane trip --json`, ms |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for name, times in jobs:
        api = statistics.median(times) * 1e3
        ok = "yes" if api - md <= 100 else "**no**"
        lines.append(f"| {name} | {dmed:.1f} | {api:.0f} | {api - md:.0f} | {ok} | "
                     f"{statistics.median(cli) * 1e3:.0f} |")  # fmt: skip
    lines.append(
        "\nThe command's time is mostly the interpreter start and imports (the CLI's cost, not "
        "the planner's); through the service a trip costs less than the command."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
