"""The read caches (h2lane.ops.api.cache) never serve stale data: after a create, update,
delete or scenario import, through this server or another one on the same database, and
while a write is in flight on PostgreSQL; a disabled or unknown token is refused."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from h2lane.app import records
from h2lane.ops.api.app import create_app
from h2lane.ops.api.cache import AnswerCache, TokenCache
from h2lane.ops.db import store
from h2lane.ops.db.models import users
from h2lane.ops.settings import Settings
from h2lane.scenario import io as scenario_io

STATION = {"id": "cache-hrs", "name": "Cache station", "lat": 38.0, "lon": 114.5, "price": 30}


def prices(api, path="/api/v1/stations?limit=1000"):
    return {s["id"]: s["price"] for s in api.get(path).json()["items"]}


def test_list_and_get_follow_create_update_delete(api):
    before = api.get("/api/v1/stations").json()
    assert api.get("/api/v1/stations").json() == before  # served from the cache
    assert len(api.client.app.state.answers) >= 1
    assert api.get(f"/api/v1/stations/{STATION['id']}").status_code == 404

    assert api.call("POST", "/api/v1/stations", json=STATION).status_code == 201
    after = api.get("/api/v1/stations").json()
    assert after["total"] == before["total"] + 1
    assert api.get(f"/api/v1/stations/{STATION['id']}").json()["price"] == 30

    assert (
        api.call("PATCH", f"/api/v1/stations/{STATION['id']}", json={"price": 51}).status_code
        == 200
    )
    assert prices(api)[STATION["id"]] == 51
    assert api.get(f"/api/v1/stations/{STATION['id']}").json()["price"] == 51
    assert api.get("/api/v1/stations?price=51").json()["total"] == 1

    assert api.call("DELETE", f"/api/v1/stations/{STATION['id']}").status_code == 204
    assert STATION["id"] not in prices(api)
    assert api.get(f"/api/v1/stations/{STATION['id']}").status_code == 404
    assert api.get("/api/v1/stations").json() == before


def test_scenario_import_replaces_every_cached_answer(api):
    assert api.get("/api/v1/trucks").json()["total"] > 0
    assert api.get("/api/v1/stations").json()["total"] == 7
    scenario = scenario_io.load_scenario("shanxi-tianjin")
    scenario.trucks = scenario.trucks[:1]
    scenario.orders = []
    scenario.stations[0].price = 77.0
    body = records.scenario_to_yaml(scenario)
    r = api.call("POST", "/api/v1/scenario", content=body,
                 headers={"Content-Type": "application/yaml"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/trucks").json()["total"] == 1
    assert api.get("/api/v1/orders").json()["total"] == 0
    assert prices(api)[scenario.stations[0].id] == 77.0


def test_a_write_by_another_server_is_seen_at_once(api):
    """Two servers on one database: each sees the other's writes on its next request."""
    other = TestClient(create_app(Settings(db_url=api.url), migrate=False))
    headers = api.headers("admin")
    try:
        first = api.get("/api/v1/stations").json()["items"][0]
        assert other.get("/api/v1/stations", headers=headers).json()["items"][0] == first
        new_price = first["price"] + 1
        r = other.patch(
            f"/api/v1/stations/{first['id']}", json={"price": new_price}, headers=headers
        )
        assert r.status_code == 200, r.text
        assert api.get("/api/v1/stations").json()["items"][0]["price"] == new_price
        assert api.get(f"/api/v1/stations/{first['id']}").json()["price"] == new_price
    finally:
        other.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def pg_api():
    """The app on PostgreSQL only (SQLite runs one writer at a time: the case below is
    PostgreSQL's); unreachable → skip, which fails under CI=true."""
    from tests.ops.conftest import make_api, pg_url, reset_pg

    url = pg_url()
    reset_pg(url)
    made = make_api(url)
    yield made
    made.client.app.state.engine.dispose()


def test_a_read_during_an_uncommitted_write_is_not_kept(pg_api):
    """PostgreSQL hands out ids out of commit order: a page read while a scenario write is in
    flight, under a newer audit id (a plan queued meanwhile), must not be served after the
    write commits."""
    api = pg_api
    engine = api.client.app.state.engine
    station = api.get("/api/v1/stations").json()["items"][0]
    conn = engine.connect()
    try:
        tx = conn.begin()
        data = {**station, "price": station["price"] + 2}
        store.update_record(conn, "stations", station["id"], data)
        store.audit(conn, {"name": "admin-user", "role": "admin"}, "update", "stations",
                    station["id"], {"price": [station["price"], data["price"]]})  # fmt: skip
        queued = api.call("POST", "/api/v1/plans",
                          json={"kind": "trip", "request": {"from": "Xiaoyi", "to": "Tianjin Port"}})  # fmt: skip
        assert queued.status_code == 202, queued.text
        # the newest audit id is now the plan's; the station's write is not committed yet
        assert api.get("/api/v1/stations").json()["items"][0]["price"] == station["price"]
        tx.commit()
    finally:
        conn.close()
    assert api.get("/api/v1/stations").json()["items"][0]["price"] == station["price"] + 2


def test_a_disabled_user_is_refused_once_its_token_entry_expires(api):
    api.client.app.state.tokens.ttl_s = 0.2
    assert api.get("/api/v1/me", role="dispatcher").status_code == 200
    with api.client.app.state.engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == "dispatcher-user").values(disabled=True))
    time.sleep(0.3)
    r = api.get("/api/v1/stations", role="dispatcher")
    assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
    assert api.get("/api/v1/stations", role="admin").status_code == 200


def test_unknown_tokens_are_refused_and_never_cached(api):
    bad = {"Authorization": "Bearer h2l_not-a-token"}
    for _ in range(2):
        assert api.client.get("/api/v1/stations", headers=bad).status_code == 401
    assert api.client.get("/api/v1/stations").status_code == 401
    with api.client.app.state.engine.begin() as conn:
        _, token = store.create_user(conn, "late-user", "auditor")
    assert (
        api.client.get("/api/v1/stations", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_answer_cache_drops_everything_on_a_new_version():
    cache = AnswerCache(max_entries=2)
    assert cache.get("a", 1) is None
    cache.put("a", 1, 200, b"1")
    cache.put("b", 0, 200, b"old")  # read under an older version: not kept
    assert cache.get("a", 1) == (200, b"1") and cache.get("b", 1) is None
    cache.put("b", 1, 200, b"2")
    cache.put("c", 1, 200, b"3")  # beyond two entries the least recently used goes
    assert cache.get("a", 1) is None and cache.get("c", 1) == (200, b"3")
    assert cache.get("c", 2) is None and len(cache) == 0


def test_token_cache_expires():
    tokens = TokenCache(ttl_s=0.05)
    tokens.put("h", {"name": "x"})
    assert tokens.get("h") == {"name": "x"}
    time.sleep(0.06)
    assert tokens.get("h") is None


def _count_routed(app):
    """Wrap the app inside the fast path: a list that grows by one for every request the
    fast path passed on to routing."""
    from h2lane.ops.api.fastpath import FastReads

    routed: list[str] = []
    stack = app.build_middleware_stack()
    layer = stack
    while not isinstance(layer, FastReads):
        layer = layer.app
    inner = layer.app

    async def counting(scope, receive, send):
        routed.append(scope.get("path", ""))
        await inner(scope, receive, send)

    layer.app = counting
    app.middleware_stack = stack
    return routed


def test_fast_path_answers_a_current_page_and_only_to_readers(api):
    routed = _count_routed(api.client.app)
    first = api.get("/api/v1/stations?limit=5")
    assert first.status_code == 200 and len(routed) == 1
    again = api.get("/api/v1/stations?limit=5")  # the same bytes, without routing
    assert again.content == first.content and len(routed) == 1
    assert again.headers["content-type"] == "application/json"
    assert int(again.headers["content-length"]) == len(first.content)
    # no token, a bad token, a role that may not read: the app answers, as before
    assert api.get("/api/v1/stations?limit=5", role=None).status_code == 401
    bad = {"Authorization": "Bearer h2l_not-a-token"}
    assert api.client.get("/api/v1/stations?limit=5", headers=bad).status_code == 401
    assert api.get("/api/v1/stations?limit=5", role="device").status_code == 403
    assert len(routed) == 4
    # a write makes the page stale: the next read goes through the app and sees it
    station = first.json()["items"][0]
    r = api.call("PATCH", f"/api/v1/stations/{station['id']}", json={"price": 66})
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/stations?limit=5").json()["items"][0]["price"] == 66


def test_plan_list_follows_job_changes_without_an_audit_entry(api):
    """The worker updates jobs with no audit entry: the cached plan list must still change."""
    from h2lane.ops.db.models import plan_jobs

    queued = api.call("POST", "/api/v1/plans", json={"kind": "trip", "request": {
        "from": "Xiaoyi", "to": "Tianjin Port"}})  # fmt: skip
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]

    def status():
        items = api.get("/api/v1/plans").json()["items"]
        return next(j["status"] for j in items if j["id"] == job_id)

    assert status() == "queued" and status() == "queued"  # the second one from the cache
    assert len(api.client.app.state.job_answers) >= 1
    with api.client.app.state.engine.begin() as conn:  # as the worker does: no audit entry
        conn.execute(plan_jobs.update().where(plan_jobs.c.id == job_id).values(
            status="failed", error={"error": "x"}))  # fmt: skip
    assert status() == "failed"
    assert api.get("/api/v1/plans?status=failed").json()["total"] == 1


def test_healthz_is_503_when_the_database_is_down():
    from tests.ops.conftest import free_port

    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    client = TestClient(create_app(Settings(db_url=dead), migrate=False))
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["error"] == "DatabaseUnreachable", r.text
