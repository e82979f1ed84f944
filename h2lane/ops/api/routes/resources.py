"""``/api/v1/<resource>``: list (paging, filters, search, sort), get, create, partial update, delete.

Records are validated by the scenario model (:mod:`h2lane.app.records`): the same fields,
units, bounds and references as a scenario YAML; a problem is 422 naming the field.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, get_type_hints

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from sqlalchemy import Connection

from h2lane.app import records
from h2lane.errors import ScenarioError
from h2lane.ops.api.auth import READERS, WRITERS, User, current_user, forbid, require
from h2lane.ops.api.deps import MAX_PAGE, Page, cached_json, engine_of
from h2lane.ops.api.errors import ApiError
from h2lane.ops.db import store
from h2lane.scenario.model import SECTIONS

RESERVED = {"limit", "offset", "q", "sort"}


@functools.cache
def _fields_of(section: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The type of each field of ``section`` and their names (read once, not per request)."""
    cls = SECTIONS[section]
    return get_type_hints(cls), frozenset(f.name for f in dataclasses.fields(cls))


def _filters(section: str, request: Request) -> dict[str, Any]:
    """``?field=value`` equality filters, values read by the field's type."""
    hints, names = _fields_of(section)
    out: dict[str, Any] = {}
    for name, value in request.query_params.items():
        if name in RESERVED:
            continue
        if name not in names:
            raise ApiError(
                422,
                "InputError",
                f"Unknown filter '{name}' (fields: {', '.join(sorted(names))}).",
                ["query", name],
            )
        kind = hints[name]
        if kind in (float, int):
            try:
                number = float(value)
            except ValueError:
                raise ApiError(
                    422, "InputError", f"Filter '{name}' must be a number, got '{value}'.",
                    ["query", name],
                ) from None
            if number != number or number in (float("inf"), float("-inf")):
                raise ApiError(
                    422, "InputError", f"Filter '{name}' must be finite.", ["query", name]
                )
            out[name] = number
        else:
            out[name] = value
    return out


def _changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    old, new = old or {}, new or {}
    return {
        k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    }


def make_router(resource: str, section: str) -> APIRouter:
    """The five endpoints of one resource."""
    router = APIRouter(prefix=f"/api/v1/{resource}", tags=[resource])
    key = records.key_field(section)
    writers = WRITERS[section]

    @router.get("", summary=f"List {resource}", response_model=Page)
    async def list_(
        request: Request,
        limit: int = Query(100, ge=1, le=MAX_PAGE),
        offset: int = Query(0, ge=0, le=10**9),
        q: str | None = Query(None, max_length=200, description="text in the id or name"),
        sort: str | None = Query(None, max_length=100, description="field, or -field"),
        _: User = Depends(require(*READERS)),
    ) -> Response:
        filters = _filters(section, request)

        def read(conn: Connection) -> dict[str, Any]:
            items, total = store.list_records(
                conn, section, filters=filters, q=q, sort=sort, limit=limit, offset=offset
            )
            return {"items": items, "total": total, "limit": limit, "offset": offset}

        query = (limit, offset, q, sort, tuple(sorted(filters.items())))
        return await cached_json(request, (section, "list", query), read)

    @router.get("/{item_key}", summary=f"Get one of {resource}", response_model=dict[str, Any])
    async def get(
        request: Request, item_key: str, _: User = Depends(require(*READERS))
    ) -> Response:
        def read(conn: Connection) -> dict[str, Any]:
            found = store.get_record(conn, section, item_key)
            if found is None:
                raise ApiError(404, "NotFound", f"No {resource} record with {key} '{item_key}'.")
            return found

        return await cached_json(request, (section, "get", item_key), read)

    @router.post("", status_code=201, summary=f"Create one of {resource}")
    def create(
        request: Request,
        body: dict[str, Any] = Body(...),
        user: User = Depends(require(*writers)),
    ) -> Any:
        record = records.parse_item(section, body)
        data = records.record_dict(record)
        with engine_of(request).begin() as conn:
            if store.get_record(conn, section, data[key]) is not None:
                raise ApiError(
                    409, "Conflict", f"A {resource} record with {key} '{data[key]}' exists.",
                    ["body", key],
                )
            scenario = store.load_scenario(conn)
            getattr(scenario, section).append(record)
            records.check_scenario(scenario)
            store.insert_record(conn, section, data)
            store.audit(conn, user, "create", resource, data[key], _changes(None, data))
        return data

    @router.patch("/{item_key}", summary=f"Update fields of one of {resource}")
    def patch(
        request: Request,
        item_key: str,
        body: dict[str, Any] = Body(...),
        user: User = Depends(current_user),
    ) -> Any:
        own = section == "stations" and user["role"] == "station-operator"
        if user["role"] not in writers and not (own and item_key in (user["stations"] or [])):
            raise forbid(user, f"update {resource} record '{item_key}'")
        with engine_of(request).begin() as conn:
            current = store.get_record(conn, section, item_key)
            if current is None:
                raise ApiError(404, "NotFound", f"No {resource} record with {key} '{item_key}'.")
            if key in body and body[key] != item_key:
                raise ApiError(
                    422, "InputError", f"The {key} of a record cannot change (delete and create).",
                    ["body", key],
                )
            merged = records.merge_patch(current, body, section)
            record = records.parse_item(section, merged)
            data = records.record_dict(record)
            scenario = store.load_scenario(conn)
            rows = getattr(scenario, section)
            index = next(i for i, r in enumerate(rows) if getattr(r, key) == item_key)
            rows[index] = record
            records.check_scenario(scenario)
            store.update_record(conn, section, item_key, data)
            store.audit(conn, user, "update", resource, item_key, _changes(current, data))
        return data

    @router.delete("/{item_key}", status_code=204, summary=f"Delete one of {resource}")
    def remove(
        request: Request, item_key: str, user: User = Depends(require(*writers))
    ) -> Response:
        with engine_of(request).begin() as conn:
            current = store.get_record(conn, section, item_key)
            if current is None:
                raise ApiError(404, "NotFound", f"No {resource} record with {key} '{item_key}'.")
            scenario = store.load_scenario(conn)
            setattr(
                scenario,
                section,
                [r for r in getattr(scenario, section) if getattr(r, key) != item_key],
            )
            try:
                records.check_scenario(scenario)
            except ScenarioError as exc:
                raise ApiError(
                    409, "Conflict", f"Cannot delete {resource} '{item_key}': {exc}"
                ) from None
            store.delete_record(conn, section, item_key)
            store.audit(conn, user, "delete", resource, item_key, _changes(current, None))
        return Response(status_code=204)

    return router


def routers() -> list[APIRouter]:
    return [make_router(resource, section) for resource, section in records.RESOURCES.items()]
