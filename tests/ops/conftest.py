"""Fixtures of the service tests: a database (SQLite file, and PostgreSQL when reachable),
the app on it with the bundled scenario, one user per role, and a real worker process.

PostgreSQL: 127.0.0.1:5432, user postgres (trust), one database per pytest-xdist worker made
from ``test``. Unreachable → the tests skip with the reason (and fail with CI=true, by the
rule in tests/conftest.py).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from h2lane.ops.api.app import create_app
from h2lane.ops.db import store
from h2lane.ops.db.engine import make_engine
from h2lane.ops.db.models import metadata
from h2lane.ops.settings import Settings
from h2lane.scenario import io as scenario_io

PG_SERVER = os.environ.get("H2LANE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
ROLES = ("admin", "dispatcher", "station-operator", "auditor", "device")
OWN_STATION = "xiaoyi-beiyao"


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_url(suffix: str = "") -> str:
    """A database of this xdist worker on the local server (created from ``test``); a
    ``suffix`` gives a module that keeps a server running its own database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    # H2LANE_TEST_PG_PREFIX keeps two suites run at once on one server out of each other's databases.
    prefix = os.environ.get("H2LANE_TEST_PG_PREFIX", "h2lane_test")
    name = f"{prefix}_{worker}{suffix}"
    admin = create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT", connect_args={
        "connect_timeout": 3})  # fmt: skip
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.skip(f"PostgreSQL at {PG_SERVER}/test is unreachable ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0]})")  # fmt: skip
    finally:
        admin.dispose()
    return f"{PG_SERVER}/{name}"


def reset_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'h2lane.db'}"
    url = pg_url()
    reset_pg(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'h2lane.db'}"


class Api:
    """A test client with one token per role."""

    def __init__(self, client: TestClient, tokens: dict[str, str], url: str) -> None:
        self.client, self.tokens, self.url = client, tokens, url

    def headers(self, role: str | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(self, method: str, path: str, role: str | None = "admin", **kw: Any) -> Any:
        headers = {**self.headers(role), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def get(self, path: str, role: str | None = "admin", **kw: Any) -> Any:
        return self.call("GET", path, role, **kw)


def make_api(url: str) -> Api:
    app = create_app(Settings(db_url=url))
    tokens: dict[str, str] = {}
    with app.state.engine.begin() as conn:
        store.replace_scenario(conn, scenario_io.load_scenario("shanxi-tianjin"))
        for role in ROLES:
            stations = [OWN_STATION] if role in ("station-operator", "device") else []
            _, tokens[role] = store.create_user(conn, f"{role}-user", role, stations)
    return Api(TestClient(app, raise_server_exceptions=False), tokens, url)


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    made = make_api(db_url)
    yield made
    made.client.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def sqlite_api(sqlite_url: str) -> Iterator[Api]:
    made = make_api(sqlite_url)
    yield made
    made.client.app.state.engine.dispose()  # type: ignore[attr-defined]


def wait_for(check: Any, timeout: float = 60.0, every: float = 0.05) -> Any:
    """Poll ``check()`` until it returns something truthy (AssertionError after ``timeout``)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not reached within {timeout} s")


@pytest.fixture
def engine_for() -> Iterator[Any]:
    made: list[Any] = []

    def get(url: str) -> Any:
        made.append(make_engine(url))
        return made[-1]

    yield get
    for e in made:
        e.dispose()
