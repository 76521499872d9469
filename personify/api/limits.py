"""Limits at the API's edge: the body's bytes as they arrive, and JSON that reads back
out (jsonlimits.py) wherever it sits in the body."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from personify.errors import RateLimited
from personify.jsonlimits import MAX_JSON_DEPTH, Problem, json_problem, shown
from personify.tenancy import MultiTenant

MAX_BODY_BYTES = 4 * 1024 * 1024  # a request body, as read off the wire
TARPIT_SECONDS = 1.0  # before a 429 to an address over its refused requests
MAX_BODY_DEPTH = 64  # a request body's nesting: room for an envelope around free JSON


def error_body(code: str, message: str, field: str | None = None) -> dict[str, object]:
    error: dict[str, object] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def body_problem(body: bytes) -> Problem | None:
    """What is wrong with a JSON body, as (field, message); None when it is fine."""
    try:
        value = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return "body", (
            f"The body is not valid UTF-8: byte {exc.start} (0x{body[exc.start]:02x}) starts no "
            "character. Send the JSON encoded as UTF-8."
        )
    except json.JSONDecodeError as exc:
        return "body", (
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
            "Fix the JSON there (quotes, commas, brackets) and send it again."
        )
    except RecursionError:
        return "body", _too_deep("")
    except ValueError:  # Python reads integers of at most 4,300 digits
        return "body", "The body has an integer of more than 4,300 digits: send it as text."
    found = json_problem(value, MAX_BODY_DEPTH)
    if found is None:
        return None
    where, wrong = found
    if wrong.startswith("nests deeper"):
        return _record_field(where), _too_deep(where)
    return where or "body", f"{where or 'body'}: {wrong}."


def _record_field(where: str) -> str:
    """The field of a record a deep path starts in: `items[0].attributes` of
    `items[0].attributes.a.b[0]...` (every record sits at most that far into a body)."""
    steps = re.findall(r"\[\d+\]|\.?[^.\[]+", where)[:3]
    return "".join(steps) or "body"


def _too_deep(where: str) -> str:
    at = f" (at {shown(where, 80)})" if where else ""
    return (
        f"The body is nested deeper than the limit of {MAX_BODY_DEPTH} levels{at}. Free JSON "
        f"(item attributes, event properties) may nest {MAX_JSON_DEPTH} levels: flatten it."
    )


class BodyLimit:
    """Reads the request body before the app does, counting bytes as they arrive (a
    chunked body has no Content-Length to trust), and answers 413 the moment it passes
    `max_bytes`, having held no more than that. A JSON body must then decode and read
    back out (body_problem), or it is refused with a 422 naming the field."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        strikes = _Strikes(scope)
        refused = strikes.over_the_limit()
        if refused is not None:  # an address sending what we refuse: not even read
            # A second's wait (no work: the event loop serves others) before the 429 slows
            # a client that retries at once to about one request a second per connection.
            await asyncio.sleep(TARPIT_SECONDS)
            await _answer(send, 429, error_body(refused.code, refused.message), refused.headers())
            return
        await self._check(scope, receive, send, strikes)

    async def _check(self, scope: Scope, receive: Receive, send: Send, strikes: _Strikes) -> None:
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            strikes.count()
            await self._refuse(send, 413, f"The body is {length} bytes")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            chunk = message.get("body", b"")
            if len(body) + len(chunk) > self.max_bytes:
                strikes.count()
                await self._refuse(send, 413, f"The body is over {self.max_bytes} bytes")
                return
            body += chunk
            if not message.get("more_body", False):
                break
        content_type = headers.get("content-type")
        if body and is_json(content_type):
            found = body_problem(bytes(body))
            if found:
                strikes.count()
                field, message_text = found
                await _answer(send, 422, error_body("invalid_input", message_text, field))
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, send: Send, status: int, said: str) -> None:
        message = f"{said}; the limit is {self.max_bytes}. Send smaller batches."
        await _answer(send, status, error_body("too_large", message, "body"))


class _Strikes:
    """With tenants on, bodies refused here count against the client address like failed
    key checks (api/auth.py RateLimiter): an address over the limit is answered 429 before
    its body is read, so a client sending malformed or oversized bodies in a loop costs
    the server almost nothing. Single-tenant (loopback, no keys): nothing is counted."""

    def __init__(self, scope: Scope) -> None:
        state = getattr(scope.get("app"), "state", None)
        multi = isinstance(getattr(state, "tenancy", None), MultiTenant)
        self._limiter = getattr(state, "rate_limiter", None) if multi else None
        client = scope.get("client")
        self._address = client[0] if client else ""

    def over_the_limit(self) -> RateLimited | None:
        if self._limiter is None:
            return None
        try:
            self._limiter.refuse_guessing(self._address)
        except RateLimited as refused:
            return refused
        return None

    def count(self) -> None:
        if self._limiter is not None:
            self._limiter.count_failure(self._address)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """The body already read, as one message; then the client's own (a disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def _answer(
    send: Send, status: int, content: dict[str, object], headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(content).encode("utf-8")
    extra = [(k.lower().encode("ascii"), v.encode("ascii")) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode("ascii")),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
