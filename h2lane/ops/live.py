"""Live operations in the service: ingest telemetry, evaluate alarms, keep state, open incidents.

:class:`LiveOps` is the one place where a batch of messages becomes durable rows: in one
transaction it stores the new messages (a message id seen before for its device is a duplicate
and counted once), updates each device's last known state (the newest ``time`` wins), records
the alarm conditions the rules raise or clear, opens or extends incidents, and commits — only
then does the caller answer, and only then do subscribers of the live stream hear of it.
The alarm engine's memory is rebuilt from the database at start (open alarm episodes, each
device's newest time and detectors), so a restart neither repeats nor forgets an episode.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, desc, func, insert, select, update
from sqlalchemy.engine import Engine

from h2lane.errors import InputError
from h2lane.ops.alarms.engine import (
    AlarmEngine,
    Condition,
    NextStopQuery,
    ReachQuery,
)
from h2lane.ops.alarms.lifecycle import AlarmStateError, UnknownAlarmError, next_state
from h2lane.ops.alarms.rules import default_rules, load_rules
from h2lane.ops.db.live_tables import (
    alarm_rules,
    alarms,
    device_state,
    incidents,
    refuel_events,
    telemetry,
)
from h2lane.ops.telemetry.messages import (
    Batch,
    Reading,
    parse_batch,
    parse_body,
    stored_reading,
)
from h2lane.timeutil import CHINA

log = logging.getLogger("h2lane.ops.live")

INCIDENT_LEVELS = ("critical", "emergency")


def ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def from_ms(value: int | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, tz=CHINA).isoformat(timespec="seconds")


def key_text(key: tuple[str, str, str, str]) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class Broadcaster:
    """Fan-out of live events to stream subscribers (asyncio queues), from any thread.

    A subscriber names the event types it wants; :meth:`wants` tells a publisher whether
    anyone listens for a type (ingest builds no state events for nobody). One publish is one
    hand-over to each subscriber's event loop, however many events it carries."""

    def __init__(self, maxsize: int = 10_000) -> None:
        self.maxsize = maxsize
        self._subs: list[
            tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]], frozenset[str] | None]
        ] = []
        self._lock = threading.Lock()

    def subscribe(self, types: Iterable[str] | None = None) -> asyncio.Queue[dict[str, Any]]:
        """A queue of the events of ``types`` (default: every type)."""
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.maxsize)
        wanted = frozenset(types) if types is not None else None
        with self._lock:
            self._subs = [*self._subs, (asyncio.get_running_loop(), q, wanted)]
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s[1] is not q]

    def wants(self, kind: str) -> bool:
        """Whether any subscriber listens for events of type ``kind``."""
        return any(w is None or kind in w for _, _, w in self._subs)

    def publish(self, events: Iterable[dict[str, Any]]) -> None:
        events = list(events)
        if not events:
            return
        for loop, q, wanted in self._subs:
            mine = events if wanted is None else [e for e in events if e.get("type") in wanted]
            if not mine:
                continue
            try:
                loop.call_soon_threadsafe(_offer, q, mine)
            except RuntimeError:  # the subscriber's loop has closed
                self.unsubscribe(q)


def _offer(q: asyncio.Queue[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    for ev in events:
        if q.full():
            return  # a slow subscriber loses events rather than stalling ingest
        q.put_nowait(ev)


WRITER_CACHE_KIB = 131_072
"""SQLite page cache of ingest's connection (128 MiB, used as it fills): the telemetry
indexes' pages that a batch touches — one leaf per device in each — stay in memory."""

WRITER_CHECKPOINT_PAGES = 32_768
"""WAL pages after which ingest's commit copies the log back into the database (SQLite's
default is 1,000, ≈ 4 MB: a 1,000-message batch, which touches a leaf of each index per
device, passed it at every commit; a checkpoint copies each page once however often it was
written, so a longer log is copied in fewer, cheaper steps)."""

GROUP_MESSAGES = 20_000
"""Messages one ingest transaction takes at most from the batches waiting (group commit)."""


@dataclass(slots=True)
class IngestReply:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "alarms_raised": sum(1 for a in self.alarms if a["action"] == "raise"),
        }


@dataclass(slots=True, eq=False)
class _Job:
    """One caller's batch waiting for its transaction; ``done`` once committed (or failed)."""

    readings: list[tuple[int, Reading]]
    reply: IngestReply
    audit: tuple[dict[str, Any], str] | None
    done: bool = False
    error: Exception | None = None


def _alarm_dict(row: Any) -> dict[str, Any]:
    r = row._mapping
    return {
        "id": r["id"],
        "rule": r["rule"],
        "level": r["level"],
        "device": r["device"],
        "subject": r["subject"],
        "state": r["state"],
        "raised_at": from_ms(r["raised_ms"]),
        "message": r["message"],
        "value": r["value"],
        "cleared_at": from_ms(r["cleared_ms"]),
        "acknowledged_by": r["acknowledged_by"],
        "acknowledged_at": from_ms(r["acknowledged_ms"]),
        "resolved_by": r["resolved_by"],
        "resolved_at": from_ms(r["resolved_ms"]),
        "notes": r["notes"] or [],
        "incident_id": r["incident_id"],
    }


def _incident_dict(row: Any) -> dict[str, Any]:
    r = row._mapping
    return {
        "id": r["id"],
        "device": r["device"],
        "level": r["level"],
        "state": r["state"],
        "title": r["title"],
        "opened_at": from_ms(r["opened_ms"]),
        "closed_at": from_ms(r["closed_ms"]),
        "closed_by": r["closed_by"],
        "timeline": r["timeline"] or [],
        "affected": r["affected"] or {},
    }


Affected = Callable[[Connection, str, datetime], dict[str, Any]]
"""(connection, station id, time) → trucks heading there and their alternative stations."""


class LiveOps:
    """Telemetry ingest, live state, alarms and incidents over one database."""

    def __init__(
        self,
        db: Engine,
        *,
        reach: ReachQuery | None = None,
        next_stop: NextStopQuery | None = None,
        kg_per_100km: Callable[[str], float] | None = None,
        stations: Callable[[Connection], dict[str, tuple[float, float]]] | None = None,
        affected: Affected | None = None,
    ) -> None:
        self.db = db
        self.reach, self.next_stop, self.kg_per_100km = reach, next_stop, kg_per_100km
        self.stations_of = stations
        self.affected = affected
        self.stream = Broadcaster()
        self.lock = threading.RLock()
        self._queue: deque[_Job] = deque()
        self._queue_lock = threading.Lock()
        self._state_ms: dict[str, int] = {}  # device → time of its stored state
        self._writer: Connection | None = None
        self._engine: AlarmEngine | None = None  # built on first use (the tables may not exist yet)
        self.clock: datetime | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # --- rules and the engine's memory ------------------------------------------------------

    @property
    def engine(self) -> AlarmEngine:
        """The alarm engine, its memory rebuilt from the database the first time it is used."""
        with self.lock:
            if self._engine is None:
                self._engine = self._fresh_engine()
            return self._engine

    @engine.setter
    def engine(self, value: AlarmEngine) -> None:
        self._engine = value

    def rules_document(self, conn: Connection | None = None) -> dict[str, Any]:
        """The newest rule document (the defaults, version 0, until one is stored)."""

        def read(c: Connection) -> dict[str, Any]:
            row = c.execute(
                select(alarm_rules).order_by(desc(alarm_rules.c.version)).limit(1)
            ).first()
            if row is None:
                doc = default_rules()
                doc["version"] = 0
                return doc
            doc = dict(row.document)
            doc["version"] = row.version
            return doc

        if conn is not None:
            return read(conn)
        with self.db.connect() as c:
            return read(c)

    def put_rules(self, doc: Any, user: str) -> dict[str, Any]:
        """Validate and store a new version of the rules; the engine uses it from now on."""
        rules = load_rules(doc)
        with self.lock, self.db.begin() as conn:
            top = conn.execute(select(func.max(alarm_rules.c.version))).scalar()
            version = int(top or 0) + 1
            stored = {k: v for k, v in doc.items() if k != "version"}
            conn.execute(
                insert(alarm_rules).values(
                    version=version,
                    document=stored,
                    created_by=user,
                    created_ms=ms(datetime.now(UTC)),
                )
            )
            self.engine.set_rules(rules)
        return {**stored, "version": version}

    def _fresh_engine(self) -> AlarmEngine:
        """An engine whose memory is what the database holds: the open alarm episodes, each
        device's newest time and detectors, each truck's recent hydrogen track (replayed from
        its stored telemetry), and the time of each stored state."""
        with self.db.connect() as conn:
            rules = load_rules(self.rules_document(conn))
            engine = AlarmEngine(
                rules,
                reach=self.reach,
                next_stop=self.next_stop,
                kg_per_100km=self.kg_per_100km,
            )
            if self.stations_of is not None:
                engine.stations = self.stations_of(conn)  # and the truck types' consumption
            for row in conn.execute(select(alarms).where(alarms.c.open_key.is_not(None))):
                key = tuple(json.loads(row.open_key))
                engine.active[key] = Condition(
                    "raise", row.rule, row.level, row.device, row.subject,
                    datetime.fromtimestamp(row.raised_ms / 1000, tz=CHINA), row.message, row.value,
                )  # fmt: skip
            states: dict[str, int] = {}
            trucks: dict[str, int] = {}
            for row in conn.execute(select(device_state)):
                when = datetime.fromtimestamp(row.t_ms / 1000, tz=CHINA)
                states[row.device] = row.t_ms
                engine.newest[row.device] = when
                engine.kinds[row.device] = row.kind
                if row.kind == "truck":
                    trucks[row.device] = row.t_ms
                for tag, value in (json.loads(row.state).get("detectors") or {}).items():
                    if value is not None:
                        engine.detector_seen[(row.device, tag)] = when
            window = engine.memory_minutes()
            if window is not None and trucks:
                engine.remember(self._recent(conn, trucks, round(window * 60_000)))
        self._state_ms = states
        return engine

    def _recent(self, conn: Connection, trucks: dict[str, int], window_ms: int) -> list[Reading]:
        """Each truck's stored readings of the last ``window_ms`` before its newest one (and
        the one before them), in the order ingest saw them: batches in the order stored, a
        batch's readings by time."""
        out: list[Reading] = []
        cols = (telemetry.c.batch, telemetry.c.payload)
        for device, newest in trucks.items():
            start = newest - window_ms
            rows = [*conn.execute(
                select(*cols).where(telemetry.c.device == device, telemetry.c.t_ms < start)
                .order_by(desc(telemetry.c.t_ms), desc(telemetry.c.pk)).limit(1)
            ), *conn.execute(
                select(*cols).where(telemetry.c.device == device, telemetry.c.t_ms >= start)
                .order_by(telemetry.c.pk)
            )]  # fmt: skip
            for _, group in itertools.groupby(rows, key=lambda row: row.batch):
                out += sorted((stored_reading(row.payload) for row in group), key=lambda r: r.time)
        return out

    # --- ingest -----------------------------------------------------------------------------

    def ingest_body(
        self, body: bytes, content_type: str, user: dict[str, Any], *, audit: str | None = None
    ) -> IngestReply:
        """Decode, validate, authorise per device and ingest one HTTP body."""
        return self._authorised(parse_body(body, content_type), user, audit)

    def ingest_items(
        self, items: list[Any], user: dict[str, Any], *, audit: str | None = None
    ) -> IngestReply:
        """Validate and ingest decoded messages; with ``audit``, the batch is recorded in the
        audit log (as ``user``, key ``audit``) in the same transaction."""
        return self._authorised(parse_batch(items), user, audit)

    def _authorised(self, batch: Batch, user: dict[str, Any], audit: str | None) -> IngestReply:
        """Ingest the readings ``user`` may post (a device token: its own devices only)."""
        reply = IngestReply(rejected=batch.rejected)
        readings: list[tuple[int, Reading]] = []
        own = set(user.get("stations") or [])
        device_token = user["role"] == "device"
        for index, reading in batch.readings if device_token else ():
            if reading.device not in own:
                reply.rejected.append(
                    {
                        "index": index,
                        "error": f"device {reading.device!r} is not one of this token's devices",
                    }
                )
            else:
                readings.append((index, reading))
        if not device_token:
            readings = batch.readings
        reply.rejected.sort(key=lambda r: r["index"])
        if readings:
            self._ingest(readings, reply, (user, audit) if audit is not None else None)
        return reply

    def ingest_readings(self, readings: list[Reading]) -> IngestReply:
        """Ingest readings already validated and authorised (the MQTT path)."""
        reply = IngestReply()
        if readings:
            self._ingest(list(enumerate(readings)), reply)
        return reply

    _batches = itertools.count(time.time_ns() // 1000)

    def _insert(
        self, conn: Connection, rows: list[tuple[Any, ...]], batch: int
    ) -> set[tuple[str, str]] | None:
        """Insert the rows, skipping (device, id) pairs stored before; the pairs inserted, or
        None when every row was (the common case, told by the row count)."""
        mark = "%s" if conn.dialect.name == "postgresql" else "?"
        sql = (
            "INSERT INTO telemetry (device, msg_id, kind, t_ms, received_ms, batch, payload) "
            f"VALUES ({', '.join([mark] * 7)}) ON CONFLICT (device, msg_id) DO NOTHING"
        )
        before = conn.execute(select(func.max(telemetry.c.pk))).scalar() or 0
        result = conn.exec_driver_sql(sql, rows)  # one executemany on the driver
        if result.rowcount == len(rows):
            return None
        # this insert's rows have keys above every key stored before it (the key range keeps
        # the look-up off the whole table; the batch mark keeps out another process's rows)
        got = conn.execute(
            select(telemetry.c.device, telemetry.c.msg_id).where(
                telemetry.c.pk > before, telemetry.c.batch == batch
            )
        )
        return {(r[0], r[1]) for r in got}

    def _ingest(
        self,
        readings: list[tuple[int, Reading]],
        reply: IngestReply,
        audit: tuple[dict[str, Any], str] | None = None,
    ) -> None:
        """Queue the batch and wait until a transaction holding it has committed.

        Group commit: whichever caller holds the write lock takes every batch waiting in the
        queue (up to :data:`GROUP_MESSAGES` messages) into one transaction, commits it once,
        and marks each batch done; a caller whose batch another caller committed returns at
        once. Each batch keeps its own reply, duplicates, audit row and alarms.
        """
        job = _Job(readings, reply, audit)
        with self._queue_lock:
            self._queue.append(job)
        events: list[dict[str, Any]] = []
        with self.lock:
            while not job.done:
                events += self._write(self._take(GROUP_MESSAGES, at_least_one=True))
        self.stream.publish(events)
        if job.error is not None:
            raise job.error

    def _take(self, room: int, *, at_least_one: bool = False) -> list[_Job]:
        """The batches waiting, oldest first, that fit in ``room`` messages (and the first one
        even if it does not, ``at_least_one``)."""
        group: list[_Job] = []
        with self._queue_lock:
            while self._queue and (
                len(self._queue[0].readings) <= room or (at_least_one and not group)
            ):
                job = self._queue.popleft()
                group.append(job)
                room -= len(job.readings)
        return group

    def _write(self, group: list[_Job]) -> list[dict[str, Any]]:
        """Commit ``group`` in one transaction, with the batches that arrive meanwhile; if
        that fails, each batch alone, so a batch's fault is its own caller's error only. The
        engine's memory is rebuilt after a failure (it must match what was stored)."""
        try:
            events = self._transaction(group, absorb=True)
        except Exception as exc:
            self.engine = self._fresh_engine()
            if len(group) == 1:
                group[0].error, group[0].done = exc, True
                return []
            events = []
            for job in group:
                try:
                    events += self._transaction([job], absorb=False)
                except Exception as alone:
                    self.engine = self._fresh_engine()
                    job.error = alone
                job.done = True
            return events
        for job in group:
            job.done = True
        return events

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """An ingest transaction. On SQLite, on ingest's own connection, kept open between
        batches: its page cache, holding the telemetry indexes' pages, stays warm (a pooled
        connection's is emptied whenever another connection has written); after a failure it
        is closed and the next batch opens a new one. On PostgreSQL (whose cache is the
        server's), on a pooled connection."""
        if self.db.dialect.name != "sqlite":
            with self.db.begin() as pooled:
                yield pooled
            return
        conn = self._writer
        if conn is None:
            conn = self.db.connect()
            conn.exec_driver_sql(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            # a reply means the batch is on disk: the WAL is synced at every commit (NORMAL,
            # the engine's default, survives a crash of the process but not of the machine);
            # one sync per transaction of grouped batches
            conn.exec_driver_sql("PRAGMA synchronous=FULL")
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
            conn.commit()
            self._writer = conn
        try:
            with conn.begin():
                yield conn
        except Exception:
            self._writer = None
            with contextlib.suppress(Exception):
                conn.close()
            raise

    def _transaction(self, group: list[_Job], *, absorb: bool) -> list[dict[str, Any]]:
        """Store ``group``'s messages, evaluate the rules, record alarms, commit. With
        ``absorb``, batches queued while it works join it (appended to ``group``) up to
        :data:`GROUP_MESSAGES` messages, so one commit (the cost that grows least with the
        batch: each device's index pages are written once) serves all."""
        from h2lane.ops.db import store

        received = ms(datetime.now(UTC))
        engine = self.engine
        raised: list[dict[str, Any]] = []  # alarm events, after the state events
        stamps: dict[datetime, int] = {}
        newest: dict[str, tuple[Reading, int, str]] = {}
        with self._writing() as conn:
            if self.stations_of is not None:
                engine.stations = self.stations_of(conn)
            room = GROUP_MESSAGES - sum(len(job.readings) for job in group)
            i = 0
            while i < len(group):
                job = group[i]
                i += 1
                reply = job.reply
                reply.alarms = []
                batch = next(self._batches)
                rows: list[tuple[Any, ...]] = []
                for _, r in job.readings:
                    t = stamps.get(r.time)
                    if t is None:
                        t = stamps[r.time] = ms(r.time)
                    rows.append((r.device, r.id, r.kind, t, received, batch, r.payload()))
                inserted = self._insert(conn, rows, batch)
                fresh: list[tuple[Reading, int, str]] = []
                seen: set[tuple[str, str]] = set()
                for (_, r), row in zip(job.readings, rows, strict=True):
                    k = (r.device, r.id)
                    if inserted is None:
                        fresh.append((r, row[3], row[6]))
                    elif k in inserted and k not in seen:
                        fresh.append((r, row[3], row[6]))
                        seen.add(k)
                reply.accepted = len(fresh)
                reply.duplicates = len(job.readings) - len(fresh)
                if job.audit is not None and fresh:
                    user, key = job.audit
                    store.audit(conn, user, "ingest", "telemetry", key or None, {
                        "accepted": reply.accepted, "duplicates": reply.duplicates,
                        "rejected": len(reply.rejected)})  # fmt: skip
                fresh.sort(key=lambda f: f[0].time)
                conditions: list[Condition] = []
                observe = engine.observe
                for f in fresh:
                    conditions += observe(f[0])
                    device = f[0].device
                    prev = newest.get(device)
                    if prev is None or f[1] >= prev[1]:
                        newest[device] = f
                raised += self._apply(conn, conditions, reply)
                if fresh:
                    latest = fresh[-1][0].time
                    self.clock = latest if self.clock is None else max(self.clock, latest)
                if absorb and i == len(group):  # batches that queued meanwhile join in
                    more = self._take(room)
                    group += more
                    room -= sum(len(j.readings) for j in more)
            events = self._states(conn, newest) + raised + self._refuels(conn)
        return events

    def _states(
        self, conn: Connection, newest: dict[str, tuple[Reading, int, str]]
    ) -> list[dict[str, Any]]:
        """Upsert each device's state from its newest message (an older message than the
        state stored never overwrites it); the state events, if anyone listens for them."""
        known = self._state_ms
        rows: list[tuple[str, str, int, str]] = []
        for device, (r, t, text) in newest.items():
            if t < known.get(device, t):
                continue  # an older message never overwrites the state
            known[device] = t
            rows.append((device, r.kind, t, text))
        if rows:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            conn.exec_driver_sql(
                f"INSERT INTO device_state (device, kind, t_ms, state) VALUES ({mark}, {mark}, {mark}, {mark}) "
                "ON CONFLICT (device) DO UPDATE SET kind = excluded.kind, t_ms = excluded.t_ms, "
                "state = excluded.state WHERE excluded.t_ms >= device_state.t_ms",
                rows,
            )
        if not self.stream.wants("state"):
            return []
        return [
            {"type": "state", "device": device, "kind": kind, "state": json.loads(text)}
            for device, kind, _, text in rows
        ]

    def _apply(
        self, conn: Connection, conditions: list[Condition], reply: IngestReply | None
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for c in conditions:
            key = key_text(c.key)
            if c.action == "raise":
                if conn.execute(select(alarms.c.id).where(alarms.c.open_key == key)).first():
                    continue
                aid = conn.execute(
                    insert(alarms)
                    .values(
                        rule=c.rule, level=c.level, device=c.device, subject=c.subject, state="active",
                        message=c.message, value=c.value, raised_ms=ms(c.time), notes=[], open_key=key,
                    )
                    .returning(alarms.c.id)
                ).scalar_one()  # fmt: skip
                if c.level in INCIDENT_LEVELS:
                    incident = self._incident(conn, c, aid)
                    conn.execute(
                        update(alarms).where(alarms.c.id == aid).values(incident_id=incident)
                    )
            else:
                row = conn.execute(select(alarms.c.id).where(alarms.c.open_key == key)).first()
                if row is None:
                    continue
                aid = row.id
                conn.execute(
                    update(alarms)
                    .where(alarms.c.id == aid)
                    .values(cleared_ms=ms(c.time), open_key=None)
                )
            alarm = _alarm_dict(conn.execute(select(alarms).where(alarms.c.id == aid)).one())
            event = {"type": "alarm", "action": c.action, "alarm": alarm}
            events.append(event)
            if reply is not None:
                reply.alarms.append({"action": c.action, "id": aid})
        return events

    def _incident(self, conn: Connection, c: Condition, alarm_id: int) -> int:
        entry = {"time": from_ms(ms(c.time)), "kind": "alarm", "alarm_id": alarm_id,
                 "level": c.level, "text": c.message}  # fmt: skip
        row = conn.execute(
            select(incidents).where(incidents.c.device == c.device, incidents.c.state == "open")
        ).first()
        if row is not None:
            timeline = [*(row.timeline or []), entry]
            values: dict[str, Any] = {"timeline": timeline}
            if INCIDENT_LEVELS.index(c.level) > INCIDENT_LEVELS.index(row.level):
                # the incident takes the level and the headline of its worst alarm
                values.update(
                    level=c.level, title=f"{c.level} at {c.device}: {c.message.split(':')[0]}"
                )
            conn.execute(update(incidents).where(incidents.c.id == row.id).values(**values))
            return int(row.id)
        affected: dict[str, Any] = {}
        if self.affected is not None:
            try:
                affected = self.affected(conn, c.device, c.time)
            except Exception as exc:  # an incident opens even when the plans cannot be read
                log.warning("affected trucks for %s: %s", c.device, exc)
                affected = {"error": f"could not list the trucks heading to {c.device}: {exc}"}
        return int(
            conn.execute(
                insert(incidents)
                .values(
                    device=c.device, level=c.level, state="open",
                    title=f"{c.level} at {c.device}: {c.message.split(':')[0]}",
                    opened_ms=ms(c.time), timeline=[entry], affected=affected,
                )
                .returning(incidents.c.id)
            ).scalar_one()
        )  # fmt: skip

    def _refuels(self, conn: Connection) -> list[dict[str, Any]]:
        events = []
        for f in self.engine.take_refuels():
            conn.execute(
                insert(refuel_events).values(
                    device=f.device, start_ms=ms(f.start), end_ms=ms(f.end), kg=f.kg, lat=f.lat,
                    lon=f.lon, station=f.station,
                )
            )  # fmt: skip
            events.append({"type": "refuel", "device": f.device, "station": f.station, "kg": round(f.kg, 2),
                           "end": from_ms(ms(f.end))})  # fmt: skip
        return events

    # --- the clock -------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Evaluate silence rules at ``now`` (default: the later of the wall clock and the
        newest telemetry time); returns and publishes the alarm events."""
        wall = datetime.now(CHINA)
        when = now or (max(wall, self.clock) if self.clock else wall)
        with self.lock:
            conditions = self.engine.tick(when)
            if not conditions:
                return []
            try:
                with self.db.begin() as conn:
                    events = self._apply(conn, conditions, None)
            except Exception:
                self.engine = self._fresh_engine()
                raise
        self.stream.publish(events)
        return events

    def start_ticker(self, every_s: float) -> None:
        if every_s <= 0 or self._ticker is not None:
            return

        def run() -> None:
            while not self._stop.wait(every_s):
                try:
                    self.tick()
                except Exception as exc:  # keep ticking; the next tick retries
                    log.warning("alarm tick failed: %s", exc)

        self._ticker = threading.Thread(target=run, name="h2lane-alarm-tick", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Stop the alarm clock and close ingest's connection."""
        self._stop.set()
        with self.lock:
            conn, self._writer = self._writer, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def out_of_service(self) -> set[str]:
        """Devices with a critical or emergency condition open (stations: no refuelling there)."""
        return {key[1] for key in self.engine.active if key[3] in INCIDENT_LEVELS}

    # --- reads and the lifecycle -----------------------------------------------------------

    def list_alarms(
        self, state: str | None, device: str | None, limit: int, offset: int
    ) -> dict[str, Any]:
        where = []
        if state:
            where.append(alarms.c.state == state)
        if device:
            where.append(alarms.c.device == device)
        with self.db.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(alarms).where(*where)
            ).scalar_one()
            rows = conn.execute(
                select(alarms).where(*where).order_by(desc(alarms.c.id)).limit(limit).offset(offset)
            ).all()
        return {
            "items": [_alarm_dict(r) for r in rows],
            "total": int(total),
            "limit": limit,
            "offset": offset,
        }

    def get_alarm(self, alarm_id: int) -> dict[str, Any]:
        with self.db.connect() as conn:
            row = conn.execute(select(alarms).where(alarms.c.id == alarm_id)).first()
        if row is None:
            raise UnknownAlarmError(f"no alarm has id {alarm_id}")
        return _alarm_dict(row)

    def transition(self, alarm_id: int, action: str, user: str, note: str = "") -> dict[str, Any]:
        """Acknowledge or resolve an alarm (409 when its state does not allow it)."""
        now = datetime.now(CHINA)
        with self.lock, self.db.begin() as conn:
            row = conn.execute(select(alarms).where(alarms.c.id == alarm_id)).first()
            if row is None:
                raise UnknownAlarmError(f"no alarm has id {alarm_id}")
            notes = list(row.notes or [])
            if note:
                notes.append({"time": from_ms(ms(now)), "by": user, "note": note})
            state = next_state(alarm_id, row.state, action)
            who, when = (
                ("acknowledged_by", "acknowledged_ms")
                if action == "ack"
                else ("resolved_by", "resolved_ms")
            )
            values = {"state": state, who: user, when: ms(now)}
            conn.execute(
                update(alarms).where(alarms.c.id == alarm_id).values(notes=notes, **values)
            )
            if row.incident_id is not None:
                self._timeline(conn, int(row.incident_id), {
                    "time": from_ms(ms(now)), "kind": state,
                    "alarm_id": alarm_id, "by": user, "text": note,
                })  # fmt: skip
            alarm = _alarm_dict(conn.execute(select(alarms).where(alarms.c.id == alarm_id)).one())
        self.stream.publish([{"type": "alarm", "action": action, "alarm": alarm}])
        return alarm

    def _timeline(self, conn: Connection, incident_id: int, entry: dict[str, Any]) -> None:
        row = conn.execute(select(incidents.c.timeline).where(incidents.c.id == incident_id)).one()
        conn.execute(
            update(incidents)
            .where(incidents.c.id == incident_id)
            .values(timeline=[*(row.timeline or []), entry])
        )

    def list_incidents(self, state: str | None, limit: int, offset: int) -> dict[str, Any]:
        where = [incidents.c.state == state] if state else []
        with self.db.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(incidents).where(*where)
            ).scalar_one()
            rows = conn.execute(
                select(incidents)
                .where(*where)
                .order_by(desc(incidents.c.id))
                .limit(limit)
                .offset(offset)
            ).all()
        return {
            "items": [_incident_dict(r) for r in rows],
            "total": int(total),
            "limit": limit,
            "offset": offset,
        }

    def get_incident(self, incident_id: int) -> dict[str, Any]:
        with self.db.connect() as conn:
            row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
            if row is None:
                raise UnknownIncidentError(f"no incident has id {incident_id}")
            doc = _incident_dict(row)
            doc["alarms"] = [
                _alarm_dict(a)
                for a in conn.execute(
                    select(alarms).where(alarms.c.incident_id == incident_id).order_by(alarms.c.id)
                )
            ]
        return doc

    def incident_note(self, incident_id: int, user: str, kind: str, text: str) -> dict[str, Any]:
        """Add a note or an action taken; ``kind = "close"`` closes the incident."""
        now = datetime.now(CHINA)
        with self.lock, self.db.begin() as conn:
            row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
            if row is None:
                raise UnknownIncidentError(f"no incident has id {incident_id}")
            if row.state == "closed":
                raise AlarmStateError(f"incident {incident_id} is closed")
            self._timeline(
                conn,
                incident_id,
                {"time": from_ms(ms(now)), "kind": kind, "by": user, "text": text},
            )
            if kind == "close":
                conn.execute(
                    update(incidents)
                    .where(incidents.c.id == incident_id)
                    .values(state="closed", closed_ms=ms(now), closed_by=user)
                )
        doc = self.get_incident(incident_id)
        self.stream.publish(
            [{"type": "incident", "incident": {k: v for k, v in doc.items() if k != "alarms"}}]
        )
        return doc

    def state(self, device: str) -> dict[str, Any] | None:
        with self.db.connect() as conn:
            row = conn.execute(select(device_state).where(device_state.c.device == device)).first()
            if row is None:
                return None
            active = conn.execute(
                select(alarms)
                .where(alarms.c.device == device, alarms.c.state != "resolved")
                .order_by(alarms.c.id)
            ).all()
        return {"device": device, "kind": row.kind, "time": from_ms(row.t_ms), "state": json.loads(row.state),
                "alarms": [_alarm_dict(a) for a in active]}  # fmt: skip

    def states(self, kind: str | None = None) -> list[dict[str, Any]]:
        where = [device_state.c.kind == kind] if kind else []
        with self.db.connect() as conn:
            rows = conn.execute(
                select(device_state).where(*where).order_by(device_state.c.device)
            ).all()
        return [
            {
                "device": r.device,
                "kind": r.kind,
                "time": from_ms(r.t_ms),
                "state": json.loads(r.state),
            }
            for r in rows
        ]

    def history(
        self,
        device: str,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        offset: int = 0,
    ) -> dict[str, Any]:
        where = [telemetry.c.device == device]
        if since is not None:
            where.append(telemetry.c.t_ms >= ms(since))
        if until is not None:
            where.append(telemetry.c.t_ms <= ms(until))
        with self.db.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(telemetry).where(*where)
            ).scalar_one()
            rows = conn.execute(
                select(telemetry.c.payload).where(*where).order_by(telemetry.c.t_ms, telemetry.c.pk)
                .limit(limit).offset(offset)
            ).all()  # fmt: skip
        return {
            "items": [json.loads(r.payload) for r in rows],
            "total": int(total),
            "limit": limit,
            "offset": offset,
        }

    def refuels(self, device: str | None = None) -> list[dict[str, Any]]:
        where = [refuel_events.c.device == device] if device else []
        with self.db.connect() as conn:
            rows = conn.execute(
                select(refuel_events).where(*where).order_by(refuel_events.c.start_ms)
            ).all()
        return [
            {"device": r.device, "start": from_ms(r.start_ms), "end": from_ms(r.end_ms), "kg": r.kg,
             "lat": r.lat, "lon": r.lon, "station": r.station}
            for r in rows
        ]  # fmt: skip


class UnknownIncidentError(InputError):
    """No incident has that id (HTTP 404)."""

    http_status = 404
