"""Tables of live operations: telemetry, device state, alarm rules, alarms, incidents, refuels.

Migration ``0003`` creates them. Times that are queried by range are epoch milliseconds
(``*_ms``, exact and ordered the same on SQLite and PostgreSQL); a message and a device's
state are kept as their JSON text (serialised once, on ingest); ``batch`` marks the rows one
ingest call inserted. ``alarms.open_key`` holds the episode key while the condition lasts and is
unique, so an episode is raised once even if two writers race.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from h2lane.ops.db.models import metadata

telemetry = Table(
    "telemetry",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("device", String(200), nullable=False),
    Column("msg_id", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("t_ms", BigInteger, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Column("batch", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    UniqueConstraint("device", "msg_id", name="uq_telemetry_device_msg"),
    Index("ix_telemetry_device_t", "device", "t_ms"),
)

device_state = Table(
    "device_state",
    metadata,
    Column("device", String(200), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("t_ms", BigInteger, nullable=False),
    Column("state", Text, nullable=False),
)

alarm_rules = Table(
    "alarm_rules",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("document", JSON, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

alarms = Table(
    "alarms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(100), nullable=False),
    Column("level", String(20), nullable=False),
    Column("device", String(200), nullable=False, index=True),
    Column("subject", String(200), nullable=False, default=""),
    Column("state", String(20), nullable=False, index=True),
    Column("message", Text, nullable=False),
    Column("value", Float, nullable=True),
    Column("raised_ms", BigInteger, nullable=False),
    Column("cleared_ms", BigInteger, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("acknowledged_ms", BigInteger, nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("resolved_ms", BigInteger, nullable=True),
    Column("notes", JSON, nullable=False, default=list),
    Column("incident_id", Integer, nullable=True, index=True),
    Column("open_key", String(700), nullable=True, unique=True),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device", String(200), nullable=False, index=True),
    Column("level", String(20), nullable=False),
    Column("state", String(20), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("opened_ms", BigInteger, nullable=False),
    Column("closed_ms", BigInteger, nullable=True),
    Column("closed_by", String(200), nullable=True),
    Column("timeline", JSON, nullable=False, default=list),
    Column("affected", JSON, nullable=False, default=dict),
)

refuel_events = Table(
    "refuel_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device", String(200), nullable=False, index=True),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("kg", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("station", String(200), nullable=True),
)

LIVE_TABLES = (telemetry, device_state, alarm_rules, alarms, incidents, refuel_events)
