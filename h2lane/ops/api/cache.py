"""In-process caches of the read path: serialised resource answers, and tokens → users.

**Answers** (list pages and single records of the scenario resources) are kept as the bytes
sent, keyed by (resource, normalised query) and tagged with the database's *scenario
version* when they were read (:func:`h2lane.ops.db.store.data_version`: the newest audit
entry's id; every write to a scenario record, and every import, is audited in its own
transaction). A request reads the version first (one primary-key lookup) and uses an entry
only when the version is unchanged, so a write by any process — this server, another server
on the same database — is seen by the next request; a new version empties the cache. Plan
jobs are not cached: the worker process updates them without an audit entry.

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

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

TOKEN_TTL_S = 5.0
"""Seconds a token → user lookup is reused before the database is asked again."""

MAX_ANSWERS = 4096
"""Answers kept at most (least recently used dropped first); 100-record pages are ~30 kB."""

MAX_TOKENS = 10_000


class VersionReader:
    """:func:`~h2lane.ops.db.store.data_version` on one connection of its own in autocommit
    mode (each read sees the latest commit; no BEGIN, ROLLBACK or pool ping around it: one
    round trip). Used only from the event loop's thread; a failed read drops the connection
    and reads once more on a pooled one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    def read(self) -> int:
        from h2lane.ops.db import store

        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return store.data_version(self._conn)
        except Exception:
            self.close()
            with self.engine.connect() as conn:
                return store.data_version(conn)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


class AnswerCache:
    """Serialised answers valid for one scenario version (see the module's docstring)."""

    def __init__(self, max_entries: int = MAX_ANSWERS) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._max = max_entries
        self._version: int | None = None

    def get(self, key: Hashable, version: int) -> tuple[int, bytes] | None:
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

    def put(self, key: Hashable, version: int, status: int, body: bytes) -> None:
        """Keep ``body`` for ``key`` if ``version`` is still the cache's version."""
        with self._lock:
            if version != self._version:
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
