"""The FastAPI app factory. Routes hold no logic; Personify (service.py) does the work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from personify import __version__
from personify.api import cors, errors, observe
from personify.api.auth import RateLimiter
from personify.api.limits import MAX_BODY_BYTES, BodyLimit
from personify.api.routes import (
    chat,
    docs,
    events,
    experiments,
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

__all__ = ["MAX_BODY_BYTES", "create_app"]  # the body limit is documented in the README
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
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)  # counts what arrives, chunked too
    cors.install(app)
    observe.install(app)  # added last: it wraps everything, 413s included
    routers = (
        health,
        metrics,
        tenants,
        items,
        events,
        users,
        experiments,
        chat,
        openai_compat,
        widget,
        docs,
    )
    for router in (r.router for r in routers):
        app.include_router(router, responses=ERROR_RESPONSES)
    return app
