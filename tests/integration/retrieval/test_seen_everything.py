"""A user who has used every item on offer still gets an answer: the items they used
longest ago, said so in `fallback: seen_everything`; onboarding and chat work for them.
"POST /v1/items first" is for a catalog that is really empty."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.service import Personify

DAY = 86_400.0
NOW = time.time()  # the history profiles read is the last 180 days


def use_everything(
    service: Personify, user_id: str, *, dislike_first: bool = False, leave: int = 0
) -> list[str]:
    """Events for every available item but the last `leave`, the first listed used longest
    ago (and disliked, with `dislike_first`); returns every available item."""
    offered = [i.id for i in service.store.catalog.iter_all() if i.available]
    used = offered[: len(offered) - leave]
    events = [
        {
            "event_id": f"{user_id}-{n}",
            "user_id": user_id,
            "type": "dislike" if dislike_first and n == 0 else "use",
            "item_id": item_id,
            "timestamp": NOW - (len(used) - n) * DAY,
        }
        for n, item_id in enumerate(used)
    ]
    service.add_events(events)
    return offered


@pytest.fixture
def api(demo: Personify, scripted: ScriptedChatModel) -> Iterator[TestClient]:
    scripted.default = "not JSON"  # answers fall back to the deterministic rendering
    with TestClient(create_app(demo)) as client:
        yield client


def test_recommendations_offer_what_was_used_longest_ago(demo: Personify, api: TestClient) -> None:
    offered = use_everything(demo, "completist", dislike_first=True)
    response = api.get("/v1/users/completist/recommendations", params={"n": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["fallback"] == "seen_everything"
    assert body["personalized"] is True
    ids = [i["item_id"] for i in body["items"]]
    assert ids == offered[1:6]  # the oldest first, but not the one they disliked
    assert all("worth another look" in i["reasons"][0] for i in body["items"])
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    everything = api.get("/v1/users/completist/recommendations", params={"n": 100}).json()
    assert everything["items"][-1]["item_id"] == offered[0]  # disliked: offered last


def test_the_category_filter_holds_when_everything_was_seen(
    demo: Personify, api: TestClient
) -> None:
    use_everything(demo, "completist")
    body = api.get(
        "/v1/users/completist/recommendations", params={"n": 3, "category": "guide"}
    ).json()
    assert body["fallback"] == "seen_everything"
    assert body["items"] and all(i["category"] == "guide" for i in body["items"])


def test_a_user_with_unseen_items_left_gets_only_those(demo: Personify, api: TestClient) -> None:
    offered = use_everything(demo, "almost", leave=1)
    body = api.get("/v1/users/almost/recommendations", params={"n": 5}).json()
    assert body["fallback"] is None
    assert [i["item_id"] for i in body["items"]] == [offered[-1]]


def test_onboarding_and_chat_work_for_a_user_who_has_seen_everything(
    demo: Personify, api: TestClient
) -> None:
    offered = use_everything(demo, "completist")
    api.put("/v1/users/completist", json={"traits": {"role": "analyst"}})
    plan = api.post("/v1/users/completist/onboarding", json={})
    assert plan.status_code == 200, plan.text
    assert plan.json()["items"] and {i["item_id"] for i in plan.json()["items"]} <= set(offered)
    chat = api.post(
        "/v1/chat",
        json={"user_id": "completist", "session_id": "s1", "message": "What should I try?"},
    )
    assert chat.status_code == 200, chat.text
    assert "POST /v1/items" not in chat.text and chat.json()["message"]


def test_an_empty_catalog_still_says_to_add_items(
    service: Personify, scripted: ScriptedChatModel
) -> None:
    scripted.default = "not JSON"
    service.put_traits("first", {"role": "analyst"})
    with TestClient(create_app(service)) as client:
        response = client.post("/v1/users/first/onboarding", json={})
        recs = client.get("/v1/users/first/recommendations").json()
    assert response.status_code == 404
    assert "POST /v1/items first" in response.json()["error"]["message"]
    assert recs["items"] == [] and recs["fallback"] is None
