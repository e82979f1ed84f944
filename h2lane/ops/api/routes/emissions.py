"""``/api/v1/emissions``: ISO 14083 accounting of a ledger CSV upload or of a plan job's document.

``POST`` with ``Content-Type: text/csv`` (options as query parameters) or JSON
``{"plan_id": ID, "toc_by": …}``; the run is stored: ``GET /emissions/{id}`` the result,
``/ileap`` the iLEAP export, ``/report`` the HTML report. Options are the long options of
``h2lane emissions`` with ``-`` → ``_`` (file options excepted).
"""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from h2lane import output
from h2lane.app.emissions import EmissionsRequest, LazyOracle, account_emissions
from h2lane.app.oracles import scenario_distance_oracle
from h2lane.app.requests import RequestError
from h2lane.errors import H2laneError
from h2lane.ops.api.auth import ACCOUNTANTS, READERS, User, require
from h2lane.ops.api.deps import (
    engine_of,
    fast_json,
    graph_for,
    in_graph_thread,
    media_type,
    read_body,
)
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store

router = APIRouter(prefix="/api/v1/emissions", tags=["emissions"])

FILE_OPTIONS = ("ledger", "plan", "hubs", "report", "csv", "ileap")
BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"plan_id": {"type": "string"}, "toc_by": {"type": "string"}},
                    "required": ["plan_id"],
                }
            },
        },
    }
}


def _options(values: dict[str, Any], where: str) -> dict[str, Any]:
    for key in values:
        if key in FILE_OPTIONS:
            raise ApiError(422, "RequestError", f"--{key} is not accepted by the service.",
                           [where, key])  # fmt: skip
    return values


def _account(engine: Any, options: dict[str, Any], where: str, *, ledger: bytes | None,
             plan: dict[str, Any] | None) -> tuple[dict, dict | None, str | None]:  # fmt: skip
    """Account in a scratch directory; errors name the upload and the query/body key, never
    the scratch path."""
    with tempfile.TemporaryDirectory(prefix="h2lane-emissions-") as tmp:
        try:
            return _account_in(Path(tmp), engine, options, ledger=ledger, plan=plan)
        except H2laneError as exc:
            message = str(exc).replace(str(Path(tmp) / "ledger.csv"), "the uploaded ledger")
            message = message.replace(str(Path(tmp) / "plan.json"), "the plan job's document")
            field = [where, exc.field] if isinstance(exc, RequestError) and exc.field else None
            raise ApiError(exc.http_status, type(exc).__name__, message, field) from None


def _account_in(root: Path, engine: Any, options: dict[str, Any], *, ledger: bytes | None,
                plan: dict[str, Any] | None) -> tuple[dict, dict | None, str | None]:  # fmt: skip
    inputs: dict[str, Path] = {}
    if ledger is not None:
        (root / "ledger.csv").write_bytes(ledger)
        inputs["ledger"] = root / "ledger.csv"
    if plan is not None:
        # byte for byte what `h2lane trip|dispatch|vrp solve --json > plan.json` writes
        (root / "plan.json").write_text(output.dumps(plan) + "\n", encoding="utf-8")
        inputs["plan"] = root / "plan.json"
    req = EmissionsRequest.build(
        **options, **inputs, report=root / "report.html", ileap=root / "ileap"
    )
    with engine.connect() as conn:
        scenario = store.load_scenario(conn)
    result = account_emissions(req, LazyOracle(
        lambda: scenario_distance_oracle(scenario, graph_for(scenario.roads))
    ))
    document = result.document(shipments_limit=1000)
    document.pop("outputs", None)  # scratch paths; the route sets ``source``
    document.pop("source", None)
    ileap = None
    if (root / "ileap").is_dir():
        ileap = {
            p.stem.replace("-", "_"): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((root / "ileap").glob("*.json"))
        }
    report = root / "report.html"
    html = report.read_text(encoding="utf-8") if report.exists() else None
    return document, ileap, html


@router.post("", status_code=201, summary="Account a ledger CSV or a plan job",
             openapi_extra=BODY_DOC)  # fmt: skip
async def create_emissions(request: Request, user: User = Depends(require(*ACCOUNTANTS))) -> Any:
    kind = media_type(request)
    raw = await read_body(request)
    engine = engine_of(request)
    if kind in ("text/csv", "application/csv"):
        options = _options(dict(request.query_params), "query")
        args: dict[str, Any] = {"ledger": raw, "plan": None}
        source = "ledger upload"
        where = "query"
    elif kind == "application/json":
        try:
            body = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            raise ApiError(422, "InputError", "The body is not valid JSON.", ["body"]) from None
        if not isinstance(body, dict) or not isinstance(body.get("plan_id"), str):
            raise ApiError(422, "InputError", "Give {\"plan_id\": ID} of a finished plan job.",
                           ["body", "plan_id"])  # fmt: skip
        plan_id = body.pop("plan_id")
        options = _options(body, "body")
        with engine.connect() as conn:
            job = store.get_job(conn, plan_id)
        if job is None:
            raise ApiError(404, "NotFound", f"No plan job '{plan_id}'.")
        if job["status"] != "done":
            raise ApiError(409, "Conflict", f"Plan job '{plan_id}' is {job['status']}, not done.")
        args = {"ledger": None, "plan": job["result"]}
        source = f"plan {plan_id}"
        where = "body"
    else:
        raise ApiError(415, "UnsupportedMediaType",
                       "Send a ledger as text/csv or {\"plan_id\": ID} as application/json.")  # fmt: skip
    document, ileap, html = await in_graph_thread(functools.partial(_account, engine, options, where, **args))
    with engine.begin() as conn:
        run_id = store.save_emissions(
            conn, source=source, user=user["name"], document=document, ileap=ileap,
            report_html=html,
        )
        store.audit(conn, user, "create", "emissions", run_id, {"source": [None, source]})
    return fast_json({"id": run_id, "source": source, **document}, 201)


def _run(request: Request, run_id: str) -> dict[str, Any]:
    with engine_of(request).connect() as conn:
        run = store.get_emissions(conn, run_id)
    if run is None:
        raise ApiError(404, "NotFound", f"No emissions run '{run_id}'.")
    return run


@router.get("/{run_id}", summary="The ISO 14083 result of a run")
def get_emissions(run_id: str, request: Request, _: User = Depends(require(*READERS))) -> Any:
    run = _run(request, run_id)
    return fast_json({"id": run["id"], "source": run["source"], **run["document"]})


@router.get("/{run_id}/ileap", summary="The iLEAP export (TOCs, shipment footprints, manifest)")
def get_ileap(run_id: str, request: Request, _: User = Depends(require(*READERS))) -> Any:
    run = _run(request, run_id)
    if run["ileap"] is None:
        raise ApiError(404, "NotFound", f"Emissions run '{run_id}' has no iLEAP export.")
    return fast_json(run["ileap"])


@router.get(
    "/{run_id}/report",
    summary="The HTML report",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                     "description": "The self-contained HTML report."}},
)  # fmt: skip
def get_report(run_id: str, request: Request, _: User = Depends(require(*READERS))) -> Any:
    run = _run(request, run_id)
    if run["report_html"] is None:
        raise ApiError(404, "NotFound", f"Emissions run '{run_id}' has no report.")
    return HTMLResponse(run["report_html"])
