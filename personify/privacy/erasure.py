"""The one list of places where a user's data lives, read by erasure and by the access
export alike. A new store of user data (a cache, experiment exposures, sent messages)
registers itself here, and both requests cover it from then on.

Places are erased in the order they were registered: register the ones that make a user
known (events, traits, consent) last, so an erasure cut short by a crash is completed by
its retry instead of answering "unknown user" with data left behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Place:
    """Where some of a user's data lives. `export` shows it for an access request (None:
    nothing readable to show, like a vector); `erase` removes it and counts the records
    (None: kept on purpose, like the audit trail, which holds no personal data)."""

    name: str  # its section of the export
    export: Callable[[str], Any] | None
    erase: Callable[[str], int] | None


class UserData:
    def __init__(self) -> None:
        self._places: list[Place] = []

    def register(self, place: Place) -> None:
        if any(p.name == place.name for p in self._places):
            raise ValueError(f"{place.name!r} is registered already")
        self._places.append(place)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self._places]

    def export(self, user_id: str) -> dict[str, Any]:
        return {p.name: p.export(user_id) for p in self._places if p.export is not None}

    def erase(self, user_id: str) -> int:
        return sum(p.erase(user_id) for p in self._places if p.erase is not None)
