"""Users' traits, computed profile features and conversations (redacted)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, select, text, update

from personify.store.schema import conversation_turns, events, profiles, users
from personify.store.sql import upsert


@dataclass(frozen=True, kw_only=True)
class StoredTurn:
    role: str  # "user" or "assistant"
    text: str  # redacted


@dataclass(frozen=True, kw_only=True)
class StoredProfile:
    features: dict[str, Any]
    has_vector: bool
    updated_at: float
    behaviour: bytes | None
    interests: bytes | None
    dislikes: bytes | None
    affinity: dict[str, float]
    state_at: float


@dataclass(frozen=True, kw_only=True)
class Folding:
    conn: Connection
    engine: Engine
    profiles: dict[str, StoredProfile]  # as they were when the transaction began

    def save(self, rows: list[dict[str, Any]], folded: Sequence[int]) -> None:
        """Write the profiles (every column of the table, one row per user) and mark the
        events folded into them, together: a crash leaves both or neither."""
        if rows:
            self.conn.execute(upsert(self.engine, profiles, ["user_id"], rows), rows)
        seqs = list(folded)
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            self.conn.execute(update(events).where(events.c.seq.in_(chunk)).values(folded=True))


def _stored(row: Any) -> StoredProfile:
    return StoredProfile(
        features=dict(row.features),
        has_vector=row.has_vector,
        updated_at=row.updated_at,
        behaviour=row.behaviour,
        interests=row.interests,
        dislikes=row.dislikes,
        affinity=dict(row.affinity),
        state_at=row.state_at,
    )


USER_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:user, 0))")


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # traits -------------------------------------------------------------------------------
    def put_traits(self, user_id: str, traits: dict[str, Any]) -> None:
        row = {"user_id": user_id, "traits": traits, "updated_at": time.time()}
        with self._engine.begin() as conn:
            conn.execute(upsert(self._engine, users, ["user_id"], [row]), [row])

    def get_traits(self, user_id: str) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            value = conn.scalar(select(users.c.traits).where(users.c.user_id == user_id))
        return dict(value) if value is not None else None

    def get_traits_many(self, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(user_ids), 500):
            query = select(users.c.user_id, users.c.traits).where(
                users.c.user_id.in_(user_ids[start : start + 500])
            )
            with self._engine.connect() as conn:
                found.update({u: dict(t) for u, t in conn.execute(query)})
        return found

    # profile features -------------------------------------------------------------------
    @contextmanager
    def folding(self, user_ids: list[str]) -> Iterator[Folding]:
        """One transaction to read profiles, fold events into them and save both. On
        PostgreSQL it first takes a lock per user (advisory, held to the end, in sorted
        order so two transactions never wait on each other in a circle): workers folding
        the same user's events take turns instead of overwriting each other, and a user
        with no profile row yet is covered too. SQLite writers are serialised anyway."""
        with self._engine.begin() as conn:
            if self._engine.dialect.name == "postgresql":
                for user in sorted(set(user_ids)):
                    conn.execute(USER_LOCK, {"user": user})
            stored: dict[str, StoredProfile] = {}
            for start in range(0, len(user_ids), 500):
                chunk = user_ids[start : start + 500]
                query = select(profiles).where(profiles.c.user_id.in_(chunk))
                stored.update({row.user_id: _stored(row) for row in conn.execute(query)})
            yield Folding(conn=conn, engine=self._engine, profiles=stored)

    def get_profile(self, user_id: str) -> StoredProfile | None:
        return self.get_profiles([user_id]).get(user_id)

    def get_profiles(self, user_ids: list[str]) -> dict[str, StoredProfile]:
        found: dict[str, StoredProfile] = {}
        for start in range(0, len(user_ids), 500):
            query = select(profiles).where(profiles.c.user_id.in_(user_ids[start : start + 500]))
            with self._engine.connect() as conn:
                found.update({row.user_id: _stored(row) for row in conn.execute(query)})
        return found

    # conversations ----------------------------------------------------------------------
    def add_turns(self, user_id: str, session_id: str, turns: list[StoredTurn]) -> None:
        now = time.time()
        rows = [
            {
                "user_id": user_id,
                "session_id": session_id,
                "role": t.role,
                "text": t.text,
                "created_at": now,
            }
            for t in turns
        ]
        with self._engine.begin() as conn:
            conn.execute(conversation_turns.insert(), rows)

    def recent_turns(self, user_id: str, session_id: str, limit: int = 12) -> list[StoredTurn]:
        query = (
            select(conversation_turns.c.role, conversation_turns.c.text)
            .where(conversation_turns.c.user_id == user_id)
            .where(conversation_turns.c.session_id == session_id)
            .order_by(conversation_turns.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [StoredTurn(role=r.role, text=r.text) for r in reversed(rows)]

    def conversations(self, user_id: str) -> list[dict[str, Any]]:
        """Every session's turns (as stored: redacted), oldest first."""
        query = (
            select(conversation_turns)
            .where(conversation_turns.c.user_id == user_id)
            .order_by(conversation_turns.c.id)
        )
        sessions: dict[str, list[dict[str, Any]]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                sessions.setdefault(row.session_id, []).append(
                    {"role": row.role, "text": row.text, "at": row.created_at}
                )
        return [{"session_id": s, "turns": turns} for s, turns in sessions.items()]

    # erasure (privacy/erasure.py lists every place a user's data lives) ------------
    def drop_profile(self, user_id: str) -> int:
        return self._delete(profiles, user_id)

    def erase_traits(self, user_id: str) -> int:
        return self._delete(users, user_id)

    def erase_conversations(self, user_id: str) -> int:
        return self._delete(conversation_turns, user_id)

    def _delete(self, table: Table, user_id: str) -> int:
        with self._engine.begin() as conn:
            return conn.execute(delete(table).where(table.c.user_id == user_id)).rowcount
