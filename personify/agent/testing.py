"""Test doubles for the chat model. They live in the library, beside the real models, like
pydantic-ai's TestModel and FunctionModel and simonw/llm's MockModel: tests of the agent's
own logic use them; tests of the system use the real local model or a real server."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage

from personify.agent.models import ChatModel, ModelReply, Usage

__test__ = False  # test doubles, not tests: pytest must not collect them

Reply = str | Exception | Callable[[list[BaseMessage]], str]


class ScriptExhausted(AssertionError):
    """The scripted model was called more often than the test enqueued replies for.

    An AssertionError, not a PersonifyError, so the agent cannot turn it into a fallback."""

    def __init__(self, *, calls: int, enqueued: int) -> None:
        super().__init__(
            f"ScriptedChatModel was called {calls} times but only {enqueued} replies were "
            "enqueued: enqueue() the reply the test expects, or set default= for a reply "
            "given forever."
        )
        self.calls = calls
        self.enqueued = enqueued


@dataclass
class ScriptedChatModel:
    """A fake for testing the agent's own logic: replies are enqueued, calls are recorded.

    A reply is a string, an exception (raised instead of replying) or a function of the
    messages sent (like pydantic-ai's FunctionModel). Once the queue is empty, `default`
    answers every call; without one, a call raises ScriptExhausted. Safe to share between
    threads."""

    name: str = "scripted"
    replies: deque[Reply] = field(default_factory=deque)
    history: list[list[BaseMessage]] = field(default_factory=list)
    schemas: list[dict[str, Any] | None] = field(default_factory=list)
    default: Reply | None = None
    _enqueued: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._enqueued = len(self.replies)

    def enqueue(self, *replies: Reply) -> ScriptedChatModel:
        with self._lock:
            self.replies.extend(replies)
            self._enqueued += len(replies)
        return self

    def _next(self, messages: list[BaseMessage]) -> str:
        with self._lock:
            self.history.append(list(messages))
            reply = self.replies.popleft() if self.replies else self.default
            calls = len(self.history)
        if reply is None:
            raise ScriptExhausted(calls=calls, enqueued=self._enqueued)
        if isinstance(reply, Exception):
            raise reply
        return reply(messages) if callable(reply) else reply

    def complete(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> ModelReply:
        self.schemas.append(json_schema)
        text = self._next(messages)
        return ModelReply(
            text=text,
            model=self.name,
            tokens_in=sum(len(str(m.content).split()) for m in messages),
            tokens_out=len(text.split()),
        )

    def stream(
        self,
        messages: list[BaseMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        usage: Usage | None = None,
    ) -> Iterator[str]:
        self.schemas.append(json_schema)
        text = self._next(messages)
        for start in range(0, len(text), 7):
            yield text[start : start + 7]
        if usage is not None:  # a scripted reply's "tokens": its words, and the prompt's
            usage.tokens_in = sum(len(str(m.content).split()) for m in messages)
            usage.tokens_out = len(text.split())


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
        self,
        messages: list[BaseMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        usage: Usage | None = None,
    ) -> Iterator[str]:
        self.history.append(list(messages))
        chunks: list[str] = []
        try:
            for chunk in self.inner.stream(messages, json_schema=json_schema, usage=usage):
                chunks.append(chunk)
                yield chunk
        finally:
            self.replies.append("".join(chunks))
