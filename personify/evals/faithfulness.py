"""`personify eval faithfulness`: the faithfulness check (agent/faithfulness.py) on
labelled sentences over the demo catalog, data/faithfulness.jsonl.

Each sentence was written against a chat prompt (the candidates and the question it
names), in the style of good answers and of the small model's failures, and labelled
supported or unsupported (number, name, denial, claim, or echo: the question said back).
The file fixes a train and a test half: the claim threshold is chosen on train, precision and recall are reported on test
(an unsupported sentence is a positive: precision is the share of cut sentences that
deserved it, recall the share of unsupported sentences cut). With an embedder, the same
figures for a semantic claim check (cosine to the nearest context sentence) stand beside
the word-overlap one."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage

from personify.agent.context import candidate_lines
from personify.agent.faithfulness import (
    MIN_SUPPORT,
    Faithfulness,
    Unsupported,
    is_denial,
    sentences,
)
from personify.demo import catalog
from personify.domain import Candidate, Item
from personify.retrieval.embeddings import Embedder

Split = Literal["train", "test"]
KINDS: tuple[Unsupported, ...] = ("number", "name", "denial", "claim", "echo")
THRESHOLDS = tuple(round(0.05 * n, 2) for n in range(2, 17))  # 0.10 .. 0.80


@dataclass(frozen=True, kw_only=True)
class Example:
    split: Split
    items: tuple[str, ...]
    question: str
    profile: str
    sentence: str
    kind: Unsupported | None  # None: supported


@dataclass(frozen=True, kw_only=True)
class Scores:
    sentences: int
    unsupported: int
    cut: int
    precision: float
    recall: float
    f1: float
    recall_by_kind: dict[str, float]


def load_examples() -> list[Example]:
    path = resources.files("personify.evals").joinpath("data", "faithfulness.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        Example(
            split=r["split"],
            items=tuple(r["items"]),
            question=r["question"],
            profile=r["profile"],
            sentence=r["sentence"],
            kind=r["kind"] if r["label"] == "unsupported" else None,
        )
        for r in rows
    ]


@cache
def _items() -> dict[str, Item]:
    return {row["id"]: Item(**row) for row in catalog()}


def checker_for(example: Example, min_support: float = MIN_SUPPORT) -> Faithfulness:
    """The check the agent would build for a chat prompt with these candidates, this
    profile and this question."""
    candidates = [
        Candidate(item=_items()[i], score=1.0, sources=("eval",), reasons=("Fits your question",))
        for i in example.items
    ]
    system = f"Candidates:\n{candidate_lines(candidates)}\n\nAbout the user:\n{example.profile}"
    messages = [SystemMessage(system), HumanMessage(example.question)]
    return Faithfulness.of(messages, candidates, min_support=min_support, question=example.question)


def score(examples: Sequence[Example], cut: Sequence[bool]) -> Scores:
    positives = [e.kind is not None for e in examples]
    hits = sum(1 for p, c in zip(positives, cut, strict=True) if p and c)
    precision = hits / sum(cut) if any(cut) else 0.0
    recall = hits / sum(positives) if any(positives) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_kind: dict[str, float] = {}
    for kind in KINDS:
        flags = [c for e, c in zip(examples, cut, strict=True) if e.kind == kind]
        by_kind[kind] = round(sum(flags) / len(flags), 4) if flags else 0.0
    return Scores(
        sentences=len(examples),
        unsupported=sum(positives),
        cut=sum(cut),
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        recall_by_kind=by_kind,
    )


def _halves(examples: list[Example]) -> dict[Split, list[Example]]:
    return {s: [e for e in examples if e.split == s] for s in ("train", "test")}


def _tuned(
    halves: dict[Split, list[Example]], cut_at: Callable[[Example, float], bool]
) -> dict[str, Any]:
    """Pick the threshold with the best F1 on train; report train and test at it."""
    train = halves["train"]
    sweep = {t: score(train, [cut_at(e, t) for e in train]).f1 for t in THRESHOLDS}
    best = max(THRESHOLDS, key=lambda t: (sweep[t], -abs(t - MIN_SUPPORT)))
    return {
        "threshold": best,
        "train_f1_by_threshold": {str(t): f for t, f in sweep.items()},
        **{s: asdict(score(rows, [cut_at(e, best) for e in rows])) for s, rows in halves.items()},
    }


def evaluate_faithfulness(embedder: Embedder | None = None) -> dict[str, Any]:
    """results["faithfulness"]: the shipped check (word overlap, its fixed threshold) on
    both halves, the overlap threshold tuned on train, and with `embedder` the semantic
    claim check beside it."""
    halves = _halves(load_examples())
    shipped = {
        s: asdict(score(rows, [not checker_for(e).check(e.sentence).supported for e in rows]))
        for s, rows in halves.items()
    }
    results: dict[str, Any] = {
        "sentences": sum(len(rows) for rows in halves.values()),
        "shipped": {"claim_check": "overlap", "threshold": MIN_SUPPORT, **shipped},
        "overlap": _tuned(halves, lambda e, t: not checker_for(e, t).check(e.sentence).supported),
    }
    if embedder is not None:
        results["semantic"] = _tuned(halves, _semantic_cut(halves, embedder))
    return {"faithfulness": results}


def _semantic_cut(
    halves: dict[Split, list[Example]], embedder: Embedder
) -> Callable[[Example, float], bool]:
    """Numbers, names and denials as shipped; a claim when the sentence's cosine to the
    nearest sentence of the question or a candidate falls under the threshold."""
    similarity: dict[Example, float] = {}
    for example in (e for rows in halves.values() for e in rows):
        units = [example.question]
        for item_id in example.items:
            item = _items()[item_id]
            units += [item.title, *(s.strip() for s in sentences(item.description))]
        vectors = embedder.embed([example.sentence, *units])
        similarity[example] = float(np.max(vectors[1:] @ vectors[0]))

    def cut_at(example: Example, threshold: float) -> bool:
        verdict = checker_for(example, 0.0).check(example.sentence)  # 0: no claim check
        return not verdict.supported or similarity[example] < threshold

    return cut_at


def check_shown(
    shown: Sequence[str], context: Sequence[str], items: Sequence[Item]
) -> tuple[int, bool]:
    """For the generation report: how many sentences of what a user was shown the check
    calls unsupported, against the prompt, the candidates and what the user typed (the
    shown text has their own values restored); and whether one of them is a denial."""
    offers = [f"{i.title} {i.description} {' '.join(i.tags)}" for i in items]
    faith = Faithfulness(context, offers)
    said = [s for text in shown for s in sentences(text) if s.strip()]
    return sum(1 for s in said if not faith.check(s).supported), any(map(is_denial, said))
