"""SQL injection strings in ids, filters, search and sort, and oversized bodies: always 4xx,
never a 500, and the data stays as it was (SQLite and PostgreSQL)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from h2lane.ops.api.app import create_app
from h2lane.ops.db import store
from h2lane.ops.settings import Settings

INJECTIONS = [
    "' OR '1'='1",
    "x'; DROP TABLE stations; --",
    "1 UNION SELECT token_hash, role FROM users --",
    '" OR ""="',
    "%' AND 1=1 --",
    "\\'; SELECT pg_sleep(5); --",
    "jinzhong' --",
]


def test_injection_in_ids_filters_search_and_sort_is_4xx_or_harmless(api):
    for evil in INJECTIONS:
        _probe(api, quote(evil, safe=""))
    assert api.get("/api/v1/stations").json()["total"] == 7
    with api.client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        assert len(store.list_users(conn)) == 5


def _probe(api, path: str) -> None:
    for method, url in [
        ("GET", f"/api/v1/stations/{path}"),
        ("PATCH", f"/api/v1/stations/{path}"),
        ("DELETE", f"/api/v1/orders/{path}"),
        ("GET", f"/api/v1/plans/{path}"),
        ("GET", f"/api/v1/emissions/{path}/report"),
        ("GET", f"/api/v1/stations?sort={path}"),
        ("GET", f"/api/v1/stations?{path}=1"),
        ("GET", f"/api/v1/stations?price={path}"),
    ]:
        kw = {"json": {"price": 1}} if method == "PATCH" else {}
        r = api.call(method, url, **kw)
        assert 400 <= r.status_code < 500, (method, url, r.status_code, r.text)
        assert r.json()["error"] in ("NotFound", "InputError", "OptionError", "ValidationError")
    # filters and search are bound parameters: the text is looked for literally
    for url in (f"/api/v1/stations?id={path}", f"/api/v1/stations?q={path}",
                f"/api/v1/audit?resource={path}", f"/api/v1/audit?user={path}"):  # fmt: skip
        r = api.get(url)
        assert r.status_code == 200 and r.json()["total"] == 0, (url, r.text)


def test_injection_in_a_created_record_is_stored_as_text(sqlite_api):
    evil = INJECTIONS[1]
    body = {"id": evil, "name": evil, "lat": 38.0, "lon": 114.5}
    assert sqlite_api.call("POST", "/api/v1/stations", json=body).status_code == 201
    got = sqlite_api.get(f"/api/v1/stations/{quote(evil, safe='')}")
    assert got.status_code == 200 and got.json()["name"] == evil
    assert sqlite_api.get("/api/v1/stations").json()["total"] == 8


@pytest.fixture
def small_limit_app(sqlite_api):
    """The same database behind an app whose body limit is 1 MB."""
    app = create_app(Settings(db_url=sqlite_api.url, max_upload_bytes=1024 * 1024))
    yield TestClient(app, raise_server_exceptions=False), sqlite_api.headers("admin")
    app.state.engine.dispose()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/scenario", "application/yaml"),
        ("/api/v1/emissions", "text/csv"),
        ("/api/v1/stations", "application/json"),
        ("/api/v1/plans", "application/json"),
    ],
)
def test_oversized_bodies_are_413(small_limit_app, path, content_type):
    client, headers = small_limit_app
    big = b"x" * (1024 * 1024 + 1)
    r = client.post(path, content=big, headers={**headers, "Content-Type": content_type})
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "PayloadTooLarge" and "1 MB" in r.json()["message"]

    def chunks():  # no Content-Length: the limit is counted while the body streams in
        for _ in range(17):
            yield b"y" * 65536

    r = client.post(path, content=chunks(), headers={**headers, "Content-Type": content_type})
    assert r.status_code == 413, r.text
    small = client.get("/api/v1/stations?limit=1", headers=headers)
    assert small.status_code == 200


def test_the_limit_comes_from_h2lane_max_upload_mb(monkeypatch):
    monkeypatch.setenv("H2LANE_MAX_UPLOAD_MB", "3")
    assert Settings.load(db="sqlite:///x.db").max_upload_bytes == 3 * 1024 * 1024
    monkeypatch.setenv("H2LANE_MAX_UPLOAD_MB", "0")
    with pytest.raises(Exception, match="H2LANE_MAX_UPLOAD_MB=0 is outside"):
        Settings.load(db="sqlite:///x.db")
