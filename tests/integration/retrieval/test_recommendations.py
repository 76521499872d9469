"""The recommendation path on the demo catalog with real embeddings and Chroma."""

import pytest

from personify.errors import NotFound
from personify.service import Personify


def test_recommendations_skip_seen_and_unavailable_items_and_give_reasons(demo: Personify) -> None:
    seen = {e.item_id for e in demo.store.events.for_user("dana")}
    ranked = demo.recommend("dana", 20).items
    ids = [c.item.id for c in ranked]
    assert len(ids) == 20 == len(set(ids))
    assert not seen & set(ids)
    assert "feat-legacy-exports" not in ids  # available: false
    assert all(c.reasons for c in ranked)
    assert ranked[0].score >= ranked[-1].score


def test_a_cold_start_user_is_served_from_traits(demo: Personify) -> None:
    ranked = demo.recommend("sam", 5).items  # no events: traits and popularity
    assert demo.profile("sam").cold_start
    top = [c.item.id for c in ranked[:3]]
    support = {"int-zendesk", "tpl-support-sla", "guide-support-metrics", "feat-ticket-insights"}
    assert len(support & set(top)) >= 2, top


def test_personas_get_different_lists(demo: Personify) -> None:
    dana = [c.item.id for c in demo.recommend("dana", 5).items]
    marco = [c.item.id for c in demo.recommend("marco", 5).items]
    assert len(set(dana) & set(marco)) <= 2


def test_the_category_filter_holds(demo: Personify) -> None:
    ranked = demo.recommend("marco", 5, category="guide").items
    assert ranked and all(c.item.category == "guide" for c in ranked)


def test_co_visitation_finds_what_others_used_next(demo: Personify) -> None:
    for user in ("u1", "u2", "u3"):
        demo.add_events(
            [
                {"event_id": f"{user}-a", "user_id": user, "type": "use", "item_id": "int-jira"},
                {
                    "event_id": f"{user}-b",
                    "user_id": user,
                    "type": "use",
                    "item_id": "tpl-engineering-health",
                },
            ]
        )
    demo.add_events([{"event_id": "me-a", "user_id": "me", "type": "use", "item_id": "int-jira"}])
    ranked = demo.recommend("me", 5).items
    found = {c.item.id: c for c in ranked}
    assert "tpl-engineering-health" in found
    assert "covisit" in found["tpl-engineering-health"].sources
    assert any("Jira Integration" in r for r in found["tpl-engineering-health"].reasons)


def test_unknown_users_are_not_found_with_a_hint(demo: Personify) -> None:
    with pytest.raises(NotFound, match="PUT /v1/users/ghost"):
        demo.recommend("ghost")
