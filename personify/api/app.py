"""The FastAPI app factory. Routes hold no logic; Personify (service.py) does the work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from personify import __version__
from personify.api import cors, errors, observe
from personify.api.auth import RateLimiter
from personify.api.routes import (
    chat,
    docs,
    events,
    health,
    items,
    metrics,
    openai_compat,
    tenants,
    users,
    widget,
)
from personify.api.schemas import ERROR_RESPONSES
from personify.service import Personify
from personify.tenancy import SingleTenant, Tenancy

MAX_BODY_BYTES = 4 * 1024 * 1024  # documented in the README


Serving = Personify | Tenancy


def create_app(serving: Serving | Callable[[], Serving]) -> FastAPI:
    """`serving` is one service (single tenant), a tenancy, or a factory called at start-up
    (so `serve` starts fast and tests can hand in one with a scripted model)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        made = serving() if callable(serving) else serving
        tenancy = SingleTenant(made) if isinstance(made, Personify) else made
        app.state.tenancy = tenancy
        app.state.rate_limiter = RateLimiter(tenancy.settings)
        yield
        tenancy.close()

    app = FastAPI(
        title="Personify",
        version=__version__,
        description="Grounded, private personalization: recommendations, onboarding and chat.",
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py from local files, not a CDN
        redoc_url=None,
    )
    errors.install(app)

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse(
                errors.error_body(
                    "too_large",
                    f"The body is {length} bytes; the limit is {MAX_BODY_BYTES}. Send smaller batches.",
                    "body",
                ),
                status_code=413,
            )
        return await call_next(request)

    cors.install(app)
    observe.install(app)  # added last: it wraps everything, 413s included
    routers = (health, metrics, tenants, items, events, users, chat, openai_compat, widget, docs)
    for router in (r.router for r in routers):
        app.include_router(router, responses=ERROR_RESPONSES)
    return app
