"""Migration 0003 creates exactly the live tables the code defines (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from h2lane.ops.db.engine import make_engine, upgrade
from h2lane.ops.db.live_tables import LIVE_TABLES


def test_migrated_live_tables_match_their_definitions(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        insp: Any = inspect(engine)
        for table in LIVE_TABLES:
            got = {c["name"]: c for c in insp.get_columns(table.name)}
            assert set(got) == {c.name for c in table.columns}, table.name
            for column in table.columns:
                assert got[column.name]["nullable"] == column.nullable, (table.name, column.name)
            indexes = {tuple(i["column_names"]) for i in insp.get_indexes(table.name)}
            uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints(table.name)}
            for index in table.indexes:
                assert tuple(c.name for c in index.columns) in indexes, (table.name, index.name)
            for c in table.columns:
                if c.unique:
                    assert (c.name,) in uniques | indexes, (table.name, c.name)
    finally:
        engine.dispose()
