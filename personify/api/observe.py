"""Per-request observation: a request id (taken from X-Request-ID when it is sane, made
otherwise, always echoed back), the latency histogram by route template, one access log
line. Streaming responses are timed to their first byte."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from personify.logs import REQUEST_ID

SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("personify.access")


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if SANE_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            seconds = time.perf_counter() - started
            route = getattr(request.scope.get("route"), "path", "unmatched")
            tenancy = getattr(request.app.state, "tenancy", None)
            if tenancy is not None:
                tenancy.metrics.requests.labels(route, request.method, str(status)).observe(seconds)
            log.info(
                "request",
                extra={
                    "route": route,
                    "method": request.method,
                    "status": status,
                    "ms": round(seconds * 1000, 1),
                    "request_id": request_id,
                },
            )
            REQUEST_ID.reset(token)
