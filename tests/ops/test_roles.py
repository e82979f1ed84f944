"""The role matrix: every role × every endpoint kind; 401 without or with a bad token."""

from __future__ import annotations

import pytest

from tests.ops.conftest import OWN_STATION, ROLES

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
    "emissions": ("POST", "/api/v1/emissions", "ledger", {"admin", "dispatcher", "auditor"}),
    "users": ("GET", "/api/v1/users", None, {"admin"}),
    "create user": ("POST", "/api/v1/users", "user", {"admin"}),
    "audit": ("GET", "/api/v1/audit", None, {"admin"}),
    "me": ("GET", "/api/v1/me", None, set(ROLES)),
}


def _kwargs(kind: str | None, role: str, data_dir) -> dict:
    if kind == "order":
        return {"json": {"id": f"N-{role}", "origin": "Xiaoyi", "destination": "Tianjin Port", "tonnes": 30}}
    if kind == "truck":
        return {"json": {"depot": "Xiaoyi"}}
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


@pytest.mark.parametrize("kind", list(MATRIX))
def test_role_matrix(sqlite_api, kind, data_dir):
    method, path, body, allowed = MATRIX[kind]
    for role in ROLES:
        order = {"admin": "C006", "dispatcher": "C005"}.get(role, "C004")
        r = sqlite_api.call(method, path.format(order=order), role, **_kwargs(body, role, data_dir))
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
    path = path.format(order="C001")
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
