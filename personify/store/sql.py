"""Small SQL helpers shared by the stores."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

T = TypeVar("T")


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


CONFLICTS = ("40P01", "40001")  # PostgreSQL: deadlock detected, serialization failure


def retry_conflicts(action: Callable[[], T], attempts: int = 5) -> T:
    """Run a transaction again when the database aborted it to resolve a conflict with a
    concurrent one (the documented remedy); any other error, or the last one, is raised."""
    for attempt in range(attempts):
        try:
            return action()
        except OperationalError as exc:
            code = getattr(exc.orig, "sqlstate", None)
            if code not in CONFLICTS or attempt == attempts - 1:
                raise
            time.sleep(0.01 * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")
