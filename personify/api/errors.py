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

from personify.errors import PersonifyError

log = logging.getLogger("personify.api")


def error_body(code: str, message: str, field: str | None = None) -> dict[str, object]:
    error: dict[str, object] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def _field(loc: tuple[object, ...]) -> str:
    """("body", "events", 3, "type") -> "events[3].type"."""
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _line_and_column(text: str, position: object) -> str:
    """A character offset into the body as `line L, column C` (both from 1)."""
    offset = position if isinstance(position, int) else 0
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


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
        if loc[:1] == ("body",) and not _is_json(content_type):
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
            message = f"The body is not valid JSON: {reason} at {where}."
            return JSONResponse(error_body("invalid_input", message), status_code=422)
        field = _field(loc)
        message = f"{field}: {first.get('msg', 'invalid')}"
        return JSONResponse(error_body("invalid_input", message, field), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
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
