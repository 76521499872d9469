"""The LLM judge of `personify eval generation`: an OpenAI-compatible model that scores
each answer 1-5 for relevance, tone and specificity."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from personify.agent.models import ChatModel
from personify.settings import Settings

JUDGE_PROMPT = (
    "You grade a product assistant's answer to a user. Score 1-5 each: relevance (fits the "
    "user's profile and request), tone (friendly, clear, no filler), specificity (names "
    'concrete items and why). Reply with JSON only: {"relevance": n, "tone": n, "specificity": n}.'
)


@dataclass(frozen=True, kw_only=True)
class Exchange:
    prompt: str  # what the assistant was given (redacted)
    answer: str  # its raw reply


@dataclass(frozen=True, kw_only=True)
class JudgeScores:
    relevance: float | None  # means, 1-5; None when no answer was graded
    tone: float | None
    specificity: float | None
    judge: str
    scored: int
    unparseable: int


def judge_model(settings: Settings) -> ChatModel:
    from personify.agent.openai_compat import OpenAICompatibleModel

    judge_settings = settings.model_copy(
        update={
            "openai_base_url": settings.judge_base_url,
            "openai_model": settings.judge_model,
            "openai_api_key": settings.judge_api_key,
        }
    )
    return OpenAICompatibleModel.from_settings(judge_settings)


def grade(judge: ChatModel, exchanges: Sequence[Exchange]) -> JudgeScores:
    """The judge sees the redacted prompt and the model's raw (placeholder) reply only."""
    scores: dict[str, list[float]] = {"relevance": [], "tone": [], "specificity": []}
    failed = 0
    for exchange in exchanges:
        messages: list[BaseMessage] = [
            SystemMessage(JUDGE_PROMPT),
            HumanMessage(
                f"What the assistant was given:\n{exchange.prompt}\n\nIts answer:\n{exchange.answer}"
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
    means = {k: round(float(np.mean(v)), 2) if v else None for k, v in scores.items()}
    return JudgeScores(
        relevance=means["relevance"],
        tone=means["tone"],
        specificity=means["specificity"],
        judge=judge.name,
        scored=len(exchanges) - failed,
        unparseable=failed,
    )
