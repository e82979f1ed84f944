"""Engines (SQLite with WAL, PostgreSQL through psycopg 3) and the Alembic upgrade."""

from __future__ import annotations

from importlib import resources
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from h2lane.errors import OptionError


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL journaling, a busy timeout and FKs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20,
            max_overflow=40,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_size=20, max_overflow=40, pool_pre_ping=True)


def migrations_dir() -> str:
    return str(resources.files("h2lane.ops.db") / "migrations")


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply the Alembic migrations shipped in the package; returns the revision reached."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", migrations_dir())
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise OptionError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from None
    return current or ""
