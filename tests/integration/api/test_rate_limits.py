"""Rate limits through the real app: the widget's publishable key has a budget per end
user (one busy user never gets another a 429), and failed key or token checks are
counted per client address, which is then refused before any key is compared."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.api.auth import user_token
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import load_settings
from personify.tenancy import MultiTenant
from tests.integration.api.test_tenants import ADMIN, ORIGIN, bearer, new_tenant

GUESSER, NEIGHBOUR = ("203.0.113.5", 40001), ("198.51.100.7", 40002)


@pytest.fixture
def app(tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor) -> Iterator[FastAPI]:
    """The app, started, with small limits: 3 widget requests a minute per user, 3 failed
    checks a minute per address."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        admin_key=ADMIN,
        publishable_rate_limit_per_minute=3,
        failed_auth_per_minute=3,
    )
    parts = SharedParts(settings, model=ScriptedChatModel(), presidio=redactor, embedder=embedder)
    application = create_app(MultiTenant(settings, parts))
    with TestClient(application):  # runs start-up once; clients below share its state
        yield application


def widget(tenant: dict[str, str], user_id: str, token: str | None = None) -> dict[str, str]:
    token = token or user_token(tenant["signing_key"], user_id, time.time() + 600)
    return {
        **bearer(tenant["publishable_key"]),
        "Origin": ORIGIN,
        "X-Personify-User": user_id,
        "X-Personify-User-Token": token,
    }


def test_each_end_user_of_the_widget_key_has_its_own_budget(app: FastAPI) -> None:
    http = TestClient(app)
    tenant = new_tenant(http, "acme", origins=[ORIGIN])
    dana, erin = widget(tenant, "dana"), widget(tenant, "erin")
    answers = [http.get("/v1/items/none", headers=dana).status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]  # 404: let in, and the item is not there
    limited = http.get("/v1/items/none", headers=dana)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "for this user" in limited.json()["error"]["message"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # dana's spree costs erin nothing, nor the tenant's backend
    assert http.get("/v1/items/none", headers=erin).status_code == 404
    assert http.get("/v1/items/none", headers=bearer(tenant["secret_key"])).status_code == 404


def test_failed_checks_lock_out_the_address_even_for_a_right_guess(app: FastAPI) -> None:
    guesser, neighbour = TestClient(app, client=GUESSER), TestClient(app, client=NEIGHBOUR)
    tenant = new_tenant(guesser, "acme", origins=[ORIGIN])
    guesses = [
        widget(tenant, "dana", token="dana.9999999999." + "0" * 64),  # a wrong signature
        bearer("sk_guess"),  # a wrong key
        {"X-Personify-User": "dana"},  # no key at all
    ]
    assert [guesser.get("/v1/items/none", headers=h).status_code for h in guesses] == [401] * 3
    right = guesser.get("/v1/items/none", headers=widget(tenant, "dana"))
    assert right.status_code == 429 and right.json()["error"]["code"] == "rate_limited"
    assert "failed key or user-token checks" in right.json()["error"]["message"]
    assert 1 <= int(right.headers["Retry-After"]) <= 60
    # refused before the key is looked at: the secret and admin keys too, from there
    assert guesser.get("/v1/items/none", headers=bearer(tenant["secret_key"])).status_code == 429
    assert guesser.get("/v1/tenants", headers=bearer(ADMIN)).status_code == 429
    # another address is not affected
    assert neighbour.get("/v1/items/none", headers=widget(tenant, "dana")).status_code == 404


def test_a_genuine_token_past_its_expiry_is_not_counted_as_a_guess(app: FastAPI) -> None:
    """A widget left open past its token's expiry must not lock out its own address."""
    http = TestClient(app, client=NEIGHBOUR)
    tenant = new_tenant(http, "acme", origins=[ORIGIN])
    expired = widget(tenant, "dana", user_token(tenant["signing_key"], "dana", time.time() - 5))
    answers = [http.get("/v1/items/none", headers=expired) for _ in range(5)]
    assert {a.json()["error"]["code"] for a in answers} == {"token_expired"}
    assert http.get("/v1/items/none", headers=widget(tenant, "dana")).status_code == 404


def test_bodies_refused_at_the_edge_count_against_the_address(app: FastAPI) -> None:
    """Malformed, too deep or too large bodies in a loop: after the limit the address is
    refused before its body is read, with a valid key too; other addresses are served."""
    tenant = new_tenant(TestClient(app), "acme", origins=[ORIGIN])
    key = {**bearer(tenant["secret_key"]), "content-type": "application/json"}
    sender = TestClient(app, client=GUESSER)
    bad = ['{"events": [', "[" * 5000 + "]" * 5000, '{"x": NaN}']
    answers = [sender.post("/v1/events", content=b, headers=key).status_code for b in bad]
    assert answers == [422, 422, 422]
    fine = {"events": []}
    refused = sender.post("/v1/events", json=fine, headers=key)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "refused" in refused.json()["error"]["message"]
    other = TestClient(app, client=NEIGHBOUR).post("/v1/items", json={"items": []}, headers=key)
    assert other.status_code == 422  # read and judged on its merits: an empty batch
