"""``/api/v1/map``: the dashboard's basemap (bundled OSM road graph) and plan routes on roads."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from h2lane.app.geometry import basemap, route_lines, scenario_box
from h2lane.ops.api.auth import READERS, User, require
from h2lane.ops.api.deps import engine_of, graph_for, in_graph_thread
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store

router = APIRouter(prefix="/api/v1/map", tags=["map"])
_BASEMAPS: dict[Any, bytes] = {}
"""The basemap of each (road graph, box) as JSON bytes: ≈20,000 edges are serialised once, not
per request (FastAPI's encoder would walk every coordinate each time)."""
_LINES: dict[str, list[dict[str, Any]]] = {}


@router.get("/basemap", summary="Roads around the scenario as GeoJSON (© OpenStreetMap contributors)")
async def get_basemap(request: Request, _: User = Depends(require(*READERS))) -> Any:
    with engine_of(request).connect() as conn:
        scenario = store.load_scenario(conn)
    box = scenario_box(scenario)
    key = (scenario.roads, box)
    if key not in _BASEMAPS:
        graph = await in_graph_thread(graph_for, scenario.roads)
        geojson = await in_graph_thread(basemap, graph, box)
        _BASEMAPS[key] = json.dumps(geojson, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(_BASEMAPS[key], media_type="application/json")


@router.get("/plans/{job_id}", summary="The routes of a finished plan job on the roads")
async def get_plan_lines(job_id: str, request: Request, _: User = Depends(require(*READERS))) -> Any:
    with engine_of(request).connect() as conn:
        job = store.get_job(conn, job_id)
        roads = store.scenario_header(conn)["roads"]
    if job is None:
        raise ApiError(404, "NotFound", f"No plan job '{job_id}'.")
    if job["status"] != "done":
        raise ApiError(409, "Conflict", f"Plan job '{job_id}' is {job['status']}, not done.")
    if job_id not in _LINES:
        graph = await in_graph_thread(graph_for, job["result"].get("road_graph") or roads)
        _LINES[job_id] = await in_graph_thread(route_lines, job["result"], graph)
    return {"id": job_id, "routes": _LINES[job_id]}
