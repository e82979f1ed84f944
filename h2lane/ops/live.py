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
import functools
import itertools
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, desc, func, insert, select, update
from sqlalchemy.engine import Engine

from h2lane.errors import H2laneError, InputError
from h2lane.ops.alarms.engine import (
    AlarmEngine,
    Condition,
    NextStopQuery,
    ReachQuery,
    ReachVerdict,
)
from h2lane.ops.alarms.lifecycle import AlarmStateError, UnknownAlarmError
from h2lane.ops.alarms.rules import default_rules, load_rules
from h2lane.ops.db.live_tables import (
    alarm_rules,
    alarms,
    device_state,
    incidents,
    refuel_events,
    telemetry,
)
from h2lane.ops.telemetry.messages import Reading, decode_batch, parse_batch
from h2lane.params import FCET_H2_LOADED
from h2lane.roads.geo import haversine_km
from h2lane.timeutil import CHINA

log = logging.getLogger("h2lane.ops.live")

INCIDENT_LEVELS = ("critical", "emergency")
ALARM_STATES = ("active", "acknowledged", "resolved")


def ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def from_ms(value: int | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, tz=CHINA).isoformat(timespec="seconds")


def key_text(key: tuple[str, str, str, str]) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class Broadcaster:
    """Fan-out of live events to stream subscribers (asyncio queues), from any thread."""

    def __init__(self, maxsize: int = 10_000) -> None:
        self.maxsize = maxsize
        self._subs: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []
        self._lock = threading.Lock()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.maxsize)
        with self._lock:
            self._subs.append((asyncio.get_running_loop(), q))
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s[1] is not q]

    def publish(self, events: Iterable[dict[str, Any]]) -> None:
        events = list(events)
        if not events:
            return
        with self._lock:
            subs = list(self._subs)
        for loop, q in subs:
            for ev in events:
                try:
                    loop.call_soon_threadsafe(_offer, q, ev)
                except RuntimeError:  # the subscriber's loop has closed
                    self.unsubscribe(q)
                    break


def _offer(q: asyncio.Queue[dict[str, Any]], ev: dict[str, Any]) -> None:
    if q.full():
        return  # a slow subscriber loses events rather than stalling ingest
    q.put_nowait(ev)


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
            self.engine.rules = rules
            self.engine._by_kind = {}
            for rule in rules:
                self.engine._by_kind.setdefault(rule.kind, []).append(rule)
        return {**stored, "version": version}

    def _fresh_engine(self) -> AlarmEngine:
        with self.db.connect() as conn:
            rules = load_rules(self.rules_document(conn))
            engine = AlarmEngine(
                rules,
                reach=self.reach,
                next_stop=self.next_stop,
                kg_per_100km=self.kg_per_100km,
            )
            for row in conn.execute(select(alarms).where(alarms.c.open_key.is_not(None))):
                key = tuple(json.loads(row.open_key))
                engine.active[key] = Condition(
                    "raise", row.rule, row.level, row.device, row.subject,
                    datetime.fromtimestamp(row.raised_ms / 1000, tz=CHINA), row.message, row.value,
                )  # fmt: skip
            for row in conn.execute(select(device_state)):
                when = datetime.fromtimestamp(row.t_ms / 1000, tz=CHINA)
                engine.newest[row.device] = when
                engine.kinds[row.device] = row.kind
                for tag, value in (json.loads(row.state).get("detectors") or {}).items():
                    if value is not None:
                        engine.detector_seen[(row.device, tag)] = when
        return engine

    # --- ingest -----------------------------------------------------------------------------

    def ingest_body(self, body: bytes, content_type: str, user: dict[str, Any]) -> IngestReply:
        """Decode, validate, authorise per device and ingest one HTTP body."""
        items = decode_batch(body, content_type)
        return self.ingest_items(items, user)

    def ingest_items(self, items: list[Any], user: dict[str, Any]) -> IngestReply:
        batch = parse_batch(items)
        reply = IngestReply(rejected=batch.rejected)
        readings: list[tuple[int, Reading]] = []
        own = set(user.get("stations") or [])
        for index, reading in batch.readings:
            if user["role"] == "device" and reading.device not in own:
                reply.rejected.append(
                    {
                        "index": index,
                        "error": f"device {reading.device!r} is not one of this token's devices",
                    }
                )
            else:
                readings.append((index, reading))
        reply.rejected.sort(key=lambda r: r["index"])
        if readings:
            self._ingest(readings, reply)
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
        result = conn.exec_driver_sql(sql, rows)  # one executemany on the driver
        if result.rowcount == len(rows):
            return None
        got = conn.execute(
            select(telemetry.c.device, telemetry.c.msg_id).where(telemetry.c.batch == batch)
        )
        return {(r[0], r[1]) for r in got}

    def _ingest(self, readings: list[tuple[int, Reading]], reply: IngestReply) -> None:
        received = ms(datetime.now(UTC))
        docs = [r.as_dict() for _, r in readings]
        texts = [json.dumps(d, separators=(",", ":")) for d in docs]
        events: list[dict[str, Any]] = []
        with self.lock:
            batch = next(self._batches)
            rows = [
                (r.device, r.id, r.kind, ms(r.time), received, batch, text)
                for (_, r), text in zip(readings, texts, strict=True)
            ]
            try:
                with self.db.begin() as conn:
                    if self.stations_of is not None:
                        self.engine.stations = self.stations_of(conn)
                    inserted = self._insert(conn, rows, batch)
                    fresh: list[tuple[Reading, dict[str, Any], str]] = []
                    seen: set[tuple[str, str]] = set()
                    for (_, r), doc, text in zip(readings, docs, texts, strict=True):
                        k = (r.device, r.id)
                        if (inserted is None or k in inserted) and k not in seen:
                            fresh.append((r, doc, text))
                            seen.add(k)
                    reply.accepted = len(fresh)
                    reply.duplicates = len(readings) - len(fresh)
                    fresh.sort(key=lambda f: f[0].time)
                    conditions: list[Condition] = []
                    for r, _, _ in fresh:
                        conditions += self.engine.observe(r)
                    events += self._states(conn, fresh)
                    events += self._apply(conn, conditions, reply)
                    events += self._refuels(conn)
                    if fresh:
                        latest = fresh[-1][0].time
                        self.clock = latest if self.clock is None else max(self.clock, latest)
            except Exception:
                self.engine = self._fresh_engine()  # the memory must match what was stored
                raise
        self.stream.publish(events)

    def _states(
        self, conn: Connection, fresh: list[tuple[Reading, dict[str, Any], str]]
    ) -> list[dict[str, Any]]:
        newest: dict[str, tuple[Reading, dict[str, Any], str]] = {}
        for f in fresh:
            r = f[0]
            if r.device not in newest or r.time >= newest[r.device][0].time:
                newest[r.device] = f
        if not newest:
            return []
        current = {
            row.device: row.t_ms
            for row in conn.execute(
                select(device_state.c.device, device_state.c.t_ms).where(
                    device_state.c.device.in_(list(newest))
                )
            )
        }
        events = []
        rows: list[tuple[str, str, int, str]] = []
        for device, (r, doc, text) in newest.items():
            t = ms(r.time)
            if device in current and t < current[device]:
                continue  # an older message never overwrites the state
            rows.append((device, r.kind, t, text))
            events.append({"type": "state", "device": device, "kind": r.kind, "state": doc})
        if rows:
            mark = "%s" if conn.dialect.name == "postgresql" else "?"
            conn.exec_driver_sql(
                f"INSERT INTO device_state (device, kind, t_ms, state) VALUES ({mark}, {mark}, {mark}, {mark}) "
                "ON CONFLICT (device) DO UPDATE SET kind = excluded.kind, t_ms = excluded.t_ms, "
                "state = excluded.state WHERE excluded.t_ms >= device_state.t_ms",
                rows,
            )
        return events

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
        self._stop.set()

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
            if action == "ack":
                if row.state != "active":
                    raise AlarmStateError(
                        f"alarm {alarm_id} is {row.state}: only an active alarm can be acknowledged"
                    )
                values = {
                    "state": "acknowledged",
                    "acknowledged_by": user,
                    "acknowledged_ms": ms(now),
                }
            else:
                if row.state == "resolved":
                    raise AlarmStateError(f"alarm {alarm_id} is already resolved")
                values = {"state": "resolved", "resolved_by": user, "resolved_ms": ms(now)}
            conn.execute(
                update(alarms).where(alarms.c.id == alarm_id).values(notes=notes, **values)
            )
            if row.incident_id is not None:
                self._timeline(conn, int(row.incident_id), {
                    "time": from_ms(ms(now)), "kind": "acknowledged" if action == "ack" else "resolved",
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


ROAD_FACTOR_APPROX = 1.3
"""Road km ÷ straight-line km used for alternatives when no road query is given (typical
detour factor for trunk roads, K)."""


def scenario_stations(conn: Connection) -> dict[str, tuple[float, float]]:
    """Station positions of the scenario the database holds (for matching detected refuels)."""
    from h2lane.ops.db.models import SECTION_TABLES

    table = SECTION_TABLES["stations"]
    return {
        r.id: (float(r.lat), float(r.lon))
        for r in conn.execute(select(table.c.id, table.c.lat, table.c.lon))
        if r.lat is not None and r.lon is not None
    }


def affected_trucks(conn: Connection, station: str, when: datetime) -> dict[str, Any]:
    """Trucks heading to ``station`` on stored plans, and the nearest alternatives for each.

    A truck is heading there if a finished plan job (newest first, one plan per truck) has a
    refuelling stop at the station and no refuel of that truck at the station has been
    detected since. Alternatives: the other scenario stations nearest to the truck's last
    reported position (straight line × 1.3, marked approximate), with whether its hydrogen
    reaches them keeping a 2 kg reserve.
    """
    from h2lane.ops.db.models import SECTION_TABLES, plan_jobs

    table = SECTION_TABLES["stations"]
    stations = {
        r.id: (r.lat, r.lon, r.name)
        for r in conn.execute(select(table.c.id, table.c.lat, table.c.lon, table.c.name))
    }
    refuelled = {
        r.device
        for r in conn.execute(
            select(refuel_events.c.device).where(refuel_events.c.station == station)
        )
    }
    heading: dict[str, dict[str, Any]] = {}
    jobs = conn.execute(
        select(plan_jobs.c.id, plan_jobs.c.result).where(plan_jobs.c.status == "done")
        .order_by(desc(plan_jobs.c.finished_at)).limit(100)
    ).all()  # fmt: skip
    for job in jobs:
        for i, route in enumerate((job.result or {}).get("routes", [])):
            truck = route.get("truck_id") or f"truck-{i + 1}"
            if truck in heading or truck in refuelled:
                continue
            stop = next((s for s in route.get("stops", []) if s.get("station_id") == station), None)
            if stop is None:
                continue
            rate = ((route.get("truck") or {}).get("kg_per_100km") or 9.0) / 100.0
            heading[truck] = {"truck": truck, "plan": job.id, "planned_arrive": stop.get("arrive"),
                              "planned_refuel_kg": stop.get("refuel_kg"), "rate": rate}  # fmt: skip
    states = {
        r.device: json.loads(r.state)
        for r in conn.execute(select(device_state).where(device_state.c.device.in_(list(heading))))
    } if heading else {}  # fmt: skip
    trucks = []
    for truck, info in heading.items():
        rate = info.pop("rate")
        state = states.get(truck)
        entry: dict[str, Any] = {**info, "position": None, "h2_kg": None, "alternatives": []}
        if state and state.get("lat") is not None:
            pos = (float(state["lat"]), float(state["lon"]))
            h2 = float(state.get("h2_kg") or 0.0)
            entry["position"], entry["h2_kg"] = [pos[0], pos[1]], h2
            options = sorted(
                (float(haversine_km(pos[0], pos[1], lat, lon)) * ROAD_FACTOR_APPROX, sid, name)
                for sid, (lat, lon, name) in stations.items()
                if sid != station and lat is not None and lon is not None
            )[:3]
            entry["alternatives"] = [
                {"station": sid, "name": name, "km": round(km, 1), "approximate": True,
                 "reachable": h2 - 2.0 >= km * rate}
                for km, sid, name in options
            ]  # fmt: skip
        trucks.append(entry)
    return {
        "station": station,
        "name": stations.get(station, (None, None, station))[2],
        "trucks": trucks,
    }


class ScenarioReach:
    """The range rule's query on the database's scenario: can this truck reach a station?

    A :class:`~h2lane.routing.reach.StationReach` table over the scenario's road graph and
    stations, rebuilt when the stations change; consumption is the truck's type's (loaded)
    kg/100 km, else the Pengfei default. A station out of service — one with a critical or
    emergency alarm open (a leak, an ESD) — does not count; opening hours do (a truck may wait
    for a station to open: that is the trip planner's business, not an alarm). The ``k = 5``
    nearest stations by road are looked at.
    """

    K = 5

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._key: tuple[Any, ...] | None = None
        self._reach: Any = None
        self._rates: dict[str, float] = {}
        self._lock = threading.Lock()
        self._checked = 0.0
        self.out_of_service: Callable[[], set[str]] = set

    def _refresh(self) -> None:
        from h2lane.ops.db import store
        from h2lane.roads.graph import RoadGraph
        from h2lane.routing.reach import StationReach

        now = time.monotonic()
        if self._reach is not None and now - self._checked < 30.0:
            return
        self._checked = now
        with self.db.connect() as conn:
            scenario = store.load_scenario(conn)
        key = (scenario.roads, tuple((s.id, s.lat, s.lon) for s in scenario.stations))
        types = {t.id: t for t in scenario.truck_types}
        self._rates = {t.id: types[t.type].kg_per_100km for t in scenario.trucks if t.type in types}
        if key == self._key:
            return
        # the graph's own arrays only: no contraction hierarchy, whose queries are bound to the
        # thread that made them (ingest runs on any thread of the pool)
        self._reach = StationReach(RoadGraph.load(scenario.roads), scenario.stations, k=self.K)
        self._key = key

    def rate(self, device: str) -> float:
        """kg H2 per 100 km of the truck's type (loaded), else the Pengfei default."""
        return self._rates.get(device, FCET_H2_LOADED.value)

    def __call__(self, r: Reading, reserve_kg: float) -> ReachVerdict | None:
        if r.lat is None or r.lon is None or r.h2_kg is None:
            return None
        with self._lock:
            try:
                self._refresh()
            except Exception as exc:  # no scenario or graph: the rule stays silent, and says why
                log.warning("range rule: %s", exc)
                return None
            if self._reach is None or not self._reach.ids:
                return None
            try:
                result = self._reach.query((r.lat, r.lon), r.h2_kg, self.rate(r.device), reserve_kg)
            except H2laneError:
                return None  # off the road graph
        usable = max(0.0, r.h2_kg - reserve_kg)
        down = self.out_of_service()
        candidates = [n for n in result.nearest if n[0] not in down]
        for sid, km, kg in candidates:
            if kg <= usable + 1e-9:
                return ReachVerdict(True, sid, km, kg)
        if candidates:
            sid, km, kg = candidates[0]
            return ReachVerdict(False, sid, km, kg)
        return ReachVerdict(False)


class PlannedStops:
    """The range warning's query: road km from a truck to its next planned refuelling stop.

    The truck's plan is the newest finished plan job with a route for it; the route's road
    polyline is drawn once per plan (on ``run_on_graph``, the thread that may use the road
    graph's hierarchy) and each position is projected onto it, never going back along it, as
    plan versus actual does. No plan, or past its last stop: no answer (the rule stays quiet).
    """

    def __init__(self, db: Engine, run_on_graph: Callable[[Callable[[], Any]], Any]) -> None:
        self.db, self.run_on_graph = db, run_on_graph
        self._plans: dict[str, tuple[str, Any, list[tuple[float, str]]]] = {}
        self._at: dict[str, tuple[str, int, float]] = {}  # truck → (job, segment, line km)
        self._checked = 0.0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        from h2lane.ops.db.models import plan_jobs

        now = time.monotonic()
        if now - self._checked < 60.0:
            return
        self._checked = now
        with self.db.connect() as conn:
            jobs = conn.execute(
                select(plan_jobs.c.id, plan_jobs.c.result).where(plan_jobs.c.status == "done")
                .order_by(desc(plan_jobs.c.finished_at)).limit(20)
            ).all()  # fmt: skip
        known = {job for job, _, _ in self._plans.values()}
        for job in reversed(jobs):  # oldest first: the newest plan of a truck wins
            doc = job.result or {}
            if job.id in known or not doc.get("routes"):
                continue
            try:
                _, _, trucks = self.run_on_graph(functools.partial(_planned, doc))
            except Exception as exc:  # a plan without clock times or off the graph: skip it
                log.info("plan %s has no replayable routes: %s", job.id, exc)
                continue
            for t in trucks:
                stops = sorted(
                    (float(s["km_from_start"]), s["station_id"])
                    for s in doc["routes"][t.route]["stops"]
                )
                self._plans[t.device] = (job.id, t, stops)

    def __call__(self, r: Reading) -> tuple[str, float] | None:
        if r.lat is None or r.lon is None:
            return None
        with self._lock:
            try:
                self._refresh()
            except Exception as exc:
                log.warning("next-stop rule: %s", exc)
                return None
            plan = self._plans.get(r.device)
            if plan is None:
                return None
            job, truck, stops = plan
            prev = self._at.get(r.device)
            seg, at = (prev[1], prev[2]) if prev and prev[0] == job else (0, 0.0)
            seg, at = _advance(truck, seg, at, r.lat, r.lon)
            self._at[r.device] = (job, seg, at)
        km_now = at / truck.scale if truck.scale > 0 else 0.0
        for km, station in stops:
            if km > km_now + 0.5:
                return station, km - km_now
        return None


def _planned(doc: dict[str, Any]) -> Any:
    """The plan's trucks on the road graph (call on the road-graph thread)."""
    from h2lane.ops.api.deps import graph_for
    from h2lane.ops.replay import plan_trucks

    return plan_trucks(doc, graph_for(doc.get("road_graph") or "north-china"))


def _advance(truck: Any, seg: int, at: float, lat: float, lon: float) -> tuple[int, float]:
    """Project one position on the truck's polyline from ``(seg, at)`` onwards (nearest segment
    within 50 km further along; never back)."""
    import numpy as np

    line, line_km = truck.line, truck.line_km
    coslat = math.cos(math.radians(float(line[seg, 0])))
    end = min(len(line) - 1, int(np.searchsorted(line_km, at + 50.0 * truck.scale, "right")) + 1)
    end = max(end, min(seg + 1, len(line) - 1))
    ax, ay = line[seg:end, 1] * coslat, line[seg:end, 0]
    bx, by = line[seg + 1 : end + 1, 1] * coslat, line[seg + 1 : end + 1, 0]
    px, py = lon * coslat, lat
    dx, dy = bx - ax, by - ay
    l2 = dx * dx + dy * dy
    t = np.clip(
        np.where(l2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(l2 > 0, l2, 1.0), 0.0),
        0.0,
        1.0,
    )
    d2 = (ax + t * dx - px) ** 2 + (ay + t * dy - py) ** 2
    if len(d2) == 0:
        return seg, at
    k = int(np.argmin(d2))
    km = float(line_km[seg + k] + t[k] * (line_km[seg + k + 1] - line_km[seg + k]))
    return (seg + k, km) if km >= at else (seg, at)
