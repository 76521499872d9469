"""The audit trail: one record per model call and per erasure, with no personal data.

Who: a pseudonym of the user id (provable with the installation's salt). What was sent:
a hash of the redacted prompt and the count of each kind of value redacted from it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, select

from personify.privacy.pseudonyms import Pseudonymiser
from personify.store.schema import audit_log

AuditKind = Literal["model_call", "erasure"]


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    at: float
    kind: str
    subject: str
    model: str | None
    template: str | None
    prompt_sha256: str | None
    entities: dict[str, int]


class AuditLog:
    def __init__(self, engine: Engine, pseudonyms: Pseudonymiser) -> None:
        self._engine = engine
        self._pseudonyms = pseudonyms

    def subject(self, user_id: str) -> str:
        """Who, as a salted hash: provable with the salt, unreadable without it."""
        return self._pseudonyms.pseudonym(user_id)

    def record(
        self,
        kind: AuditKind,
        user_id: str,
        *,
        model: str | None = None,
        template: str | None = None,
        prompt_sha256: str | None = None,
        entities: dict[str, int] | None = None,
    ) -> None:
        row = {
            "at": time.time(),
            "kind": kind,
            "subject": self.subject(user_id),
            "model": model,
            "template": template,
            "prompt_sha256": prompt_sha256,
            "entities": entities or {},
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
