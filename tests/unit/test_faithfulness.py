"""The faithfulness check: a sentence stands on what the model was given, or is cut.
Clear cases of each kind, and paraphrases that must pass."""

from __future__ import annotations

import pytest

from personify.agent.faithfulness import Faithfulness, is_denial, sentences

QUESTION = "How do I catch late loads before my team notices?"
PROFILE = "role: <PERSON_1>'s data team lead\nmost used areas: data, engineering"
CANDIDATES = (
    "tpl-data-quality | Data Quality Monitor | template | Fits your question\n"
    "feat-alerts | Metric Alerts | feature | Fits your question\n"
    "int-slack | Slack Integration | integration | Fits your question"
)
OFFERS = [
    "Data Quality Monitor Freshness, row counts and null rates for your key tables, with "
    "alerts when a load is late or a column goes empty. data engineering monitoring",
    "Metric Alerts Get notified when a metric crosses a threshold or moves more than usual. "
    "Alerts go to e-mail, Slack or a webhook, with the chart attached.",
    "Slack Integration Post alerts, scheduled reports and chart snapshots to Slack channels, "
    "and ask for a metric with a slash command. Top 10 channels.",
]


@pytest.fixture
def faith() -> Faithfulness:
    titles = {"tpl-data-quality": "Data Quality Monitor", "int-slack": "Slack Integration"}
    return Faithfulness([CANDIDATES, PROFILE, QUESTION], OFFERS, titles)


@pytest.mark.parametrize(
    "sentence",
    [
        "Data Quality Monitor alerts you when a load is late or a column goes empty.",
        "Start with [[tpl-data-quality]]: it watches freshness and null rates in your tables.",
        "Hi <PERSON_1>, that is a great question!",
        "Alerting on a late load means your team hears about it first.",
        "Send those alerts to Slack channels, with the chart attached.",
        "So you won't miss a late load again.",  # a benefit, not a denial
        "Slack Integration posts to your top 10 channels.",  # the number is in the context
        "Welcome aboard!",
    ],
)
def test_supported_sentences_and_paraphrases_pass(faith: Faithfulness, sentence: str) -> None:
    verdict = faith.check(sentence)
    assert verdict.supported, verdict


@pytest.mark.parametrize(
    ("sentence", "kind", "detail"),
    [
        ("Most teams see late loads drop by 40% in a month.", "number", "40"),
        ("It costs $0.25 per table.", "number", "$0.25"),
        ("Over fifty teams rely on it.", "number", "fifty"),
        (
            "The Freshness Guardian Report lists every late table.",
            "name",
            "Freshness Guardian Report",
        ),
        ("Pair it with Tableau for the charts.", "name", "Tableau"),
        ("You can't catch late loads.", "denial", "can't"),
        ("Unfortunately Data Quality Monitor does not alert on a late load.", "denial", "does not"),
        (
            "They're just your average quality issues that every company lives with.",
            "claim",
            "",
        ),
        ("Late loads usually come from cloud providers throttling bandwidth.", "claim", ""),
    ],
)
def test_unsupported_sentences_say_why(
    faith: Faithfulness, sentence: str, kind: str, detail: str
) -> None:
    verdict = faith.check(sentence)
    assert not verdict.supported
    assert verdict.reason == kind
    assert detail in verdict.detail


def test_a_denial_of_what_no_candidate_offers_is_no_denial(faith: Faithfulness) -> None:
    assert faith.check("You can't print a warehouse diagram.").reason != "denial"
    assert faith.check("It can't alert on a late load.").reason == "denial"


def test_cutting_keeps_the_supported_sentences_in_order(faith: Faithfulness) -> None:
    text = (
        "You can't catch late loads. Data Quality Monitor alerts you when a load is late. "
        "It cuts incidents by 73%. Send the alerts to Slack."
    )
    kept = faith.keep_supported(text)
    assert (
        kept.text
        == "Data Quality Monitor alerts you when a load is late. Send the alerts to Slack."
    )
    assert [v.reason for v in kept.cut] == ["denial", "number"]


def test_sentences_rejoin_to_the_text() -> None:
    text = "One. Two!\nThree? Four"
    assert "".join(sentences(text)) == text
    assert [s.strip() for s in sentences(text)] == ["One.", "Two!", "Three?", "Four"]


def test_denials_are_told_from_benefits() -> None:
    assert is_denial("This dashboard does not have a refresh schedule.")
    assert is_denial("There is no way to export it.")
    assert not is_denial("You won't miss a late load.")
    assert not is_denial("Data Quality Monitor alerts you when a load is late.")


@pytest.mark.parametrize(
    "sentence",
    [
        "You want to catch late loads before your team notices.",
        "How do you catch late loads?",
        "Catching late loads before the team notices is what you asked about.",
    ],
)
def test_a_sentence_that_only_says_the_question_back_is_cut(sentence: str) -> None:
    faith = Faithfulness([CANDIDATES, PROFILE, QUESTION], OFFERS, question=QUESTION)
    verdict = faith.check(sentence)
    assert (verdict.supported, verdict.reason) == (False, "echo")


@pytest.mark.parametrize(
    "sentence",
    [
        "To catch late loads before your team notices, open [[tpl-data-quality]].",
        "Data Quality Monitor catches late loads.",
        "Alerts on late loads reach your team in Slack.",  # says more than the question
    ],
)
def test_an_answer_that_reuses_the_question_words_is_kept(sentence: str) -> None:
    faith = Faithfulness(
        [CANDIDATES, PROFILE, QUESTION],
        OFFERS,
        {"tpl-data-quality": "Data Quality Monitor"},
        question=QUESTION,
    )
    assert faith.check(sentence).supported


def test_a_marker_beside_a_capitalised_word_is_no_invented_name() -> None:
    faith = Faithfulness(
        [CANDIDATES, "Which SLAs matter?"], OFFERS, {"int-slack": "Slack Integration"}
    )
    assert faith.check("Watch your SLAs in [[int-slack]] every morning.").supported
