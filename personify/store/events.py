"""The durable event log. An acknowledged batch is committed before the call returns."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from personify.domain import Event
from personify.store.schema import events, log_meta
from personify.store.sql import from_epoch, insert_ignoring_duplicates, to_epoch


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    """An event as the log holds it: enough for features, co-visitation and popularity."""

    seq: int
    user_id: str
    type: str
    item_id: str | None
    ts: float


@dataclass(frozen=True, kw_only=True)
class AppendResult:
    stored: list[Event]
    duplicates: int


class EventLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, batch: list[Event]) -> AppendResult:
        """Store the batch in one transaction; events whose id is already stored are skipped."""
        unique = list({e.event_id: e for e in batch}.values())
        ids = [e.event_id for e in unique]
        now = time.time()
        with self._engine.begin() as conn:
            seen: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                seen.update(
                    conn.scalars(select(events.c.event_id).where(events.c.event_id.in_(chunk)))
                )
            fresh = [e for e in unique if e.event_id not in seen]
            if fresh:
                rows = [
                    {
                        "event_id": e.event_id,
                        "user_id": e.user_id,
                        "type": e.type,
                        "item_id": e.item_id,
                        "properties": e.properties,
                        "ts": to_epoch(e.timestamp),
                        "received_at": now,
                    }
                    for e in fresh
                ]
                conn.execute(insert_ignoring_duplicates(self._engine, events), rows)
        return AppendResult(stored=fresh, duplicates=len(batch) - len(fresh))

    def for_user(self, user_id: str) -> list[Event]:
        return self.for_users([user_id]).get(user_id, [])

    def for_users(self, user_ids: list[str]) -> dict[str, list[Event]]:
        """Each user's events, oldest first."""
        found: dict[str, list[Event]] = {}
        for start in range(0, len(user_ids), 500):
            query = (
                select(events)
                .where(events.c.user_id.in_(user_ids[start : start + 500]))
                .order_by(events.c.ts, events.c.seq)
            )
            with self._engine.connect() as conn:
                for r in conn.execute(query):
                    found.setdefault(r.user_id, []).append(
                        Event.model_construct(  # rows were validated on the way in
                            event_id=r.event_id,
                            user_id=r.user_id,
                            type=r.type,
                            item_id=r.item_id,
                            properties=dict(r.properties),
                            timestamp=from_epoch(r.ts),
                        )
                    )
        return found

    def user_exists(self, user_id: str) -> bool:
        query = select(events.c.seq).where(events.c.user_id == user_id).limit(1)
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def since(self, after_seq: int, limit: int = 200_000) -> list[LogEntry]:
        """Entries with seq > after_seq, oldest first; used to keep in-memory indexes current."""
        query = (
            select(events.c.seq, events.c.user_id, events.c.type, events.c.item_id, events.c.ts)
            .where(events.c.seq > after_seq)
            .order_by(events.c.seq)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [
                LogEntry(seq=r.seq, user_id=r.user_id, type=r.type, item_id=r.item_id, ts=r.ts)
                for r in conn.execute(query)
            ]

    def state(self) -> tuple[int, int]:
        """(highest seq, erasure generation): when either changes, derived indexes are stale."""
        with self._engine.connect() as conn:
            top = conn.scalar(select(func.max(events.c.seq))) or 0
            generation = conn.scalar(select(log_meta.c.value).where(log_meta.c.key == "generation"))
        return int(top), int(generation or 0)

    def count(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(events)) or 0)
