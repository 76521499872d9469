"""What each user agreed to, and what that means for their events.

Without a stored choice every flag is granted (`Consent`'s defaults); a user's choices
apply from their next request on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, delete, select

from personify.domain import Consent, Event
from personify.store.events import ANONYMOUS
from personify.store.schema import consents
from personify.store.sql import upsert


class ConsentStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> Consent:
        return self.get_many([user_id])[user_id]

    def get_many(self, user_ids: Iterable[str]) -> dict[str, Consent]:
        users = list(dict.fromkeys(user_ids))
        stored = self.stored(users)
        return {u: stored.get(u, Consent()) for u in users}

    def stored(self, user_ids: list[str]) -> dict[str, Consent]:
        """The choices of the users who made any."""
        found: dict[str, Consent] = {}
        for start in range(0, len(user_ids), 500):
            query = select(consents).where(consents.c.user_id.in_(user_ids[start : start + 500]))
            with self._engine.connect() as conn:
                for row in conn.execute(query):
                    found[row.user_id] = Consent(
                        personalization=row.personalization,
                        free_text=row.free_text,
                        analytics=row.analytics,
                    )
        return found

    def put(self, user_id: str, consent: Consent) -> None:
        row = {"user_id": user_id, **consent.model_dump(), "updated_at": time.time()}
        with self._engine.begin() as conn:
            conn.execute(upsert(self._engine, consents, ["user_id"], [row]), [row])

    def erase(self, user_id: str) -> int:
        with self._engine.begin() as conn:
            return conn.execute(delete(consents).where(consents.c.user_id == user_id)).rowcount


def respect_consent(
    events: list[Event], given: dict[str, Consent], pseudonym: Callable[[str], str]
) -> tuple[list[Event], int]:
    """(events to keep, how many were dropped). Without personalization consent an event
    is dropped, or, with analytics consent, kept only as an anonymous count: no user, no
    properties, an unlinkable id."""
    kept: list[Event] = []
    for event in events:
        consent = given[event.user_id]
        if consent.personalization:
            kept.append(event)
        elif consent.analytics:
            anonymous_id = "anon-" + pseudonym(event.event_id)[:32]
            update = {"user_id": ANONYMOUS, "event_id": anonymous_id, "properties": {}}
            kept.append(event.model_copy(update=update))
    return kept, len(events) - len(kept)
