"""Queries: the scenario held in the database, users and tokens, the audit log, plan jobs."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, asc, delete, desc, func, insert, or_, select, update

from h2lane.app import records
from h2lane.errors import OptionError
from h2lane.ops.db.models import (
    SECTION_TABLES,
    audit_log,
    emission_runs,
    plan_jobs,
    scenario_meta,
    users,
)
from h2lane.scenario.model import SECTIONS, Scenario

ROLES = ("admin", "dispatcher", "station-operator", "auditor", "device")
TOKEN_PREFIX = "h2l_"
EMPTY_SCENARIO = "h2lane"


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes; make every datetime aware (UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# --- the scenario -------------------------------------------------------------------------


TOTAL = "_h2lane_total"


def row_dict(row: Any) -> dict[str, Any]:
    """A section row as the record's JSON-ready mapping (without the surrogate key)."""
    data = dict(row._mapping)
    data.pop("pk", None)
    data.pop(TOTAL, None)
    return data


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def scenario_header(conn: Connection) -> dict[str, str]:
    row = conn.execute(select(scenario_meta).where(scenario_meta.c.id == 1)).first()
    if row is None:
        return {"name": EMPTY_SCENARIO, "description": "", "roads": "north-china"}
    return {"name": row.name, "description": row.description, "roads": row.roads}


def load_scenario(conn: Connection) -> Scenario:
    """The scenario the database holds, every record parsed by the scenario model."""
    head = scenario_header(conn)
    scenario = Scenario(name=head["name"], description=head["description"], roads=head["roads"])
    for section, table in SECTION_TABLES.items():
        rows = conn.execute(select(table).order_by(table.c.pk)).all()
        setattr(
            scenario,
            section,
            [records.parse_item(section, _clean(row_dict(r)), file=head["name"]) for r in rows],
        )
    return scenario


def replace_scenario(conn: Connection, scenario: Scenario) -> dict[str, int]:
    """Replace everything the database holds of the scenario; returns counts per section."""
    _scenario_write_lock(conn)
    conn.execute(delete(scenario_meta))
    conn.execute(
        insert(scenario_meta).values(
            id=1, name=scenario.name, description=scenario.description, roads=scenario.roads
        )
    )
    counts: dict[str, int] = {}
    for section in reversed(list(SECTIONS)):
        conn.execute(delete(SECTION_TABLES[section]))
    for section, table in SECTION_TABLES.items():
        rows = [records.record_dict(r) for r in getattr(scenario, section)]
        if rows:
            conn.execute(insert(table), rows)
        counts[section] = len(rows)
    return counts


SCENARIO_LOCK = 0x68326C61
"""PostgreSQL advisory lock key ('h2la') of scenario writes (see :func:`scenario_read_lock`)."""


def _scenario_write_lock(conn: Connection) -> None:
    """On PostgreSQL, hold the scenario lock exclusively until the transaction ends: taken by
    every scenario write before its audit entry gets an id, so ids of scenario writes are
    handed out only while no cached read is being filled (SQLite writes one at a time)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(SCENARIO_LOCK)))


def scenario_read_lock(conn: Connection) -> bool:
    """Whether no scenario write is in flight, holding that true until the transaction ends
    (PostgreSQL: the scenario lock shared, if free; SQLite: always true, one writer at a
    time). A read may be cached under :func:`data_version` only when this was true."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(select(func.pg_try_advisory_xact_lock_shared(SCENARIO_LOCK))).scalar())


_VERSION = select(func.max(audit_log.c.id))


def data_version(conn: Connection) -> int:
    """The newest audit entry's id: it grows with every write to the scenario (each is
    audited in its own transaction), and with other audited writes too."""
    return int(conn.execute(_VERSION).scalar() or 0)


def list_records(
    conn: Connection,
    section: str,
    *,
    filters: dict[str, Any],
    q: str | None,
    sort: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of a section's records with equality filters, a text search and a sort."""
    table = SECTION_TABLES[section]
    where = [table.c[name] == value for name, value in filters.items()]
    if q:
        key = records.key_field(section)
        text_cols = [table.c[key]] + ([table.c.name] if "name" in table.c and key != "name" else [])
        pattern = f"%{q.lower()}%"
        where.append(or_(*(func.lower(c).like(pattern) for c in text_cols)))
    # the total rides on the page's rows (one query); an empty page counts on its own
    query = select(table, func.count().over().label(TOTAL)).where(*where)
    if sort:
        name = sort.lstrip("-")
        if name not in table.c or name == "pk":
            raise OptionError(f"sort: unknown field '{name}'", {"field": ["query", "sort"]})
        query = query.order_by(desc(table.c[name]) if sort.startswith("-") else asc(table.c[name]))
    rows = conn.execute(query.order_by(table.c.pk).limit(limit).offset(offset)).all()
    if rows:
        total = rows[0]._mapping[TOTAL]
    else:
        total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    return [row_dict(r) for r in rows], int(total)


def get_record(conn: Connection, section: str, key: str) -> dict[str, Any] | None:
    table = SECTION_TABLES[section]
    row = conn.execute(select(table).where(table.c[records.key_field(section)] == key)).first()
    return None if row is None else row_dict(row)


def insert_record(conn: Connection, section: str, data: dict[str, Any]) -> None:
    _scenario_write_lock(conn)
    conn.execute(insert(SECTION_TABLES[section]).values(**data))


def update_record(conn: Connection, section: str, key: str, data: dict[str, Any]) -> None:
    _scenario_write_lock(conn)
    table = SECTION_TABLES[section]
    conn.execute(update(table).where(table.c[records.key_field(section)] == key).values(**data))


def delete_record(conn: Connection, section: str, key: str) -> None:
    _scenario_write_lock(conn)
    table = SECTION_TABLES[section]
    conn.execute(delete(table).where(table.c[records.key_field(section)] == key))


# --- users and tokens ----------------------------------------------------------------------


def hash_token(token: str) -> str:
    """SHA-256 of a token (tokens are 256-bit random, so a fast hash suffices; never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    conn: Connection, name: str, role: str, stations: list[str] | None = None
) -> tuple[dict[str, Any], str]:
    """A new user and its API token (returned once; only its hash is stored)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise OptionError("the user name must be 1–200 characters", {"field": ["body", "name"]})
    if role not in ROLES:
        raise OptionError(
            f"--role must be one of {', '.join(ROLES)}, got '{role}'", {"field": ["body", "role"]}
        )
    stations = list(stations or [])
    if stations and role not in ("station-operator", "device"):
        raise OptionError("--station is for the station-operator and device roles")
    if role == "station-operator" and not stations:
        raise OptionError("a station-operator needs at least one --station ID")
    if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
        raise OptionError(f"a user named '{name}' exists already", {"field": ["body", "name"]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = now()
    conn.execute(
        insert(users).values(
            name=name,
            role=role,
            stations=stations,
            token_hash=hash_token(token),
            created_at=created,
            disabled=False,
        )
    )
    return {"name": name, "role": role, "stations": stations, "created_at": created}, token


def user_by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    return user_by_token_hash(conn, hash_token(token))


def user_by_token_hash(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The enabled user whose token has this SHA-256, else None."""
    row = conn.execute(
        select(users).where(users.c.token_hash == token_hash, users.c.disabled.is_(False))
    ).first()
    return None if row is None else dict(row._mapping)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(users).order_by(users.c.id)).all()
    return [
        {
            "name": r.name,
            "role": r.role,
            "stations": r.stations,
            "created_at": aware(r.created_at),
            "disabled": r.disabled,
        }
        for r in rows
    ]


# --- audit log -----------------------------------------------------------------------------


def audit(
    conn: Connection,
    user: dict[str, Any],
    action: str,
    resource: str,
    key: str | None,
    changes: dict[str, Any],
) -> None:
    """Record one write: who, when, what, and the fields it changed (old → new)."""
    conn.execute(
        insert(audit_log).values(
            at=now(),
            user_name=user["name"],
            role=user["role"],
            action=action,
            resource=resource,
            key=key,
            changes=changes,
        )
    )


def list_audit(
    conn: Connection, *, limit: int, offset: int, resource: str | None, user: str | None
) -> tuple[list[dict[str, Any]], int]:
    where = []
    if resource:
        where.append(audit_log.c.resource == resource)
    if user:
        where.append(audit_log.c.user_name == user)
    total = conn.execute(select(func.count()).select_from(audit_log).where(*where)).scalar_one()
    rows = conn.execute(
        select(audit_log).where(*where).order_by(desc(audit_log.c.id)).limit(limit).offset(offset)
    ).all()
    items = []
    for r in rows:
        item = dict(r._mapping)
        item["at"] = aware(item["at"])
        item["user"] = item.pop("user_name")
        items.append(item)
    return items, int(total)


def scenario_version(conn: Connection) -> int:
    """A number that changes with every write to the scenario (the last such audit entry's id;
    every write to a record or an import is audited in its own transaction)."""
    names = [*records.RESOURCES, "scenario"]
    # max over the (resource, id) index: the scenario writes only, not every ingest batch's row
    top = conn.execute(
        select(func.max(audit_log.c.id)).where(audit_log.c.resource.in_(names))
    ).scalar()
    return 0 if top is None else int(top)


# --- plan jobs -----------------------------------------------------------------------------

JOB_STATUSES = ("queued", "running", "done", "failed")


def create_job(conn: Connection, kind: str, request: dict[str, Any], user: str) -> str:
    job_id = uuid.uuid4().hex
    conn.execute(
        insert(plan_jobs).values(
            id=job_id,
            kind=kind,
            request=request,
            status="queued",
            progress=0.0,
            task="",
            created_by=user,
            created_at=now(),
            cancel_requested=False,
        )
    )
    return job_id


def job_dict(row: Any, *, with_result: bool = True) -> dict[str, Any]:
    data = dict(row._mapping)
    for k in ("created_at", "started_at", "finished_at"):
        data[k] = aware(data[k])
    data.pop("worker_pid", None)
    data.pop("supervisor_pid", None)
    if not with_result:
        data.pop("result", None)
    return data


def get_job(conn: Connection, job_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(plan_jobs).where(plan_jobs.c.id == job_id)).first()
    return None if row is None else job_dict(row)


def list_jobs(
    conn: Connection, *, status: str | None, kind: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where = []
    if status:
        where.append(plan_jobs.c.status == status)
    if kind:
        where.append(plan_jobs.c.kind == kind)
    total = conn.execute(select(func.count()).select_from(plan_jobs).where(*where)).scalar_one()
    rows = conn.execute(
        select(plan_jobs)
        .where(*where)
        .order_by(desc(plan_jobs.c.created_at), plan_jobs.c.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [job_dict(r, with_result=False) for r in rows], int(total)


def claim_next_job(conn: Connection, pid: int) -> dict[str, Any] | None:
    """Take the oldest queued job (one worker wins a race: the update checks the status)."""
    row = conn.execute(
        select(plan_jobs.c.id)
        .where(plan_jobs.c.status == "queued")
        .order_by(plan_jobs.c.created_at, plan_jobs.c.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    taken = conn.execute(
        update(plan_jobs)
        .where(plan_jobs.c.id == row.id, plan_jobs.c.status == "queued")
        .values(status="running", started_at=now(), supervisor_pid=pid, task="starting")
    )
    if taken.rowcount != 1:
        return None
    return get_job(conn, row.id)


def set_progress(conn: Connection, job_id: str, progress: float, task: str) -> bool:
    """Record progress; returns whether a cancel was requested."""
    conn.execute(
        update(plan_jobs)
        .where(plan_jobs.c.id == job_id, plan_jobs.c.status == "running")
        .values(progress=max(0.0, min(1.0, progress)), task=task[:500])
    )
    row = conn.execute(select(plan_jobs.c.cancel_requested).where(plan_jobs.c.id == job_id)).first()
    return bool(row and row.cancel_requested)


def set_worker_pid(conn: Connection, job_id: str, pid: int) -> None:
    """The process running the job (the worker's child), for operators and tests."""
    conn.execute(update(plan_jobs).where(plan_jobs.c.id == job_id).values(worker_pid=pid))


def worker_pid(conn: Connection, job_id: str) -> int | None:
    row = conn.execute(select(plan_jobs.c.worker_pid).where(plan_jobs.c.id == job_id)).first()
    return None if row is None else row.worker_pid


def running_jobs_of(conn: Connection, supervisor_pids: list[int]) -> list[tuple[str, int | None]]:
    """``(job id, job process pid)`` of the running jobs claimed by these worker processes."""
    rows = conn.execute(
        select(plan_jobs.c.id, plan_jobs.c.worker_pid).where(
            plan_jobs.c.status == "running", plan_jobs.c.supervisor_pid.in_(supervisor_pids)
        )
    ).all()
    return [(r.id, r.worker_pid) for r in rows]


def finish_job(conn: Connection, job_id: str, result: dict[str, Any]) -> None:
    conn.execute(
        update(plan_jobs)
        .where(plan_jobs.c.id == job_id, plan_jobs.c.status == "running")
        .values(status="done", progress=1.0, task="done", result=result, finished_at=now())
    )


def fail_job(conn: Connection, job_id: str, error: dict[str, Any]) -> None:
    conn.execute(
        update(plan_jobs)
        .where(plan_jobs.c.id == job_id, plan_jobs.c.status.in_(("queued", "running")))
        .values(status="failed", error=error, task="failed", finished_at=now())
    )


def request_cancel(conn: Connection, job_id: str) -> None:
    """A queued job fails at once as cancelled; a running one is stopped by its worker."""
    conn.execute(update(plan_jobs).where(plan_jobs.c.id == job_id).values(cancel_requested=True))
    fail_job_if(conn, job_id, "queued", {"error": "Cancelled", "message": "Cancelled before it ran.",
                                                 "status": 409})  # fmt: skip


def fail_job_if(conn: Connection, job_id: str, status: str, error: dict[str, Any]) -> None:
    conn.execute(
        update(plan_jobs)
        .where(plan_jobs.c.id == job_id, plan_jobs.c.status == status)
        .values(status="failed", error=error, task="failed", finished_at=now())
    )


SERVER_STOPPED = {
    "error": "ServerRestarted",
    "message": "The server stopped while this job was running; submit it again.",
    "status": 503,
}


def recover_jobs(conn: Connection) -> int:
    """At start: jobs left running by a stopped server fail with that reason (queued ones wait)."""
    result = conn.execute(
        update(plan_jobs)
        .where(plan_jobs.c.status == "running")
        .values(
            status="failed",
            task="failed",
            finished_at=now(),
            error=SERVER_STOPPED,
        )
    )
    return int(result.rowcount or 0)


# --- emissions runs ------------------------------------------------------------------------


def save_emissions(
    conn: Connection,
    *,
    source: str,
    user: str,
    document: dict[str, Any],
    ileap: dict[str, Any] | None,
    report_html: str | None,
) -> str:
    run_id = uuid.uuid4().hex
    conn.execute(
        insert(emission_runs).values(
            id=run_id,
            source=source,
            created_by=user,
            created_at=now(),
            document=document,
            ileap=ileap,
            report_html=report_html,
        )
    )
    return run_id


def get_emissions(conn: Connection, run_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(emission_runs).where(emission_runs.c.id == run_id)).first()
    if row is None:
        return None
    data = dict(row._mapping)
    data["created_at"] = aware(data["created_at"])
    return data
