"""Database tables (SQLAlchemy 2). The Alembic migrations in ``migrations/`` create them.

One table per scenario section with one column per field of the scenario model
(:mod:`h2lane.scenario.model`; times as ISO 8601 text with the offset, so they read back
exactly on SQLite and PostgreSQL), the scenario's own name/description/roads, users with
hashed tokens, the audit log, plan jobs and emissions runs.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from h2lane.scenario.model import KEY_FIELD, SECTIONS

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _column_type(kind: Any) -> Any:
    if get_origin(kind) in (Union, types.UnionType):
        kind = next(a for a in get_args(kind) if a is not type(None))
    if kind is float:
        return Float()
    if kind is int:
        return Integer()
    if kind is datetime:
        return String(40)
    return Text()


def _section_table(section: str, cls: type) -> Table:
    hints = get_type_hints(cls)
    key = KEY_FIELD[cls]
    columns = [Column("pk", Integer, primary_key=True, autoincrement=True)]
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING
        kind: Any = String(200) if f.name == key else _column_type(hints[f.name])
        columns.append(Column(f.name, kind, nullable=not required or f.name != key))
    return Table(section, metadata, *columns, UniqueConstraint(key))


SECTION_TABLES: dict[str, Table] = {s: _section_table(s, c) for s, c in SECTIONS.items()}

scenario_meta = Table(
    "scenario_meta",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("roads", Text, nullable=False, default="north-china"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("stations", JSON, nullable=False, default=list),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("user_name", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("action", String(40), nullable=False),
    Column("resource", String(80), nullable=False),
    Column("key", Text, nullable=True),
    Column("changes", JSON, nullable=False, default=dict),
    # the scenario version (newest scenario write) in one lookup among every batch's audit row
    Index("ix_audit_log_resource_id", "resource", "id"),
)

plan_jobs = Table(
    "plan_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("request", JSON, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("progress", Float, nullable=False, default=0.0),
    Column("task", Text, nullable=False, default=""),
    Column("result", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("worker_pid", Integer, nullable=True),
    Column("supervisor_pid", Integer, nullable=True),
)

emission_runs = Table(
    "emission_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("source", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("document", JSON, nullable=False),
    Column("ileap", JSON, nullable=True),
    Column("report_html", Text, nullable=True),
)
