"""The project's own demo content: a B2B analytics SaaS catalog and three personas."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from personify.domain import utcnow

if TYPE_CHECKING:
    from personify.service import Personify

PACKAGE = "personify.demo"


def catalog() -> list[dict[str, Any]]:
    text = resources.files(PACKAGE).joinpath("catalog.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def personas() -> list[dict[str, Any]]:
    text = resources.files(PACKAGE).joinpath("personas.json").read_text(encoding="utf-8")
    return list(json.loads(text))


def persona_events(persona: dict[str, Any]) -> list[dict[str, Any]]:
    """The persona's history as API events, timed relative to now; ids make reloads idempotent."""
    now = utcnow()
    return [
        {
            "event_id": f"demo-{persona['user_id']}-{n}",
            "user_id": persona["user_id"],
            "type": e["type"],
            "item_id": e["item_id"],
            "timestamp": (now - timedelta(days=e["days_ago"])).isoformat(),
        }
        for n, e in enumerate(persona["events"])
    ]


def load_demo(service: Personify) -> bool:
    """Load the demo catalog and personas into an empty store; False if it held items."""
    if service.store.catalog.count() > 0:
        return False
    service.add_items(catalog())
    for persona in personas():
        service.put_traits(persona["user_id"], persona["traits"])
        events = persona_events(persona)
        if events:
            service.add_events(events)
    return True
