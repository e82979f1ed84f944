"""Service settings: command-line flags win over ``H2LANE_*`` environment variables.

=====================  ===========================  ======================================
setting                variable                     default
=====================  ===========================  ======================================
database URL           ``H2LANE_DB``                ``sqlite:///h2lane.db`` (working dir)
bind address           ``H2LANE_HOST``              ``127.0.0.1`` (never all interfaces
                                                    unless told)
port                   ``H2LANE_PORT``              ``8000``
plan workers           ``H2LANE_WORKERS``           ``1`` (processes; 0 = no worker)
server processes       ``H2LANE_PROCESSES``         ``1`` (HTTP processes on one socket;
                                                    see :mod:`h2lane.ops.api.processes`)
max upload             ``H2LANE_MAX_UPLOAD_MB``     ``20`` MB (larger bodies get 413)
=====================  ===========================  ======================================

There is no default user, password or token: ``h2lane admin create-user`` makes one, and
``h2lane serve --demo`` makes a development admin and prints its token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from h2lane.errors import OptionError

DEFAULT_DB_FILE = "h2lane.db"


def default_db_url(directory: Path | None = None) -> str:
    """A SQLite file in ``directory`` (the working directory by default)."""
    path = (directory or Path.cwd()) / DEFAULT_DB_FILE
    return f"sqlite:///{path}"


def normalise_db_url(url: str) -> str:
    """``postgresql://`` → ``postgresql+psycopg://`` (psycopg 3); a bare path → SQLite file."""
    text = url.strip()
    if not text:
        raise OptionError("--db is empty; give a URL such as sqlite:///h2lane.db")
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" not in text:
        return f"sqlite:///{Path(text).resolve()}"
    if not text.startswith(("sqlite:", "postgresql+psycopg:")):
        raise OptionError(
            f"--db {text.split('://')[0]}:// is not supported; use sqlite:///FILE or "
            "postgresql+psycopg://USER@HOST/DB"
        )
    return text


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OptionError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise OptionError(f"{name}={value} is outside {low}–{high}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service needs to start."""

    db_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    processes: int = 1
    max_upload_bytes: int = 20 * 1024 * 1024

    @classmethod
    def load(
        cls,
        *,
        db: str | None = None,
        host: str | None = None,
        port: int | None = None,
        workers: int | None = None,
        processes: int | None = None,
    ) -> Settings:
        """Flags first, then ``H2LANE_*`` variables, then the defaults."""
        url = db or os.environ.get("H2LANE_DB") or default_db_url()
        the_port = port if port is not None else _env_int("H2LANE_PORT", 8000, 1, 65535)
        if not 1 <= the_port <= 65535:
            raise OptionError(f"--port {the_port} is outside 1–65535")
        n = workers if workers is not None else _env_int("H2LANE_WORKERS", 1, 0, 16)
        if not 0 <= n <= 16:
            raise OptionError(f"--workers {n} is outside 0–16")
        procs = processes if processes is not None else _env_int("H2LANE_PROCESSES", 1, 1, 64)
        if not 1 <= procs <= 64:
            raise OptionError(f"--processes {procs} is outside 1–64")
        mb = _env_int("H2LANE_MAX_UPLOAD_MB", 20, 1, 1024)
        return cls(
            db_url=normalise_db_url(url),
            host=host or os.environ.get("H2LANE_HOST") or "127.0.0.1",
            port=the_port,
            workers=n,
            processes=procs,
            max_upload_bytes=mb * 1024 * 1024,
        )
