from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from personify.api.auth import require_user
from personify.api.deps import CallerDep, WidgetPersonifyDep
from personify.api.schemas import ChatPublic, ChatRequest
from personify.domain import ChatEvent, Done, Replace, TokenDelta
from personify.errors import PersonifyError

router = APIRouter(prefix="/v1/chat", tags=["chat"])


def _sse(kind: str, data: object) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def _sse_event(event: ChatEvent) -> str:
    match event:
        case TokenDelta(text=text):
            return _sse("token", {"text": text})
        case Replace(message=message):
            return _sse("replace", {"message": message})
        case Done(turn=turn):
            return _sse("done", turn.model_dump(mode="json"))


def _stream(first: ChatEvent, rest: Iterator[ChatEvent]) -> Iterator[str]:
    yield _sse_event(first)
    try:
        for event in rest:
            yield _sse_event(event)
    except PersonifyError as exc:  # after the headers are out, errors travel as events
        yield _sse("error", {"code": exc.code, "message": exc.message})


@router.post(
    "",
    response_model=ChatPublic,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def create_chat_turn(
    body: ChatRequest, service: WidgetPersonifyDep, caller: CallerDep
) -> ChatPublic | StreamingResponse:
    """One chat turn. With "stream": true, server-sent events: `token` ({text}) deltas, maybe
    `replace` ({message}) when a fallback takes back what was streamed, then `done` with the
    whole turn (message, cards, provenance)."""
    require_user(caller, body.user_id, "user_id")
    if not body.stream:
        turn = service.chat(body.user_id, body.session_id, body.message)
        return ChatPublic.model_validate(turn.model_dump())
    events = service.chat_events(body.user_id, body.session_id, body.message)
    first = next(events)  # errors before the first event still get a proper status code
    return StreamingResponse(
        _stream(first, events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
