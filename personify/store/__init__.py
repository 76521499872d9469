"""Durable state in SQL: the catalog of record, the event log, users and conversations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from personify.store.audit import AuditLog, load_salt
from personify.store.catalog import Catalog
from personify.store.database import make_engine
from personify.store.events import EventLog
from personify.store.users import UserStore


@dataclass(frozen=True, kw_only=True)
class Store:
    engine: Engine
    catalog: Catalog
    events: EventLog
    users: UserStore
    audit: AuditLog

    @classmethod
    def open(cls, url: str, schema: str = "") -> Store:
        engine = make_engine(url, schema)
        return cls(
            engine=engine,
            catalog=Catalog(engine),
            events=EventLog(engine),
            users=UserStore(engine),
            audit=AuditLog(engine, load_salt(engine)),
        )

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["AuditLog", "Catalog", "EventLog", "Store", "UserStore"]
