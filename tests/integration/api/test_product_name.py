"""End users are welcomed to the integrator's product, never to "Personify": the name is
PERSONIFY_PRODUCT_NAME (neutral by default) or, with tenants on, each tenant's own
`product_name` (its `name` unless given)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.errors import ConfigError
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.settings import load_settings
from personify.tenancy import MultiTenant
from tests.conftest import build

ADMIN = "admin-" + "k" * 30


def welcome(client: TestClient, headers: dict[str, str] | None = None) -> str:
    """The first thing a user we know nothing about is told."""
    headers = headers or {}
    assert client.put("/v1/users/nova", json={"traits": {}}, headers=headers).status_code == 200
    body = {"user_id": "nova", "session_id": "s1", "message": "Hi"}
    answer = client.post("/v1/chat", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["message"])


@pytest.mark.parametrize(
    ("setting", "expected"), [(None, "Welcome to our product!"), ("Acme Insights", "Acme Insights")]
)
def test_the_welcome_names_the_configured_product(
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
    setting: str | None,
    expected: str,
) -> None:
    overrides = {"product_name": setting} if setting else {}
    settings = load_settings(data_dir=tmp_path / "data", **overrides)
    service = build(settings, embedder, redactor, scripted)
    with TestClient(create_app(service)) as client:
        message = welcome(client)
    assert expected in message and "Personify" not in message


def test_a_blank_product_name_stops_start_up_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(data_dir=tmp_path, product_name="  ")
    assert raised.value.field == "PERSONIFY_PRODUCT_NAME"


def test_each_tenant_welcomes_to_its_own_product(
    tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", admin_key=ADMIN, product_name="Ours")
    model = ScriptedChatModel(default="")
    tenancy = MultiTenant(
        settings, SharedParts(settings, model=model, presidio=redactor, embedder=embedder)
    )
    admin = {"Authorization": f"Bearer {ADMIN}"}
    with TestClient(create_app(tenancy)) as client:
        named = client.post(
            "/v1/tenants",
            json={"name": "Acme Corp", "product_name": "Acme Insights"},
            headers=admin,
        ).json()
        plain = client.post("/v1/tenants", json={"name": "Globex"}, headers=admin).json()
        assert named["product_name"] == "Acme Insights" and plain["product_name"] == "Globex"
        listed = client.get("/v1/tenants", headers=admin).json()
        assert [t["product_name"] for t in listed] == ["Acme Insights", "Globex"]
        for tenant, product in ((named, "Acme Insights"), (plain, "Globex")):
            message = welcome(client, {"Authorization": f"Bearer {tenant['secret_key']}"})
            assert f"Welcome to {product}!" in message and "Ours" not in message
        blank = client.post("/v1/tenants", json={"name": "x", "product_name": " "}, headers=admin)
        assert blank.status_code == 422 and blank.json()["error"]["field"] == "product_name"
    tenancy.close()


def test_each_tenant_is_answered_in_its_own_tone(
    tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    """A tenant's `tone` sets the voice the model is asked for and the fallback's welcome;
    without one, the server's PERSONIFY_TONE applies."""
    settings = load_settings(data_dir=tmp_path / "data", admin_key=ADMIN, tone="concise")
    model = ScriptedChatModel(default="")  # nothing usable: the welcome is the fallback's
    tenancy = MultiTenant(
        settings, SharedParts(settings, model=model, presidio=redactor, embedder=embedder)
    )
    admin = {"Authorization": f"Bearer {ADMIN}"}
    expected = {"professional": ("Welcome to Acme, Dana Whitfield.", "clear, professional"),
                None: ("Hi Dana Whitfield.", "brief, plain")}  # fmt: skip
    with TestClient(create_app(tenancy)) as client:
        for tone, (greeting, voice) in expected.items():
            made = client.post("/v1/tenants", json={"name": "Acme", "tone": tone}, headers=admin)
            assert made.status_code == 201 and made.json()["tone"] == tone
            key = {"Authorization": f"Bearer {made.json()['secret_key']}"}
            item = {"id": "feat-a", "title": "Alerts", "description": "Alerts on metrics."}
            assert client.post("/v1/items", json={"items": [item]}, headers=key).status_code < 300
            traits = {"traits": {"name": "Dana Whitfield", "role": "Analyst"}}
            assert client.put("/v1/users/dana", json=traits, headers=key).status_code == 200
            plan = client.post("/v1/users/dana/onboarding", json={}, headers=key).json()
            assert plan["message"].startswith(greeting), plan["message"]
            assert f"write in a {voice} voice" in str(model.history[-1][0].content)
        wrong = client.post("/v1/tenants", json={"name": "x", "tone": "shouty"}, headers=admin)
        assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "tone"
    tenancy.close()
