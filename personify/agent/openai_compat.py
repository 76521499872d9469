"""Any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp's server) via langchain-openai."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI

from personify.agent.models import ModelReply, Usage
from personify.errors import ProviderError, ProviderTimeout
from personify.settings import Settings

JSON_SCHEMA_SETTING = "PERSONIFY_OPENAI_JSON_SCHEMA"


@contextmanager
def _provider_errors(*, structured: bool) -> Iterator[None]:
    """Whatever the client raises becomes a ProviderError (a ProviderTimeout past the
    deadline), which the agent answers with its deterministic fallback."""
    try:
        yield
    except ProviderError:
        raise  # ours already (the stream's own deadline)
    except openai.APITimeoutError as exc:
        raise ProviderTimeout("The model server timed out.") from exc
    except openai.BadRequestError as exc:
        if not structured:
            raise ProviderError(f"The model server failed: {exc.__class__.__name__}.") from exc
        raise ProviderError(
            "The model server rejected structured output (response_format json_schema): "
            f"set {JSON_SCHEMA_SETTING}=false.",
            field=JSON_SCHEMA_SETTING,
        ) from exc
    except openai.OpenAIError as exc:
        raise ProviderError(f"The model server failed: {exc.__class__.__name__}.") from exc
    except Exception as exc:
        # anything else: a 200 whose body is no chat completion (a proxy's HTML page)
        # trips asserts and attribute errors deep inside the client libraries
        raise ProviderError(
            f"The model server's answer was unreadable: {exc.__class__.__name__}."
        ) from exc


class OpenAICompatibleModel:
    def __init__(
        self,
        client: ChatOpenAI,
        name: str,
        *,
        supports_json_schema: bool,
        timeout_s: float = 30.0,
    ) -> None:
        self._client = client
        self.name = name
        self._supports_json_schema = supports_json_schema
        self._timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatibleModel:
        model = settings.openai_model or "gpt-4o-mini"
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        client = ChatOpenAI(
            model=model,
            base_url=settings.openai_base_url,
            api_key=key,  # type: ignore[arg-type]
            timeout=settings.llm_timeout_s,
            max_retries=0,
            max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
            temperature=0.3,
        )
        return cls(
            client,
            f"openai:{model}",
            supports_json_schema=settings.openai_json_schema,
            timeout_s=settings.llm_timeout_s,
        )

    def complete(
        self, messages: list[BaseMessage], *, json_schema: dict[str, Any] | None = None
    ) -> ModelReply:
        kwargs = self._format(json_schema)
        with _provider_errors(structured=bool(kwargs)):
            reply = self._client.invoke(messages, **kwargs)
        usage = getattr(reply, "usage_metadata", None) or {}
        return ModelReply(
            text=str(reply.content),
            model=self.name,
            tokens_in=int(usage.get("input_tokens", 0)),
            tokens_out=int(usage.get("output_tokens", 0)),
        )

    def stream(
        self,
        messages: list[BaseMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        usage: Usage | None = None,
    ) -> Iterator[str]:
        kwargs = self._format(json_schema)
        # httpx's timeout bounds each wait between chunks; a server that trickles its
        # answer is stopped by this deadline on the whole stream.
        deadline = time.monotonic() + self._timeout_s
        with _provider_errors(structured=bool(kwargs)):
            for chunk in self._client.stream(messages, stream_usage=True, **kwargs):
                if chunk.content:
                    yield str(chunk.content)
                counted = chunk.usage_metadata  # on the last chunk, when the server sends it
                if usage is not None and counted:
                    usage.tokens_in = int(counted.get("input_tokens", 0))
                    usage.tokens_out = int(counted.get("output_tokens", 0))
                if time.monotonic() > deadline:
                    raise ProviderTimeout("The model server streamed past its time limit.")

    def _format(self, json_schema: dict[str, Any] | None) -> dict[str, Any]:
        if json_schema is None or not self._supports_json_schema:
            return {}
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json_schema},
            }
        }
