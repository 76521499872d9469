"""The tenant registry: who the keys belong to. Keys are kept only as SHA-256 hashes, so a
leaked database does not leak working keys; each is shown once, when the tenant is made."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, delete, or_, select, update

from personify.domain import Tone
from personify.store.schema import tenants

KeyKind = Literal["secret", "publishable"]
SECRET_PREFIX, PUBLISHABLE_PREFIX = "sk_", "pk_"


@dataclass(frozen=True, kw_only=True)
class Tenant:
    tenant_id: str
    name: str
    product_name: str  # what its end users are welcomed to
    tone: Tone | None = None  # how the assistant writes for it; None: the server's setting
    signing_key: str  # HMAC key for the widget's user tokens
    origins: tuple[str, ...]
    rate_limit_per_minute: int | None
    created_at: float
    # the key before the last rotation, and when it stops verifying user tokens
    previous_signing_key: str | None = None
    previous_signing_key_until: float | None = None

    def signing_keys(self, now: float) -> tuple[str, ...]:
        """The keys a user token may be signed with at `now`: the current one, and the
        previous one during its grace period."""
        until = self.previous_signing_key_until
        if self.previous_signing_key and until is not None and now < until:
            return (self.signing_key, self.previous_signing_key)
        return (self.signing_key,)


@dataclass(frozen=True, kw_only=True)
class NewTenant:
    tenant: Tenant
    secret_key: str
    publishable_key: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class TenantRegistry:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self,
        name: str,
        origins: list[str],
        rate_limit_per_minute: int | None = None,
        product_name: str | None = None,
        tone: Tone | None = None,
    ) -> NewTenant:
        """`product_name` defaults to the tenant's name, `tone` to the server's setting."""
        tenant = Tenant(
            tenant_id="t" + secrets.token_hex(8),
            name=name,
            product_name=product_name or name,
            tone=tone,
            signing_key=secrets.token_hex(32),
            origins=tuple(origins),
            rate_limit_per_minute=rate_limit_per_minute,
            created_at=time.time(),
        )
        secret_key = SECRET_PREFIX + secrets.token_urlsafe(32)
        publishable_key = PUBLISHABLE_PREFIX + secrets.token_urlsafe(24)
        with self._engine.begin() as conn:
            conn.execute(
                tenants.insert(),
                [
                    {
                        "tenant_id": tenant.tenant_id,
                        "name": name,
                        "product_name": tenant.product_name,
                        "tone": tone,
                        "secret_key_sha256": key_hash(secret_key),
                        "publishable_key_sha256": key_hash(publishable_key),
                        "signing_key": tenant.signing_key,
                        "origins": list(origins),
                        "rate_limit_per_minute": rate_limit_per_minute,
                        "created_at": tenant.created_at,
                    }
                ],
            )
        return NewTenant(tenant=tenant, secret_key=secret_key, publishable_key=publishable_key)

    def by_key(self, key: str) -> tuple[Tenant, KeyKind] | None:
        """The tenant a key belongs to and which of its keys it is; None for any other key."""
        digest = key_hash(key)
        query = select(tenants).where(
            or_(
                tenants.c.secret_key_sha256 == digest,
                tenants.c.publishable_key_sha256 == digest,
            )
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        kind: KeyKind = "secret" if row["secret_key_sha256"] == digest else "publishable"
        return _tenant(row), kind

    def rotate(self, tenant_id: str, grace_seconds: float, now: float) -> Tenant | None:
        """A new signing key; the current one verifies tokens for `grace_seconds` more. A
        key from an earlier rotation stops at once. None for an unknown tenant."""
        with self._engine.begin() as conn:
            found = conn.execute(
                select(tenants.c.signing_key)
                .where(tenants.c.tenant_id == tenant_id)
                .with_for_update()  # two rotations at once: the second sees the first's key
            ).first()
            if found is None:
                return None
            conn.execute(
                update(tenants)
                .where(tenants.c.tenant_id == tenant_id)
                .values(
                    signing_key=secrets.token_hex(32),
                    previous_signing_key=found.signing_key,
                    previous_signing_key_until=now + grace_seconds,
                )
            )
        return self.get(tenant_id)

    def get(self, tenant_id: str) -> Tenant | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(select(tenants).where(tenants.c.tenant_id == tenant_id))
                .mappings()
                .first()
            )
        return _tenant(row) if row else None

    def all(self) -> list[Tenant]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(tenants).order_by(tenants.c.created_at)).mappings()
            return [_tenant(row) for row in rows]

    def remove(self, tenant_id: str) -> bool:
        with self._engine.begin() as conn:
            removed = conn.execute(delete(tenants).where(tenants.c.tenant_id == tenant_id))
        return removed.rowcount > 0


def _tenant(row: object) -> Tenant:
    data = dict(row)  # type: ignore[call-overload]
    return Tenant(
        tenant_id=data["tenant_id"],
        name=data["name"],
        product_name=data["product_name"],
        tone=data["tone"],
        signing_key=data["signing_key"],
        origins=tuple(data["origins"]),
        rate_limit_per_minute=data["rate_limit_per_minute"],
        created_at=data["created_at"],
        previous_signing_key=data["previous_signing_key"],
        previous_signing_key_until=data["previous_signing_key_until"],
    )
