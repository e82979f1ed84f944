"""In-process caches of the read path: serialised answers, and tokens → users.

**Answers** (list pages and single records of the scenario resources) are kept as the bytes
sent, keyed by (resource, normalised query) and by the request as sent (for
:mod:`h2lane.ops.api.fastpath`), and tagged with the database's *scenario version* when
they were read (:func:`h2lane.ops.db.store.data_version`: the newest audit entry's id; every
write to a scenario record, and every import, is audited in its own transaction). A request
asks the :class:`VersionGate` for the current version (on SQLite a few µs, on PostgreSQL a
round trip shared with the requests that arrived meanwhile) and uses an entry only when it
is unchanged, so a write by any process — this server, another server on the same
database — is seen by the next request; a new version empties the cache. The plan-job list
is kept the same way under the gate's ``commits`` mark, which changes with *every* commit
(the worker process updates jobs without an audit entry).

On PostgreSQL, ids are not handed out in commit order, so an answer is stored only when it was
read under :func:`h2lane.ops.db.store.scenario_read_lock` (no scenario write in flight; the
writers take the same lock exclusively before their audit entry gets its id): then every later
write gets a larger id than the version stored. SQLite runs one writer at a time, so its ids
are in commit order already.

**Tokens**: a user found by a token's hash is kept for :data:`TOKEN_TTL_S` seconds, so a user
disabled or deleted in the database (by another process) is refused at most that long after;
unknown tokens are never cached (a new user's token works at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

TOKEN_TTL_S = 5.0
"""Seconds a token → user lookup is reused before the database is asked again."""

MAX_ANSWERS = 4096
"""Answers kept at most (least recently used dropped first); 100-record pages are ~30 kB."""

MAX_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class Marks:
    """What a request compares stored answers with: ``scenario``, the newest audit id
    (:func:`~h2lane.ops.db.store.data_version`), and ``commits``, which changes with every
    commit to the database by anyone (None: not known, nothing is cached by it)."""

    scenario: int
    commits: Hashable | None


COMMITS_SQL = "SELECT (SELECT max(id) FROM audit_log), pg_current_snapshot()::text"
"""PostgreSQL's marks in one statement: the snapshot's text (``xmin:xmax:in-progress ids``)
is the same for two snapshots only when they see the same committed transactions."""


class VersionGate:
    """The database's :class:`Marks`, cheap enough to ask on every request.

    **SQLite file**: ``PRAGMA data_version`` on a connection of its own (a few µs; it changes
    when any other connection, of any process, commits), and the newest audit id read again
    only when it has changed. **PostgreSQL**: one statement (:data:`COMMITS_SQL`) on a
    connection of its own, run on a thread of its own; requests that arrive while it runs
    wait for the next one, which starts after they arrived, so every request is answered by
    a read that began after it came (a write committed before the request is seen), and
    under load one round trip serves the many requests that arrived meanwhile. Any failure
    drops the connection and the next request opens another.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        url = engine.url
        self._sqlite_path: str | None = None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._sqlite_path = url.database
        self._postgres = url.get_backend_name() == "postgresql"
        self._raw: Any = None
        self._opened = 0
        self._seen: tuple[int, int] | None = None  # (data_version, audit id) on _raw
        self._thread: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: asyncio.Future[Marks] | None = None
        self._queued: asyncio.Future[Marks] | None = None

    async def current(self) -> Marks:
        """The marks as of a read that started after this call."""
        if self._sqlite_path is not None:
            return self._sqlite_marks()
        if not self._postgres:
            with self.engine.connect() as conn:
                return Marks(_audit_version(conn), None)
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): start afresh
            self._loop, self._running, self._queued = loop, None, None
        if self._running is None:
            self._running = loop.create_future()
            self._start(loop, self._running)
            return await asyncio.shield(self._running)
        if self._queued is None:  # the read in flight began before this request came
            self._queued = loop.create_future()
        return await asyncio.shield(self._queued)

    # --- SQLite ---------------------------------------------------------------------------

    def _sqlite_marks(self) -> Marks:
        import sqlite3

        with self._lock:
            try:
                if self._raw is None:
                    self._raw = sqlite3.connect(
                        self._sqlite_path or "", timeout=30, isolation_level=None,
                        check_same_thread=False,
                    )  # fmt: skip
                    self._opened += 1
                    self._seen = None
                (changes,) = self._raw.execute("PRAGMA data_version").fetchone()
                if self._seen is None or self._seen[0] != changes:
                    (top,) = self._raw.execute("SELECT max(id) FROM audit_log").fetchone()
                    self._seen = (int(changes), int(top or 0))
                return Marks(self._seen[1], (self._opened, self._seen[0]))
            except Exception:
                self._close_raw()
                with self.engine.connect() as conn:
                    return Marks(_audit_version(conn), None)

    # --- PostgreSQL -----------------------------------------------------------------------

    def _start(self, loop: asyncio.AbstractEventLoop, done: asyncio.Future[Marks]) -> None:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="h2lane-versions")
        read = loop.run_in_executor(self._thread, self._postgres_marks)

        def finished(f: asyncio.Future[Marks]) -> None:
            if f.cancelled():
                done.cancel()
            elif (exc := f.exception()) is not None:
                done.set_exception(exc)
            else:
                done.set_result(f.result())
            if self._running is done:
                self._running, nxt, self._queued = self._queued, self._queued, None
                if nxt is not None:
                    self._start(loop, nxt)

        read.add_done_callback(finished)

    def _postgres_marks(self) -> Marks:
        import psycopg

        try:
            if self._raw is None:
                url = self.engine.url.set(drivername="postgresql")
                self._raw = psycopg.connect(url.render_as_string(hide_password=False),
                                            autocommit=True)  # fmt: skip
            top, snapshot = self._raw.execute(COMMITS_SQL, prepare=True).fetchone()
            return Marks(int(top or 0), snapshot)
        except Exception:
            self._close_raw()
            with self.engine.connect() as conn:
                return Marks(_audit_version(conn), None)

    def _close_raw(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.close()

    def close(self) -> None:
        with self._lock:
            self._close_raw()
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None


def _audit_version(conn: Connection) -> int:
    from h2lane.ops.db import store

    return store.data_version(conn)


class AnswerCache:
    """Serialised answers valid for one scenario version (see the module's docstring)."""

    def __init__(self, max_entries: int = MAX_ANSWERS) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._max = max_entries
        self._version: Hashable | None = None

    def get(self, key: Hashable, version: Hashable) -> tuple[int, bytes] | None:
        """``(status, body)`` stored under ``key`` at ``version``, else None (a newer version
        than the cache's empties it)."""
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
                return None
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, version: Hashable, status: int, body: bytes) -> None:
        """Keep ``body`` for ``key`` if ``version`` is still the cache's version (a version
        of None is never kept)."""
        with self._lock:
            if version is None or version != self._version:
                return
            self._entries[key] = (status, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._version = None

    def __len__(self) -> int:
        return len(self._entries)


class TokenCache:
    """Token hash → user for :data:`TOKEN_TTL_S` seconds (positive lookups only)."""

    def __init__(self, ttl_s: float = TOKEN_TTL_S, max_entries: int = MAX_TOKENS) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._max = max_entries

    def get(self, token_hash: str) -> dict[str, Any] | None:
        found = self._entries.get(token_hash)
        if found is None:
            return None
        expires, user = found
        if time.monotonic() >= expires:
            with self._lock:
                self._entries.pop(token_hash, None)
            return None
        return user

    def put(self, token_hash: str, user: dict[str, Any]) -> None:
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[token_hash] = (time.monotonic() + self.ttl_s, user)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
