"""Per-installation secrets, made once and kept in the database for every worker."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, select

from personify.store.schema import installation
from personify.store.sql import insert_ignoring_duplicates


def load_salt(engine: Engine) -> bytes:
    """The installation's secret salt for pseudonyms (made on first use)."""
    query = select(installation.c.value).where(installation.c.key == "audit_salt")
    with engine.begin() as conn:
        conn.execute(
            insert_ignoring_duplicates(engine, installation),
            [{"key": "audit_salt", "value": secrets.token_bytes(32)}],
        )
        return bytes(conn.scalar(query) or b"")
