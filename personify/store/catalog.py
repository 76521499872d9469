"""The catalog of record: items in SQL. Their vectors live in Chroma (retrieval/)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import ColumnElement, Engine, delete, func, select

from personify.domain import Item
from personify.store.schema import items
from personify.store.sql import upsert


def _row_to_item(row: object) -> Item:
    m = row._mapping  # type: ignore[attr-defined]
    return Item(
        id=m["id"],
        title=m["title"],
        description=m["description"],
        category=m["category"],
        tags=list(m["tags"]),
        attributes=dict(m["attributes"]),
        available=bool(m["available"]),
    )


class Brief(NamedTuple):
    title: str
    category: str
    available: bool


@dataclass(frozen=True, kw_only=True)
class ItemPage:
    items: list[Item]
    total: int  # items matching the filters, on every page
    next_after: str | None  # the cursor for the next page; None on the last


class Catalog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upsert(self, batch: list[Item]) -> None:
        if not batch:
            return
        now = time.time()
        rows = [
            {**item.model_dump(exclude={"id"}), "id": item.id, "updated_at": now} for item in batch
        ]
        with self._engine.begin() as conn:
            conn.execute(upsert(self._engine, items, ["id"], rows), rows)

    def get(self, item_id: str) -> Item | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(items).where(items.c.id == item_id)).first()
        return _row_to_item(row) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, Item]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Item] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            with self._engine.connect() as conn:
                for row in conn.execute(select(items).where(items.c.id.in_(chunk))):
                    item = _row_to_item(row)
                    found[item.id] = item
        return found

    def brief(self, ids: Iterable[str]) -> dict[str, Brief]:
        """Title, category and availability only: what ranking needs, without decoding
        every item's JSON columns (that was a third of a recommendation's time)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Brief] = {}
        columns = (items.c.id, items.c.title, items.c.category, items.c.available)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            with self._engine.connect() as conn:
                for row in conn.execute(select(*columns).where(items.c.id.in_(chunk))):
                    found[row.id] = Brief(row.title, row.category, bool(row.available))
        return found

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        wanted = list(set(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            with self._engine.connect() as conn:
                found.update(conn.scalars(select(items.c.id).where(items.c.id.in_(chunk))))
        return found

    def iter_all(self) -> Iterator[Item]:
        with self._engine.connect() as conn:
            for row in conn.execute(select(items).order_by(items.c.id)):
                yield _row_to_item(row)

    def categories(self) -> dict[str, str]:
        """Every item id with its category (training reads the whole catalog at once)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(items.c.id, items.c.category).order_by(items.c.id))
            return {row.id: row.category for row in rows}

    def count(self, category: str | None = None, available: bool | None = None) -> int:
        query = select(func.count()).select_from(items).where(*_filters(category, available))
        with self._engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def page(
        self,
        *,
        limit: int,
        after: str | None = None,
        category: str | None = None,
        available: bool | None = None,
    ) -> ItemPage:
        """Up to `limit` items in id order, those after the id `after` (a keyset cursor:
        stable while items are added or deleted between pages)."""
        query = select(items).where(*_filters(category, available))
        if after is not None:
            query = query.where(items.c.id > after)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(items.c.id).limit(limit + 1))
            found = [_row_to_item(row) for row in rows]
        more = len(found) > limit
        return ItemPage(
            items=found[:limit],
            total=self.count(category, available),
            next_after=found[limit - 1].id if more else None,
        )

    def offered_ids(self, category: str | None, *, limit: int) -> list[str]:
        """Ids of available items (in the category), newest first."""
        query = select(items.c.id).where(*_filters(category, True))
        query = query.order_by(items.c.updated_at.desc(), items.c.id).limit(limit)
        with self._engine.connect() as conn:
            return list(conn.scalars(query))

    def delete(self, item_id: str) -> bool:
        with self._engine.begin() as conn:
            return conn.execute(delete(items).where(items.c.id == item_id)).rowcount > 0


def _filters(category: str | None, available: bool | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if category is not None:
        found.append(items.c.category == category)
    if available is not None:
        found.append(items.c.available == available)
    return found
