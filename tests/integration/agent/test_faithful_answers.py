"""Faithfulness, enforced: a sentence the model's context does not support never reaches
the user, streamed or whole, and is never taken back; when too little is left, the answer
falls back and /metrics counts why. Real retrieval, Presidio and app; a scripted model."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from langchain_core.messages import BaseMessage
from prometheus_client.parser import text_string_to_metric_families

from personify.agent.agent import PersonalizationAgent
from personify.agent.testing import ScriptedChatModel
from personify.domain import ChatEvent, Done, Replace, TokenDelta
from personify.service import Personify

LATE = "How do I catch late loads before my team notices?"
ROI = "Which of our ad campaigns pay off?"
DENIAL = "You can't catch late loads."
VAGUE = "They're just your average data quality issues that every company lives with."
FIGURES = (
    "The report shows that ad spend against revenue is 1.3% of total sales, which "
    "translates to a $0.25 profit margin."
)


def candidates(messages: list[BaseMessage]) -> list[str]:
    prompt = "\n".join(str(m.content) for m in messages)
    return re.findall(r"^([a-z]+-[a-z-]+) \|", prompt, re.MULTILINE)


def about(item_id: str, said: str, *bad: str) -> object:
    """A reply that needs `item_id` among the candidates, then says `bad` and `said`."""

    def reply(messages: list[BaseMessage]) -> str:
        assert item_id in candidates(messages), candidates(messages)
        return " ".join([*bad, said])

    return reply


def streamed(events: list[ChatEvent]) -> tuple[str, Done]:
    assert not any(isinstance(e, Replace) for e in events)  # nothing was taken back
    done = events[-1]
    assert isinstance(done, Done)
    return "".join(e.text for e in events if isinstance(e, TokenDelta)), done


def test_a_denial_of_what_a_candidate_offers_is_never_streamed(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    good = "Start with [[tpl-data-quality]]: it alerts you when a load is late."
    scripted.enqueue(about("tpl-data-quality", good, DENIAL, VAGUE))
    text, done = streamed(list(demo.chat_events("dana", "f1", LATE)))
    assert done.turn.provenance.fallback is None
    assert text == done.turn.message
    assert "can't" not in text and "average" not in text
    assert text.startswith("Start with Data Quality Monitor")
    assert [c.item_id for c in done.turn.cards] == ["tpl-data-quality"]


def test_invented_figures_are_cut_from_a_json_answer(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    good = "Campaign ROI Report joins ad spend with closed revenue for every campaign."

    def reply(messages: list[BaseMessage]) -> str:
        assert "tpl-campaign-roi" in candidates(messages)
        return json.dumps({"message": f"{FIGURES} {good}", "items": ["tpl-campaign-roi"]})

    scripted.enqueue(reply)
    text, done = streamed(list(demo.chat_events("marco", "f2", ROI)))
    assert done.turn.provenance.fallback is None
    assert text == done.turn.message == good
    stored = demo.export("marco")["conversations"]
    assert not any("1.3%" in t["text"] for c in stored for t in c["turns"])  # nor kept


def test_a_supported_answer_passes_unchanged(demo: Personify, scripted: ScriptedChatModel) -> None:
    answer = (
        "Data Quality Monitor alerts you when a load is late or a column goes empty. "
        "Send those alerts to Slack so the team sees them."
    )
    scripted.enqueue(about("tpl-data-quality", answer))
    text, done = streamed(list(demo.chat_events("dana", "f3", LATE)))
    assert text == done.turn.message == answer
    assert done.turn.provenance.fallback is None


def samples(client: TestClient) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_an_answer_with_nothing_supported_falls_back_and_is_counted(
    client: TestClient, demo: Personify, scripted: ScriptedChatModel
) -> None:
    invented = "The Freshness Guardian Report costs $40 a month."
    scripted.enqueue(about("tpl-data-quality", invented, DENIAL))
    events = list(demo.chat_events("dana", "f4", LATE))
    text, done = streamed(events)  # the fallback follows nothing streamed: no Replace
    assert done.turn.provenance.fallback == "unfaithful"
    assert done.turn.provenance.model == "deterministic"
    assert "can't" not in text and "Freshness Guardian" not in text
    assert done.turn.cards
    key = ("personify_fallbacks_total", (("reason", "unfaithful"),))
    assert samples(client)[key] == 1


def test_onboarding_cuts_its_message_and_reasons_or_falls_back(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    top = [c.item.id for c in demo.recommend("sam", 8).items][:2]
    welcome = "Welcome aboard! These are good places for your team to start."
    plan = {
        "message": f"Teams like yours grow revenue 37% in the first quarter. {welcome}",
        "items": [
            {"item_id": top[0], "reason": "Saves 12 hours a week."},
            {"item_id": top[1], "reason": "A good place to start."},
        ],
    }
    scripted.enqueue(json.dumps(plan))
    got = demo.onboard("sam")
    assert got.provenance.fallback is None
    assert got.message == welcome
    assert "12 hours" not in got.items[0].reason  # the ranker's reason stands in
    assert got.items[1].reason == "A good place to start."
    plan["message"] = "Teams like yours grow revenue 37% in the first quarter."
    scripted.enqueue(json.dumps(plan))
    assert demo.onboard("sam").provenance.fallback == "unfaithful"


def test_each_cut_is_reported_by_kind(demo: Personify, scripted: ScriptedChatModel) -> None:
    cut: list[str] = []
    agent = PersonalizationAgent(
        store=demo.store,
        profiles=demo.profiles,
        recommender=demo.recommender,
        redactor=demo.redactor,
        detector=demo.detector,
        embedder=demo.parts.embedder,
        model=scripted,
        audit=demo.audit,
        vaults=demo.vaults,
        on_cut=cut.append,
    )
    good = "Start with [[tpl-data-quality]]: it alerts you when a load is late."
    scripted.enqueue(about("tpl-data-quality", good, DENIAL, "It fixes 9 of 10 late loads."))
    list(agent.chat_events("dana", "f5", LATE))
    assert cut == ["denial", "number"]


def test_cards_follow_retrieval_order_whatever_order_the_model_named_them(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    ranked: list[str] = []

    def reply(messages: list[BaseMessage]) -> str:
        ranked.extend(candidates(messages))
        third, first = ranked[2], ranked[0]
        text = f"Try [[{third}]] for the alerting side, and [[{first}]] to watch freshness."
        return json.dumps({"message": text, "items": [third, first]})

    scripted.enqueue(reply)
    text, done = streamed(list(demo.chat_events("dana", "f4", LATE)))
    assert done.turn.provenance.fallback is None
    assert [c.item_id for c in done.turn.cards] == [ranked[0], ranked[2]]


def test_an_onboarding_message_that_is_no_welcome_falls_back_to_one(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    top = [c.item.id for c in demo.recommend("sam", 8).items][:2]
    for message in (
        "You have a list of items that I could start with in the catalog.",
        "I'm ready to help! What's your next question about the catalog?",
    ):
        scripted.enqueue(json.dumps({"message": message, "items": top}))
        plan = demo.onboard("sam")
        assert plan.provenance.fallback == "not_a_welcome"
        assert "welcome" in plan.message.lower() or "Acme Analytics" in plan.message
    product = demo.settings.product_name
    scripted.enqueue(json.dumps({"message": f"Good to have you on {product}.", "items": top}))
    assert demo.onboard("sam").provenance.fallback is None
