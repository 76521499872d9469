"""Durable state in SQL: the catalog of record, the event log, users and conversations,
and the agent's notes. (The privacy room keeps its own tables through the same engine:
consent, pseudonym vaults and the audit trail.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from personify.store.catalog import Catalog
from personify.store.database import make_engine
from personify.store.events import EventLog
from personify.store.installation import load_salt
from personify.store.notes import NoteStore
from personify.store.users import UserStore


@dataclass(frozen=True, kw_only=True)
class Store:
    engine: Engine
    catalog: Catalog
    events: EventLog
    users: UserStore
    notes: NoteStore
    salt: bytes  # the installation's secret, for pseudonyms

    @classmethod
    def open(cls, url: str, schema: str = "") -> Store:
        engine = make_engine(url, schema)
        return cls(
            engine=engine,
            catalog=Catalog(engine),
            events=EventLog(engine),
            users=UserStore(engine),
            notes=NoteStore(engine),
            salt=load_salt(engine),
        )

    def checkpoint(self) -> None:
        """After an erasure: on SQLite, old page images in the write-ahead log go too."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Catalog", "EventLog", "NoteStore", "Store", "UserStore"]
