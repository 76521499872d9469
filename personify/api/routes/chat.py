from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from personify.agent.agent import ChatEvent
from personify.api.deps import CallerDep, WidgetPersonifyDep
from personify.api.schemas import ChatPublic, ChatRequest
from personify.errors import PersonifyError

router = APIRouter(prefix="/v1/chat", tags=["chat"])


def _sse(kind: str, data: object) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


def _stream(first: ChatEvent, rest: Iterator[ChatEvent]) -> Iterator[str]:
    yield _sse(first.kind, first.data)
    try:
        for event in rest:
            yield _sse(event.kind, event.data)
    except PersonifyError as exc:  # after the headers are out, errors travel as events
        yield _sse("error", {"code": exc.code, "message": exc.message})


@router.post(
    "",
    response_model=ChatPublic,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def create_chat_turn(
    body: ChatRequest, app: WidgetPersonifyDep, caller: CallerDep
) -> ChatPublic | StreamingResponse:
    """One chat turn. With "stream": true, server-sent events: `token` ({text}) deltas, maybe
    `replace` ({message}) when a fallback takes back what was streamed, then `done` with the
    whole turn (message, cards, provenance)."""
    caller.require_user(body.user_id, "user_id")
    if not body.stream:
        turn = app.chat(body.user_id, body.session_id, body.message)
        return ChatPublic.model_validate(turn.model_dump())
    events = app.chat_events(body.user_id, body.session_id, body.message)
    first = next(events)  # errors before the first event still get a proper status code
    return StreamingResponse(
        _stream(first, events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
