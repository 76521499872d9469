"""Tenants (admin key only): create one and get its keys, once; list; rotate the widget's
signing key; delete everything."""

from __future__ import annotations

import re

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, field_validator

from personify.api.deps import TenantsDep
from personify.domain import Tone
from personify.store.tenants import Tenant

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])
TenantId = Path(pattern=r"^t[0-9a-f]{16}$")
ORIGIN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"


class TenantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Acme Analytics"])
    product_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"\S",
        description="The product the tenant's end users are welcomed to and the assistant "
        "speaks for (the onboarding's 'Welcome to ...'). Defaults to `name`.",
        examples=["Acme Insights"],
    )
    tone: Tone | None = Field(
        default=None,
        description="How the assistant writes for this tenant's users: friendly, professional "
        "or concise. Defaults to the server's PERSONIFY_TONE.",
        examples=["professional"],
    )
    origins: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Web origins the chat widget may call from, e.g. https://app.acme.com.",
    )
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="For the secret key; the server's default otherwise.",
    )

    @field_validator("origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for index, origin in enumerate(origins):
            if not re.match(ORIGIN, origin):
                raise ValueError(
                    f"[{index}] {origin!r} is not an origin like https://app.example.com"
                )
        return origins


class TenantPublic(BaseModel):
    tenant_id: str
    name: str
    product_name: str
    tone: Tone | None
    origins: list[str]
    rate_limit_per_minute: int | None
    created_at: float


class TenantCreated(TenantPublic):
    secret_key: str = Field(description="Shown once. Full access to this tenant's data.")
    publishable_key: str = Field(description="Shown once. For the chat widget.")
    signing_key: str = Field(
        description="Your backend mints the widget's X-Personify-User-Token with it: "
        "`<user id>.<expiry>.<hex HMAC-SHA256 of '<user id>.<expiry>'>`."
    )


class SigningKeyRotate(BaseModel):
    grace_seconds: int | None = Field(
        default=None,
        ge=0,
        le=30 * 86_400,
        description="How long tokens signed with the old key keep working. Defaults to "
        "PERSONIFY_SIGNING_KEY_GRACE_SECONDS (24 h); 0 ends the old key now.",
    )


class SigningKeyRotated(BaseModel):
    tenant_id: str
    signing_key: str = Field(description="Shown once. Mint new user tokens with it.")
    previous_signing_key_expires_at: float = Field(
        description="Unix seconds: tokens signed with the old key are refused from then on."
    )


class TenantDeleted(BaseModel):
    tenant_id: str
    deleted: bool


def _public(tenant: Tenant) -> TenantPublic:
    return TenantPublic(
        tenant_id=tenant.tenant_id,
        name=tenant.name,
        product_name=tenant.product_name,
        tone=tenant.tone,
        origins=list(tenant.origins),
        rate_limit_per_minute=tenant.rate_limit_per_minute,
        created_at=tenant.created_at,
    )


@router.post("", response_model=TenantCreated, status_code=201)
def create_tenant(body: TenantCreate, tenants: TenantsDep) -> TenantCreated:
    made = tenants.create(
        body.name,
        body.origins,
        body.rate_limit_per_minute,
        product_name=body.product_name,
        tone=body.tone,
    )
    return TenantCreated(
        **_public(made.tenant).model_dump(),
        secret_key=made.secret_key,
        publishable_key=made.publishable_key,
        signing_key=made.tenant.signing_key,
    )


@router.get("", response_model=list[TenantPublic])
def list_tenants(tenants: TenantsDep) -> list[TenantPublic]:
    return [_public(tenant) for tenant in tenants.registry.all()]


@router.post("/{tenant_id}/rotate", response_model=SigningKeyRotated)
def rotate_signing_key(
    tenants: TenantsDep, body: SigningKeyRotate | None = None, tenant_id: str = TenantId
) -> SigningKeyRotated:
    """A new signing key for the widget's user tokens; the old one keeps verifying them for
    the grace period, so your backend can switch without signing anyone out. A second
    rotation ends the first one's old key at once."""
    grace = body.grace_seconds if body else None
    if grace is None:
        grace = tenants.settings.signing_key_grace_seconds
    tenant = tenants.rotate(tenant_id, grace)
    assert tenant.previous_signing_key_until is not None  # set by every rotation
    return SigningKeyRotated(
        tenant_id=tenant.tenant_id,
        signing_key=tenant.signing_key,
        previous_signing_key_expires_at=tenant.previous_signing_key_until,
    )


@router.delete("/{tenant_id}", response_model=TenantDeleted)
def delete_tenant(tenants: TenantsDep, tenant_id: str = TenantId) -> TenantDeleted:
    """Its keys stop working at once; its events, users, profiles, vectors, conversations,
    pseudonyms, audit trail and trained models are removed from every store."""
    tenants.delete(tenant_id)
    return TenantDeleted(tenant_id=tenant_id, deleted=True)
