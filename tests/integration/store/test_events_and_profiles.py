"""Event ingestion on real SQLite and Chroma: durable, idempotent, all-or-nothing, and
profiles that change as events arrive."""

from datetime import timedelta

import pytest

from personify.domain import utcnow
from personify.errors import InputError, TooLarge
from personify.service import Personify
from personify.store import Store


def events(user: str, *items: str, kind: str = "use") -> list[dict]:
    now = utcnow()
    return [
        {
            "event_id": f"{user}-{kind}-{item}",
            "user_id": user,
            "type": kind,
            "item_id": item,
            "timestamp": (now - timedelta(days=n)).isoformat(),
        }
        for n, item in enumerate(items)
    ]


def test_events_are_idempotent_by_id(demo: Personify) -> None:
    batch = events("newbie", "feat-alerts", "int-slack")
    first = demo.add_events(batch)
    again = demo.add_events(batch)
    assert (first.accepted, first.duplicates) == (2, 0)
    assert (again.accepted, again.duplicates) == (0, 2)
    assert len(demo.store.events.for_user("newbie")) == 2


def test_a_batch_with_one_bad_event_stores_nothing(demo: Personify) -> None:
    before = demo.store.events.count()
    batch = events("newbie", "feat-alerts", "int-slack") + [{"user_id": "newbie", "type": ""}]
    with pytest.raises(InputError) as err:
        demo.add_events(batch)
    assert err.value.field == "events[2].type"
    unknown = events("newbie", "feat-alerts") + [
        {"user_id": "newbie", "type": "use", "item_id": "ghost"}
    ]
    with pytest.raises(InputError) as err:
        demo.add_events(unknown)
    assert err.value.field == "events[1].item_id"
    assert demo.store.events.count() == before


def test_a_batch_over_the_limit_is_too_large(demo: Personify) -> None:
    batch = [{"user_id": "u", "type": "view"}] * (demo.settings.max_batch + 1)
    with pytest.raises(TooLarge):
        demo.add_events(batch)


def test_acknowledged_events_are_on_disk(demo: Personify) -> None:
    demo.add_events(events("durable", "feat-alerts"))
    other = Store.open(
        demo.settings.sqlalchemy_url, demo.settings.database_schema
    )  # a second connection, as after a restart
    try:
        assert [e.item_id for e in other.events.for_user("durable")] == ["feat-alerts"]
    finally:
        other.close()


def test_profiles_update_as_events_arrive(demo: Personify) -> None:
    demo.put_traits("pat", {"role": "Accountant", "interests": ["budgets"]})
    cold = demo.profile("pat")
    assert cold.cold_start and cold.features.events_total == 0 and cold.has_vector
    demo.add_events(events("pat", "int-stripe", "tpl-saas-metrics", "guide-revenue-metrics"))
    warm = demo.profile("pat")
    assert not warm.cold_start
    assert warm.features.events_7d == 3
    assert warm.features.engagement_ratio == 1.0
    assert set(warm.features.top_categories) == {"integration", "template", "guide"}
    assert warm.updated_at >= cold.updated_at
