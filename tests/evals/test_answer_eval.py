"""The answer eval: its labelled questions, its two figures, and the runner on a few
questions through the real service (the model down, so the fallback answers)."""

from __future__ import annotations

from pathlib import Path

from personify.demo import catalog
from personify.evals.answers import (
    Asked,
    Question,
    answer_relevance,
    load_questions,
    run_answer_eval,
    specific_reason_rate,
)
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import load_settings

ROI = Question(id="t1", question="Which report shows ad spend?", answers=frozenset({"tpl-roi"}))


def test_the_questions_are_labelled_with_real_demo_items() -> None:
    questions = load_questions()
    offered = {row["id"] for row in catalog() if row.get("available", True)}
    assert len(questions) >= 40
    assert len({q.id for q in questions}) == len(questions)
    for question in questions:
        assert question.answers and question.answers <= offered, question.id
    asked = {q.question for q in questions}
    assert all(q.previous in asked for q in questions if q.previous is not None)


def test_relevance_counts_only_the_first_card() -> None:
    hit = Asked(question=ROI, cards=("tpl-roi", "x"), reasons=("a", "b"), fallback=None)
    second = Asked(question=ROI, cards=("x", "tpl-roi"), reasons=("a", "b"), fallback=None)
    none = Asked(question=ROI, cards=(), reasons=(), fallback="model_error")
    assert answer_relevance([hit, second, none]) == round(1 / 3, 4)


def test_a_stock_phrase_is_not_a_specific_reason() -> None:
    reasons = (
        "Popular with other users",
        "Matches what you asked about",
        "Join ad spend with closed revenue to show return on every campaign",
        "Like SQL Editor, which you used yesterday",
    )
    asked = Asked(question=ROI, cards=("tpl-roi",) * 4, reasons=reasons, fallback=None)
    assert specific_reason_rate([asked]) == 0.5


def test_the_runner_asks_through_the_service(
    tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    by_id = {q.id: q for q in load_questions()}
    chosen = [by_id["q01"], by_id["q03"], by_id["q51"]]  # q51 follows up on q01
    got = run_answer_eval(
        load_settings(data_dir=tmp_path), embedder=embedder, redactor=redactor, questions=chosen
    )
    assert got["model"] == "no-model" and got["fallback_rate"] == 1.0
    assert got["fallback_reasons"] == {"model_error": got["questions"]}
    assert got["questions"] == 3
    assert got["answer_relevance"] == 1.0, got["missed"]
    assert got["specific_reason_rate"] >= 0.9
