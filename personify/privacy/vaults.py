"""Where a conversation's pseudonym vault is kept between turns: placeholder -> the
user's own value, per user and session, expired when unused for a while."""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete, select

from personify.privacy.vault import Vault
from personify.store.schema import vaults
from personify.store.sql import upsert


class VaultStore:
    def __init__(self, engine: Engine, ttl_s: float) -> None:
        self._engine = engine
        self._ttl_s = ttl_s

    def open(self, user_id: str, session_id: str) -> Vault:
        """The session's vault; one unused for longer than the TTL is removed first."""
        mine = (vaults.c.user_id == user_id) & (vaults.c.session_id == session_id)
        expired = vaults.c.updated_at < time.time() - self._ttl_s
        with self._engine.begin() as conn:
            conn.execute(delete(vaults).where(mine & expired))
            entries = conn.scalar(select(vaults.c.entries).where(mine))
        return Vault(entries=dict(entries) if entries else {})

    def save(self, user_id: str, session_id: str, vault: Vault) -> None:
        row = {
            "user_id": user_id,
            "session_id": session_id,
            "entries": vault.entries,
            "updated_at": time.time(),
        }
        with self._engine.begin() as conn:
            conn.execute(upsert(self._engine, vaults, ["user_id", "session_id"], [row]), [row])

    def of_user(self, user_id: str) -> dict[str, dict[str, str]]:
        """Per session: placeholder -> the user's own value (for their access request)."""
        query = select(vaults.c.session_id, vaults.c.entries).where(vaults.c.user_id == user_id)
        with self._engine.connect() as conn:
            return {s: dict(e) for s, e in conn.execute(query)}

    def erase(self, user_id: str) -> int:
        with self._engine.begin() as conn:
            return conn.execute(delete(vaults).where(vaults.c.user_id == user_id)).rowcount
