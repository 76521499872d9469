"""The widget's user tokens through the real app: `<user id>.<expiry>.<signature>`, good
for the one user they name until they expire; the signing key rotates (admin key only)
with a grace period for tokens signed by the old key, seen by every worker at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.api.auth import USER_TOKEN_HEADER, check_user_token, user_token
from personify.errors import Unauthorized
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import Settings, load_settings
from personify.tenancy import MultiTenant
from tests.integration.api.test_tenants import ADMIN, ORIGIN, bearer, new_tenant

ITEM = {"id": "item-1", "title": "Reports guide", "description": "How to.", "category": "guide"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", admin_key=ADMIN)


def open_tenancy(
    settings: Settings, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> MultiTenant:
    parts = SharedParts(settings, model=ScriptedChatModel(), presidio=redactor, embedder=embedder)
    return MultiTenant(settings, parts)


@pytest.fixture
def tenancy(
    settings: Settings, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> MultiTenant:
    return open_tenancy(settings, embedder, redactor)  # closed by the app's shutdown


@pytest.fixture
def http(tenancy: MultiTenant) -> Iterator[TestClient]:
    with TestClient(create_app(tenancy)) as client:
        yield client


def acme(http: TestClient) -> dict[str, Any]:
    """A tenant whose widget runs on ORIGIN, with one item the widget may read."""
    tenant = new_tenant(http, "acme", origins=[ORIGIN])
    added = http.post("/v1/items", json={"items": [ITEM]}, headers=bearer(tenant["secret_key"]))
    assert added.status_code == 200
    return tenant


def read_item(http: TestClient, tenant: dict[str, Any], user_id: str, token: str) -> Any:
    headers = {
        **bearer(tenant["publishable_key"]),
        "Origin": ORIGIN,
        "X-Personify-User": user_id,
        USER_TOKEN_HEADER: token,
    }
    return http.get("/v1/items/item-1", headers=headers)


def test_a_token_is_good_for_its_user_until_it_expires(http: TestClient) -> None:
    tenant = acme(http)
    key, soon = tenant["signing_key"], time.time() + 600
    assert read_item(http, tenant, "dana", user_token(key, "dana", soon)).status_code == 200
    # user ids may hold dots: the token is split from the right
    dotted = "dana.smith@acme.com"
    assert read_item(http, tenant, dotted, user_token(key, dotted, soon)).status_code == 200

    expired = read_item(http, tenant, "dana", user_token(key, "dana", time.time() - 1))
    assert expired.status_code == 401
    error = expired.json()["error"]
    assert error["code"] == "token_expired" and error["field"] == USER_TOKEN_HEADER
    assert "mint a fresh one" in error["message"]

    someone_else = read_item(http, tenant, "dana", user_token(key, "erin", soon))
    assert someone_else.status_code == 401
    assert "another user" in someone_else.json()["error"]["message"]

    user, _, signature = user_token(key, "dana", soon).split(".")
    stretched = read_item(http, tenant, "dana", f"{user}.{int(soon) + 86_400}.{signature}")
    assert stretched.status_code == 401 and stretched.json()["error"]["code"] == "unauthorized"

    other_tenant = new_tenant(http, "globex")
    foreign = read_item(http, tenant, "dana", user_token(other_tenant["signing_key"], "dana", soon))
    assert foreign.status_code == 401


def test_tokens_in_the_old_format_are_refused_with_the_new_shape(http: TestClient) -> None:
    import hashlib
    import hmac

    tenant = acme(http)
    old = hmac.new(tenant["signing_key"].encode(), b"dana", hashlib.sha256).hexdigest()
    refused = read_item(http, tenant, "dana", old)
    assert refused.status_code == 401
    assert "old format" in refused.json()["error"]["message"]
    assert "<user id>.<expiry" in refused.json()["error"]["message"]


def test_rotation_keeps_the_old_key_for_its_grace_then_refuses_it(
    http: TestClient, settings: Settings, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    tenant = acme(http)
    rotate = f"/v1/tenants/{tenant['tenant_id']}/rotate"
    soon = time.time() + 3600
    first_key = tenant["signing_key"]

    before = time.time()
    rotated = http.post(rotate, headers=bearer(ADMIN))
    assert rotated.status_code == 200, rotated.text
    second_key = rotated.json()["signing_key"]
    assert second_key != first_key
    assert (
        before + 86_400 <= rotated.json()["previous_signing_key_expires_at"] <= time.time() + 86_400
    )
    # both keys work within the grace period
    for key in (first_key, second_key):
        assert read_item(http, tenant, "dana", user_token(key, "dana", soon)).status_code == 200

    # another worker (its own tenancy, same registry) sees the rotation at once
    other = open_tenancy(settings, embedder, redactor)
    with TestClient(create_app(other)) as worker:
        third = worker.post(rotate, json={"grace_seconds": 1}, headers=bearer(ADMIN)).json()
    # a second rotation ends the first one's old key at once
    assert read_item(http, tenant, "dana", user_token(first_key, "dana", soon)).status_code == 401
    for key in (second_key, third["signing_key"]):
        assert read_item(http, tenant, "dana", user_token(key, "dana", soon)).status_code == 200

    time.sleep(max(0.0, third["previous_signing_key_expires_at"] - time.time()) + 0.1)
    after_grace = read_item(http, tenant, "dana", user_token(second_key, "dana", soon))
    assert after_grace.status_code == 401
    assert "signing key" in after_grace.json()["error"]["message"]
    assert (
        read_item(http, tenant, "dana", user_token(third["signing_key"], "dana", soon)).status_code
        == 200
    )


def test_the_grace_period_ends_exactly_when_the_answer_said(
    http: TestClient, tenancy: MultiTenant
) -> None:
    """The check with an explicit clock, on the tenant as the registry stores it."""
    tenant = acme(http)
    old_token = user_token(tenant["signing_key"], "dana", time.time() + 10 * 86_400)
    rotated = http.post(
        f"/v1/tenants/{tenant['tenant_id']}/rotate",
        json={"grace_seconds": 3600},
        headers=bearer(ADMIN),
    ).json()
    ends = rotated["previous_signing_key_expires_at"]
    stored = tenancy.registry.get(tenant["tenant_id"])
    assert stored is not None
    check_user_token(stored, "dana", old_token, now=ends - 1)
    with pytest.raises(Unauthorized):
        check_user_token(stored, "dana", old_token, now=ends)


def test_only_the_admin_key_rotates(http: TestClient) -> None:
    tenant = acme(http)
    rotate = f"/v1/tenants/{tenant['tenant_id']}/rotate"
    assert http.post(rotate, headers=bearer(tenant["secret_key"])).status_code == 403
    unknown = http.post("/v1/tenants/t0000000000000000/rotate", headers=bearer(ADMIN))
    assert unknown.status_code == 404
    too_long = http.post(rotate, json={"grace_seconds": 10**9}, headers=bearer(ADMIN))
    assert too_long.status_code == 422 and too_long.json()["error"]["field"] == "grace_seconds"
    # nothing rotated: the key from creation still signs valid tokens
    token = user_token(tenant["signing_key"], "dana", time.time() + 60)
    assert read_item(http, tenant, "dana", token).status_code == 200
