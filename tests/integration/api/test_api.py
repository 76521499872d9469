"""Every endpoint through the FastAPI app, with the scripted model behind the agent."""

import json

import pytest
from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.service import Personify


def test_health(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["items"] == 64


def test_items_upsert_and_read(client: TestClient) -> None:
    item = {
        "id": "int-notion",
        "title": "Notion Integration",
        "description": "Embed charts in Notion pages.",
        "category": "integration",
        "tags": ["docs"],
        "attributes": {"plan": "pro"},
    }
    assert client.post("/v1/items", json={"items": [item]}).json() == {"upserted": 1}
    got = client.get("/v1/items/int-notion").json()
    assert got["title"] == "Notion Integration" and got["attributes"] == {"plan": "pro"}
    item["title"] = "Notion Connector"
    client.post("/v1/items", json={"items": [item]})
    assert client.get("/v1/items/int-notion").json()["title"] == "Notion Connector"


def test_errors_have_one_shape(client: TestClient) -> None:
    missing = client.get("/v1/items/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert "POST /v1/items" in missing.json()["error"]["message"]
    bad_item = client.post("/v1/items", json={"items": [{"id": "x", "title": "ok"}, {"id": "y"}]})
    assert bad_item.status_code == 422
    assert bad_item.json()["error"]["field"] == "items[1].title"
    assert client.get("/v1/items/x").status_code == 404  # nothing of that batch was stored
    malformed = client.post(
        "/v1/events", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422 and malformed.json()["error"]["code"] == "invalid_input"
    wrong_type = client.post("/v1/events", json={"events": "many"})
    assert wrong_type.status_code == 422 and wrong_type.json()["error"]["field"] == "events"
    bad_n = client.get("/v1/users/dana/recommendations?n=0")
    assert bad_n.status_code == 422 and bad_n.json()["error"]["field"] == "n"


def test_limits_answer_413(client: TestClient, demo: Personify) -> None:
    batch = [{"user_id": "u", "type": "view"}] * (demo.settings.max_batch + 1)
    over = client.post("/v1/events", json={"events": batch})
    assert over.status_code == 413 and over.json()["error"]["field"] == "events"
    huge = client.post(
        "/v1/items", content=b"x" * (5 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413
    assert "4194304" in huge.json()["error"]["message"]  # the limit is named


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "limit"),
    [
        ("put", "/v1/users/dana", {"traits": {f"t{n}": "x" for n in range(31)}}, "traits", "30"),
        ("put", "/v1/users/dana", {"traits": {"about": "x" * 5001}}, "traits.about", "5000"),
        ("put", "/v1/users/dana", {"traits": {"nick": "x" * 5001}}, "traits.nick", "5000"),
        ("put", "/v1/users/dana", {"traits": {"pets": ["x"] * 51}}, "traits.pets", "50"),
        (
            "post",
            "/v1/events",
            {"events": [{"user_id": "dana", "type": "view", "properties": {"x": "y" * 17_000}}]},
            "events[0].properties",
            "16384",
        ),
        (
            "post",
            "/v1/items",
            {"items": [{"id": "i1", "title": "t", "tags": ["x" * 101]}]},
            "items[0].tags.0",
            "100",
        ),
        (
            "post",
            "/v1/chat",
            {"user_id": "dana", "session_id": "s", "message": "x" * 5001},
            "message",
            "5000",
        ),
        ("post", "/v1/users/dana/onboarding", {"goal": "x" * 1001}, "goal", "1000"),
    ],
)
def test_over_a_limit_is_422_naming_field_and_limit(
    client: TestClient, method: str, path: str, body: object, field: str, limit: str
) -> None:
    answer = getattr(client, method)(path, json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["field"] == field and limit in error["message"]


def test_events_in_both_shapes_then_profile(client: TestClient) -> None:
    batch = {
        "events": [
            {"event_id": "a1", "user_id": "lee", "type": "use", "item_id": "int-github"},
            {
                "messageId": "m1",
                "userId": "lee",
                "event": "Product Clicked",
                "properties": {"product_id": "tpl-engineering-health"},
                "timestamp": "2026-11-27T10:00:00Z",
            },
        ]
    }
    assert client.post("/v1/events", json=batch).json() == {
        "accepted": 2,
        "duplicates": 0,
        "dropped": 0,
    }
    assert client.post("/v1/events", json=batch).json() == {
        "accepted": 0,
        "duplicates": 2,
        "dropped": 0,
    }
    bad = client.post("/v1/events", json={"events": [batch["events"][0], {"user_id": "lee"}]})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "events[1].type"
    profile = client.get("/v1/users/lee/profile").json()
    assert profile["features"]["events_total"] == 2
    assert profile["cold_start"] is False and profile["top_categories"]


def test_users_traits_recommendations_and_404s(client: TestClient) -> None:
    put = client.put(
        "/v1/users/kim",
        json={"traits": {"role": "Sales lead", "interests": ["pipeline forecasting"]}},
    )
    assert put.status_code == 200 and put.json()["traits"]["role"] == "Sales lead"
    recs = client.get("/v1/users/kim/recommendations?n=5").json()
    assert recs["cold_start"] is True and len(recs["items"]) == 5
    assert all(r["reasons"] and r["item_id"] for r in recs["items"])
    guides = client.get("/v1/users/kim/recommendations?n=3&category=guide").json()["items"]
    assert {r["category"] for r in guides} == {"guide"}
    bad_traits = client.put("/v1/users/kim", json={"traits": {"interests": "not a list"}})
    assert (
        bad_traits.status_code == 422 and bad_traits.json()["error"]["field"] == "traits.interests"
    )
    ghost = client.get("/v1/users/ghost/recommendations")
    assert ghost.status_code == 404 and "PUT /v1/users/ghost" in ghost.json()["error"]["message"]
    assert client.get("/v1/users/bad%20id/profile").status_code == 422


def test_onboarding(client: TestClient, scripted: ScriptedChatModel) -> None:
    scripted.enqueue("not json at all", "not json at all")  # both onboardings fall back
    body = client.post("/v1/users/dana/onboarding", json={"goal": "watch late loads"}).json()
    assert {"message", "items", "provenance"} <= set(body) and body["personalized"] is True
    assert set(body["provenance"]) == {
        *("model", "template", "fallback", "candidates", "redacted", "tokens_in", "tokens_out")
    }
    assert body["provenance"]["tokens_in"] > 0  # the model was called, then its answer refused
    assert body["provenance"]["fallback"] == "invalid_output"
    assert body["items"] and {i["item_id"] for i in body["items"]} <= set(
        body["provenance"]["candidates"]
    )
    assert client.post("/v1/users/dana/onboarding").status_code == 200  # the body is optional
    assert client.post("/v1/users/ghost/onboarding", json={}).status_code == 404


def test_chat_json_and_stream(client: TestClient, scripted: ScriptedChatModel) -> None:
    answer = json.dumps(
        {
            "message": "The Zendesk Integration brings tickets in. It keeps queues in one place.",
            "items": ["int-zendesk"],
        }
    )
    scripted.enqueue(answer, answer)
    turn = client.post(
        "/v1/chat", json={"user_id": "sam", "session_id": "c1", "message": "Tickets?"}
    ).json()
    assert turn["cards"][0]["item_id"] == "int-zendesk" and turn["provenance"]["fallback"] is None
    with client.stream(
        "POST",
        "/v1/chat",
        json={"user_id": "sam", "session_id": "c1", "message": "More?", "stream": True},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    kinds = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("event: ")]
    assert kinds.count("token") > 1 and kinds[-1] == "done"  # a sentence at a time
    done = json.loads(text.strip().split("data: ")[-1])
    assert done["cards"][0]["title"] == "Zendesk Integration"
    ghost = client.post(
        "/v1/chat", json={"user_id": "ghost", "session_id": "c", "message": "hi", "stream": True}
    )
    assert ghost.status_code == 404
    empty = client.post("/v1/chat", json={"user_id": "sam", "session_id": "c", "message": ""})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "message"


def test_delete_user_removes_everything(
    client: TestClient, demo: Personify, scripted: ScriptedChatModel
) -> None:
    demo.behaviour.refresh()
    assert demo.behaviour.covisited(["int-snowflake"], 5)  # only dana used Snowflake
    scripted.enqueue("Try [[feat-alerts]].")
    client.post(
        "/v1/chat",
        json={"user_id": "dana", "session_id": "d", "message": "My name is Dana Whitfield"},
    )
    assert demo.vectors.profile_vector("dana") is not None
    response = client.delete("/v1/users/dana")
    assert response.status_code == 200 and response.json()["deleted"] is True
    assert demo.store.events.for_user("dana") == []
    assert demo.store.users.get_traits("dana") is None
    assert demo.store.users.get_profile("dana") is None
    assert demo.store.users.recent_turns("dana", "d") == []
    assert demo.vaults.of_user("dana") == {}
    assert demo.vectors.profile_vector("dana") is None
    assert client.get("/v1/users/dana/profile").status_code == 404
    assert client.delete("/v1/users/dana").status_code == 404
    # Co-visitation, derived from the log, no longer counts the erased history.
    demo.behaviour.refresh()
    assert demo.behaviour.covisited(["int-snowflake"], 5) == []
