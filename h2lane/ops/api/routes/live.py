"""Live operations: telemetry ingest, device state, the live stream, alarms, rules, incidents.

* ``POST /api/v1/telemetry`` — a JSON array, one object or NDJSON; answers
  ``{"accepted", "duplicates", "rejected": [{"index", "error"}]}`` after the batch is committed.
  Device tokens post for their own ids only; admins for any.
* ``GET /api/v1/telemetry?device=ID[&since=&until=&limit=&offset=]`` — stored messages, ``total``.
* ``GET /api/v1/trucks/{id}/state``, ``/stations/{id}/state``, ``/live/states`` — last known state.
* ``GET /api/v1/stream`` — Server-Sent Events: ``state``, ``alarm``, ``incident``, ``refuel``.
* ``GET /api/v1/alarms?state=active|acknowledged|resolved``, ``POST /alarms/{id}/ack``,
  ``POST /alarms/{id}/resolve`` (body ``{"note": …}`` optional).
* ``GET``/``PUT /api/v1/alarm-rules`` — the rule document, versioned.
* ``GET /api/v1/incidents``, ``/incidents/{id}``, ``POST /incidents/{id}/notes``,
  ``POST /incidents/{id}/close``, ``GET /incidents/{id}/report`` (HTML).
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from h2lane import OSM_ATTRIBUTION
from h2lane.errors import InputError
from h2lane.ops.api.auth import ADMINS, READERS, User, require
from h2lane.ops.api.deps import MAX_PAGE, engine_of, media_type, read_body
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store
from h2lane.ops.live import LiveOps
from h2lane.ops.telemetry.messages import MessageError
from h2lane.ops.telemetry.traccar import from_traccar
from h2lane.timeutil import parse_datetime

router = APIRouter(prefix="/api/v1", tags=["live operations"])

POSTERS = ("admin", "device")
RESPONDERS = ("admin", "dispatcher", "station-operator")
HEARTBEAT_S = 15.0


def live_of(request: Request) -> LiveOps:
    live: LiveOps = request.app.state.live
    return live


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    when = parse_datetime(value)
    if when is None:
        raise ApiError(
            422, "ValidationError", f"{name}: not an ISO 8601 date-time.", ["query", name]
        )
    return when


INGEST_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/telemetry", summary="Ingest telemetry (JSON array or NDJSON)", openapi_extra=INGEST_DOC
)
async def post_telemetry(
    request: Request, user: User = Depends(require(*POSTERS))
) -> dict[str, Any]:
    body = await read_body(request)
    live = live_of(request)

    def work() -> dict[str, Any]:
        try:
            reply = live.ingest_body(body, media_type(request), user, audit="")
        except MessageError as exc:
            raise InputError(str(exc), {"field": ["body"]}) from None
        except UnicodeDecodeError:
            raise InputError("the body is not UTF-8 text", {"field": ["body"]}) from None
        return reply.as_dict()

    return await run_in_threadpool(work)


@router.post("/telemetry/traccar", summary="Ingest Traccar forwarded positions (forward.type=json)")
async def post_traccar(request: Request, user: User = Depends(require(*POSTERS))) -> dict[str, Any]:
    """Traccar's position forwarding posts one ``{"position", "device"}`` object per request
    (set ``forward.url`` to this address and ``forward.header`` to the Bearer token); a JSON
    array of them is accepted too. Each becomes a truck message (see ``from_traccar``)."""
    body = await read_body(request)
    live = live_of(request)

    def work() -> dict[str, Any]:
        try:
            decoded = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InputError(
                "the body is not JSON (a Traccar position forward)", {"field": ["body"]}
            ) from None
        forwards = decoded if isinstance(decoded, list) else [decoded]
        items: list[Any] = []
        errors: dict[int, str] = {}
        for i, fw in enumerate(forwards):
            try:
                items.append(from_traccar(fw))
            except MessageError as exc:
                errors[i] = str(exc)
                items.append(None)
        reply = live.ingest_items([x for x in items if x is not None], user, audit="traccar")
        # indices of the converted messages back to the forwards' own
        kept = [i for i, x in enumerate(items) if x is not None]
        rejected = [{"index": kept[r["index"]], "error": r["error"]} for r in reply.rejected]
        rejected += [{"index": i, "error": e} for i, e in errors.items()]
        out = reply.as_dict()
        out["rejected"] = sorted(rejected, key=lambda r: r["index"])
        return out

    return await run_in_threadpool(work)


@router.get("/telemetry", summary="Stored telemetry of one device")
def get_telemetry(
    request: Request,
    device: str = Query(..., min_length=1, max_length=200),
    since: str | None = None,
    until: str | None = None,
    limit: int = Query(1000, ge=1, le=10_000),
    offset: int = Query(0, ge=0, le=10**9),
    _: User = Depends(require(*READERS)),
) -> dict[str, Any]:
    return live_of(request).history(
        device, _when(since, "since"), _when(until, "until"), limit, offset
    )


def _state(request: Request, device: str, kind: str) -> dict[str, Any]:
    state = live_of(request).state(device)
    if state is None or state["kind"] != kind:
        raise ApiError(404, "NotFound", f"No telemetry from {kind} '{device}' yet.")
    return state


@router.get("/trucks/{device}/state", summary="Last known state of a truck")
def truck_state(
    device: str, request: Request, _: User = Depends(require(*READERS))
) -> dict[str, Any]:
    return _state(request, device, "truck")


@router.get("/stations/{device}/state", summary="Last known state of a station")
def station_state(
    device: str, request: Request, _: User = Depends(require(*READERS))
) -> dict[str, Any]:
    return _state(request, device, "station")


@router.get("/live/states", summary="Last known state of every device")
def all_states(
    request: Request,
    kind: Literal["truck", "station"] | None = None,
    _: User = Depends(require(*READERS)),
) -> dict[str, Any]:
    items = live_of(request).states(kind)
    return {"items": items, "total": len(items)}


@router.get("/refuels", summary="Refuels detected from hydrogen levels")
def refuels(
    request: Request, device: str | None = None, _: User = Depends(require(*READERS))
) -> dict[str, Any]:
    items = live_of(request).refuels(device)
    return {"items": items, "total": len(items)}


@router.get("/stream", summary="Live events (Server-Sent Events)")
async def stream(
    request: Request,
    types: str = Query("state,alarm,incident,refuel", max_length=100),
    _: User = Depends(require(*READERS)),
) -> StreamingResponse:
    wanted = {t.strip() for t in types.split(",") if t.strip()}
    live = live_of(request)
    queue = live.stream.subscribe(wanted)

    async def events() -> AsyncIterator[str]:
        try:
            yield ": h2lane live stream\n\n"
            while True:
                if await request.is_disconnected():
                    return
                try:
                    ev = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if ev.get("type") in wanted:  # (the broadcaster sends only these)
                    yield f"event: {ev['type']}\ndata: {json.dumps(ev, separators=(',', ':'))}\n\n"
        finally:
            live.stream.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/alarms", summary="Alarms, newest first")
def list_alarms(
    request: Request,
    state: Literal["active", "acknowledged", "resolved"] | None = None,
    device: str | None = Query(None, max_length=200),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=10**9),
    _: User = Depends(require(*READERS)),
) -> dict[str, Any]:
    return live_of(request).list_alarms(state, device, limit, offset)


@router.get("/alarms/{alarm_id}", summary="One alarm")
def get_alarm(
    alarm_id: int, request: Request, _: User = Depends(require(*READERS))
) -> dict[str, Any]:
    return live_of(request).get_alarm(alarm_id)


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)


def _transition(
    request: Request, alarm_id: int, action: str, user: User, note: str
) -> dict[str, Any]:
    live = live_of(request)
    alarm = live.get_alarm(alarm_id)
    if user["role"] == "station-operator" and alarm["device"] not in (user.get("stations") or []):
        raise ApiError(
            403,
            "Forbidden",
            f"A station operator may only handle alarms of its own stations, not {alarm['device']}.",
        )
    done = live.transition(alarm_id, action, user["name"], note)
    with engine_of(request).begin() as conn:
        store.audit(
            conn, user, action, "alarms", str(alarm_id), {"state": [alarm["state"], done["state"]]}
        )
    return done


@router.post("/alarms/{alarm_id}/ack", summary="Acknowledge an active alarm")
def ack_alarm(
    alarm_id: int,
    request: Request,
    body: Note | None = None,
    user: User = Depends(require(*RESPONDERS)),
) -> dict[str, Any]:
    return _transition(request, alarm_id, "ack", user, body.note if body else "")


@router.post("/alarms/{alarm_id}/resolve", summary="Resolve an alarm")
def resolve_alarm(
    alarm_id: int,
    request: Request,
    body: Note | None = None,
    user: User = Depends(require(*RESPONDERS)),
) -> dict[str, Any]:
    return _transition(request, alarm_id, "resolve", user, body.note if body else "")


@router.get("/alarm-rules", summary="The alarm rule document (newest version)")
def get_rules(request: Request, _: User = Depends(require(*READERS))) -> dict[str, Any]:
    return live_of(request).rules_document()


@router.put("/alarm-rules", summary="Store a new version of the alarm rules")
async def put_rules(request: Request, user: User = Depends(require(*ADMINS))) -> dict[str, Any]:
    raw = await read_body(request)
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(
            422, "InputError", "The body is not a JSON rule document.", ["body"]
        ) from None
    live = live_of(request)

    def work() -> dict[str, Any]:
        before = live.rules_document().get("version")
        stored = live.put_rules(doc, user["name"])
        with engine_of(request).begin() as conn:
            store.audit(conn, user, "update", "alarm-rules", str(stored["version"]),
                        {"version": [before, stored["version"]]})  # fmt: skip
        return stored

    return await run_in_threadpool(work)


@router.get("/incidents", summary="Incidents, newest first")
def list_incidents(
    request: Request,
    state: Literal["open", "closed"] | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=10**9),
    _: User = Depends(require(*READERS)),
) -> dict[str, Any]:
    return live_of(request).list_incidents(state, limit, offset)


@router.get("/incidents/{incident_id}", summary="One incident with its alarms and timeline")
def get_incident(
    incident_id: int, request: Request, _: User = Depends(require(*READERS))
) -> dict[str, Any]:
    return live_of(request).get_incident(incident_id)


class IncidentNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["note", "action"] = "note"
    text: str = Field(..., min_length=1, max_length=4000)


class Closure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field("", max_length=4000)


@router.post("/incidents/{incident_id}/notes", summary="Add a note or an action taken")
def incident_note(
    incident_id: int,
    body: IncidentNote,
    request: Request,
    user: User = Depends(require(*RESPONDERS)),
) -> dict[str, Any]:
    doc = live_of(request).incident_note(incident_id, user["name"], body.kind, body.text)
    with engine_of(request).begin() as conn:
        store.audit(
            conn, user, body.kind, "incidents", str(incident_id), {"text": [None, body.text]}
        )
    return doc


@router.post("/incidents/{incident_id}/close", summary="Close an incident")
def close_incident(
    incident_id: int,
    request: Request,
    body: Closure | None = None,
    user: User = Depends(require(*RESPONDERS)),
) -> dict[str, Any]:
    text = body.text if body else ""
    doc = live_of(request).incident_note(incident_id, user["name"], "close", text or "closed")
    with engine_of(request).begin() as conn:
        store.audit(
            conn, user, "close", "incidents", str(incident_id), {"state": ["open", "closed"]}
        )
    return doc


@router.get(
    "/incidents/{incident_id}/report",
    summary="The incident report (HTML)",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                     "description": "A self-contained HTML incident report."}},
)  # fmt: skip
def incident_report(
    incident_id: int, request: Request, _: User = Depends(require(*READERS))
) -> Any:
    doc = live_of(request).get_incident(incident_id)
    return HTMLResponse(render_incident(doc), headers={
        "Content-Disposition": f'inline; filename="incident-{incident_id}.html"'})  # fmt: skip


def render_incident(doc: dict[str, Any]) -> str:
    """A self-contained HTML incident report (timeline, alarms, trucks affected, alternatives)."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(str(t.get('time')))}</td><td>{e(str(t.get('kind')))}</td>"
        f"<td>{e(str(t.get('by', '')))}</td><td>{e(str(t.get('text', '')))}</td></tr>"
        for t in doc["timeline"]
    )
    alarms = "".join(
        f"<tr><td>{a['id']}</td><td>{e(a['level'])}</td><td>{e(a['rule'])}</td><td>{e(a['state'])}</td>"
        f"<td>{e(str(a['raised_at']))}</td><td>{e(str(a['cleared_at'] or ''))}</td><td>{e(a['message'])}</td></tr>"
        for a in doc.get("alarms", [])
    )
    trucks = ""
    for t in (doc.get("affected") or {}).get("trucks", []):
        alts = "; ".join(
            f"{e(a['name'] or a['station'])} {a['km']:.0f} km{' (approx.)' if a['approximate'] else ''}"
            f"{'' if a['reachable'] else ' — not reachable'}"
            for a in t["alternatives"]
        )
        h2 = "" if t["h2_kg"] is None else f"{t['h2_kg']:.1f}"
        trucks += (
            f"<tr><td>{e(t['truck'])}</td><td>{e(str(t.get('planned_arrive') or ''))}</td>"
            f"<td>{h2}</td><td>{alts or 'no position yet'}</td></tr>"
        )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Incident {doc["id"]} — {e(doc["device"])}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}}
td,th{{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}}th{{background:#f3f3f3}}
.emergency{{color:#8b0000}}.critical{{color:#c0392b}}</style></head><body>
<h1 class="{e(doc["level"])}">Incident {doc["id"]}: {e(doc["title"])}</h1>
<p>Device <b>{e(doc["device"])}</b> · level <b>{e(doc["level"])}</b> · {e(doc["state"])} · opened {e(str(doc["opened_at"]))}
{f" · closed {e(str(doc['closed_at']))} by {e(str(doc['closed_by']))}" if doc["closed_at"] else ""}</p>
<h2>Timeline</h2><table><tr><th>time</th><th>what</th><th>by</th><th>text</th></tr>{rows}</table>
<h2>Alarms</h2><table><tr><th>id</th><th>level</th><th>rule</th><th>state</th><th>raised</th><th>cleared</th><th>message</th></tr>{alarms}</table>
<h2>Trucks heading to {e(doc["device"])}</h2><table><tr><th>truck</th><th>planned arrival</th><th>H2 kg</th><th>nearest alternatives</th></tr>{trucks or "<tr><td colspan=4>none on stored plans</td></tr>"}</table>
<p><small>h2lane incident report. Positions and distances: {e(OSM_ATTRIBUTION)} where road data is used.</small></p>
</body></html>"""


@router.get("/plans/{job_id}/actual", summary="Plan versus actual for a stored plan's trucks")
async def plan_actual(
    job_id: str,
    request: Request,
    since: str | None = None,
    _: User = Depends(require(*READERS)),
) -> dict[str, Any]:
    from h2lane.ops.actual import plan_vs_actual
    from h2lane.ops.api.deps import graph_for, in_graph_thread

    with engine_of(request).connect() as conn:
        job = store.get_job(conn, job_id)
    if job is None:
        raise ApiError(404, "NotFound", f"No plan job '{job_id}'.")
    if job["status"] != "done":
        raise ApiError(409, "Conflict", f"Plan job '{job_id}' is {job['status']}, not done.")
    doc = job["result"]
    departs = [parse_datetime(r.get("depart")) for r in doc.get("routes", []) if r.get("depart")]
    first = _when(since, "since") or (
        min(d for d in departs if d) - timedelta(hours=12) if departs else None
    )
    live = live_of(request)
    trucks = [r.get("truck_id") or f"truck-{i + 1}" for i, r in enumerate(doc.get("routes", []))]
    telemetry = {t: live.history(t, first, None, 100_000)["items"] for t in trucks}

    def work() -> dict[str, Any]:
        return plan_vs_actual(doc, graph_for(doc.get("road_graph") or "north-china"), telemetry)

    result = await in_graph_thread(work)
    return {"plan": job_id, **result}
