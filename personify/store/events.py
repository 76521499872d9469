"""The durable event log. An acknowledged batch is committed before the call returns."""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, String, case, delete, func, select, type_coerce, update

from personify.domain import Activity, Event, LogEntry
from personify.store.schema import events, log_meta
from personify.store.sql import from_epoch, insert_ignoring_duplicates, to_epoch

ANONYMOUS = "_anonymous"  # events kept as aggregates only; no real id starts with "_"
PASSIVE_TYPES = ("view", "impression")  # seen, not engaged with
HISTORY_DAYS = 180  # profiles read this much history; older events weigh < 0.02%
HISTORY_LIMIT = 500  # and at most this many of a user's latest events


def _value(kind: str, properties: str | dict[str, Any] | None) -> float | None:
    """Decode properties only where they matter (ratings): JSON is the slow part. SQLite
    hands back the text; psycopg decodes PostgreSQL's JSON itself."""
    if kind != "rating" or not properties:
        return None
    raw = json.loads(properties) if isinstance(properties, str) else properties
    value = raw.get("value", raw.get("rating")) if isinstance(raw, dict) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, kw_only=True)
class AppendResult:
    stored: list[Event]
    duplicates: int


class EventLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, batch: list[Event]) -> AppendResult:
        """Store the batch in one transaction; events whose id is already stored are skipped.
        What counts as stored is what the database says it inserted (RETURNING), so two
        workers storing the same batch at once report it once between them."""
        unique = list({e.event_id: e for e in batch}.values())
        if not unique:
            return AppendResult(stored=[], duplicates=0)
        now = time.time()
        with self._engine.begin() as conn:
            rows = [
                {
                    "event_id": e.event_id,
                    "user_id": e.user_id,
                    "type": e.type,
                    "item_id": e.item_id,
                    "properties": e.properties,
                    "ts": to_epoch(e.timestamp),
                    "received_at": now,
                    "folded": False,  # until its profile is saved with it
                }
                for e in unique
            ]
            insert = insert_ignoring_duplicates(self._engine, events)
            inserted = set(conn.scalars(insert.returning(events.c.event_id), rows))
        fresh = [e for e in unique if e.event_id in inserted]
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

    def history(
        self, user_ids: list[str], now: float | None = None, conn: Connection | None = None
    ) -> dict[str, list[LogEntry]]:
        """Each user's recent events (HISTORY_DAYS, at most HISTORY_LIMIT), oldest first."""
        since = (now or time.time()) - HISTORY_DAYS * 86_400
        found = self._entries(user_ids, events.c.ts >= since, conn)
        return {user: entries[-HISTORY_LIMIT:] for user, entries in found.items()}

    def unfolded(self, user_ids: list[str], conn: Connection) -> dict[str, list[LogEntry]]:
        """Events stored but not yet in their users' profiles, oldest first; read inside
        the transaction that will save the profiles."""
        return self._entries(user_ids, events.c.folded.is_(False), conn)

    def _entries(
        self, user_ids: list[str], condition: Any, conn: Connection | None = None
    ) -> dict[str, list[LogEntry]]:
        found: dict[str, list[LogEntry]] = {}
        raw_properties = type_coerce(events.c.properties, String)
        for start in range(0, len(user_ids), 500):
            query = (
                select(
                    events.c.seq,
                    events.c.user_id,
                    events.c.type,
                    events.c.item_id,
                    events.c.ts,
                    raw_properties,
                )
                .where(events.c.user_id.in_(user_ids[start : start + 500]))
                .where(condition)
                .order_by(events.c.ts, events.c.seq)
            )
            with nullcontext(conn) if conn is not None else self._engine.connect() as c:
                for seq, user, kind, item, ts, properties in c.execute(query):
                    found.setdefault(user, []).append(
                        LogEntry(
                            seq=seq,
                            user_id=user,
                            type=kind,
                            item_id=item,
                            ts=ts,
                            value=_value(kind, properties),
                        )
                    )
        return found

    def seen_items(self, user_id: str) -> set[str]:
        """Every item the user ever had an event for."""
        query = select(events.c.item_id).where(events.c.user_id == user_id).distinct()
        with self._engine.connect() as conn:
            return {i for i in conn.scalars(query) if i is not None}

    def activity(self, user_ids: list[str], now: float) -> dict[str, Activity]:
        """Counts per user, computed by the database over its index."""
        recent_7d = func.sum(case((events.c.ts >= now - 7 * 86_400, 1), else_=0))
        recent_30d = func.sum(case((events.c.ts >= now - 30 * 86_400, 1), else_=0))
        engaged = func.sum(case((events.c.type.in_(PASSIVE_TYPES), 0), else_=1))
        found: dict[str, Activity] = {}
        for start in range(0, len(user_ids), 500):
            query = (
                select(
                    events.c.user_id,
                    func.count(),
                    recent_7d,
                    recent_30d,
                    engaged,
                    func.max(events.c.ts),
                )
                .where(events.c.user_id.in_(user_ids[start : start + 500]))
                .group_by(events.c.user_id)
            )
            with self._engine.connect() as conn:
                for user, total, week, month, active, last in conn.execute(query):
                    found[user] = Activity(
                        total=int(total),
                        last_7d=int(week or 0),
                        last_30d=int(month or 0),
                        engaged=int(active or 0),
                        last_ts=float(last),
                    )
        return found

    def users(self) -> list[str]:
        """Every user with at least one event (anonymous aggregates excluded)."""
        query = select(events.c.user_id).where(events.c.user_id != ANONYMOUS).distinct()
        with self._engine.connect() as conn:
            return sorted(conn.scalars(query))

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

    def erase(self, user_id: str) -> int:
        """Delete the user's events and bump the erasure generation, in one transaction, so
        every process rebuilds what it derived from them (co-visitation, popularity)."""
        with self._engine.begin() as conn:
            removed = conn.execute(delete(events).where(events.c.user_id == user_id)).rowcount
            conn.execute(
                insert_ignoring_duplicates(self._engine, log_meta),
                [{"key": "generation", "value": 0}],
            )
            conn.execute(
                update(log_meta)
                .where(log_meta.c.key == "generation")
                .values(value=log_meta.c.value + 1)
            )
        return int(removed)
