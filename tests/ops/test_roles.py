"""The role matrix: every role × every endpoint kind; 401 without or with a bad token."""

from __future__ import annotations

import json

import pytest

from tests.ops.conftest import OWN_STATION, ROLES
from tests.paths import DATA

YAML = {"Content-Type": "application/yaml"}

# endpoint kind → (method, path, body kind, roles allowed)
MATRIX = {
    "read resource": ("GET", "/api/v1/stations", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "read one": ("GET", f"/api/v1/stations/{OWN_STATION}", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "write order": ("POST", "/api/v1/orders", "order", {"admin", "dispatcher"}),
    "write truck": ("PATCH", "/api/v1/trucks/T01", "truck", {"admin", "dispatcher"}),
    "write own station": ("PATCH", f"/api/v1/stations/{OWN_STATION}", "price", {"admin", "station-operator"}),
    "write other station": ("PATCH", "/api/v1/stations/jinzhong", "price", {"admin"}),
    "write place": ("POST", "/api/v1/places", "place", {"admin"}),
    "delete order": ("DELETE", "/api/v1/orders/{order}", None, {"admin", "dispatcher"}),
    "import scenario": ("POST", "/api/v1/scenario", "yaml", {"admin"}),
    "export scenario": ("GET", "/api/v1/scenario", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "plan": ("POST", "/api/v1/plans", "plan", {"admin", "dispatcher"}),
    "list plans": ("GET", "/api/v1/plans", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "get plan": ("GET", "/api/v1/plans/{job}", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "plan result": ("GET", "/api/v1/plans/{done}/result", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "cancel plan": ("POST", "/api/v1/plans/{job}/cancel", None, {"admin", "dispatcher"}),
    "update order": ("PATCH", "/api/v1/orders/C001", "tonnes", {"admin", "dispatcher"}),
    "delete station": ("DELETE", "/api/v1/stations/{station}", None, {"admin"}),
    "scenario fields": ("GET", "/api/v1/scenario/fields", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "emissions of a plan": ("POST", "/api/v1/emissions", "plan_id", {"admin", "dispatcher", "auditor"}),
    "get emissions": ("GET", "/api/v1/emissions/{run}", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "ileap export": ("GET", "/api/v1/emissions/{run}/ileap", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "emissions report": ("GET", "/api/v1/emissions/{run}/report", None, {"admin", "dispatcher", "station-operator", "auditor"}),
    "emissions": ("POST", "/api/v1/emissions", "ledger", {"admin", "dispatcher", "auditor"}),
    "users": ("GET", "/api/v1/users", None, {"admin"}),
    "create user": ("POST", "/api/v1/users", "user", {"admin"}),
    "audit": ("GET", "/api/v1/audit", None, {"admin"}),
    "me": ("GET", "/api/v1/me", None, set(ROLES)),
}


def _kwargs(kind: str | None, role: str, data_dir, ids: dict[str, str]) -> dict:
    if kind == "order":
        return {"json": {"id": f"N-{role}", "origin": "Xiaoyi", "destination": "Tianjin Port", "tonnes": 30}}
    if kind == "truck":
        return {"json": {"depot": "Xiaoyi"}}
    if kind == "tonnes":
        return {"json": {"tonnes": 29}}
    if kind == "plan_id":
        return {"json": {"plan_id": ids["done"]}}
    if kind == "price":
        return {"json": {"price": 33}}
    if kind == "place":
        return {"json": {"name": f"P-{role}", "lat": 38, "lon": 115}}
    if kind == "yaml":
        return {"content": "name: tiny\n", "headers": YAML}
    if kind == "plan":
        return {"json": {"kind": "trip", "request": {"from": "Xiaoyi", "to": "Taiyuan"}}}
    if kind == "ledger":
        return {"content": (data_dir / "emissions" / "ledger_small.csv").read_bytes(),
                "headers": {"Content-Type": "text/csv"}}  # fmt: skip
    if kind == "user":
        return {"json": {"name": f"new-{role}", "role": "auditor"}}
    return {}


def _station_ids(api) -> set[str]:
    return {s["id"] for s in api.get("/api/v1/stations").json()["items"]}


def test_station_ids_of_the_matrix_exist(sqlite_api):
    assert {OWN_STATION, "jinzhong"} <= _station_ids(sqlite_api)


def _records(api, role: str) -> dict[str, str]:
    """Ids the paths name: a queued job (one per role, so each may cancel its own), a done
    job, an emissions run, a station nothing references, an order."""
    from sqlalchemy import update

    from h2lane.ops.db import store
    from h2lane.ops.db.models import plan_jobs

    plan = json.loads((DATA / "emissions" / "trip_plan.json").read_text(encoding="utf-8"))
    with api.client.app.state.engine.begin() as conn:
        done = store.create_job(conn, "trip", {}, "x")
        conn.execute(update(plan_jobs).where(plan_jobs.c.id == done).values(status="running"))
        store.finish_job(conn, done, plan)
        queued = store.create_job(conn, "trip", {"from": "Xiaoyi", "to": "Taiyuan"}, "x")
        run = store.save_emissions(conn, source="test", user="x", document={"kind": "t"},
                                   ileap={"manifest": {}}, report_html="<html></html>")  # fmt: skip
    station = f"S-{role}"
    api.call("POST", "/api/v1/stations", "admin",
             json={"id": station, "name": station, "lat": 38.0, "lon": 114.5})  # fmt: skip
    return {"job": queued, "done": done, "run": run, "station": station}


@pytest.mark.parametrize("kind", list(MATRIX))
def test_role_matrix(sqlite_api, kind, data_dir):
    method, path, body, allowed = MATRIX[kind]
    for role in ROLES:
        order = {"admin": "C006", "dispatcher": "C005"}.get(role, "C004")
        needs = any(f"{{{k}}}" in path for k in ("job", "done", "run", "station"))
        ids = _records(sqlite_api, role) if needs or body == "plan_id" else {}
        url = path.format(order=order, **ids)
        r = sqlite_api.call(method, url, role, **_kwargs(body, role, data_dir, ids))
        if role in allowed:
            assert r.status_code < 400, (kind, role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (kind, role, r.status_code, r.text)
            assert r.json()["error"] == "Forbidden"
        if kind == "import scenario" and role == "admin":
            break  # the scenario is gone now


@pytest.mark.parametrize("kind", list(MATRIX))
def test_no_token_or_a_bad_token_is_401(sqlite_api, kind):
    method, path, _, _ = MATRIX[kind]
    path = path.format(order="C001", job="j", done="j", run="r", station="jinzhong")
    assert sqlite_api.call(method, path, None).status_code == 401
    r = sqlite_api.call(method, path, None, headers={"Authorization": "Bearer h2l_wrong"})
    assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
    r = sqlite_api.call(method, path, None, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_tokens_are_stored_hashed(sqlite_api, engine_for):
    from sqlalchemy import select

    from h2lane.ops.db.models import users

    engine = engine_for(sqlite_api.url)
    with engine.connect() as conn:
        hashes = [r.token_hash for r in conn.execute(select(users))]
    tokens = set(sqlite_api.tokens.values())
    assert hashes and not tokens & set(hashes)
    assert all(len(h) == 64 for h in hashes)
