"""The privacy boundary from every side the caller controls: trait names, the goal under
consent, and a streamed answer, which shows nothing a guard would reject."""

from __future__ import annotations

from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.domain import Done, Replace, TokenDelta
from personify.service import Personify
from tests.integration.api.test_observability import samples, value


def sent(scripted: ScriptedChatModel) -> str:
    return "\n".join(str(m.content) for call in scripted.history for m in call)


def test_a_trait_name_must_be_a_plain_identifier(client: TestClient) -> None:
    for name in ("Ifeoma Okafor", "GB82 WEST 1234 5698 7654 32", "x" * 1_000_000, "role:"):
        response = client.put("/v1/users/lee", json={"traits": {name: "yes"}})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["field"] == "traits" and "plain identifier" in error["message"]
        assert len(error["message"]) < 300  # a huge name is not echoed back
    assert client.put("/v1/users/lee", json={"traits": {"job_title": "CFO"}}).status_code == 200


def test_trait_names_are_redacted_in_prompts(demo: Personify, scripted: ScriptedChatModel) -> None:
    """Names stored before the identifier rule, or names that are identifiers and PII."""
    demo.store.users.put_traits("lee", {"role": "Analyst", "Jonas_Eriksson": "my manager"})
    scripted.enqueue("not json")
    demo.onboard("lee")
    assert "Jonas" not in sent(scripted) and "Eriksson" not in sent(scripted)
    assert "my manager" in sent(scripted)


def test_without_free_text_consent_the_goal_never_reaches_the_model(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    demo.set_consent("dana", {"free_text": False})
    scripted.enqueue("not json")
    plan = demo.onboard("dana", goal="fewer late loads at Zorblax Freight")
    assert plan.items and "Zorblax" not in sent(scripted)
    assert "Zorblax" not in plan.message


def test_a_streamed_answer_stops_before_a_rejected_sentence(
    client: TestClient, demo: Personify, scripted: ScriptedChatModel
) -> None:
    before = samples(client)
    scripted.enqueue(
        "Start with the alerts feature, it watches every nightly load for you. "
        "Or write to jane.roe@contoso.com and she will fix it. More soon."
    )
    events = list(demo.chat_events("dana", "s", "How do I catch late loads?"))
    streamed = "".join(e.text for e in events if isinstance(e, TokenDelta))
    first = "Start with the alerts feature, it watches every nightly load for you."
    assert streamed.startswith(first) and "jane.roe" not in streamed
    assert not any(isinstance(e, Replace) for e in events)  # what passed stays shown
    done = events[-1]
    assert isinstance(done, Done) and done.turn.provenance.fallback == "pii_leak"
    assert done.turn.message.startswith(first) and "jane.roe" not in done.turn.message
    after = samples(client)
    reason = {"reason": "pii_leak"}
    assert value(after, "personify_fallbacks_total", **reason) == (
        value(before, "personify_fallbacks_total", **reason) + 1
    )
