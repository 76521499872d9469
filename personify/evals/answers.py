"""Answer relevance on the demo catalog: does the first card answer the question, and do
the reasons say something about this item and this user?

A labelled set of questions (evals/data/demo_questions.jsonl, written for the demo
catalog: each question with the item ids that answer it; a follow-up names the question
before it) is asked through the real service: Presidio, Chroma, the embedder, the agent.
Without a model the chat model always fails, so the deterministic fallback answers; pass
the local model to measure it instead. Two figures:

- answer_relevance: share of questions whose first card is one of the answering items.
- specific_reason_rate: share of the reasons shown on cards that are not a stock phrase
  (agent/reasons.py keeps the list)."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from personify.agent.models import ChatModel
from personify.agent.reasons import is_stock
from personify.agent.testing import ScriptedChatModel
from personify.domain import ChatTurn, Done
from personify.errors import ProviderError
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import Embedder
from personify.settings import Settings, load_settings

if TYPE_CHECKING:
    from personify.service import Personify

QUESTIONS = "data/demo_questions.jsonl"
NO_MODEL = "no-model"  # the model's name when the fallback answers every question


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    question: str
    answers: frozenset[str]  # the item ids that answer it
    previous: str | None = None  # the question this one follows up on


@dataclass(frozen=True, kw_only=True)
class Asked:
    """What the user was shown for one question."""

    question: Question
    cards: tuple[str, ...]  # item ids, in the order shown
    reasons: tuple[str, ...]  # each card's reason
    fallback: str | None

    @property
    def relevant(self) -> bool:
        return bool(self.cards) and self.cards[0] in self.question.answers


def load_questions() -> list[Question]:
    text = resources.files("personify.evals").joinpath(QUESTIONS).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        Question(
            id=row["id"],
            question=row["question"],
            answers=frozenset(row["answers"]),
            previous=row.get("previous"),
        )
        for row in rows
    ]


def answer_relevance(asked: Sequence[Asked]) -> float:
    return _rate(sum(a.relevant for a in asked), len(asked))


def specific_reason_rate(asked: Sequence[Asked]) -> float:
    reasons = [r for a in asked for r in a.reasons]
    return _rate(sum(not is_stock(r) for r in reasons), len(reasons))


def run_answer_eval(
    settings: Settings | None = None,
    *,
    model: ChatModel | None = None,
    embedder: Embedder | None = None,
    redactor: PresidioRedactor | None = None,
    questions: Sequence[Question] | None = None,
) -> dict[str, Any]:
    """Ask every question of a fresh demo store in a temporary folder; the figures, the
    fallback rate and the questions whose first card missed."""
    from personify.demo import PRODUCT_NAME, load_demo
    from personify.parts import SharedParts
    from personify.service import Personify

    chat_model = model or ScriptedChatModel(name=NO_MODEL, default=ProviderError("no model"))
    asking = list(questions) if questions is not None else load_questions()
    base = settings or load_settings()
    with tempfile.TemporaryDirectory() as folder:
        run_settings = base.model_copy(
            update={
                "data_dir": Path(folder),
                "chroma_url": "",
                "database_url": "",
                "product_name": PRODUCT_NAME,
            }
        )
        parts = SharedParts(run_settings, model=chat_model, presidio=redactor, embedder=embedder)
        service = Personify(run_settings, parts)
        try:
            load_demo(service)
            asked = [ask(service, n, q) for n, q in enumerate(asking)]
        finally:
            service.close()
    return {
        "model": chat_model.name,
        "questions": len(asked),
        "answer_relevance": answer_relevance(asked),
        "specific_reason_rate": specific_reason_rate(asked),
        "fallback_rate": _rate(sum(a.fallback is not None for a in asked), len(asked)),
        "fallback_reasons": dict(Counter(a.fallback for a in asked if a.fallback is not None)),
        "missed": [
            {"id": a.question.id, "question": a.question.question, "first_card": a.cards[:1]}
            for a in asked
            if not a.relevant
        ],
    }


def ask(service: Personify, n: int, question: Question) -> Asked:
    """One question from a new user with no history (stateless: nothing is stored); a
    follow-up is asked after its previous question, with that exchange as the history."""
    user = f"asker-{n}"
    service.put_traits(user, {})
    history: list[tuple[str, str]] = []
    if question.previous is not None:
        before = _turn(service, user, question.previous, [])
        history = [("user", question.previous), ("assistant", before.message)]
    turn = _turn(service, user, question.question, history)
    return Asked(
        question=question,
        cards=tuple(c.item_id for c in turn.cards),
        reasons=tuple(c.reason for c in turn.cards),
        fallback=turn.provenance.fallback,
    )


def _turn(service: Personify, user: str, message: str, history: list[tuple[str, str]]) -> ChatTurn:
    for event in service.chat_events(user, "eval", message, history=history):
        if isinstance(event, Done):
            return event.turn
    raise AssertionError("a chat turn always ends with Done")


def _rate(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0
