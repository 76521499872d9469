"""The chat-model interface, the scripted fake for tests, and the factory."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.messages import BaseMessage

from personify.settings import Settings


@dataclass(frozen=True, kw_only=True)
class ModelReply:
    text: str
    model: str
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
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> Iterator[str]: ...


Reply = str | Exception | Callable[[list[BaseMessage]], str]


@dataclass
class ScriptedChatModel:
    """A fake for testing the agent's own logic: replies are enqueued, calls are recorded.

    A reply is a string, an exception (raised instead of replying) or a function of the
    messages sent (like pydantic-ai's FunctionModel). Safe to share between threads."""

    name: str = "scripted"
    replies: deque[Reply] = field(default_factory=deque)
    history: list[list[BaseMessage]] = field(default_factory=list)
    schemas: list[dict[str, Any] | None] = field(default_factory=list)
    default: Reply = ""  # answered once the queue is empty
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enqueue(self, *replies: Reply) -> ScriptedChatModel:
        with self._lock:
            self.replies.extend(replies)
        return self

    def _next(self, messages: list[BaseMessage]) -> str:
        with self._lock:
            self.history.append(list(messages))
            reply = self.replies.popleft() if self.replies else self.default
        if isinstance(reply, Exception):
            raise reply
        return reply(messages) if callable(reply) else reply

    def complete(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> ModelReply:
        self.schemas.append(json_schema)
        return ModelReply(text=self._next(messages), model=self.name)

    def stream(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        self.schemas.append(json_schema)
        text = self._next(messages)
        for start in range(0, len(text), 7):
            yield text[start : start + 7]


def make_chat_model(settings: Settings) -> ChatModel:
    """The configured model. Loading is lazy: nothing heavy happens at import."""
    if settings.llm_provider == "openai":
        from personify.agent.openai_compat import OpenAICompatibleModel

        return OpenAICompatibleModel.from_settings(settings)
    from personify.agent.local import LocalLlamaModel

    return LocalLlamaModel(
        settings.model_file(),
        threads=settings.llm_threads,
        max_tokens=settings.llm_max_tokens,
        timeout_s=settings.llm_timeout_s,
    )


@dataclass
class RecordingChatModel:
    """Wraps any chat model and keeps every message list it was sent and every raw reply:
    the evidence for "no PII reached the model" and "no invented item" checks, with the
    real model behind it."""

    inner: ChatModel
    history: list[list[BaseMessage]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def complete(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> ModelReply:
        self.history.append(list(messages))
        reply = self.inner.complete(messages, json_schema=json_schema)
        self.replies.append(reply.text)
        return reply

    def stream(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        self.history.append(list(messages))
        chunks: list[str] = []
        try:
            for chunk in self.inner.stream(messages, json_schema=json_schema):
                chunks.append(chunk)
                yield chunk
        finally:
            self.replies.append("".join(chunks))
