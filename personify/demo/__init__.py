"""The project's own demo content: a B2B analytics SaaS catalog and three personas.

The demo lives apart from the user's own data (`demo_settings`): `personify serve
--load-demo` and `personify demo` serve it from `<data dir>/demo`, so items posted to a
demo never land in your catalog, and yours never show up in the personas' answers."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from personify.domain import utcnow

if TYPE_CHECKING:
    from personify.service import Personify
    from personify.settings import Settings

PACKAGE = "personify.demo"
PRODUCT_NAME = "Acme Analytics"  # the product the demo catalog belongs to
STORE = "demo"  # its folder under the data dir; on servers, its schema and Chroma database


def demo_settings(settings: Settings) -> Settings:
    """The demo's own stores, beside (never inside) those `settings` name for your data,
    and the demo's product name for the personas' welcome."""
    update: dict[str, object] = {
        "data_dir": settings.data_dir / STORE,
        "product_name": PRODUCT_NAME,
    }
    if settings.database_url:
        update["database_schema"] = STORE
    if settings.chroma_url:
        update["chroma_database"] = STORE
    return settings.model_copy(update=update)


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
