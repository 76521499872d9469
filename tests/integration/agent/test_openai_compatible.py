"""PERSONIFY_LLM_PROVIDER=openai against real HTTP servers on loopback that speak the
OpenAI chat API: one honours structured output, one ignores it and answers in plain text,
one rejects response_format outright (run with PERSONIFY_OPENAI_JSON_SCHEMA=false).
Grounding and redaction hold for all three."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from personify.agent.openai_compat import OpenAICompatibleModel
from personify.demo import load_demo
from personify.errors import ProviderError, ProviderTimeout
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import Settings
from tests.servers import serve_in_thread


def chat_server(mode: str, received: list[dict[str, Any]]) -> FastAPI:
    """mode: "json" follows the schema (picks the first allowed id), "plain" ignores it,
    "strict" answers 400 to response_format."""
    app = FastAPI()

    def answer(body: dict[str, Any]) -> str:
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema")
        if mode == "json" and schema:
            props = schema["properties"]["items"]["items"]
            ids = props["properties"]["item_id"]["enum"] if "properties" in props else props["enum"]
            if "properties" in props:
                items: list[Any] = [{"item_id": ids[0], "reason": "It fits your stated goal."}]
            else:
                items = [ids[0]]
            return json.dumps(
                {
                    "message": "Welcome, <PERSON_1>! This is a strong first step for your team.",
                    "items": items,
                }
            )
        return "You should really try the Zendesk Integration for your support queue today."

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Any:
        body = await request.json()
        received.append(body)
        if mode == "strict" and "response_format" in body:
            return JSONResponse(
                {"error": {"message": "response_format unsupported"}}, status_code=400
            )
        text = answer(body)
        created = int(time.time())
        if not body.get("stream"):
            return {
                "id": "c1",
                "object": "chat.completion",
                "created": created,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }

        def chunks() -> Iterator[str]:
            for start in range(0, len(text), 8):
                delta = {"content": text[start : start + 8]}
                if start == 0:
                    delta["role"] = "assistant"  # as OpenAI sends in the first chunk
                chunk = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": body["model"],
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                yield f"data: {json.dumps(chunk)}\n\n"
            if (body.get("stream_options") or {}).get("include_usage"):
                counted = {"prompt_tokens": 31, "completion_tokens": 7, "total_tokens": 38}
                last = {"id": "c1", "object": "chat.completion.chunk", "created": created}
                last |= {"model": body["model"], "choices": [], "usage": counted}
                yield f"data: {json.dumps(last)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    return app


def openai_settings(base: Settings, url: str, *, json_schema: bool = True) -> Settings:
    changes = {
        "llm_provider": "openai",
        "openai_base_url": f"{url}/v1",
        "openai_model": "tiny",
        "openai_api_key": SecretStr("sk-test"),
        "openai_json_schema": json_schema,
    }
    return base.model_copy(update=changes).check()


@pytest.mark.parametrize(
    ("mode", "json_schema"), [("json", True), ("plain", True), ("strict", False)]
)
def test_openai_compatible_servers(
    mode: str,
    json_schema: bool,
    settings: Settings,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
) -> None:
    received: list[dict[str, Any]] = []
    with serve_in_thread(chat_server(mode, received)) as url:
        configured = openai_settings(settings, url, json_schema=json_schema)
        service = Personify(
            configured, SharedParts(configured, presidio=redactor, embedder=embedder)
        )
        try:
            load_demo(service)
            plan = service.onboard("sam", goal="Reach me at sam.okafor@example.com")
            turn = service.chat("sam", "s", "I'm Sam Okafor. How do I watch my ticket queue?")
        finally:
            service.close()
    assert {i.item_id for i in plan.items} <= set(plan.provenance.candidates)
    assert plan.provenance.model == ("openai:tiny" if mode == "json" else "deterministic")
    if mode == "json":
        assert plan.message.startswith("Welcome, Sam Okafor!")  # restored for the user
    else:
        assert plan.provenance.fallback == "invalid_output"
    assert turn.provenance.fallback is None or mode == "json"
    # the server's own counts: 10 and 10 for the reply, 31 and 7 at the end of a stream
    assert (plan.provenance.tokens_in, plan.provenance.tokens_out) == (10, 10)
    assert (turn.provenance.tokens_in, turn.provenance.tokens_out) == (31, 7)
    assert {c.item_id for c in turn.cards} <= set(turn.provenance.candidates)
    if mode != "json":
        assert [c.item_id for c in turn.cards] == ["int-zendesk"]  # named by title in plain text
    sent = json.dumps(received)
    assert "Sam Okafor" not in sent and "sam.okafor@example.com" not in sent
    if not json_schema:
        assert received and not any("response_format" in r for r in received)


def test_a_server_rejecting_structured_output_names_the_setting(settings: Settings) -> None:
    """With PERSONIFY_OPENAI_JSON_SCHEMA on, a server that rejects response_format is a
    ProviderError saying to turn the setting off (the agent then answers from its
    fallback); calls without a schema still work."""
    received: list[dict[str, Any]] = []
    schema = {"type": "object", "properties": {"message": {"type": "string"}}}
    messages = [HumanMessage("How do I watch my ticket queue?")]
    with serve_in_thread(chat_server("strict", received)) as url:
        model = OpenAICompatibleModel.from_settings(openai_settings(settings, url))
        with pytest.raises(ProviderError) as complete_err:
            model.complete(messages, json_schema=schema)
        with pytest.raises(ProviderError) as stream_err:
            list(model.stream(messages, json_schema=schema))
        plain = model.complete(messages)
    for err in (complete_err, stream_err):
        assert err.value.field == "PERSONIFY_OPENAI_JSON_SCHEMA"
        assert "set PERSONIFY_OPENAI_JSON_SCHEMA=false" in err.value.message
    assert "Zendesk" in plain.text
    assert ["response_format" in r for r in received] == [True, True, False]  # no retry


def test_a_server_that_trickles_its_answer_is_stopped_at_the_deadline(
    settings: Settings,
) -> None:
    """httpx's timeout bounds each wait between chunks; the whole stream has a deadline
    too, so a server sending a little at a time cannot hold a request for minutes."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions() -> StreamingResponse:
        async def chunks() -> AsyncIterator[str]:
            for n in range(100):
                delta = {"content": f"word{n} "}
                chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0,
                         "model": "tiny", "choices": [{"index": 0, "delta": delta}]}  # fmt: skip
                yield f"data: {json.dumps(chunk)}\n\n"
                await asyncio.sleep(0.1)
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")

    short = settings.model_copy(update={"llm_timeout_s": 1.0})
    with serve_in_thread(app) as url:
        model = OpenAICompatibleModel.from_settings(openai_settings(short, url))
        got: list[str] = []
        with pytest.raises(ProviderTimeout, match="time limit"):
            for piece in model.stream([HumanMessage("Hello?")]):
                got.append(piece)
    assert 0 < len(got) < 100  # it began, and was cut off long before the end
