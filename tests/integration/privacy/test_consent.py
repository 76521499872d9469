"""Consent: without personalization no profile is built or used, and events are dropped or
kept only as anonymous counts; without free-text consent those traits are not used."""

from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.service import Personify
from personify.store.events import ANONYMOUS


def test_withdrawn_personalization(
    client: TestClient, demo: Personify, scripted: ScriptedChatModel
) -> None:
    assert client.get("/v1/users/dana/consent").json() == {
        "personalization": True,
        "free_text": True,
        "analytics": True,
    }
    assert (
        client.put("/v1/users/dana/consent", json={"personalization": False}).json()[
            "personalization"
        ]
        is False
    )
    assert (
        demo.store.users.get_profile("dana") is None and demo.vectors.profile_vector("dana") is None
    )

    recs = client.get("/v1/users/dana/recommendations?n=5").json()
    assert recs["personalized"] is False
    assert all(r["reasons"] == ["Popular with other users"] for r in recs["items"])

    scripted.enqueue("no json")
    plan = client.post("/v1/users/dana/onboarding", json={}).json()
    assert plan["personalized"] is False and "popular" in plan["message"]
    prompt = " ".join(str(m.content) for m in scripted.history[-1])
    assert (
        "Data engineering lead" not in prompt
        and "Snowflake" not in prompt.split("Items I could start with")[0]
    )

    before = len(demo.store.events.for_user(ANONYMOUS))
    event = {
        "event_id": "consent-evt-1",
        "user_id": "dana",
        "type": "click",
        "item_id": "feat-alerts",
        "properties": {"ip": "1.2.3.4"},
    }
    kept = client.post("/v1/events", json={"events": [event]}).json()
    assert kept == {"accepted": 1, "duplicates": 0, "dropped": 0}
    anonymous = demo.store.events.for_user(ANONYMOUS)
    assert (
        len(anonymous) == before + 1
        and anonymous[-1].properties == {}
        and "consent-evt-1" not in anonymous[-1].event_id
    )
    assert "consent-evt-1" not in {e.event_id for e in demo.store.events.for_user("dana")}
    assert demo.store.users.get_profile("dana") is None  # still no profile

    client.put("/v1/users/dana/consent", json={"analytics": False})
    event["event_id"] = "consent-evt-2"
    assert client.post("/v1/events", json={"events": [event]}).json()["dropped"] == 1
    assert len(demo.store.events.for_user(ANONYMOUS)) == before + 1

    client.put("/v1/users/dana/consent", json={"personalization": True})
    assert client.get("/v1/users/dana/recommendations").json()["personalized"] is True
    assert demo.profile("dana").has_vector


def test_without_free_text_consent_those_traits_stay_out(
    client: TestClient, demo: Personify, scripted: ScriptedChatModel
) -> None:
    client.put("/v1/users/dana/consent", json={"free_text": False})
    scripted.enqueue("no json", "Try [[feat-alerts]].")
    client.post("/v1/users/dana/onboarding", json={})
    client.post(
        "/v1/chat",
        json={"user_id": "dana", "session_id": "f", "message": "I don't care about sales"},
    )
    prompts = " ".join(str(m.content) for call in scripted.history for m in call)
    assert "Data engineering lead" in prompts  # structured traits are still used
    assert "look after our Snowflake warehouse" not in prompts  # the free-text `about`
    assert demo.store.notes.get("dana").dislikes == []  # nothing learned
    assert client.get("/v1/users/ghost/consent").status_code == 404
