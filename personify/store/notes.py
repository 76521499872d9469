"""The agent's notes on each user (AgentNotes), kept apart from the user's traits."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Engine, delete, select

from personify.domain import AgentNotes
from personify.store.schema import agent_notes
from personify.store.sql import upsert


class NoteStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> AgentNotes:
        return self.get_many([user_id]).get(user_id, AgentNotes())

    def get_many(self, user_ids: Iterable[str]) -> dict[str, AgentNotes]:
        """The notes of the users who have any."""
        users = list(user_ids)
        found: dict[str, AgentNotes] = {}
        for start in range(0, len(users), 500):
            query = select(agent_notes).where(agent_notes.c.user_id.in_(users[start : start + 500]))
            with self._engine.connect() as conn:
                for row in conn.execute(query):
                    found[row.user_id] = AgentNotes(
                        interests=list(row.interests),
                        dislikes=list(row.dislikes),
                        asking=row.asking,
                    )
        return found

    def put(self, user_id: str, notes: AgentNotes) -> None:
        row = {"user_id": user_id, **notes.model_dump(), "updated_at": time.time()}
        with self._engine.begin() as conn:
            conn.execute(upsert(self._engine, agent_notes, ["user_id"], [row]), [row])

    def erase(self, user_id: str) -> int:
        with self._engine.begin() as conn:
            query = delete(agent_notes).where(agent_notes.c.user_id == user_id)
            return conn.execute(query).rowcount
