"""One place that maps errors to HTTP answers: {"error": {"code", "message", "field"?}}."""

from __future__ import annotations

import logging

import httpx
from chromadb.errors import ChromaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException

from personify.api.limits import MAX_BODY_DEPTH, error_body, is_json
from personify.errors import PersonifyError

__all__ = ["error_body", "install"]
log = logging.getLogger("personify.api")


def _field(loc: tuple[object, ...]) -> str:
    """("body", "events", 3, "type") -> "events[3].type"."""
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _line_and_column(text: str, position: object) -> str:
    """A character offset into the body as `line L, column C` (both from 1)."""
    offset = position if isinstance(position, int) else 0
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _unparsable(cause: BaseException) -> str:
    """Why a body could not be read, for a body api/limits.py did not check first."""
    if isinstance(cause, UnicodeDecodeError):
        return f"The body is not valid UTF-8 at byte {cause.start}: send JSON encoded as UTF-8."
    if isinstance(cause, RecursionError):
        return f"The body is nested deeper than the limit of {MAX_BODY_DEPTH} levels: flatten it."
    return "The body could not be read as JSON: send a JSON document encoded as UTF-8."


# Exceptions that mean a dependency is down, not a bug: the database (SQLAlchemy could not
# reach it) and the vector store (chromadb's HTTP client could not, or Chroma failed).
DEPENDENCIES: dict[type[Exception], str] = {
    OperationalError: "database",
    InterfaceError: "database",
    DisconnectionError: "database",
    httpx.TransportError: "vector store",
    ChromaError: "vector store",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(PersonifyError)
    async def personify_error(_request: Request, exc: PersonifyError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.field),
            status_code=exc.status,
            headers=exc.headers() or None,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        loc = tuple(first.get("loc", ()))
        content_type = request.headers.get("content-type")
        if loc[:1] == ("body",) and not is_json(content_type):
            # FastAPI reads a body as JSON only when the content type says so
            given = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
            message = (
                f"The body must be JSON, sent with Content-Type: application/json ({given} "
                "was sent); with curl, add -H 'content-type: application/json'."
            )
            return JSONResponse(
                error_body("unsupported_media_type", message, "Content-Type"), status_code=415
            )
        if first.get("type") == "json_invalid":
            where = _line_and_column(str(exc.body or ""), loc[1] if len(loc) > 1 else 0)
            reason = (first.get("ctx") or {}).get("error", "invalid")
            message = f"The body is not valid JSON: {reason} at {where}. Fix the JSON there."
            return JSONResponse(error_body("invalid_input", message, "body"), status_code=422)
        field = _field(loc)
        message = f"{field}: {first.get('msg', 'invalid')}"
        return JSONResponse(error_body("invalid_input", message, field), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI could not parse it
            message = _unparsable(exc.__cause__)
            return JSONResponse(error_body("invalid_input", message, "body"), status_code=422)
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    async def dependency_down(_request: Request, exc: Exception) -> JSONResponse:
        down = next(name for kind, name in DEPENDENCIES.items() if isinstance(exc, kind))
        # the driver's error class (DeadlockDetected, ConnectionTimeout...), never its text:
        # SQLAlchemy's message carries the statement's parameters, which can be PII
        cause = getattr(exc, "orig", None) or exc
        log.warning("%s unavailable: %s", down, cause.__class__.__name__)
        return JSONResponse(
            error_body("unavailable", f"The {down} is not answering; retry shortly."),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    for kind in DEPENDENCIES:
        app.add_exception_handler(kind, dependency_down)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", exc.__class__.__name__, exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side; it was logged."),
            status_code=500,
        )
