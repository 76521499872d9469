"""The in-process model: a GGUF file in llama-cpp-python, JSON-schema constrained when asked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from personify.agent.models import ModelReply, Usage
from personify.errors import ProviderError, ProviderTimeout

CACHE_BYTES = 128 * 1024 * 1024
ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def _as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class LocalLlamaModel:
    def __init__(self, path: Path, *, threads: int, max_tokens: int, timeout_s: float) -> None:
        self.name = f"local:{path.name}"
        self._path = path
        self._threads = threads
        self._max_tokens = max_tokens
        self._timeout_s = timeout_s
        self._llama: Any = None
        self._lock = threading.Lock()  # one generation at a time: a Llama is not thread-safe

    def _model(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama, LlamaRAMCache

            self._llama = Llama(
                model_path=str(self._path),
                n_ctx=2048,
                n_threads=self._threads,
                seed=7,
                verbose=False,
            )
            # Evaluated prompts kept in memory: a call whose prompt starts like an earlier
            # one (the same template's fixed system message, a conversation's earlier turns)
            # resumes from it instead of evaluating it again. Onboarding and chat alternating
            # on two cores: median 0.52 s against 0.98 s without (measured; a state is ~5 MB).
            self._llama.set_cache(LlamaRAMCache(capacity_bytes=CACHE_BYTES))
        return self._llama

    def _generate(
        self,
        messages: list[BaseMessage],
        json_schema: dict[str, Any] | None,
        usage: Usage | None = None,
    ) -> Iterator[str]:
        """Stream tokens, stopping at the deadline (llama.cpp has no timeout of its own)."""
        kwargs: dict[str, Any] = {}
        if json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        deadline = time.monotonic() + self._timeout_s
        # Waiting for the model counts against the deadline too: a queue of requests
        # behind a long generation must not hold their threads for minutes.
        if not self._lock.acquire(timeout=self._timeout_s):
            raise ProviderTimeout("The local model was busy past its time limit.")
        try:
            chunks = self._model().create_chat_completion(
                messages=_as_dicts(messages),
                max_tokens=self._max_tokens,
                temperature=0.2,
                repeat_penalty=1.15,
                stream=True,
                **kwargs,
            )
            made = 0
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    made += 1  # llama.cpp streams one token a chunk
                    yield piece
                if time.monotonic() > deadline:
                    raise ProviderTimeout("The local model ran past its time limit.")
            if usage is not None:  # the context now holds the prompt and the reply
                usage.tokens_out = made
                usage.tokens_in = max(0, self._model().n_tokens - made)
        except (RuntimeError, ValueError) as exc:
            raise ProviderError(f"The local model failed: {exc}") from exc
        finally:
            self._lock.release()

    def complete(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> ModelReply:
        usage = Usage()
        pieces = list(self._generate(messages, json_schema, usage))
        return ModelReply(
            text="".join(pieces),
            model=self.name,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
        )

    def stream(
        self,
        messages: list[BaseMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        usage: Usage | None = None,
    ) -> Iterator[str]:
        return self._generate(messages, json_schema, usage)
