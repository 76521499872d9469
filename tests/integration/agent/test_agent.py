"""The agent's own logic with a scripted model, on real retrieval and real Presidio."""

import json

from personify.agent.testing import ScriptedChatModel
from personify.domain import ChatEvent, Done, Replace, TokenDelta
from personify.errors import ProviderError, ProviderTimeout
from personify.service import Personify


def plan_reply(
    *ids: str, message: str = "Welcome aboard! Here is where your team should start."
) -> str:
    return json.dumps(
        {"message": message, "items": [{"item_id": i, "reason": "A fine first step."} for i in ids]}
    )


def test_a_valid_model_answer_is_used(demo: Personify, scripted: ScriptedChatModel) -> None:
    top = [c.item.id for c in demo.recommend("sam", 8).items]
    scripted.enqueue(plan_reply(top[0], top[1]))
    plan = demo.onboard("sam")
    assert plan.provenance.fallback is None
    assert plan.provenance.model == "scripted"
    assert plan.provenance.template == "onboarding.v2"
    assert [i.item_id for i in plan.items] == top[:2]
    assert plan.items[0].title == demo.item(top[0]).title
    enum = scripted.schemas[-1]["properties"]["items"]["items"]["enum"]
    assert set(enum) == set(plan.provenance.candidates)  # ids constrained to the candidates


def test_an_item_outside_the_candidates_falls_back(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    scripted.enqueue(plan_reply("feat-legacy-exports"))
    plan = demo.onboard("sam")
    assert plan.provenance.fallback == "unknown_item"
    assert plan.provenance.model == "deterministic"
    assert {i.item_id for i in plan.items} <= set(plan.provenance.candidates)
    assert "Sam Okafor" in plan.message  # the user's own name, restored for them


def test_model_errors_and_garbage_fall_back(demo: Personify, scripted: ScriptedChatModel) -> None:
    scripted.enqueue(ProviderError("down"), ProviderTimeout("slow"), "lol", plan_reply())
    reasons = [demo.onboard("marco").provenance.fallback for _ in range(4)]
    assert reasons == ["model_error", "timeout", "invalid_output", "invalid_output"]


def test_plain_text_chat_with_markers_becomes_cards(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    question = "Where do sign-ups drop off?"
    scripted.enqueue("")  # a first, empty answer shows which candidates this question gets
    candidates = demo.chat("marco", "s1", question).provenance.candidates
    pick = demo.item(candidates[0])
    scripted.enqueue(
        f"For drop-offs, open [[{pick.id}]] and the [[not-real]] page; both are quick."
    )
    turn = demo.chat("marco", "s1", question)
    assert turn.provenance.fallback is None
    assert pick.title in turn.message and "not-real" not in turn.message
    assert [c.item_id for c in turn.cards] == [pick.id]
    assert turn.cards[0].title == pick.title


def shown(events: list[ChatEvent]) -> str:
    """What a client that follows the stream ends up showing."""
    text = ""
    for event in events:
        match event:
            case TokenDelta(text=delta):
                text += delta
            case Replace(message=message):
                text = message
    return text


def test_an_ungrounded_chat_answer_falls_back_to_real_items(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    rejected = "I am just a humble assistant and cannot help with tools at all, sorry."
    scripted.enqueue(f"Good question, let me think about that. {rejected}")
    events = list(demo.chat_events("marco", "s2", "What should I use?"))
    done = events[-1]
    assert isinstance(done, Done)
    assert done.turn.provenance.fallback == "ungrounded"
    assert done.turn.cards
    assert {c.item_id for c in done.turn.cards} <= set(done.turn.provenance.candidates)
    assert not any(isinstance(e, Replace) for e in events)  # nothing is taken back:
    assert shown(events) == done.turn.message  # what was shown stays, the fallback follows
    assert all(rejected not in e.text for e in events if isinstance(e, TokenDelta))


def test_chat_streams_in_pieces_and_remembers_the_conversation(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    answer = json.dumps(
        {
            "message": "Start with the Zendesk Integration. Then watch your queues.",
            "items": ["int-zendesk"],
        }
    )
    scripted.enqueue(answer, answer)
    events = list(demo.chat_events("sam", "s3", "How do I watch SLAs?"))
    tokens = [e.text for e in events if isinstance(e, TokenDelta)]
    assert len(tokens) > 1
    assert "".join(tokens) == "Start with the Zendesk Integration. Then watch your queues."
    demo.chat("sam", "s3", "And then?")
    second_prompt = scripted.history[-1]
    assert [m.type for m in second_prompt[1:-1]] == ["human", "ai"]  # the earlier turn
    assert "How do I watch SLAs?" in str(second_prompt[1].content)
