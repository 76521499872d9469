"""Reasons a user can check, and the fallback answers built on them, over the demo
catalog's items and the real embedder."""

from __future__ import annotations

import pytest

from personify.agent import fallback
from personify.agent.reasons import (
    Explainer,
    Reason,
    Recent,
    Signals,
    clauses_of,
    is_stock,
    lead_with,
)
from personify.demo import catalog
from personify.domain import Candidate, Item
from personify.retrieval.embeddings import MiniLMEmbedder

ITEMS = {row["id"]: Item(**row) for row in catalog()}


def candidate(item_id: str, *reasons: str) -> Candidate:
    return Candidate(
        item=ITEMS[item_id],
        score=0.5,
        sources=("vector",),
        reasons=reasons or ("Matches what you asked about",),
    )


@pytest.fixture(scope="module")
def explainer(embedder: MiniLMEmbedder) -> Explainer:
    return Explainer(embedder)


def asked(embedder: MiniLMEmbedder, question: str) -> Signals:
    return Signals(query=embedder.embed([question])[0])


def test_stock_phrases_are_told_apart_from_reasons_about_the_item() -> None:
    assert is_stock("Matches what you asked about")
    assert is_stock("Popular with other users.")
    assert is_stock("In feature, one of your most used areas")
    assert not is_stock("Like SQL Editor, which you used yesterday")
    assert not is_stock("Often used together with Funnel Analysis")
    assert not is_stock("Popular with other users: write SQL against your connected warehouse")


def test_a_description_splits_into_sentences_and_the_parts_that_stand_alone() -> None:
    parts = clauses_of(ITEMS["feat-dashboards"].description)
    assert parts[0] == "Build shared dashboards from saved queries and charts"
    assert "pin the numbers your team checks every morning" in parts


def test_the_reason_is_the_part_of_the_description_that_answers_the_question(
    explainer: Explainer, embedder: MiniLMEmbedder
) -> None:
    question = "How do I find out when a nightly load is late?"
    found = [candidate("tpl-data-quality"), candidate("feat-sql-editor")]
    reasons = explainer.explain(found, asked(embedder, question))
    quality = reasons["tpl-data-quality"]
    assert quality.kind == "question" and "when a load is late" in quality.text
    assert reasons["feat-sql-editor"].kind != "question"  # it does not answer this
    assert reasons["feat-sql-editor"].text.startswith("Near what you asked: write SQL")


def test_stated_interests_and_recent_items_are_named(explainer: Explainer) -> None:
    snowflake = Recent(item=ITEMS["int-snowflake"], event="use", days=1.2)
    signals = Signals(query=None, interests=["Zendesk", "<PERSON_1>"], recent=[snowflake])
    found = [
        candidate("int-zendesk", "Fits your stated interests"),
        candidate("int-bigquery", "Close to what you opened last"),
    ]
    reasons = explainer.explain(found, signals)
    assert reasons["int-zendesk"].text.startswith("For your interest in Zendesk: load Zendesk")
    assert reasons["int-bigquery"].text == "Like Snowflake Connector, which you used yesterday"
    assert all("<PERSON" not in r.text for r in reasons.values())  # never a placeholder


def test_an_interest_with_a_placeholder_is_not_repeated(explainer: Explainer) -> None:
    signals = Signals(query=None, interests=["<PERSON_1> tickets"])
    reason = explainer.explain([candidate("int-zendesk", "Popular with other users")], signals)
    assert reason["int-zendesk"].kind == "source"
    assert reason["int-zendesk"].text.startswith("Popular with other users: load Zendesk")


def test_each_candidate_is_led_by_its_own_reason(
    explainer: Explainer, embedder: MiniLMEmbedder
) -> None:
    found = [candidate("feat-funnels")]
    reasons = explainer.explain(found, asked(embedder, "Where do users drop off?"))
    lead_with(found, reasons)
    assert found[0].reasons[0] == reasons["feat-funnels"].text
    assert found[0].reasons[1] == "Matches what you asked about"  # the generator's label stays


def test_the_fallback_answer_leads_with_the_item_that_answers(
    explainer: Explainer, embedder: MiniLMEmbedder
) -> None:
    ranked = [
        candidate(i) for i in ("feat-sql-editor", "guide-getting-started", "tpl-campaign-roi")
    ]
    reasons = explainer.explain(
        ranked, asked(embedder, "Which report shows ad spend against revenue?")
    )
    lead_with(ranked, reasons)
    answer = fallback.chat_answer(ranked, reasons, count=2)
    assert answer.item_ids == ["tpl-campaign-roi", "feat-sql-editor"]
    assert answer.text.startswith("Try Campaign ROI Report (template): join ad spend with closed")
    assert "Matches what you asked about" not in answer.text


def test_without_an_answer_the_fallback_says_so_and_keeps_the_order(
    explainer: Explainer, embedder: MiniLMEmbedder
) -> None:
    ranked = [candidate("feat-sso"), candidate("feat-audit-log")]
    reasons = explainer.explain(ranked, asked(embedder, "What is the weather in Lisbon?"))
    answer = fallback.chat_answer(ranked, reasons)
    assert answer.item_ids == ["feat-sso", "feat-audit-log"]
    assert answer.text.startswith("Nothing answers that exactly")


def test_the_welcome_names_the_product_and_why_the_first_item_comes_first() -> None:
    picks = [candidate("int-zendesk"), candidate("tpl-support-sla")]
    because = Reason(
        text="For your interest in Zendesk: load Zendesk tickets",
        kind="interest",
        because="for your interest in Zendesk",
        clause="Load Zendesk tickets, satisfaction ratings and agent activity",
        fit=0.0,
    )
    message = fallback.onboarding_message(
        picks, "Sam", None, product="Acme Analytics", reasons={"int-zendesk": because}
    )
    assert message.startswith("Welcome to Acme Analytics, Sam! For your interest in Zendesk,")
    assert "start with Zendesk Integration: load Zendesk tickets" in message
    assert message.endswith("Then try Support SLA Dashboard.")
