"""``/api/v1/users`` and ``/api/v1/audit`` (admin), ``/api/v1/me`` (any signed-in user)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from h2lane.ops.api.auth import ADMINS, User, current_user, require
from h2lane.ops.api.deps import MAX_PAGE, Page, engine_of, fast_json
from h2lane.ops.db import store

router = APIRouter(prefix="/api/v1", tags=["users"])


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Literal["admin", "dispatcher", "station-operator", "auditor", "device"]
    stations: list[str] = Field(default_factory=list, max_length=1000)


@router.get("/me", summary="Who the token belongs to")
def me(user: User = Depends(current_user)) -> dict[str, Any]:
    return {"name": user["name"], "role": user["role"], "stations": user["stations"]}


@router.get("/users", summary="List users (admin)")
def list_users(request: Request, _: User = Depends(require(*ADMINS))) -> list[dict[str, Any]]:
    with engine_of(request).connect() as conn:
        return store.list_users(conn)


@router.post("/users", status_code=201, summary="Create a user; the token is shown once (admin)")
def create_user(
    body: UserCreate, request: Request, user: User = Depends(require(*ADMINS))
) -> dict[str, Any]:
    with engine_of(request).begin() as conn:
        created, token = store.create_user(conn, body.name, body.role, body.stations)
        store.audit(conn, user, "create", "users", body.name,
                    {"role": [None, body.role], "stations": [None, body.stations]})  # fmt: skip
    return {**created, "token": token}


@router.get("/audit", summary="The audit log, newest first (admin)", response_model=Page)
def audit(
    request: Request,
    resource: str | None = Query(None, max_length=80),
    user_name: str | None = Query(None, alias="user", max_length=200),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=10**9),
    _: User = Depends(require(*ADMINS)),
) -> Response:
    with engine_of(request).connect() as conn:
        items, total = store.list_audit(
            conn, limit=limit, offset=offset, resource=resource, user=user_name
        )
    return fast_json({"items": items, "total": total, "limit": limit, "offset": offset})
