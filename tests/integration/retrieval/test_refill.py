"""Unavailable items never crowd out recommendations: with 950 of 1,000 items withdrawn,
and exactly those closest to the user and most popular, a user still gets the `n` items
they asked for while that many are on offer, and every one on offer when fewer are.

Real SQL and Chroma; item vectors are made here (a tight cluster of withdrawn items around
what the user used), so the test controls what the generators find first."""

from __future__ import annotations

import numpy as np
import pytest

from personify.domain import Item
from personify.service import Personify

ITEMS = 1000
CATEGORIES = 5
DIMENSION = 384


def offered(n: int) -> bool:
    """50 of 1,000 items are on offer, 10 in each category."""
    return n % 20 == (n // 20) % CATEGORIES


@pytest.fixture
def withdrawn(service: Personify) -> Personify:
    rng = np.random.default_rng(7)
    centre = rng.normal(size=DIMENSION)
    rows = []
    for n in range(ITEMS):
        noise = rng.normal(size=DIMENSION)
        row = noise if offered(n) else centre + 0.3 * noise  # withdrawn ones: near the user
        rows.append(row / np.linalg.norm(row))
    items = [
        Item(
            id=f"item-{n}",
            title=f"Item {n}",
            description="",
            category=f"c{n % CATEGORIES}",
            available=offered(n),
        )
        for n in range(ITEMS)
    ]
    service.vectors.upsert_items(
        [i.id for i in items],
        np.asarray(rows, dtype=np.float32),
        [{"category": i.category, "available": i.available} for i in items],
    )
    service.store.catalog.upsert(items)
    withdrawn_ids = [i.id for i in items if not i.available]
    events = [  # the withdrawn items are the popular ones, used together
        {"event_id": f"o{u}-{k}", "user_id": f"other-{u}", "type": "use", "item_id": item}
        for u in range(30)
        for k, item in enumerate(withdrawn_ids[u * 3 : u * 3 + 6])
    ]
    events += [
        {"event_id": f"me-{k}", "user_id": "me", "type": "use", "item_id": withdrawn_ids[k]}
        for k in range(4)
    ]
    service.add_events(events)
    service.put_traits("newcomer", {})  # no traits, no events: no profile vector
    return service


def ids(service: Personify, user: str, n: int, category: str | None = None) -> list[str]:
    return [c.item.id for c in service.recommend(user, n, category=category).items]


def test_n_items_come_back_while_n_are_on_offer(withdrawn: Personify) -> None:
    for user in ("me", "newcomer"):
        got = ids(withdrawn, user, 10)
        assert len(got) == 10 == len(set(got)), user
        assert all(offered(int(i.removeprefix("item-"))) for i in got)


def test_asking_for_more_than_is_on_offer_gives_everything_on_offer(
    withdrawn: Personify,
) -> None:
    on_offer = {f"item-{n}" for n in range(ITEMS) if offered(n)}
    for user in ("me", "newcomer"):
        assert set(ids(withdrawn, user, 100)) == on_offer, user


def test_the_category_filter_refills_too(withdrawn: Personify) -> None:
    got = withdrawn.recommend("me", 8, category="c3").items
    assert len(got) == 8
    assert all(c.item.category == "c3" and c.item.available for c in got)
    assert len(ids(withdrawn, "newcomer", 20, category="c3")) == 10  # all there are


def test_the_popular_fallback_refills_too(withdrawn: Personify) -> None:
    withdrawn.vectors.drop()  # from now on every read of the vector store fails
    got = withdrawn.recommend("me", 10)
    assert got.fallback == "vector_store_unavailable"
    assert len(got.items) == 10 and all(c.item.available for c in got.items)
    scores = [c.score for c in got.items]
    assert scores == sorted(scores, reverse=True)
