"""The chat-model interface: what every backend (local, OpenAI-compatible, the fakes) offers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.messages import BaseMessage


@dataclass(frozen=True, kw_only=True)
class ModelReply:
    text: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(kw_only=True)
class Usage:
    """Tokens a streamed call used, as the model counted them: filled in when the stream
    ends (a stream has no reply object to carry them)."""

    tokens_in: int = 0
    tokens_out: int = 0


class ChatModel(Protocol):
    """One call in, one reply out. `json_schema` asks for structured output where the
    backend can constrain it; callers validate the reply either way."""

    name: str

    def complete(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> ModelReply: ...

    def stream(
        self,
        messages: list[BaseMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        usage: Usage | None = None,
    ) -> Iterator[str]: ...
