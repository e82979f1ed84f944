"""``h2lane db upgrade``, ``h2lane admin create-user`` and ``h2lane serve`` (its preparation,
``--demo``, and a real server process), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from h2lane.cli import app
from h2lane.cli.serve import display_url, prepare
from h2lane.ops.db import store
from h2lane.ops.db.models import users
from tests.ops.conftest import free_port, wait_for

runner = CliRunner()


def _cli(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def test_db_upgrade_creates_the_schema(db_url, engine_for):
    code, out = _cli("db", "upgrade", "--db", db_url)
    assert code == 0, out
    assert "is at migration 0004" in out
    tables = set(inspect(engine_for(db_url)).get_table_names())
    assert {"stations", "orders", "users", "audit_log", "plan_jobs", "alembic_version"} <= tables
    code, out = _cli("db", "upgrade", "--db", db_url, "--json")  # again: nothing to do
    assert code == 0 and json.loads(out)["revision"] == "0004"
    assert "@" not in json.loads(out)["database"]


def test_db_upgrade_unreachable_or_unsupported_database_is_one_sentence():
    code, out = _cli("db", "upgrade", "--db", "mysql://root@localhost/x", "--json")
    assert code == 2 and "is not supported" in json.loads(out)["message"]
    code, out = _cli("db", "upgrade", "--db",
                     "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", "--json")  # fmt: skip
    assert code == 2 and json.loads(out)["message"].startswith("cannot open the database")


def test_create_user_prints_the_token_once_as_last_word_and_stores_its_hash(db_url, engine_for):
    code, out = _cli("admin", "create-user", "ops-lead", "--role", "admin", "--db", db_url)
    assert code == 0, out
    token = out.split()[-1]
    assert token.startswith("h2l_") and len(token) > 40
    code, out = _cli("admin", "create-user", "beiyao", "--role", "station-operator",
                     "--station", "xiaoyi-beiyao", "--station", "jinzhong", "--db", db_url,
                     "--json")  # fmt: skip
    assert code == 0, out
    made = json.loads(out)
    with engine_for(db_url).connect() as conn:
        rows = {r.name: r for r in conn.execute(select(users))}
        assert store.user_by_token(conn, token)["name"] == "ops-lead"  # type: ignore[index]
        log, _ = store.list_audit(conn, limit=10, offset=0, resource="users", user=None)
    assert rows["ops-lead"].token_hash == store.hash_token(token) != token
    assert token not in {str(v) for r in rows.values() for v in r}
    assert rows["beiyao"].stations == ["xiaoyi-beiyao", "jinzhong"]
    assert made["token"].startswith("h2l_") and made["role"] == "station-operator"
    assert [e["key"] for e in log] == ["beiyao", "ops-lead"]


def test_create_user_refusals_name_the_option(sqlite_url):
    cases = [
        (["root", "--role", "superuser"], "--role must be one of"),
        (["op", "--role", "station-operator"], "needs at least one --station"),
        (["aud", "--role", "auditor", "--station", "x"], "--station is for"),
    ]
    for args, words in cases:
        code, out = _cli("admin", "create-user", *args, "--db", sqlite_url, "--json")
        assert code == 2 and words in json.loads(out)["message"], out
    assert _cli("admin", "create-user", "a", "--role", "admin", "--db", sqlite_url)[0] == 0
    code, out = _cli("admin", "create-user", "a", "--role", "admin", "--db", sqlite_url, "--json")
    assert code == 2 and "exists already" in json.loads(out)["message"]


def test_demo_loads_the_bundled_scenario_and_makes_a_dev_admin(db_url):
    ready = prepare(db_url, demo=True)
    try:
        with ready.engine.connect() as conn:
            assert store.scenario_header(conn)["name"] == "shanxi-tianjin"
            assert len(store.load_scenario(conn).stations) == 7
            user = store.user_by_token(conn, ready.token or "")
        assert ready.loaded == "shanxi-tianjin" and user is not None and user["role"] == "admin"
        again = prepare(db_url, demo=True)  # the scenario is kept; another dev admin
        again.engine.dispose()
        assert again.loaded is None and again.token != ready.token
        plain = prepare(db_url)
        plain.engine.dispose()
        assert plain.token is None  # no user or token without --demo
    finally:
        ready.engine.dispose()


def test_display_url_hides_credentials():
    assert display_url("postgresql+psycopg://u:secret@db:5432/h2") == "postgresql+psycopg://db:5432/h2"
    assert display_url("sqlite:///x.db") == "sqlite:///x.db"



def test_serve_demo_runs_a_real_server_on_loopback(tmp_path: Path):
    """``h2lane serve --demo`` in its own process: the banner, the token, loopback only."""
    port = free_port()
    env = {**os.environ, "H2LANE_DB": "", "H2LANE_HOST": ""}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "h2lane"), "serve", "--demo", "--port", str(port),
         "--workers", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return proc.poll() is not None

        wait_for(up, 60, 0.2)
        assert proc.poll() is None
        assert (tmp_path / "h2lane.db").exists()  # the default: SQLite in the working directory
        r = httpx.get(f"{base}/api/v1/stations", timeout=5)
        assert r.status_code == 401
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "DEMO MODE" in out and "anyone with this token is admin" in out
    token = re.search(r"h2l_[A-Za-z0-9_-]{40,}", out)
    assert token is not None, out
    assert f"http://127.0.0.1:{port}/" in out and "warning" not in out
