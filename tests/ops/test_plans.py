"""Plan jobs through a real worker process, on SQLite and PostgreSQL: the result equals the
CLI's ``--json``, cancel, a killed job process or worker fails its job with the reason,
infeasible → 409, bad request keys → 422 with the field path, and a restart of the server."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from h2lane.cli import app as cli_app
from h2lane.cli.serve import prepare
from h2lane.ops.db import store
from h2lane.ops.worker import WorkerPool
from tests.ops.conftest import Api, make_api, pg_url, reset_pg, wait_for

DEPART = "2026-12-03T08:00"
# kind → (the API request, the same plan as command-line arguments)
CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "trip": (
        {"from": "Xiaoyi", "to": "Tianjin Port", "round_trip": True, "depart": DEPART},
        ["trip", "--from", "Xiaoyi", "--to", "Tianjin Port", "--round-trip", "--depart", DEPART],
    ),
    "dispatch": (
        {"optimize": "cost", "depart": DEPART},
        ["dispatch", "--optimize", "cost", "--depart", DEPART],
    ),
    "vrp": (
        {"instance": "xiaoyi-fleet", "format": "h2lane", "max_iterations": 10, "time_limit": 600},
        ["vrp", "solve", "xiaoyi-fleet", "--format", "h2lane", "--max-iterations", "10",
         "--time-limit", "600"],
    ),
}  # fmt: skip
VOLATILE = {"vrp": [("solver", "seconds")]}
"""Fields that differ between two identical runs: the VRP solver's wall-clock seconds."""
LONG_VRP = {"instance": "xiaoyi-fleet", "format": "h2lane", "time_limit": 120}
_CLI: dict[str, dict[str, Any]] = {}


def without_volatile(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    for path in VOLATILE.get(kind, []):
        node = doc
        for key in path[:-1]:
            node = node[key]
        assert path[-1] in node, path
        node.pop(path[-1])
    return doc


def cli_json(kind: str) -> dict[str, Any]:
    if kind not in _CLI:
        res = CliRunner().invoke(cli_app, [*CASES[kind][1], "--json"])
        assert res.exit_code == 0, res.output
        _CLI[kind] = json.loads(res.output)
    return _CLI[kind]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[tuple[Api, WorkerPool]]:
    """The app and one real worker process on a database of this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'h2lane.db'}"
    else:
        url = pg_url("_jobs")
        reset_pg(url)
    api = make_api(url)
    pool = WorkerPool(url, 1).start()
    yield api, pool
    pool.stop()
    api.client.app.state.engine.dispose()  # type: ignore[attr-defined]


def submit(api: Api, kind: str, req: dict[str, Any], role: str = "dispatcher") -> str:
    r = api.call("POST", "/api/v1/plans", role, json={"kind": kind, "request": req})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    return str(r.json()["id"])


def finished(api: Api, job_id: str, timeout: float = 90.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:  # the server answers when the job has finished
        job = api.get(f"/api/v1/plans/{job_id}?wait=5", "auditor").json()
        return job if job["status"] in ("done", "failed") else None

    return wait_for(done, timeout)


def running(api: Api, job_id: str) -> dict[str, Any]:
    return wait_for(lambda: (j := api.get(f"/api/v1/plans/{job_id}").json())["status"] == "running"
                    and j, 60)  # fmt: skip


def pids(api: Api, job_id: str) -> tuple[int, int]:
    """(worker process, job process) of a running job, once the job process has started."""
    from sqlalchemy import select

    from h2lane.ops.db.models import plan_jobs

    def read() -> tuple[int, int] | None:
        with api.client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
            row = conn.execute(
                select(plan_jobs.c.supervisor_pid, plan_jobs.c.worker_pid).where(
                    plan_jobs.c.id == job_id
                )
            ).one()
        ok = row.supervisor_pid and row.worker_pid and row.worker_pid != row.supervisor_pid
        return (row.supervisor_pid, row.worker_pid) if ok else None

    return wait_for(read, 30)


@pytest.mark.parametrize("kind", list(CASES))
def test_result_equals_the_cli_json(served, kind):
    api, _ = served
    job_id = submit(api, kind, CASES[kind][0])
    job = finished(api, job_id)
    assert job["status"] == "done", job["error"]
    assert job["progress"] == 1.0 and job["error"] is None and job["kind"] == kind
    assert without_volatile(kind, job["result"]) == without_volatile(kind, cli_json(kind))
    assert api.get(f"/api/v1/plans/{job_id}/result").json() == job["result"]
    listed = api.get("/api/v1/plans?status=done").json()["items"]
    assert job_id in [j["id"] for j in listed] and all("result" not in j for j in listed)


def test_infeasible_plan_is_409_with_the_reason(served):
    api, _ = served
    req = {"from": "Xiaoyi", "to": "Tianjin Port", "tank_kg": 20, "kg_per_100km": 9}
    job = finished(api, submit(api, "trip", req))
    assert job["status"] == "failed"
    assert job["error"]["error"] == "InfeasibleTripError" and job["error"]["status"] == 409
    r = api.get(f"/api/v1/plans/{job['id']}/result")
    assert r.status_code == 409
    assert "No refuelling plan reaches Tianjin Port" in r.json()["message"]
    assert r.json()["details"]["stretch"]["kg_available"] == 15.0


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "trip", "request": {"from": "Xiaoyi", "too": "Tianjin Port"}},
         ["body", "request", "too"], "unknown option --too"),
        ({"kind": "trip", "request": {"from": "Xiaoyi", "to": "Baoding", "round_trip": "often"}},
         ["body", "request", "round_trip"], "--round-trip: input should be a valid boolean"),
        ({"kind": "trip", "request": {"from": "Xiaoyi", "to": "Baoding", "tank_kg": -4}},
         ["body", "request", "tank_kg"], "--tank-kg"),
        ({"kind": "trip", "request": {"from": "Xiaoyi", "to": "Baoding",
                                      "scenario": "/etc/passwd"}},
         ["body", "request", "scenario"], "not accepted by the service"),
        ({"kind": "vrp", "request": {"instance": "/tmp/x.json", "format": "h2lane"}},
         ["body", "request", "instance"], "bundled"),
        ({"kind": "tsp", "request": {}}, ["body", "kind"], "kind"),
        ({"kind": "trip", "request": [1, 2]}, ["body", "request"], "request"),
        ({"kind": "trip", "request": {}, "priority": 1}, ["body", "priority"], "priority"),
    ],
)  # fmt: skip
def test_bad_request_keys_are_422_with_the_field_path(served, body, field, words):
    api, _ = served
    r = api.call("POST", "/api/v1/plans", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field, r.json()
    assert words in r.json()["message"]


def test_unknown_job_is_404_and_wait_is_bounded(served):
    api, _ = served
    assert api.get("/api/v1/plans/nope").status_code == 404
    assert api.get("/api/v1/plans/nope?wait=1").status_code == 404
    r = api.get("/api/v1/plans/nope?wait=31")
    assert r.status_code == 422 and r.json()["field"] == ["query", "wait"]
    assert api.call("POST", "/api/v1/plans/nope/cancel").status_code == 404


def test_cancel_a_queued_and_a_running_job(served):
    api, _ = served
    long_id = submit(api, "vrp", LONG_VRP)
    running(api, long_id)
    queued_id = submit(api, "trip", CASES["trip"][0])
    r = api.call("POST", f"/api/v1/plans/{queued_id}/cancel", "dispatcher")
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    job = api.get(f"/api/v1/plans/{queued_id}").json()
    assert job["status"] == "failed" and job["error"]["message"] == "Cancelled before it ran."
    assert api.get(f"/api/v1/plans/{queued_id}/result").status_code == 409
    assert api.call("POST", f"/api/v1/plans/{long_id}/cancel", "auditor").status_code == 403
    assert api.call("POST", f"/api/v1/plans/{long_id}/cancel").status_code == 202
    job = finished(api, long_id, 10)
    assert job["status"] == "failed" and job["error"]["error"] == "Cancelled"
    assert api.call("POST", f"/api/v1/plans/{long_id}/cancel").status_code == 409
    actions = [e["action"] for e in api.get("/api/v1/audit?resource=plans").json()["items"]]
    assert actions.count("cancel") >= 2


def test_a_killed_job_process_fails_its_job_with_the_reason(served):
    api, _ = served
    job_id = submit(api, "vrp", LONG_VRP)
    running(api, job_id)
    _, child = pids(api, job_id)
    os.kill(child, signal.SIGKILL)
    job = finished(api, job_id, 10)
    assert job["status"] == "failed" and job["error"]["error"] == "WorkerDied"
    assert "killed by signal 9" in job["error"]["message"]
    assert api.get(f"/api/v1/plans/{job_id}/result").status_code == 503


def test_a_killed_worker_fails_its_job_and_is_replaced(served):
    api, pool = served
    job_id = submit(api, "vrp", LONG_VRP)
    running(api, job_id)
    worker, child = pids(api, job_id)
    restarts = pool.restarts
    os.kill(worker, signal.SIGKILL)
    job = finished(api, job_id, 10)
    assert job["status"] == "failed" and job["error"]["error"] == "WorkerDied"
    assert f"worker process (pid {worker}) was killed by signal 9" in job["error"]["message"]
    wait_for(lambda: pool.restarts == restarts + 1, 10)  # a new worker is started
    wait_for(lambda: not _alive(child), 5)  # the orphaned job process is killed too
    # the replacement worker takes the next job
    assert finished(api, submit(api, "trip", CASES["trip"][0]))["status"] == "done"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_restart_fails_running_jobs_and_runs_queued_ones(db_url):
    """Documented behaviour: a job left running by a stopped server is failed with
    ServerRestarted (submit again); a queued job stays queued and runs after the restart."""
    api = make_api(db_url)
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        lost = store.create_job(conn, "trip", CASES["trip"][0], "dispatcher-user")
        assert store.claim_next_job(conn, 999_999)["id"] == lost  # type: ignore[index]
        waiting = store.create_job(conn, "trip", CASES["trip"][0], "dispatcher-user")
    ready = prepare(db_url)
    ready.engine.dispose()
    assert ready.recovered == 1 and ready.token is None
    job = api.get(f"/api/v1/plans/{lost}").json()
    assert job["status"] == "failed" and job["error"]["error"] == "ServerRestarted"
    assert api.get(f"/api/v1/plans/{lost}/result").status_code == 503
    assert api.get(f"/api/v1/plans/{waiting}").json()["status"] == "queued"
    pool = WorkerPool(db_url, 1).start()
    try:
        job = finished(api, waiting)
    finally:
        pool.stop()
        engine.dispose()
    assert job["status"] == "done"
    assert without_volatile("trip", job["result"]) == cli_json("trip")
