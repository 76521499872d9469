"""Who is calling, and what they may do.

Without PERSONIFY_ADMIN_KEY the server is single-tenant and open (it only listens on
loopback). With it, every /v1 request carries `Authorization: Bearer <key>`:

- the admin key manages tenants (and reads /metrics), nothing else;
- a tenant's secret key (`sk_...`) may do everything with that tenant's data;
- a tenant's publishable key (`pk_...`, for the chat widget) may only chat, get
  onboarding, read recommendations and items, and send events, for the one user the
  request names in `X-Personify-User`, proven by `X-Personify-User-Token` (see
  `user_token`: minted by the customer's own backend, it expires), and only from the
  tenant's configured origins.

Rate limits (429 with Retry-After): the secret key has one budget (one secret key per
tenant), the publishable key one per end user, so one busy user never starves another.
Failed checks (no key, a wrong key, a wrong user token) are counted per client address;
over PERSONIFY_FAILED_AUTH_PER_MINUTE that address is refused before any key is compared,
so guessing is slow even when a guess is right. Errors say what is wrong with the request,
never whether a tenant or user exists."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from datetime import UTC, datetime

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerMinute, storage, strategies

from personify.errors import Forbidden, RateLimited, TokenExpired, Unauthorized
from personify.settings import Settings
from personify.store.tenants import Tenant
from personify.tenancy import Caller, MultiTenant, Role, Tenancy

USER_HEADER = "X-Personify-User"
USER_TOKEN_HEADER = "X-Personify-User-Token"
TOKEN_SHAPE = (
    "`<user id>.<expiry in unix seconds>.<hex HMAC-SHA256 of '<user id>.<expiry>' with the "
    "tenant's signing key>`, minted by your backend"
)
FAILED_AUTH = "personify-failed-auth"


def require_user(caller: Caller, user_id: str, field: str) -> None:
    """A publishable key may touch only the user its request names."""
    if caller.role == "publishable" and user_id != caller.user_id:
        raise Forbidden(
            f"{field}: this key acts only for the user named in {USER_HEADER}.", field=field
        )


class RateLimiter:
    """Moving one-minute windows (`limits`), counters in memory or Redis: per secret key,
    per end user of a publishable key, and failed checks per client address."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(settings.rate_limit_storage)
        )

    def hit(self, tenant: Tenant, role: Role, user_id: str | None = None) -> None:
        if role == "publishable":
            per_minute = self._settings.publishable_rate_limit_per_minute
            bucket: tuple[str, ...] = ("personify", tenant.tenant_id, role, user_id or "")
            whose = " for this user"
        else:  # a tenant has one secret key: its bucket is the key's
            per_minute = tenant.rate_limit_per_minute or self._settings.rate_limit_per_minute
            bucket = ("personify", tenant.tenant_id, role)
            whose = ""
        item = RateLimitItemPerMinute(per_minute)
        if not self._limiter.hit(item, *bucket):
            raise RateLimited(
                f"Over this key's limit of {per_minute} requests a minute{whose}; retry later.",
                retry_after=self._retry_after(item, bucket),
            )

    def refuse_guessing(self, address: str) -> None:
        """429 for an address over its failed checks, before any key is compared."""
        item = self._failed_item()
        if not self._limiter.test(item, FAILED_AUTH, address):
            raise RateLimited(
                f"Too many refused requests from this address (failed key or user-token "
                f"checks, bodies refused at the edge: over {item.amount} a minute); retry "
                "later with a valid key, token and body.",
                retry_after=self._retry_after(item, (FAILED_AUTH, address)),
            )

    def count_failure(self, address: str) -> None:
        self._limiter.hit(self._failed_item(), FAILED_AUTH, address)

    def _failed_item(self) -> RateLimitItem:
        return RateLimitItemPerMinute(self._settings.failed_auth_per_minute)

    def _retry_after(self, item: RateLimitItem, bucket: tuple[str, ...]) -> int:
        reset = self._limiter.get_window_stats(item, *bucket).reset_time
        return max(1, math.ceil(reset - time.time()))


def user_token(signing_key: str, user_id: str, expires_at: float) -> str:
    """What the customer's backend mints for the widget: proves which user it is, until
    `expires_at` (unix seconds). `<user_id>.<expiry>.<hex HMAC-SHA256 of "user_id.expiry">`."""
    expiry = str(int(expires_at))
    return f"{user_id}.{expiry}.{_sign(signing_key, user_id, expiry)}"


def _sign(signing_key: str, user_id: str, expiry: str) -> str:
    message = f"{user_id}.{expiry}".encode()
    return hmac.new(signing_key.encode(), message, hashlib.sha256).hexdigest()


def check_user_token(tenant: Tenant, user_id: str, token: str, now: float) -> None:
    """Raise unless `token` was minted for `user_id` with one of the tenant's signing keys
    at `now` and has not expired."""
    if not user_id or not token:
        raise Unauthorized(
            f"A publishable key needs {USER_HEADER} and {USER_TOKEN_HEADER} ({TOKEN_SHAPE}).",
            field=USER_TOKEN_HEADER,
        )
    parts = token.rsplit(".", 2)  # user ids may hold dots; expiry and signature do not
    if len(parts) != 3 or not re.fullmatch(r"[0-9]{1,12}", parts[1]):
        old = re.fullmatch(r"[0-9a-f]{64}", token) is not None
        raise Unauthorized(
            f"{USER_TOKEN_HEADER} is "
            + ("in the old format (no expiry), no longer accepted" if old else "malformed")
            + f": send {TOKEN_SHAPE}.",
            field=USER_TOKEN_HEADER,
        )
    named, expiry, signature = parts
    if named != user_id:
        raise Unauthorized(
            f"{USER_TOKEN_HEADER} was minted for another user than {USER_HEADER} names: "
            "mint one for this user.",
            field=USER_TOKEN_HEADER,
        )
    signed = [
        hmac.compare_digest(signature.encode(), _sign(key, named, expiry).encode())
        for key in tenant.signing_keys(now)
    ]
    if not any(signed):
        raise Unauthorized(
            f"{USER_TOKEN_HEADER} is not signed with this tenant's signing key: mint it with "
            "the current key (after a rotation the old one works only until its grace ends).",
            field=USER_TOKEN_HEADER,
        )
    if int(expiry) <= now:
        when = datetime.fromtimestamp(int(expiry), UTC).isoformat(timespec="seconds")
        raise TokenExpired(
            f"{USER_TOKEN_HEADER} expired at {when}: your backend must mint a fresh one.",
            field=USER_TOKEN_HEADER,
        )


def identify(request: Request, tenancy: Tenancy, limiter: RateLimiter) -> Caller:
    """The caller the request's key names (counted against its rate limit). Failed checks
    count against the client's address; a genuine token past its expiry does not."""
    if not isinstance(tenancy, MultiTenant):
        return Caller(role="owner")
    address = request.client.host if request.client else "unknown"
    limiter.refuse_guessing(address)
    try:
        return _check_key(request, tenancy, limiter)
    except TokenExpired:
        raise
    except Unauthorized:
        limiter.count_failure(address)
        raise


def _check_key(request: Request, tenancy: MultiTenant, limiter: RateLimiter) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Send the key as `Authorization: Bearer <key>`.", field="Authorization")
    key = key.strip()
    admin_key = tenancy.settings.admin_key
    if admin_key and hmac.compare_digest(key.encode(), admin_key.get_secret_value().encode()):
        return Caller(role="admin")
    found = tenancy.registry.by_key(key)  # read fresh each request: rotations show at once
    if found is None:
        raise Unauthorized("The key is not valid.", field="Authorization")
    tenant, kind = found
    user_id = _widget_user(request, tenant) if kind == "publishable" else None
    limiter.hit(tenant, kind, user_id)
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
    check_user_token(tenant, user_id, request.headers.get(USER_TOKEN_HEADER, ""), time.time())
    return user_id
