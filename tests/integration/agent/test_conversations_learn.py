"""What a user says in chat changes their next recommendations."""

from personify.agent.testing import ScriptedChatModel
from personify.domain import Candidate
from personify.service import Personify


def tagged(ranked: list[Candidate], tag: str) -> int:
    return sum(1 for c in ranked if tag in c.item.tags)


def test_stated_dislikes_and_interests_change_the_ranking(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    before = demo.recommend("marco", 6).items
    scripted.enqueue("Understood. The [[feat-sql-editor]] is a good place for a data team.")
    demo.chat("marco", "s", "I don't care about marketing, I run the data team")
    after = demo.recommend("marco", 6).items
    print("before:", [c.item.id for c in before])  # noqa: T201  (shown with pytest -s)
    print("after: ", [c.item.id for c in after])  # noqa: T201
    assert tagged(before, "marketing") >= 2
    assert tagged(after, "marketing") == 0
    assert tagged(after, "data") > tagged(before, "data")
    notes = demo.profile("marco").notes
    assert notes.dislikes == ["marketing"] and notes.interests == ["data team"]


def test_changing_your_mind_moves_a_phrase_between_lists(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    scripted.enqueue("Noted, see [[feat-funnels]].", "Noted, see [[feat-funnels]].")
    demo.chat("sam", "s", "I'm not interested in billing.")
    demo.chat("sam", "s", "Actually I'm interested in billing.")
    notes = demo.profile("sam").notes
    assert notes.interests == ["billing"] and notes.dislikes == []


def test_private_details_never_become_signals(demo: Personify, scripted: ScriptedChatModel) -> None:
    scripted.enqueue("Hello! Try [[int-zendesk]].")
    demo.chat("sam", "p", "I work with Jonas Eriksson on tickets")
    interests = demo.profile("sam").notes.interests
    assert all("Jonas" not in s and "Eriksson" not in s for s in interests)


def test_the_next_answer_knows_about_a_card_click(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    click = {
        "event_id": "w-1",
        "user_id": "sam",
        "type": "card_click",
        "item_id": "tpl-support-sla",
    }
    demo.add_events([click])
    scripted.enqueue("Glad you opened it; next try [[guide-support-metrics]].")
    demo.chat("sam", "k", "What next?")
    prompt = "\n".join(str(m.content) for m in scripted.history[-1])
    assert "recently opened: Support SLA Dashboard" in prompt
    assert "tpl-support-sla" not in [c.item.id for c in demo.recommend("sam", 10).items]


def test_replacing_the_traits_keeps_what_chat_learned(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    """PUT /v1/users/{id} replaces the traits the integrator sets; what the user said in
    chat is the agent's own note and outlives it."""
    scripted.enqueue("Understood. The [[feat-sql-editor]] is a good place for a data team.")
    demo.chat("marco", "s", "I don't care about marketing, I run the data team")
    demo.put_traits("marco", {"role": "Data lead"})
    profile = demo.profile("marco")
    assert profile.traits.role == "Data lead"
    assert profile.notes.dislikes == ["marketing"] and profile.notes.interests == ["data team"]
    assert tagged(demo.recommend("marco", 6).items, "marketing") == 0
