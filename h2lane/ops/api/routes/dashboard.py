"""``/api/v1/dashboard``: read-only views the dashboard draws — the scenario placed on the map,
station load from the current plans, and a plan's emissions KPIs (ISO 14083, default options).

"Current plans" for the station load are the given ``?plan=ID`` jobs, or else the
:data:`CURRENT_PLANS` most recent finished jobs.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from h2lane.app.dashboard import emissions_kpis, scenario_map, station_load
from h2lane.app.oracles import scenario_distance_oracle
from h2lane.ops.api.auth import READERS, User, require
from h2lane.ops.api.deps import MAX_PAGE, engine_of, graph_for, in_graph_thread
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])
CURRENT_PLANS = 20
_KPIS: dict[str, dict[str, Any]] = {}


@router.get("/scenario", summary="Places, sites, stations, trucks at their depots, orders placed")
def get_scenario(request: Request, _: User = Depends(require(*READERS))) -> Any:
    with engine_of(request).connect() as conn:
        return scenario_map(store.load_scenario(conn))


@router.get("/station-load", summary="Fills per station and hour (China time) from plan jobs")
def get_station_load(
    request: Request,
    plan: list[str] = Query([], max_length=MAX_PAGE, description="plan job ids (default: recent)"),
    _: User = Depends(require(*READERS)),
) -> Any:
    docs: list[tuple[str, dict[str, Any]]] = []
    with engine_of(request).connect() as conn:
        if not plan:
            items, _total = store.list_jobs(conn, status="done", kind=None, limit=CURRENT_PLANS,
                                            offset=0)  # fmt: skip
            plan = [j["id"] for j in items]
        for job_id in plan:
            job = store.get_job(conn, job_id)
            if job is None:
                raise ApiError(404, "NotFound", f"No plan job '{job_id}'.", ["query", "plan"])
            if job["status"] == "done" and isinstance(job["result"], dict):
                docs.append((job_id, job["result"]))
    return station_load(docs)


def _kpis(engine: Any, document: dict[str, Any]) -> dict[str, Any]:
    with engine.connect() as conn:
        scenario = store.load_scenario(conn)
    return emissions_kpis(
        document, lambda: scenario_distance_oracle(scenario, graph_for(scenario.roads))
    )


@router.get("/plans/{job_id}/kpis", summary="Emissions KPIs of a finished plan job")
async def get_kpis(job_id: str, request: Request, _: User = Depends(require(*READERS))) -> Any:
    with engine_of(request).connect() as conn:
        job = store.get_job(conn, job_id)
    if job is None:
        raise ApiError(404, "NotFound", f"No plan job '{job_id}'.")
    if job["status"] != "done":
        raise ApiError(409, "Conflict", f"Plan job '{job_id}' is {job['status']}, not done.")
    if job_id not in _KPIS:
        call = functools.partial(_kpis, engine_of(request), job["result"])
        _KPIS[job_id] = {"id": job_id, **await in_graph_thread(call)}
    return _KPIS[job_id]
