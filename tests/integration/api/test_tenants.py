"""Tenants and keys: two customers with the same user and item ids never see, change or
erase each other's data, through every endpoint; the widget's publishable key stays in
its lane; wrong keys get 401, keys out of their rights 403, too many requests 429."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.api.auth import user_token
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import load_settings
from personify.tenancy import MultiTenant

ADMIN = "admin-" + "k" * 30
ORIGIN = "https://shop.example.com"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def tenancy(
    tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> Iterator[MultiTenant]:
    settings = load_settings(data_dir=tmp_path / "data", admin_key=ADMIN)
    # these tests are about tenancy: every model call gets a reply that falls back
    model = ScriptedChatModel(default="")
    made = MultiTenant(
        settings, SharedParts(settings, model=model, presidio=redactor, embedder=embedder)
    )
    yield made
    made.close()


@pytest.fixture
def http(tenancy: MultiTenant) -> Iterator[TestClient]:
    with TestClient(create_app(tenancy)) as client:
        yield client


def new_tenant(http: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    response = http.post("/v1/tenants", json={"name": name, **extra}, headers=bearer(ADMIN))
    assert response.status_code == 201, response.text
    return dict(response.json())


def fill(http: TestClient, key: str, marker: str) -> None:
    """The same ids in every tenant; only the marker differs."""
    items = [
        {
            "id": f"item-{n}",
            "title": f"{marker} guide {n}",
            "description": f"How to use reports, part {n}. {marker}",
            "category": "guide",
            "tags": ["reports"],
        }
        for n in range(6)
    ]
    assert http.post("/v1/items", json={"items": items}, headers=bearer(key)).status_code == 200
    traits = {"role": f"analyst {marker}", "interests": ["reports"]}
    assert (
        http.put("/v1/users/dana", json={"traits": traits}, headers=bearer(key)).status_code == 200
    )
    events = [
        {"event_id": f"e{n}", "user_id": "dana", "type": "view", "item_id": f"item-{n}"}
        for n in range(3)
    ]
    sent = http.post("/v1/events", json={"events": events}, headers=bearer(key))
    assert sent.json()["accepted"] == 3


def test_keys_are_required_and_checked(http: TestClient) -> None:
    missing = http.get("/v1/users/dana/profile")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthorized"
    assert http.get("/v1/users/dana/profile", headers=bearer("sk_nope")).status_code == 401
    assert (
        http.get("/v1/users/dana/profile", headers={"Authorization": "Basic x"}).status_code == 401
    )
    admin_on_data = http.get("/v1/users/dana/profile", headers=bearer(ADMIN))
    assert admin_on_data.status_code == 403
    tenant = new_tenant(http, "acme")
    assert (
        http.post(
            "/v1/tenants", json={"name": "x"}, headers=bearer(tenant["secret_key"])
        ).status_code
        == 403
    )
    assert http.get("/metrics", headers=bearer(tenant["secret_key"])).status_code == 403
    assert http.get("/metrics", headers=bearer(ADMIN)).status_code == 200
    assert (
        http.get("/v1/tenants", headers=bearer(ADMIN)).json()[0]["tenant_id"] == tenant["tenant_id"]
    )
    # keys are shown once and stored hashed
    assert "secret_key" not in http.get("/v1/tenants", headers=bearer(ADMIN)).json()[0]


def test_two_tenants_with_the_same_ids_are_isolated_through_every_endpoint(
    http: TestClient, tenancy: MultiTenant
) -> None:
    a, b = new_tenant(http, "acme"), new_tenant(http, "globex")
    ka, kb = a["secret_key"], b["secret_key"]
    fill(http, ka, "ALPHAMARK")
    fill(http, kb, "BETAMARK")
    # only B has bob: to A he is exactly as unknown as a user who never existed
    http.put("/v1/users/bob", json={"traits": {"role": "buyer"}}, headers=bearer(kb))
    never = http.get("/v1/users/nobody-ever/profile", headers=bearer(ka))
    elsewhere = http.get("/v1/users/bob/profile", headers=bearer(ka))
    assert never.status_code == elsewhere.status_code == 404
    assert never.json()["error"]["code"] == elsewhere.json()["error"]["code"]

    def reads(key: str) -> str:
        """Everything a secret key can read about dana and the items, as one text."""
        parts = [
            http.get("/v1/items/item-1", headers=bearer(key)).text,
            http.get("/v1/users/dana/profile", headers=bearer(key)).text,
            http.get("/v1/users/dana/recommendations", headers=bearer(key)).text,
            http.post("/v1/users/dana/onboarding", json={}, headers=bearer(key)).text,
            http.post(
                "/v1/chat",
                json={"user_id": "dana", "session_id": "s1", "message": "what next?"},
                headers=bearer(key),
            ).text,
            http.post(
                "/v1/chat/completions",
                json={
                    "model": "personify",
                    "user": "dana",
                    "messages": [{"role": "user", "content": "hi"}],
                },
                headers=bearer(key),
            ).text,
            http.get("/v1/users/dana/consent", headers=bearer(key)).text,
            http.get("/v1/users/dana/data", headers=bearer(key)).text,
        ]
        return "\n".join(parts)

    seen_by_a, seen_by_b = reads(ka), reads(kb)
    assert "ALPHAMARK" in seen_by_a and "BETAMARK" not in seen_by_a
    assert "BETAMARK" in seen_by_b and "ALPHAMARK" not in seen_by_b

    # changes in A stay in A: consent, events, then erasure
    http.put("/v1/users/dana/consent", json={"personalization": False}, headers=bearer(ka))
    assert http.get("/v1/users/dana/consent", headers=bearer(kb)).json()["personalization"]
    more = [{"event_id": "e-more", "user_id": "dana", "type": "view", "item_id": "item-5"}]
    http.post("/v1/events", json={"events": more}, headers=bearer(kb))
    a_events = http.get("/v1/users/dana/data", headers=bearer(ka)).json()["events"]
    assert "e-more" not in {e["event_id"] for e in a_events}
    assert http.delete("/v1/users/dana", headers=bearer(ka)).status_code == 200
    assert http.get("/v1/users/dana/profile", headers=bearer(ka)).status_code == 404
    b_data = http.get("/v1/users/dana/data", headers=bearer(kb)).json()
    assert len(b_data["events"]) == 4 and "BETAMARK" in b_data["traits"]["role"]

    # the tenants' stores are apart on disk
    dirs = {p.name for p in (tenancy.settings.data_dir / "tenants").iterdir()}
    assert dirs == {a["tenant_id"], b["tenant_id"]}


def test_deleting_a_tenant_removes_its_data_and_keys(
    http: TestClient, tenancy: MultiTenant
) -> None:
    a, b = new_tenant(http, "acme"), new_tenant(http, "globex")
    fill(http, a["secret_key"], "ALPHAMARK")
    fill(http, b["secret_key"], "BETAMARK")
    assert (
        http.delete(f"/v1/tenants/{a['tenant_id']}", headers=bearer(b["secret_key"])).status_code
        == 403
    )
    gone = http.delete(f"/v1/tenants/{a['tenant_id']}", headers=bearer(ADMIN))
    assert gone.status_code == 200 and gone.json()["deleted"]
    for key in (a["secret_key"], a["publishable_key"]):
        assert http.get("/v1/items/item-1", headers=bearer(key)).status_code == 401
    assert not tenancy.tenant_dir(a["tenant_id"]).exists()
    for path in tenancy.settings.data_dir.rglob("*"):
        if path.is_file():
            assert b"ALPHAMARK" not in path.read_bytes(), path
    assert "BETAMARK" in http.get("/v1/items/item-1", headers=bearer(b["secret_key"])).text
    assert http.delete(f"/v1/tenants/{a['tenant_id']}", headers=bearer(ADMIN)).status_code == 404


def test_the_publishable_key_only_acts_for_its_user_from_its_origins(http: TestClient) -> None:
    tenant = new_tenant(http, "acme", origins=[ORIGIN])
    fill(http, tenant["secret_key"], "ALPHAMARK")
    http.put(
        "/v1/users/erin", json={"traits": {"role": "buyer"}}, headers=bearer(tenant["secret_key"])
    )
    widget = {
        **bearer(tenant["publishable_key"]),
        "Origin": ORIGIN,
        "X-Personify-User": "dana",
        "X-Personify-User-Token": user_token(tenant["signing_key"], "dana", time.time() + 600),
    }
    recs = http.get("/v1/users/dana/recommendations", headers=widget)
    assert recs.status_code == 200 and recs.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert http.post("/v1/users/dana/onboarding", json={}, headers=widget).status_code == 200
    chat = {"user_id": "dana", "session_id": "w1", "message": "hello"}
    assert http.post("/v1/chat", json=chat, headers=widget).status_code == 200
    event = {"event_id": "w-e1", "user_id": "dana", "type": "click", "item_id": "item-2"}
    assert http.post("/v1/events", json={"events": [event]}, headers=widget).status_code == 200
    assert http.get("/v1/items/item-2", headers=widget).status_code == 200

    # another user, through every door the widget has
    assert http.get("/v1/users/erin/recommendations", headers=widget).status_code == 403
    assert (
        http.post("/v1/chat", json={**chat, "user_id": "erin"}, headers=widget).status_code == 403
    )
    other = {**event, "event_id": "w-e2", "user_id": "erin"}
    refused = http.post("/v1/events", json={"events": [event, other]}, headers=widget)
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "events[1].user_id"
    # rooms the widget never enters, even for its own user
    assert http.get("/v1/users/dana/profile", headers=widget).status_code == 403
    assert http.get("/v1/users/dana/data", headers=widget).status_code == 403
    assert http.delete("/v1/users/dana", headers=widget).status_code == 403
    assert http.post("/v1/items", json={"items": []}, headers=widget).status_code == 403
    # a forged user token, no token, a foreign origin
    forged = {**widget, "X-Personify-User": "erin"}
    assert http.get("/v1/users/erin/recommendations", headers=forged).status_code == 401
    no_token = {k: v for k, v in widget.items() if k != "X-Personify-User-Token"}
    assert http.get("/v1/users/dana/recommendations", headers=no_token).status_code == 401
    foreign = http.get(
        "/v1/users/dana/recommendations", headers={**widget, "Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign.headers
    # the browser's preflight is answered; it carries no key and reveals nothing
    preflight = http.options(
        "/v1/chat",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "x-personify-user-token" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_each_key_has_a_rate_limit(http: TestClient) -> None:
    tenant = new_tenant(http, "acme", rate_limit_per_minute=3)
    other = new_tenant(http, "globex")
    key = bearer(tenant["secret_key"])
    answers = [http.get("/v1/users/dana/consent", headers=key).status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    limited = http.get("/v1/users/dana/consent", headers=key)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # another tenant's key has its own budget
    assert (
        http.get("/v1/users/dana/consent", headers=bearer(other["secret_key"])).status_code == 404
    )


def test_tenant_input_is_checked(http: TestClient) -> None:
    bad = http.post(
        "/v1/tenants", json={"name": "x", "origins": ["not an origin"]}, headers=bearer(ADMIN)
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "origins"
    assert http.delete("/v1/tenants/../etc", headers=bearer(ADMIN)).status_code in (404, 422)


def test_rate_limits_are_shared_by_workers_through_redis(
    tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    """Two apps (as two workers would be) count one key's requests together in Redis."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(
            "no Redis on 127.0.0.1:6379 (only PERSONIFY_RATE_LIMIT_STORAGE=redis:// needs it)"
        )
    settings = load_settings(
        data_dir=tmp_path / "data", admin_key=ADMIN, rate_limit_storage="redis://127.0.0.1:6379"
    )
    tenancy = MultiTenant(
        settings,
        SharedParts(settings, model=ScriptedChatModel(), presidio=redactor, embedder=embedder),
    )
    tenant: dict[str, Any] = {"tenant_id": "none-made"}
    try:
        with TestClient(create_app(tenancy)) as one, TestClient(create_app(tenancy)) as two:
            tenant = new_tenant(one, "acme", rate_limit_per_minute=3)
            key = bearer(tenant["secret_key"])
            answers = [
                worker.get("/v1/users/dana/consent", headers=key).status_code
                for worker in (one, two, one, two)
            ]
            assert answers == [404, 404, 404, 429]
    finally:
        for name in client.scan_iter(match=f"*{tenant['tenant_id']}*"):
            client.delete(name)
        tenancy.close()


def test_stores_left_by_a_crash_mid_deletion_are_swept_at_start(
    http: TestClient, tenancy: MultiTenant, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    a, b = new_tenant(http, "acme"), new_tenant(http, "globex")
    fill(http, a["secret_key"], "ALPHAMARK")
    tenancy.registry.remove(a["tenant_id"])  # the keys went; then the process died
    assert tenancy.tenant_dir(a["tenant_id"]).exists()
    again = MultiTenant(
        tenancy.settings,
        SharedParts(
            tenancy.settings, model=ScriptedChatModel(), presidio=redactor, embedder=embedder
        ),
    )
    try:
        assert not tenancy.tenant_dir(a["tenant_id"]).exists()
        assert tenancy.tenant_dir(b["tenant_id"]).exists()  # a registered tenant is kept
    finally:
        again.close()


def test_one_tenants_catalog_names_never_exempt_another_tenants_text(
    http: TestClient, tenancy: MultiTenant
) -> None:
    """Product names are not PII, per tenant: Acme sells "Jordan Analytics", so "Jordan"
    in Acme's text is the product; in Globex's text it is still a person's name."""
    a, b = new_tenant(http, "acme"), new_tenant(http, "globex")
    item = {
        "id": "jordan",
        "title": "Jordan Analytics",
        "description": "Reports.",
        "category": "tool",
    }
    assert (
        http.post("/v1/items", json={"items": [item]}, headers=bearer(a["secret_key"])).status_code
        == 200
    )
    text = "Please ask Jordan about the renewal."
    found_by_a = tenancy.service(a["tenant_id"]).redactor.find(text)
    found_by_b = tenancy.service(b["tenant_id"]).redactor.find(text)
    assert not [s for s in found_by_a if s.entity == "PERSON"]
    assert [text[s.start : s.end] for s in found_by_b if s.entity == "PERSON"] == ["Jordan"]
