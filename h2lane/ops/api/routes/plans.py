"""``/api/v1/plans``: plan jobs (trip, dispatch, vrp) run by the worker process.

``POST`` checks the request at once (422 naming the key) and answers 202 with the job id;
``GET /plans/{id}`` (``?wait=S`` to answer when the job has finished, at most S seconds)
reports ``status`` (queued | running | done | failed), ``progress`` (0–1),
``result`` (the plan document, equal to the CLI's ``--json``) and ``error``;
``GET /plans/{id}/result`` answers with the document itself, 409 with the reason for an
infeasible plan, 422 for an input problem, 202 while the job is not finished.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from h2lane.app.plans import check_request
from h2lane.ops.api.auth import PLANNERS, READERS, User, require
from h2lane.ops.api.deps import MAX_PAGE, engine_of, fast_json, json_bytes, raw_key
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])


class PlanCreate(BaseModel):
    """A plan request: its keys are the CLI's long options with ``-`` → ``_``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["trip", "dispatch", "vrp"]
    request: dict[str, Any] = Field(default_factory=dict)


def _job_or_404(request: Request, job_id: str) -> dict[str, Any]:
    with engine_of(request).connect() as conn:
        job = store.get_job(conn, job_id)
    if job is None:
        raise ApiError(404, "NotFound", f"No plan job '{job_id}'.")
    return job


@router.post("", status_code=202, summary="Queue a plan job")
def create_plan(
    body: PlanCreate, request: Request, user: User = Depends(require(*PLANNERS))
) -> dict[str, Any]:
    check_request(body.kind, body.request)
    with engine_of(request).begin() as conn:
        job_id = store.create_job(conn, body.kind, body.request, user["name"])
        store.audit(conn, user, "create", "plans", job_id, {"kind": [None, body.kind],
                                                            "request": [None, body.request]})  # fmt: skip
    return {"id": job_id, "status": "queued"}


class Job(BaseModel):
    """A plan job (``result`` is the plan document once done; ``error`` once failed)."""

    id: str
    kind: str
    request: dict[str, Any]
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    task: str
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool


class JobPage(BaseModel):
    items: list[Job]
    total: int
    limit: int
    offset: int


@router.get("", summary="List plan jobs (without their results)", response_model=JobPage)
async def list_plans(
    request: Request,
    status: Literal["queued", "running", "done", "failed"] | None = None,
    kind: Literal["trip", "dispatch", "vrp"] | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=10**9),
    _: User = Depends(require(*READERS)),
) -> Response:
    """Kept while nothing at all has been committed to the database since it was read (the
    worker updates jobs without an audit entry, so the scenario's version cannot tell; see
    :class:`~h2lane.ops.api.cache.VersionGate`'s ``commits``)."""
    marks = await request.app.state.versions.current()
    answers = request.app.state.job_answers
    key = raw_key(request)
    found = answers.get(key, marks.commits)
    if found is not None:
        return Response(found[1], media_type="application/json")

    def read() -> tuple[bytes, Any]:
        with engine_of(request).connect() as conn:
            if conn.dialect.name == "postgresql":  # the tag is the snapshot the page is read in
                conn.execution_options(isolation_level="REPEATABLE READ")
                tag = conn.execute(text("SELECT pg_current_snapshot()::text")).scalar()
            else:  # read before the page: a commit after it changes the marks
                tag = marks.commits
            items, total = store.list_jobs(
                conn, status=status, kind=kind, limit=limit, offset=offset
            )
        doc = {"items": items, "total": total, "limit": limit, "offset": offset}
        return json_bytes(doc), tag

    body, tag = await run_in_threadpool(read)
    answers.put(key, tag, 200, body)
    return Response(body, media_type="application/json")


WAIT_POLL_S = 0.01


@router.get("/{job_id}", summary="A plan job: status, progress, result, error", response_model=Job)
async def get_plan(
    job_id: str,
    request: Request,
    wait: float = Query(0, ge=0, le=30, description="seconds to wait for the job to finish"),
    _: User = Depends(require(*READERS)),
) -> Response:
    """The job; with ``wait`` the answer comes when the job is done or failed, or after
    ``wait`` seconds with its status then (no need to poll)."""
    job = await run_in_threadpool(_job_or_404, request, job_id)
    end = time.monotonic() + wait
    while job["status"] in ("queued", "running") and time.monotonic() < end:
        await asyncio.sleep(WAIT_POLL_S)
        job = await run_in_threadpool(_job_or_404, request, job_id)
    return fast_json(job)


@router.get("/{job_id}/result", summary="The plan document of a finished job")
def get_result(job_id: str, request: Request, _: User = Depends(require(*READERS))) -> Any:
    job = _job_or_404(request, job_id)
    if job["status"] == "done":
        return fast_json(job["result"])
    if job["status"] == "failed":
        error = job["error"] or {}
        return JSONResponse(
            {k: v for k, v in error.items() if k != "status"},
            status_code=int(error.get("status", 500)),
        )
    return JSONResponse(
        {"id": job_id, "status": job["status"], "progress": job["progress"]}, status_code=202
    )


@router.post("/{job_id}/cancel", status_code=202, summary="Cancel a queued or running job")
def cancel_plan(
    job_id: str, request: Request, user: User = Depends(require(*PLANNERS))
) -> dict[str, Any]:
    job = _job_or_404(request, job_id)
    if job["status"] in ("done", "failed"):
        raise ApiError(409, "Conflict", f"Plan job '{job_id}' has finished ({job['status']}).")
    with engine_of(request).begin() as conn:
        store.request_cancel(conn, job_id)
        store.audit(conn, user, "cancel", "plans", job_id, {})
        job = store.get_job(conn, job_id) or job
    return {"id": job_id, "status": job["status"], "cancel_requested": True}
