"""`personify eval generation`: onboarding and a two-turn chat for N users through the real
agent, with PII planted in their traits and messages.

Reports (under results["generation"]): hallucinated_item_rate (item ids the model named
outside its candidates, over all ids it named, in its raw replies), fallback_rate,
personalization_rate (answers naming one of the user's top categories or stated
interests), pii_leak_rate (users whose planted values reached the model or any stored log),
latency_ms_p50/p95 per call, and tokens in and out. An LLM judge scores relevance, tone and
specificity (1-5) when PERSONIFY_JUDGE_BASE_URL is set."""

from __future__ import annotations

import json
import logging
import random
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from sqlalchemy import select

from personify.agent.guards import MARKER
from personify.agent.models import ChatModel, RecordingChatModel, make_chat_model
from personify.domain import Event
from personify.evals.dataset import Dataset, as_events
from personify.privacy.redactor import Redactor
from personify.prompts.budget import count_tokens
from personify.retrieval.embeddings import Embedder
from personify.settings import Settings, load_settings
from personify.store.schema import audit_log, conversation_turns

FIRST = [
    "Amara",
    "Bjorn",
    "Chiara",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hiroshi",
    "Ines",
    "Jonas",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moretti",
    "Volkov",
    "Santos",
    "Haddad",
    "Keller",
    "Tanaka",
    "Ruiz",
    "Brandt",
]
ITEM_ID = re.compile(r'"item_id"\s*:\s*"([^"]*)"')
JUDGE_PROMPT = (
    "You grade a product assistant's answer to a user. Score 1-5 each: relevance (fits the "
    "user's profile and request), tone (friendly, clear, no filler), specificity (names "
    'concrete items and why). Reply with JSON only: {"relevance": n, "tone": n, "specificity": n}.'
)


@dataclass(frozen=True, kw_only=True)
class Planted:
    name: str
    email: str
    phone: str

    def values(self) -> list[str]:
        return [self.name, self.email, self.phone, self.phone.replace(" ", "")]


def plant(n: int) -> Planted:
    first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST) + n) % len(LAST)]
    return Planted(
        name=f"{first} {last}",
        email=f"{first.lower()}.{last.lower()}{n}@example.org",
        phone=f"+1 415 555 {1000 + n:04d}",
    )


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    handler = LogCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def evaluate_generation(
    dataset: Dataset,
    *,
    users: int,
    seed: int = 0,
    settings: Settings | None = None,
    model: ChatModel | None = None,
    embedder: Embedder | None = None,
    judge: ChatModel | None = None,
    redactor: Redactor | None = None,
) -> dict[str, Any]:
    from personify.service import Personify

    base = settings or load_settings()
    with tempfile.TemporaryDirectory() as folder:
        run_settings = base.model_copy(
            update={"data_dir": Path(folder), "chroma_url": "", "database_url": ""}
        )
        recorder = RecordingChatModel(model or make_chat_model(run_settings))
        if judge is None and base.judge_base_url:
            judge = _judge_model(base)
        service = Personify(run_settings, model=recorder, embedder=embedder, redactor=redactor)
        try:
            return _run(service, recorder, dataset, users, seed, judge)
        finally:
            service.close()


def _run(
    service: Any,
    recorder: RecordingChatModel,
    dataset: Dataset,
    count: int,
    seed: int,
    judge: ChatModel | None,
) -> dict[str, Any]:
    service.index_items(dataset.items)
    events: list[Event] = as_events(dataset.interactions)
    for start in range(0, len(events), 5000):
        service.ingest(events[start : start + 5000])
    population = sorted({i.user_id for i in dataset.interactions})
    chosen = sorted(random.Random(seed).sample(population, min(count, len(population))))
    calls: list[dict[str, Any]] = []
    leaks: dict[str, bool] = {}
    with captured_logs() as logs:
        for n, user in enumerate(chosen):
            planted = plant(n)
            top = service.profile(user).features.top_categories
            interests = (top[:1] or ["something new"]) + ["short reads"]
            about = f"I am {planted.name}; email {planted.email}, phone {planted.phone}."
            service.put_traits(user, {"role": "reader", "interests": interests, "about": about})
            wanted = {t.lower() for t in [*top[:3], *interests]}
            start = len(recorder.history)
            calls.append(_timed("onboarding", wanted, lambda u=user: service.onboard(u)))
            session = f"eval-{n}"
            messages = [
                f"Hi, I'm {planted.name}. What should I try first? Write to {planted.email}.",
                f"Thanks! Anything more like {interests[0]}? My number is {planted.phone}.",
            ]
            for message in messages:
                calls.append(
                    _timed(
                        "chat", wanted, lambda u=user, s=session, m=message: service.chat(u, s, m)
                    )
                )
            for call, reply in zip(calls[-3:], recorder.replies[start:], strict=False):
                call["raw"] = reply
            for call, sent in zip(calls[-3:], recorder.history[start:], strict=False):
                call["tokens_in"] = count_tokens(sent)
                call["prompt"] = "\n".join(str(m.content) for m in sent)
            model_text = "\n".join(str(m.content) for ms in recorder.history[start:] for m in ms)
            leaks[user] = any(v in model_text for v in planted.values())
            leaks[user] |= _stored_leak(service, planted)
    log_text = "\n".join(logs.lines)
    for n, user in enumerate(chosen):
        leaks[user] |= any(v in log_text for v in plant(n).values())
    results = _summarise(calls, leaks)
    if judge is not None:
        results["judge"] = _judge(judge, calls)
    else:
        results["judge"] = {"skipped": "no judge endpoint: set PERSONIFY_JUDGE_BASE_URL"}
    return {
        "dataset": str(dataset.path),
        "model": recorder.name,
        "users": len(chosen),
        "seed": seed,
        "results": {"generation": results},
    }


def _timed(kind: str, wanted: set[str], call: Any) -> dict[str, Any]:
    started = time.perf_counter()
    answer = call()
    elapsed = (time.perf_counter() - started) * 1000
    if kind == "onboarding":
        shown = [answer.message, *(f"{i.title} {i.reason}" for i in answer.items)]
        ids = [i.item_id for i in answer.items]
    else:
        shown = [answer.message, *(f"{c.title} {c.reason}" for c in answer.cards)]
        ids = [c.item_id for c in answer.cards]
    text = " ".join(shown).lower()
    return {
        "kind": kind,
        "ms": elapsed,
        "fallback": answer.provenance.fallback,
        "candidates": set(answer.provenance.candidates),
        "shown_ids": ids,
        "personalized": any(_mentions(text, w) for w in wanted),
        "answer": "\n".join(shown),
        "raw": "",
        "tokens_in": 0,
        "prompt": "",
    }


def _mentions(text: str, wanted: str) -> bool:
    words = wanted.replace("-", " ")
    return wanted in text or words in text.replace("-", " ")


def _named_ids(raw: str) -> list[str]:
    return ITEM_ID.findall(raw) + [m.group(1) for m in MARKER.finditer(raw)]


def _stored_leak(service: Any, planted: Planted) -> bool:
    with service.store.engine.connect() as conn:
        stored = [str(r) for r in conn.execute(select(conversation_turns.c.text))]
        stored += [str(tuple(r)) for r in conn.execute(select(audit_log))]
    text = "\n".join(stored)
    return any(v in text for v in planted.values())


def _summarise(calls: list[dict[str, Any]], leaks: dict[str, bool]) -> dict[str, Any]:
    named = [(i, c["candidates"]) for c in calls for i in _named_ids(c["raw"])]
    outside = sum(1 for i, candidates in named if i not in candidates)
    shown = [(i, c["candidates"]) for c in calls for i in c["shown_ids"]]
    latency = np.array([c["ms"] for c in calls]) if calls else np.zeros(1)
    tokens_out = [len(c["raw"]) and count_tokens([HumanMessage(c["raw"])]) for c in calls]
    reasons: dict[str, int] = {}
    for c in calls:
        if c["fallback"]:
            reasons[c["fallback"]] = reasons.get(c["fallback"], 0) + 1
    return {
        "calls": len(calls),
        "hallucinated_item_rate": round(outside / len(named), 4) if named else 0.0,
        "named_items": len(named),
        "hallucinated_item_rate_shown": round(
            sum(1 for i, cs in shown if i not in cs) / len(shown), 4
        )
        if shown
        else 0.0,
        "fallback_rate": round(sum(1 for c in calls if c["fallback"]) / len(calls), 4)
        if calls
        else 0.0,
        "fallback_reasons": reasons,
        "personalization_rate": round(sum(1 for c in calls if c["personalized"]) / len(calls), 4)
        if calls
        else 0.0,
        "pii_leak_rate": round(sum(leaks.values()) / len(leaks), 4) if leaks else 0.0,
        "latency_ms_p50": round(float(np.percentile(latency, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(latency, 95)), 1),
        "tokens_in": int(sum(c["tokens_in"] for c in calls)),
        "tokens_out": int(sum(tokens_out)),
        "tokens_in_mean": round(float(np.mean([c["tokens_in"] for c in calls])), 1) if calls else 0,
        "tokens_out_mean": round(float(np.mean(tokens_out)), 1) if calls else 0,
        "by_kind": {
            kind: {
                "calls": sum(1 for c in calls if c["kind"] == kind),
                "fallback_rate": round(
                    sum(1 for c in calls if c["kind"] == kind and c["fallback"])
                    / max(1, sum(1 for c in calls if c["kind"] == kind)),
                    4,
                ),
            }
            for kind in ("onboarding", "chat")
        },
    }


def _judge_model(settings: Settings) -> ChatModel:
    from personify.agent.openai_compat import OpenAICompatibleModel

    judge_settings = settings.model_copy(
        update={
            "openai_base_url": settings.judge_base_url,
            "openai_model": settings.judge_model,
            "openai_api_key": settings.judge_api_key,
        }
    )
    return OpenAICompatibleModel.from_settings(judge_settings)


def _judge(judge: ChatModel, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The judge sees the redacted prompt and the model's raw (placeholder) reply only."""
    scores: dict[str, list[float]] = {"relevance": [], "tone": [], "specificity": []}
    failed = 0
    for call in calls:
        messages: list[BaseMessage] = [
            SystemMessage(JUDGE_PROMPT),
            HumanMessage(
                f"What the assistant was given:\n{call['prompt']}\n\nIts answer:\n{call['raw']}"
            ),
        ]
        try:
            reply = json.loads(judge.complete(messages).text)
            for key in scores:
                value = float(reply[key])
                if not 1 <= value <= 5:
                    raise ValueError(key)
            for key in scores:
                scores[key].append(float(reply[key]))
        except Exception:  # a judge that answers badly is counted, never fatal
            failed += 1
    out: dict[str, Any] = {k: round(float(np.mean(v)), 2) if v else None for k, v in scores.items()}
    out.update({"judge": judge.name, "scored": len(calls) - failed, "unparseable": failed})
    return out
