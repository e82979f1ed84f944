"""The plan-job worker: a process that takes queued jobs from the database and runs them.

Each job runs in a child process forked from the worker (which has loaded the road graph
and compiled the planners once), so a cancel kills it at once and a crash cannot take the
worker down. The child sends its outcome (the document, or the error) back through a pipe and
the worker stores it on its own warm connection, so a short job opens no connection of its
own. A child that dies without an answer fails its job with the exit code as the
reason (``WorkerDied``); a worker that dies is noticed by the server's watchdog
(:class:`WorkerPool`), which fails the jobs it was running with the reason and starts a new
worker. When the whole server stops, jobs still running fail at the next start with
"the server stopped while this job was running" (:func:`h2lane.ops.db.store.recover_jobs`);
queued jobs stay queued and run after the restart.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

from h2lane.errors import H2laneError
from h2lane.ops.db import store
from h2lane.ops.db.engine import make_engine

POLL_S = 0.1
CLAIM_POLL_S = 0.02
PROGRESS_EVERY_S = 0.25
WATCH_S = 0.5


def error_dict(exc: BaseException) -> dict[str, Any]:
    """A failed job's ``error``: name, one sentence, the HTTP status it maps to, the field."""
    from h2lane.ops.api.errors import field_path

    if isinstance(exc, H2laneError):
        out: dict[str, Any] = {
            "error": type(exc).__name__,
            "message": str(exc),
            "status": exc.http_status,
        }
        path = field_path(exc)
        if path:
            out["field"] = path
        details = {k: v for k, v in exc.details.items() if k != "field"}
        if details:
            out["details"] = details
        return out
    return {
        "error": "InternalError",
        "message": f"Internal error {type(exc).__name__}: {exc} (a bug in h2lane).",
        "status": 500,
    }


class Cancelled(Exception):
    """Raised inside a job when its cancel was requested."""


_SCENARIO: dict[str, Any] = {}
"""The worker's parsed scenario and its :func:`~h2lane.ops.db.store.scenario_version`: parsed
once per change in the worker, inherited by each job's forked process (``checked_for``: the
job for which the version was checked just before the fork)."""


def current_scenario(conn: Any) -> Any:
    """The database's scenario, parsed again only when it has changed since the last call."""
    version = store.scenario_version(conn)
    if _SCENARIO.get("version") != version or "scenario" not in _SCENARIO:
        _SCENARIO.update(version=version, scenario=store.load_scenario(conn))
        freeze_heap()
    return _SCENARIO["scenario"]


def freeze_heap() -> None:
    """Move everything the worker holds (road graph, planners, scenario) to the permanent GC
    generation: a collection in a job's forked process would otherwise walk the whole
    inherited heap and copy every page it touches (measured: a few hundred ms per job)."""
    gc.collect()
    gc.freeze()


def plan_outcome(
    db_url: str, job: dict[str, Any], scenario: Any, engine: Any = None
) -> tuple[str, dict[str, Any]]:
    """Plan ``job`` on ``scenario``: ``("done", document)`` or ``("failed", error)``. The
    database is opened only for progress reports (the first after :data:`PROGRESS_EVERY_S`),
    so a short job needs no connection of its own."""
    from h2lane.app.context import Context
    from h2lane.app.plans import run_plan

    last = [time.monotonic()]
    own: list[Any] = []

    def progress(task: str, done: float, total: float | None) -> None:
        # at most one write per PROGRESS_EVERY_S, the first after that long: a short job
        # writes none (a cancel is also seen by the supervisor, which kills the process)
        t = time.monotonic()
        if t - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = t
        if not own:
            own.append(engine if engine is not None else make_engine(db_url))
        fraction = min(1.0, done / total) if total else 0.0
        with own[0].begin() as conn:
            if store.set_progress(conn, job["id"], 0.05 + 0.9 * fraction, task):
                raise Cancelled()

    try:
        result = run_plan(job["kind"], job["request"], Context.of(scenario, progress=progress))
    except Cancelled:
        return "failed", {"error": "Cancelled", "message": "Cancelled.", "status": 409}
    except Exception as exc:
        return "failed", error_dict(exc)
    finally:
        for e in own:
            e.dispose()
    return "done", result


def run_job(db_url: str, job: dict[str, Any], engine: Any = None) -> None:
    """Run one job to done or failed in the calling process, on the database's current
    scenario; ``engine``: one to use, else a new one."""
    engine = engine if engine is not None else make_engine(db_url)
    try:
        with engine.connect() as conn:
            scenario = current_scenario(conn)
        outcome = plan_outcome(db_url, job, scenario, engine)
    except Exception as exc:
        outcome = ("failed", error_dict(exc))
    try:
        record_outcome(engine, job["id"], outcome)
    finally:
        engine.dispose()


def record_outcome(engine: Any, job_id: str, outcome: tuple[str, dict[str, Any]]) -> None:
    """Store a job's outcome (only if it is still running: a cancel may have won)."""
    status, data = outcome
    with engine.begin() as conn:
        if status == "done":
            store.finish_job(conn, job_id, data)
        else:
            store.fail_job(conn, job_id, data)


def _child(db_url: str, job: dict[str, Any], engine: Any, out: Any) -> None:
    """The job's process: plan on the scenario the worker checked (its version) just before
    forking, and send the outcome to the worker, which stores it with its own warm
    connection: a short job opens no database connection of its own (on PostgreSQL a new
    connection cost most of a job's overhead)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    engine.dispose(close=False)  # none of the parent's connections in this process
    try:
        if _SCENARIO.get("checked_for") == job["id"]:
            scenario = _SCENARIO["scenario"]
        else:  # the worker could not read the scenario: meet its error here, in the job
            own = make_engine(db_url)
            try:
                with own.connect() as conn:
                    scenario = current_scenario(conn)
            finally:
                own.dispose()
        outcome = plan_outcome(db_url, job, scenario)
    except Exception as exc:
        outcome = ("failed", error_dict(exc))
    out.send(outcome)
    out.close()


def supervise(
    db_url: str, job: dict[str, Any], engine: Any, stopping: Any = lambda: False
) -> None:
    """Run ``job`` in a forked child and store the outcome it sends; kill it on cancel or
    when ``stopping()``; fail it if the child dies without an outcome."""
    from multiprocessing.connection import wait

    gc.freeze()  # what the worker made since the last freeze (see :func:`freeze_heap`)
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(db_url, job, engine, send), daemon=True)
    child.start()
    send.close()
    outcome: tuple[str, dict[str, Any]] | None = None
    try:
        with engine.begin() as conn:
            store.set_worker_pid(conn, job["id"], child.pid or 0)
        while outcome is None:
            ready = wait([receive, child.sentinel], POLL_S)
            if receive in ready:
                with contextlib.suppress(EOFError, OSError):
                    outcome = receive.recv()
                break
            if child.sentinel in ready:
                break
            with engine.connect() as conn:
                current = store.get_job(conn, job["id"])
            if current is not None and current["cancel_requested"]:
                child.kill()
                child.join()
                with engine.begin() as conn:
                    store.fail_job(conn, job["id"], {"error": "Cancelled",
                                                     "message": "Cancelled while running.",
                                                     "status": 409})  # fmt: skip
                return
            if stopping():
                child.kill()
                child.join()
                with engine.begin() as conn:
                    store.fail_job(conn, job["id"], store.SERVER_STOPPED)
                return
    finally:
        receive.close()
    if outcome is not None:
        record_outcome(engine, job["id"], outcome)
        child.join()
        return
    child.join()
    with engine.begin() as conn:
        current = store.get_job(conn, job["id"])
        if current is not None and current["status"] == "running":
            code = child.exitcode
            how = f"was killed by signal {-code}" if code is not None and code < 0 else (
                f"exited with code {code}")  # fmt: skip
            store.fail_job(conn, job["id"], {
                "error": "WorkerDied",
                "message": f"The job's process {how} before it finished; submit it again.",
                "status": 503,
            })  # fmt: skip


def warm_up(db_url: str) -> None:
    """Load the road graph and run one small trip on the database's scenario before the first
    job, so the compiled planners and their caches are in the worker's memory and every job's
    forked process inherits them (a cold first trip costs about a second; a warm one
    milliseconds)."""
    from h2lane.app.context import Context, load_graph
    from h2lane.app.plans import run_plan

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            scenario = current_scenario(conn)
        load_graph(scenario.roads)
        if len(scenario.places) >= 2:
            places = {"from": scenario.places[0].name, "to": scenario.places[1].name}
            run_plan("trip", places, Context.of(scenario))
    except H2laneError:
        pass  # an empty or unplannable scenario: the jobs will say why
    finally:
        engine.dispose()
    freeze_heap()


def worker_main(db_url: str, stop: Any = None, warm: bool = True) -> None:
    """Take and run jobs until ``stop`` (a multiprocessing Event) is set or SIGTERM."""
    running = [True]

    def _term(*_: Any) -> None:
        running[0] = False

    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if warm:
        warm_up(db_url)
    engine = make_engine(db_url)
    parent = os.getppid()
    while running[0] and not (stop is not None and stop.is_set()) and os.getppid() == parent:
        with engine.begin() as conn:
            job = store.claim_next_job(conn, os.getpid())
        if job is None:
            time.sleep(CLAIM_POLL_S)
            continue
        # a changed scenario is parsed here, once, not in every job's process (an error is
        # met again by the job's process, which fails the job with it)
        _SCENARIO.pop("checked_for", None)
        with engine.connect() as conn, contextlib.suppress(H2laneError):
            current_scenario(conn)
            _SCENARIO["checked_for"] = job["id"]  # the job's process plans on it as it is
        try:
            supervise(db_url, job, engine, lambda: not running[0])
        except Exception as exc:  # the supervisor itself failed: the job must not stay running
            with engine.begin() as conn:
                store.fail_job(conn, job["id"], error_dict(exc))
    engine.dispose()


class WorkerPool:
    """The server's plan-job workers (spawned processes) and a watchdog thread.

    The watchdog notices a worker process that died (killed, out of memory): it fails the
    jobs that worker was running with the reason, kills their job processes if still alive,
    and starts a replacement worker.
    """

    def __init__(self, db_url: str, count: int, *, warm: bool = True) -> None:
        self.db_url, self.count, self.warm = db_url, count, warm
        self._ctx = mp.get_context("spawn")
        self.procs: list[Any] = []
        self._halt = threading.Event()
        self._watchdog: threading.Thread | None = None
        self.restarts = 0

    def _spawn(self, i: int) -> Any:
        # not daemonic: a worker forks a child per job; it exits when its parent is gone
        proc = self._ctx.Process(target=worker_main, args=(self.db_url, None, self.warm),
                                 daemon=False, name=f"h2lane-worker-{i}")  # fmt: skip
        proc.start()
        return proc

    def start(self) -> WorkerPool:
        self.procs = [self._spawn(i) for i in range(self.count)]
        if self.count:
            self._watchdog = threading.Thread(target=self._watch, name="h2lane-watchdog",
                                              daemon=True)  # fmt: skip
            self._watchdog.start()
        return self

    def _watch(self) -> None:
        engine = make_engine(self.db_url)
        try:
            while not self._halt.wait(WATCH_S):
                for i, proc in enumerate(self.procs):
                    if proc.exitcode is None or self._halt.is_set():
                        continue
                    reap_dead_worker(engine, proc.pid, proc.exitcode)
                    self.procs[i] = self._spawn(i)
                    self.restarts += 1
        finally:
            engine.dispose()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the watchdog, then the workers (SIGTERM: each ends after its current job;
        SIGKILL after ``timeout``)."""
        self._halt.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout)
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.join(timeout)
            if p.is_alive():
                p.kill()
                p.join(timeout)


def reap_dead_worker(engine: Any, pid: int, exitcode: int) -> int:
    """Fail the running jobs of the dead worker ``pid`` (and kill their job processes)."""
    how = f"was killed by signal {-exitcode}" if exitcode < 0 else f"exited with code {exitcode}"
    with engine.begin() as conn:
        jobs = store.running_jobs_of(conn, [pid])
        for job_id, child in jobs:
            if child:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(child, signal.SIGKILL)
            store.fail_job(conn, job_id, {
                "error": "WorkerDied",
                "message": f"The plan worker process (pid {pid}) {how} while this job was "
                           "running; submit it again.",
                "status": 503,
            })  # fmt: skip
    return len(jobs)
