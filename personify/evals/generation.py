"""`personify eval generation`: onboarding and a two-turn chat for N users through the real
agent, with PII planted in their traits and messages.

Reports (under results["generation"]): hallucinated_item_rate (item ids the model named
outside its candidates, over all ids it named, in its raw replies), fallback_rate,
personalization_rate (answers naming one of the user's top categories or stated
interests), faithfulness_rate (answers whose shown text has no sentence the faithfulness
check calls unsupported, checked afresh against the prompt, the candidates and what the
user typed), denial_rate (answers shown with a sentence saying something can't be done),
withdrawn_stream_rate (streamed chat answers whose stream ended with a Replace),
pii_leak_rate (users whose planted values reached the model, the logs, or their
stored conversations and model-call records), latency_ms_p50/p95 per call, and tokens in
and out. An LLM judge scores relevance, tone and specificity (1-5) when
PERSONIFY_JUDGE_BASE_URL is set."""

from __future__ import annotations

import random
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from langchain_core.messages import BaseMessage, HumanMessage

from personify.agent.factory import make_chat_model
from personify.agent.guards import MARKER
from personify.agent.models import ChatModel
from personify.agent.testing import RecordingChatModel
from personify.domain import ChatTurn, Done, Event, OnboardingPlan, Replace
from personify.evals.dataset import Dataset, as_events
from personify.evals.faithfulness import check_shown
from personify.evals.judge import Exchange, JudgeScores, grade, judge_model
from personify.evals.planted import Planted, captured_logs, plant
from personify.privacy.redactor import PresidioRedactor
from personify.prompts.budget import count_tokens
from personify.retrieval.embeddings import Embedder
from personify.settings import Settings, load_settings

if TYPE_CHECKING:
    from personify.service import Personify

ITEM_ID = re.compile(r'"item_id"\s*:\s*"([^"]*)"')
JUDGE_SKIPPED = "no judge endpoint: set PERSONIFY_JUDGE_BASE_URL"
CallKind = Literal["onboarding", "chat"]
CALL_KINDS: tuple[CallKind, ...] = ("onboarding", "chat")


@dataclass(frozen=True, kw_only=True)
class Call:
    """One onboarding or chat answer: what the user was shown and what the model saw."""

    kind: CallKind
    ms: float
    fallback: str | None
    candidates: frozenset[str]
    shown_ids: tuple[str, ...]
    personalized: bool  # names one of the user's top categories or stated interests
    raw: str = ""  # the model's raw reply
    tokens_in: int = 0
    prompt: str = ""  # what the model was sent (redacted)
    shown: tuple[str, ...] = ()  # the message and reasons the user was shown
    withdrawn: bool = False  # a chat stream that ended with a Replace
    unsupported: int = 0  # shown sentences the faithfulness check calls unsupported
    denial: bool = False  # a shown sentence says something can't be done


@dataclass(frozen=True, kw_only=True)
class KindSummary:
    calls: int
    fallback_rate: float


@dataclass(frozen=True, kw_only=True)
class GenerationResults:
    """report.json's results["generation"] (the README describes each figure)."""

    calls: int
    hallucinated_item_rate: float
    named_items: int
    hallucinated_item_rate_shown: float
    fallback_rate: float
    fallback_reasons: dict[str, int]
    personalization_rate: float
    faithfulness_rate: float
    denial_rate: float
    withdrawn_stream_rate: float
    pii_leak_rate: float
    latency_ms_p50: float
    latency_ms_p95: float
    tokens_in: int
    tokens_out: int
    tokens_in_mean: float
    tokens_out_mean: float
    by_kind: dict[CallKind, KindSummary]
    judge: JudgeScores | None  # None: no judge configured

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["judge"] = asdict(self.judge) if self.judge is not None else {"skipped": JUDGE_SKIPPED}
        return out


@dataclass(frozen=True, kw_only=True)
class GenerationReport:
    dataset: str
    model: str
    users: int
    seed: int
    results: GenerationResults

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "model": self.model,
            "users": self.users,
            "seed": self.seed,
            "results": {"generation": self.results.to_json()},
        }


def evaluate_generation(
    dataset: Dataset,
    *,
    users: int,
    seed: int = 0,
    settings: Settings | None = None,
    model: ChatModel | None = None,
    embedder: Embedder | None = None,
    judge: ChatModel | None = None,
    redactor: PresidioRedactor | None = None,
) -> GenerationReport:
    from personify.parts import SharedParts
    from personify.service import Personify

    base = settings or load_settings()
    with tempfile.TemporaryDirectory() as folder:
        run_settings = base.model_copy(
            update={"data_dir": Path(folder), "chroma_url": "", "database_url": ""}
        )
        recorder = RecordingChatModel(model or make_chat_model(run_settings))
        if judge is None and base.judge_base_url:
            judge = judge_model(base)
        parts = SharedParts(run_settings, model=recorder, presidio=redactor, embedder=embedder)
        service = Personify(run_settings, parts)
        try:
            return _run(service, recorder, dataset, users, seed, judge)
        finally:
            service.close()


def _run(
    service: Personify,
    recorder: RecordingChatModel,
    dataset: Dataset,
    count: int,
    seed: int,
    judge: ChatModel | None,
) -> GenerationReport:
    service.index_items(dataset.items)
    events: list[Event] = as_events(dataset.interactions)
    for start in range(0, len(events), 5000):
        service.ingest(events[start : start + 5000])
    population = sorted({i.user_id for i in dataset.interactions})
    chosen = sorted(random.Random(seed).sample(population, min(count, len(population))))
    calls: list[Call] = []
    leaks: dict[str, bool] = {}
    with captured_logs() as logs:
        for n, user in enumerate(chosen):
            session_calls, leaks[user] = _session(service, recorder, user, n)
            calls += session_calls
    log_text = "\n".join(logs.lines)
    for n, user in enumerate(chosen):
        leaks[user] |= any(v in log_text for v in plant(n).values())
    exchanges = [Exchange(prompt=c.prompt, answer=c.raw) for c in calls]
    graded = grade(judge, exchanges) if judge is not None else None
    return GenerationReport(
        dataset=str(dataset.path),
        model=recorder.name,
        users=len(chosen),
        seed=seed,
        results=_summarise(calls, leaks, graded),
    )


def _session(
    service: Personify, recorder: RecordingChatModel, user: str, n: int
) -> tuple[list[Call], bool]:
    """Onboarding and two chat turns for one user with the n-th planted PII in their traits
    and messages; and whether a planted value reached the model or their stored records."""
    planted = plant(n)
    top = service.profile(user).features.top_categories
    interests = (top[:1] or ["something new"]) + ["short reads"]
    about = f"I am {planted.name}; email {planted.email}, phone {planted.phone}."
    service.put_traits(user, {"role": "reader", "interests": interests, "about": about})
    wanted = {t.lower() for t in [*top[:3], *interests]}
    start = len(recorder.history)
    answered = [_timed(wanted, partial(_onboard, service, user))]
    session = f"eval-{n}"
    messages = [
        f"Hi, I'm {planted.name}. What should I try first? Write to {planted.email}.",
        f"Thanks! Anything more like {interests[0]}? My number is {planted.phone}.",
    ]
    for message in messages:
        answered.append(_timed(wanted, partial(_chat, service, user, session, message)))
    sent = recorder.history[start:]
    typed = [about, *messages, *interests]
    calls = [
        _faithfulness(service, call, typed)
        for call in _with_model_io(answered, recorder.replies[start:], sent)
    ]
    model_text = "\n".join(str(m.content) for ms in sent for m in ms)
    leaked = any(v in model_text for v in planted.values())
    return calls, _stored_leak(service, user, planted) or leaked


def _onboard(service: Personify, user: str) -> tuple[OnboardingPlan, bool]:
    return service.onboard(user), False


def _chat(service: Personify, user: str, session: str, message: str) -> tuple[ChatTurn, bool]:
    """The turn as a client streams it, and whether its stream took text back."""
    withdrawn = False
    for event in service.chat_events(user, session, message):
        match event:
            case Replace():
                withdrawn = True
            case Done(turn=turn):
                return turn, withdrawn
    raise AssertionError("a chat turn always ends with Done")


def _timed(wanted: set[str], ask: Callable[[], tuple[OnboardingPlan | ChatTurn, bool]]) -> Call:
    started = time.perf_counter()
    answer, withdrawn = ask()
    elapsed = (time.perf_counter() - started) * 1000
    kind: CallKind
    match answer:
        case OnboardingPlan():
            kind = "onboarding"
            shown = [answer.message, *(f"{i.title} {i.reason}" for i in answer.items)]
            reasons = [i.reason for i in answer.items]
            ids = [i.item_id for i in answer.items]
        case ChatTurn():
            kind = "chat"
            shown = [answer.message, *(f"{c.title} {c.reason}" for c in answer.cards)]
            reasons = []  # a card's reason is the ranker's, never the model's
            ids = [c.item_id for c in answer.cards]
    text = " ".join(shown).lower()
    return Call(
        kind=kind,
        ms=elapsed,
        fallback=answer.provenance.fallback,
        candidates=frozenset(answer.provenance.candidates),
        shown_ids=tuple(ids),
        personalized=any(_mentions(text, w) for w in wanted),
        shown=(answer.message, *reasons),
        withdrawn=withdrawn,
    )


def _faithfulness(service: Personify, call: Call, typed: list[str]) -> Call:
    """What the user was shown, checked afresh (evals/faithfulness.py)."""
    items = service.store.catalog.get_many(sorted(call.candidates))
    unsupported, denial = check_shown(call.shown, [call.prompt, *typed], list(items.values()))
    return replace(call, unsupported=unsupported, denial=denial)


def _with_model_io(
    answered: list[Call], replies: list[str], sent: list[list[BaseMessage]]
) -> list[Call]:
    """The calls with the model's raw replies and the prompts it was sent, paired in order."""
    calls = []
    for n, call in enumerate(answered):
        if n < len(replies):
            call = replace(call, raw=replies[n])
        if n < len(sent):
            prompt = "\n".join(str(m.content) for m in sent[n])
            call = replace(call, tokens_in=count_tokens(sent[n]), prompt=prompt)
        calls.append(call)
    return calls


def _mentions(text: str, wanted: str) -> bool:
    words = wanted.replace("-", " ")
    return wanted in text or words in text.replace("-", " ")


def _named_ids(raw: str) -> list[str]:
    return ITEM_ID.findall(raw) + [m.group(1) for m in MARKER.finditer(raw)]


def _stored_leak(service: Personify, user_id: str, planted: Planted) -> bool:
    """Whether a planted value is in the user's stored conversations or model-call records,
    as their data export shows them (their pseudonyms hold their own values by design)."""
    export = service.export(user_id)
    stored = [turn["text"] for c in export["conversations"] for turn in c["turns"]]
    stored += [str(record) for record in export["model_calls"]]
    text = "\n".join(stored)
    return any(v in text for v in planted.values())


def _summarise(
    calls: list[Call], leaks: dict[str, bool], judge: JudgeScores | None
) -> GenerationResults:
    named = [(i, c.candidates) for c in calls for i in _named_ids(c.raw)]
    outside = sum(1 for i, candidates in named if i not in candidates)
    shown = [(i, c.candidates) for c in calls for i in c.shown_ids]
    latency = np.array([c.ms for c in calls]) if calls else np.zeros(1)
    tokens_out = [len(c.raw) and count_tokens([HumanMessage(c.raw)]) for c in calls]
    chats = [c for c in calls if c.kind == "chat"]
    reasons: dict[str, int] = {}
    for c in calls:
        if c.fallback:
            reasons[c.fallback] = reasons.get(c.fallback, 0) + 1
    return GenerationResults(
        calls=len(calls),
        hallucinated_item_rate=_rate(outside, len(named)),
        named_items=len(named),
        hallucinated_item_rate_shown=_rate(sum(1 for i, cs in shown if i not in cs), len(shown)),
        fallback_rate=_rate(sum(1 for c in calls if c.fallback), len(calls)),
        fallback_reasons=reasons,
        personalization_rate=_rate(sum(1 for c in calls if c.personalized), len(calls)),
        faithfulness_rate=_rate(sum(1 for c in calls if not c.unsupported), len(calls)),
        denial_rate=_rate(sum(1 for c in calls if c.denial), len(calls)),
        withdrawn_stream_rate=_rate(sum(1 for c in chats if c.withdrawn), len(chats)),
        pii_leak_rate=_rate(sum(leaks.values()), len(leaks)),
        latency_ms_p50=round(float(np.percentile(latency, 50)), 1),
        latency_ms_p95=round(float(np.percentile(latency, 95)), 1),
        tokens_in=int(sum(c.tokens_in for c in calls)),
        tokens_out=int(sum(tokens_out)),
        tokens_in_mean=round(float(np.mean([c.tokens_in for c in calls])), 1) if calls else 0,
        tokens_out_mean=round(float(np.mean(tokens_out)), 1) if calls else 0,
        by_kind={kind: _kind_summary(calls, kind) for kind in CALL_KINDS},
        judge=judge,
    )


def _rate(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def _kind_summary(calls: list[Call], kind: CallKind) -> KindSummary:
    of_kind = [c for c in calls if c.kind == kind]
    fallbacks = sum(1 for c in of_kind if c.fallback)
    return KindSummary(calls=len(of_kind), fallback_rate=round(fallbacks / max(1, len(of_kind)), 4))
