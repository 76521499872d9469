"""Small SQL helpers shared by the stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_duplicates(engine: Engine, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""
    dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
    return dialect.insert(table).on_conflict_do_nothing()


def upsert(engine: Engine, table: Table, keys: list[str], rows: list[dict[str, Any]]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE, returning the statement to execute with rows."""
    dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=keys, set_=updates)


def to_epoch(moment: datetime) -> float:
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
