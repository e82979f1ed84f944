"""``/api/v1/scenario``: import a scenario YAML (replaces the database's), export it as YAML or JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from h2lane.app import records
from h2lane.ops.api.auth import ADMINS, READERS, User, require
from h2lane.ops.api.deps import engine_of, media_type, read_body, text_body
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store
from h2lane.scenario import io as scenario_io
from h2lane.scenario.model import field_table

router = APIRouter(prefix="/api/v1", tags=["scenario"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/yaml": {"schema": {"type": "string"}}},
    }
}


@router.post("/scenario", summary="Import a scenario YAML (replaces the current one)",
             openapi_extra=YAML_BODY)  # fmt: skip
async def import_scenario(request: Request, user: User = Depends(require(*ADMINS))) -> Any:
    if media_type(request) not in YAML_TYPES:
        raise ApiError(415, "UnsupportedMediaType", "Send the scenario as application/yaml.")
    text = text_body(await read_body(request), "scenario")
    scenario = records.scenario_from_yaml(text)
    with engine_of(request).begin() as conn:
        counts = store.replace_scenario(conn, scenario)
        store.audit(conn, user, "import", "scenario", scenario.name, {"counts": counts})
    return {"name": scenario.name, "counts": counts}


@router.get(
    "/scenario",
    summary="Export the scenario (YAML by default; JSON with Accept: application/json)",
    responses={200: {"content": {"application/yaml": {}, "application/json": {}}}},
)
def export_scenario(request: Request, _: User = Depends(require(*READERS))) -> Response:
    with engine_of(request).connect() as conn:
        scenario = store.load_scenario(conn)
    if "application/json" in request.headers.get("accept", ""):
        import json

        body = json.dumps(scenario_io.scenario_dict(scenario), ensure_ascii=False, default=str)
        return Response(body, media_type="application/json")
    return Response(records.scenario_to_yaml(scenario), media_type="application/yaml")


@router.get("/scenario/fields", summary="Every field: unit, bounds, default, source")
def fields(_: User = Depends(require(*READERS))) -> list[dict[str, Any]]:
    return [{**row, "default": row["default"] if not callable(row["default"]) else None}
            for row in field_table()]  # fmt: skip
