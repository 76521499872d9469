"""An OpenAI-compatible face: `POST /v1/chat/completions` and `GET /v1/models`.

An application that uses the official `openai` client talks to Personify by changing
`base_url`. The `user` field names the end user whose profile personalizes the answer.
Answers go through the same agent as `/v1/chat` (grounded, redacted, guarded); the item
cards and provenance travel in an extra `personify` field. The conversation is whatever
the client sends in `messages` (nothing is stored); the client's own system messages are
ignored, since Personify's versioned template is the system prompt."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from personify.api.deps import PersonifyDep
from personify.domain import ID_PATTERN, MAX_TEXT, ChatEvent, ChatTurn, Done, Replace, TokenDelta
from personify.errors import InputError, PersonifyError

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
MODEL_ID = "personify"


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens...: accepted, ignored

    model: str = MODEL_ID
    messages: list[Message] = Field(min_length=1, max_length=100)
    stream: bool = False
    user: str | None = Field(
        default=None, description="The end user's id; their profile personalizes the answer."
    )


def _turn(body: CompletionRequest) -> tuple[str, str, list[tuple[str, str]]]:
    """(user id, message, history) from an OpenAI request, or an InputError naming the fix."""
    if not body.user or not re.match(ID_PATTERN, body.user):
        raise InputError(
            "user: set the `user` field to the end user's id (1-128 characters of A-Za-z0-9_.:@-).",
            field="user",
        )
    for index, message in enumerate(body.messages):
        # the history goes into the prompt too: each message has /v1/chat's limit
        if len(message.text()) > MAX_TEXT:
            field = f"messages[{index}].content"
            raise InputError(
                f"{field}: {len(message.text())} characters is over the limit of {MAX_TEXT} "
                "for a message; shorten it, or leave older turns out.",
                field=field,
            )
    turns: list[tuple[str, str]] = [
        (str(m.role), m.text()) for m in body.messages if m.role in ("user", "assistant")
    ]
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        raise InputError(
            "messages: the last message must be a non-empty user message.", field="messages"
        )
    return body.user, turns[-1][1], turns[:-1]


def _extra(turn: ChatTurn) -> dict[str, Any]:
    """Personify's own part of an answer: the item cards and how the answer was made."""
    return turn.model_dump(mode="json", include={"cards", "provenance"})


def _usage(turn: ChatTurn) -> dict[str, int]:
    """The model's own token counts (0 where the answer came from the fallback alone)."""
    used = turn.provenance
    return {
        "prompt_tokens": used.tokens_in,
        "completion_tokens": used.tokens_out,
        "total_tokens": used.tokens_in + used.tokens_out,
    }


@router.get("/models")
def list_models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "personify"}],
    }


@router.post("/chat/completions", response_model=None)
def create_chat_completion(
    body: CompletionRequest, service: PersonifyDep
) -> dict[str, Any] | StreamingResponse:
    user, message, history = _turn(body)
    events = service.chat_events(user, "openai", message, history)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        turn = next(e.turn for e in events if isinstance(e, Done))
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": turn.message},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(turn),
            "personify": _extra(turn),
            "experiments": turn.experiments,
        }
    first = next(events)  # errors before streaming still get their status code

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data)}\n\n"

    def stream(all_events: Iterator[ChatEvent]) -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            for event in all_events:
                match event:
                    case TokenDelta(text=text):
                        yield chunk({"content": text})
                    case Replace(message=message):  # a stream can't be taken back: say so
                        yield chunk({}, personify={"replace": message})
                    case Done(turn=turn):
                        yield chunk(
                            {},
                            "stop",
                            personify=_extra(turn),
                            experiments=turn.experiments,
                            usage=_usage(turn),
                        )
        except PersonifyError as exc:
            yield f"data: {json.dumps({'error': {'code': exc.code, 'message': exc.message}})}\n\n"
        yield "data: [DONE]\n\n"

    def with_first() -> Iterator[ChatEvent]:
        yield first
        yield from events

    return StreamingResponse(stream(with_first()), media_type="text/event-stream")
