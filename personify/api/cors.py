"""CORS for the chat widget's publishable key, with origins configured per tenant.

A browser asks first (a preflight OPTIONS: no key on it, so no tenant is known); the
preflight is answered for any origin, since it reveals nothing. The real request is
where the rule holds: a publishable key from an origin its tenant did not list is
refused (403, in api/auth.py), and only an allowed origin gets Access-Control-Allow-Origin,
so no other page can read an answer. Single-tenant mode (loopback only) sends no CORS
headers: the widget is served from the API's own origin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from personify.api.auth import USER_HEADER, USER_TOKEN_HEADER

ALLOWED_HEADERS = ", ".join(
    ["Authorization", "Content-Type", "X-Request-ID", USER_HEADER, USER_TOKEN_HEADER]
)


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def cors(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        tenancy = getattr(request.app.state, "tenancy", None)
        origin = request.headers.get("origin")
        if tenancy is None or not tenancy.settings.multi_tenant or not origin:
            return await call_next(request)
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            return Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                },
            )
        response = await call_next(request)
        if getattr(request.state, "cors_origin", None) == origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, Retry-After"
        response.headers["Vary"] = "Origin"
        return response
