"""Engine creation: SQLite by default (durable settings), any SQLAlchemy URL otherwise."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from personify.errors import ConfigError
from personify.store import migrations

CONNECT_TIMEOUT_S = 5


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives a crash
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA secure_delete=ON")  # erased rows are overwritten, not just unlinked
    cursor.close()


def make_engine(url: str, schema: str = "") -> Engine:
    """Create the engine and migrate the tables to the newest revision. A bad URL or an
    unreachable database is a ConfigError.

    `schema` (PostgreSQL only) puts every table in that schema, made if missing: one per
    tenant, so tenants never share a table."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            # A dead server is an error in seconds, not a hang past the request timeout.
            options: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_S}
            if schema:
                options["options"] = f"-csearch_path={schema}"
            if schema:
                create_schema(url, schema)
            engine = create_engine(
                url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=options
            )
        migrations.upgrade(engine, schema)
    except (OperationalError, ValueError, ImportError) as exc:
        raise ConfigError(
            f"Cannot open the database at PERSONIFY_DATABASE_URL ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}): check the URL and that the server is running.",
            field="PERSONIFY_DATABASE_URL",
        ) from exc
    return engine


def create_schema(url: str, schema: str) -> None:
    _run_once(url, f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def drop_schema(url: str, schema: str) -> None:
    """Remove a tenant's schema and every row in it (PostgreSQL)."""
    _run_once(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _run_once(url: str, statement: str) -> None:
    """One statement on a connection of its own (schema names come from our settings)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def list_schemas(url: str, prefix: str) -> list[str]:
    """Schemas whose name starts with prefix (PostgreSQL; none elsewhere)."""
    if not url or not url.startswith("postgresql"):
        return []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = "SELECT schema_name FROM information_schema.schemata"
            return [n for (n,) in conn.exec_driver_sql(query) if n.startswith(prefix)]
    finally:
        engine.dispose()
