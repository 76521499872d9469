"""Who is calling, and what they may do.

Without PERSONIFY_ADMIN_KEY the server is single-tenant and open (it only listens on
loopback). With it, every /v1 request carries `Authorization: Bearer <key>`:

- the admin key manages tenants (and reads /metrics), nothing else;
- a tenant's secret key (`sk_...`) may do everything with that tenant's data;
- a tenant's publishable key (`pk_...`, for the chat widget) may only chat, get
  onboarding, read recommendations and items, and send events, for the one user the
  request names in `X-Personify-User`, proven by `X-Personify-User-Token` (hex
  HMAC-SHA256 of the user id with the tenant's signing key, computed by the customer's
  own backend), and only from the tenant's configured origins.

Every key has a rate limit (429 with Retry-After). Errors say what is wrong with the
request, never whether a tenant or user exists."""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from fastapi import Request
from limits import RateLimitItemPerMinute, storage, strategies

from personify.errors import Forbidden, RateLimited, Unauthorized
from personify.settings import Settings
from personify.store.tenants import Tenant
from personify.tenancy import Caller, MultiTenant, Role, Tenancy

USER_HEADER = "X-Personify-User"
USER_TOKEN_HEADER = "X-Personify-User-Token"


def require_user(caller: Caller, user_id: str, field: str) -> None:
    """A publishable key may touch only the user its request names."""
    if caller.role == "publishable" and user_id != caller.user_id:
        raise Forbidden(
            f"{field}: this key acts only for the user named in {USER_HEADER}.", field=field
        )


class RateLimiter:
    """A moving one-minute window per key (`limits`); counters in memory or Redis."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(settings.rate_limit_storage)
        )

    def hit(self, tenant: Tenant, role: Role) -> None:
        if role == "publishable":
            per_minute = self._settings.publishable_rate_limit_per_minute
        else:
            per_minute = tenant.rate_limit_per_minute or self._settings.rate_limit_per_minute
        item = RateLimitItemPerMinute(per_minute)
        if self._limiter.hit(item, "personify", tenant.tenant_id, role):
            return
        reset = self._limiter.get_window_stats(item, "personify", tenant.tenant_id, role).reset_time
        raise RateLimited(
            f"Over this key's limit of {per_minute} requests a minute; retry later.",
            retry_after=max(1, math.ceil(reset - time.time())),
        )


def user_token(signing_key: str, user_id: str) -> str:
    """What the customer's backend computes for the widget: proves which user it is."""
    return hmac.new(signing_key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identify(request: Request, tenancy: Tenancy, limiter: RateLimiter) -> Caller:
    """The caller the request's key names (counted against its rate limit)."""
    if not isinstance(tenancy, MultiTenant):
        return Caller(role="owner")
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Send the key as `Authorization: Bearer <key>`.", field="Authorization")
    key = key.strip()
    admin_key = tenancy.settings.admin_key
    if admin_key and hmac.compare_digest(key.encode(), admin_key.get_secret_value().encode()):
        return Caller(role="admin")
    found = tenancy.registry.by_key(key)
    if found is None:
        raise Unauthorized("The key is not valid.", field="Authorization")
    tenant, kind = found
    user_id = _widget_user(request, tenant) if kind == "publishable" else None
    limiter.hit(tenant, kind)
    return Caller(role=kind, tenant=tenant, user_id=user_id)


def _widget_user(request: Request, tenant: Tenant) -> str:
    origin = request.headers.get("origin", "")
    if origin not in tenant.origins:
        raise Forbidden(
            "This publishable key may not be used from this origin: add the origin to the "
            "tenant's origins, or call from your backend with the secret key.",
            field="Origin",
        )
    request.state.cors_origin = origin  # api/cors.py lets this origin read the answer
    user_id = request.headers.get(USER_HEADER, "")
    token = request.headers.get(USER_TOKEN_HEADER, "")
    expected = user_token(tenant.signing_key, user_id)
    if not user_id or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized(
            f"A publishable key needs {USER_HEADER} and {USER_TOKEN_HEADER} (hex HMAC-SHA256 "
            "of the user id with the tenant's signing key, made by your backend).",
            field=USER_TOKEN_HEADER,
        )
    return user_id
