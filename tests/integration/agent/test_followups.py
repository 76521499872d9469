"""Follow-ups read with the conversation, through the real service on the demo catalog
(real Presidio and Chroma). The chat model always fails, so the deterministic answer
shows what retrieval found; the user has a role, so no onboarding questions come first."""

from __future__ import annotations

import pytest

from personify.agent.followups import leaning
from personify.agent.reasons import is_stock
from personify.agent.testing import ScriptedChatModel
from personify.domain import ChatTurn, Done
from personify.errors import ProviderError
from personify.service import Personify

FUNNELS = {"feat-funnels", "tpl-marketing-funnel"}
# what ad spend against revenue, then funnels, is about
ON_TOPIC = FUNNELS | {"tpl-campaign-roi", "int-google-ads", "guide-marketing-attribution"}


@pytest.fixture
def ana(demo: Personify, scripted: ScriptedChatModel) -> Personify:
    scripted.default = ProviderError("the model is down")
    demo.put_traits("ana", {"role": "Analyst"})
    return demo


def cards(turn: ChatTurn) -> list[str]:
    return [c.item_id for c in turn.cards]


def test_a_follow_up_naming_a_new_topic_moves_to_it(ana: Personify) -> None:
    first = ana.chat("ana", "s1", "Which report shows ad spend against revenue?")
    assert cards(first)[0] == "tpl-campaign-roi"
    funnels = ana.chat("ana", "s1", "And for funnels?")
    assert cards(funnels)[0] in FUNNELS
    lead = ana.item(cards(funnels)[0])
    assert funnels.message.startswith(f"Try {lead.title} ({lead.category}): ")  # its own words
    assert not any(is_stock(c.reason) for c in funnels.cards)


def test_a_follow_up_that_points_back_stays_on_the_topic(ana: Personify) -> None:
    ana.chat("ana", "s1", "Which report shows ad spend against revenue?")
    ana.chat("ana", "s1", "And for funnels?")
    shared = ana.chat("ana", "s1", "which of those can I share?")
    assert cards(shared)[0] in ON_TOPIC
    # the same words with no conversation before them are about something else
    alone = ana.chat("ana", "s2", "which of those can I share?")
    assert not set(cards(alone)) & ON_TOPIC


def test_a_standalone_question_leaves_the_earlier_topic(ana: Personify) -> None:
    ana.chat("ana", "s1", "Which report shows ad spend against revenue?")
    turn = ana.chat("ana", "s1", "How do I connect BigQuery?")
    assert cards(turn)[0] == "int-bigquery"


def test_a_client_sent_history_counts_like_a_stored_one(ana: Personify) -> None:
    history = [
        ("user", "Which report shows ad spend against revenue?"),
        ("assistant", "Try Campaign ROI Report."),
    ]
    events = ana.chat_events("ana", "stateless", "And for funnels?", history=history)
    turn = next(e.turn for e in events if isinstance(e, Done))
    assert cards(turn)[0] in FUNNELS


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("And for funnels?", "new_topic"),
        ("What about Microsoft Teams?", "new_topic"),
        ("Snowflake?", "new_topic"),
        ("which of those can I share?", "points_back"),
        ("Is there a template for that?", "points_back"),
        ("How do I connect BigQuery to the warehouse we already have?", "standalone"),
    ],
)
def test_how_much_a_message_leans_on_the_turns_before(message: str, expected: str) -> None:
    assert leaning(message) == expected
