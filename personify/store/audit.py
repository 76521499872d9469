"""The audit trail: one record per model call and per erasure, with no personal data."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from personify.store.schema import audit_log, installation
from personify.store.sql import insert_ignoring_duplicates


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    at: float
    kind: str
    subject: str
    model: str | None
    template: str | None
    prompt_sha256: str | None
    entities: dict[str, int]


def load_salt(engine: Engine) -> bytes:
    """The installation's secret salt: made once, kept in the database for every worker."""
    query = select(installation.c.value).where(installation.c.key == "audit_salt")
    with engine.begin() as conn:
        conn.execute(
            insert_ignoring_duplicates(engine, installation),
            [{"key": "audit_salt", "value": secrets.token_bytes(32)}],
        )
        return bytes(conn.scalar(query) or b"")


class AuditLog:
    def __init__(self, engine: Engine, salt: bytes) -> None:
        self._engine = engine
        self._salt = salt

    def subject(self, user_id: str) -> str:
        """Who, as a salted hash: provable with the salt, unreadable without it."""
        return hmac.new(self._salt, user_id.encode(), hashlib.sha256).hexdigest()

    def record(self, kind: str, user_id: str, **fields: Any) -> None:
        row = {
            "at": time.time(),
            "kind": kind,
            "subject": self.subject(user_id),
            "model": fields.get("model"),
            "template": fields.get("template"),
            "prompt_sha256": fields.get("prompt_sha256"),
            "entities": fields.get("entities", {}),
        }
        with self._engine.begin() as conn:
            conn.execute(audit_log.insert(), [row])

    def for_user(self, user_id: str) -> list[AuditRecord]:
        query = select(audit_log).where(audit_log.c.subject == self.subject(user_id))
        with self._engine.connect() as conn:
            return [
                AuditRecord(
                    at=r.at,
                    kind=r.kind,
                    subject=r.subject,
                    model=r.model,
                    template=r.template,
                    prompt_sha256=r.prompt_sha256,
                    entities=dict(r.entities),
                )
                for r in conn.execute(query.order_by(audit_log.c.id))
            ]
