"""A user we know nothing about is onboarded entirely by a short conversation."""

from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel


def say(client: TestClient, text: str) -> dict:
    response = client.post(
        "/v1/chat", json={"user_id": "nova", "session_id": "first", "message": text}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_role_goal_and_interests_are_elicited_then_the_ranker_uses_them(
    client: TestClient, scripted: ScriptedChatModel
) -> None:
    assert client.put("/v1/users/nova", json={"traits": {}}).status_code == 200
    assert client.get("/v1/users/nova/profile").json()["has_vector"] is False
    first = say(client, "Hi there")
    assert "role" in first["message"] and first["provenance"]["template"] == "elicit.v1"
    second = say(client, "I lead the customer support team, I'm Nora Lindqvist")
    assert "first" in second["message"]
    third = say(client, "Cut our first response time")
    assert "areas" in third["message"]
    assert scripted.history == []  # the agent asks by itself: no model call yet
    scripted.enqueue("not json")  # the onboarding plan then falls back deterministically
    last = say(client, "Zendesk, SLA dashboards and ticket insights")
    assert last["provenance"]["template"] == "onboarding.v2"
    assert last["cards"] and {c["item_id"] for c in last["cards"]} <= set(
        last["provenance"]["candidates"]
    )

    traits = client.get("/v1/users/nova/profile").json()
    assert traits["has_vector"] is True
    recs = client.get("/v1/users/nova/recommendations?n=5").json()["items"]
    support = {
        "int-zendesk",
        "tpl-support-sla",
        "guide-support-metrics",
        "feat-ticket-insights",
        "int-intercom",
    }
    assert len(support & {r["item_id"] for r in recs}) >= 3, recs
    assert len(scripted.history) == 1  # one model call: the final onboarding message
    sent = str(scripted.history[0])
    assert "Nora Lindqvist" not in sent and "customer support team" in sent


def test_known_users_are_not_questioned(client: TestClient, scripted: ScriptedChatModel) -> None:
    scripted.enqueue("Try [[int-zendesk]] for that.")
    answer = client.post(
        "/v1/chat", json={"user_id": "sam", "session_id": "x", "message": "Hi there"}
    ).json()
    assert answer["provenance"]["template"] == "chat.v2"
