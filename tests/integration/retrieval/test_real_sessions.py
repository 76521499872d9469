"""A smoke test on real behaviour: 20 anonymised webshop sessions from the OTTO data set
(../shared/data, CC BY 4.0), ingested as Segment-style events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from personify.service import Personify

OTTO = (
    Path(__file__).resolve().parents[4]
    / "shared"
    / "data"
    / "otto_sessions_sample"
    / "otto_train_sample_20_sessions.jsonl"
)
TYPES = {"clicks": "Product Clicked", "carts": "Product Added", "orders": "Order Completed"}


@pytest.fixture
def sessions() -> list[dict]:
    if not OTTO.exists():
        pytest.skip(f"{OTTO} is not there (../shared/data is laid beside the checkout)")
    return [json.loads(line) for line in OTTO.read_text().splitlines()]


def test_real_sessions_ingest_and_rank(service: Personify, sessions: list[dict]) -> None:
    events = [
        {
            "messageId": f"otto-{s['session']}-{n}",
            "userId": f"s{s['session']}",
            "event": TYPES[e["type"]],
            "properties": {"product_id": str(e["aid"])},
            "timestamp": e["ts"],
        }
        for s in sessions
        for n, e in enumerate(s["events"])
    ]
    articles = sorted({e["properties"]["product_id"] for e in events})
    service.add_items([{"id": a, "title": f"Article {a}", "category": "article"} for a in articles])
    stored = sum(
        service.add_events(events[i : i + 500]).accepted for i in range(0, len(events), 500)
    )
    assert stored == 862 and len(articles) == 510
    assert service.add_events(events[:100]).duplicates == 100
    busiest = max(sessions, key=lambda s: len(s["events"]))
    profile = service.profile(f"s{busiest['session']}")
    assert profile.features.events_total == len(busiest["events"])
    assert 0 < profile.features.engagement_ratio <= 1  # carts and orders count as engaged
    ranked = service.recommend(f"s{busiest['session']}", 10).items
    seen = {str(e["aid"]) for e in busiest["events"]}
    assert len(ranked) == 10 and not seen & {c.item.id for c in ranked}
