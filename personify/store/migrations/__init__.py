"""Schema migrations (Alembic), run at start-up by every process that opens a store.

Several workers may start at once: on PostgreSQL an advisory lock (per schema) lets one
migrate while the others wait, then find nothing to do; on SQLite a lock file does. A database made before migrations existed (tables, no version) is stamped at the
first revision, whose tables it has, and upgraded from there.

A new revision: copy the newest file in versions/, bump `revision` and `down_revision`,
write upgrade() by hand, and make the same change in schema.py; tests/integration/
test_migrations.py fails while the two disagree."""

from __future__ import annotations

import fcntl
import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

HERE = Path(__file__).parent
FIRST = "0001"


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, schema: str = "") -> None:
    """Bring the database (or the tenant's schema) to the newest revision."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # A lock file beside the database: the first connections to a new SQLite file race
        # to switch it to WAL, and SQLite answers one of them "locked" without waiting.
        with open(f"{engine.url.database}.migrate-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _upgrade(engine, schema)
        return
    _upgrade(engine, schema)


def _upgrade(engine: Engine, schema: str) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            key = zlib.crc32(f"personify-migrations:{schema}".encode())
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({key})")
        try:
            cfg = config(conn)
            version = MigrationContext.configure(conn).get_current_revision()
            if version is None and inspect(conn).has_table("events"):
                command.stamp(cfg, FIRST)  # made by create_all before migrations existed
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                conn.commit()
