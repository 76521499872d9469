"""Schemathesis against the server's own OpenAPI schema: generated requests, valid and
not, for every operation. No answer may be a 500, every answer must match what the
schema documents (status codes, content types, bodies, headers), and invalid input must
be refused. Schema-valid input may still be refused (422) where a rule needs the data:
an event naming an item not in the catalog, a timestamp that does not parse; so the
check that every schema-valid request succeeds is the one left out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.demo import load_demo
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import load_settings
from personify.tenancy import MultiTenant

EXAMPLES = 25  # per operation: bounded, so the suite stays quick


ADMIN = "admin-" + "f" * 30


@pytest.fixture(scope="module", params=["single", "tenants"])
def api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
) -> Iterator[tuple[Any, dict[str, str]]]:
    """The schema and the headers to send: no auth (single tenant), or a tenant's secret
    key (tenants on; the admin-only routes then answer 403, as documented)."""
    data = tmp_path_factory.mktemp("fuzz") / "data"
    model = ScriptedChatModel(default="")  # about the API's contract: every answer falls back
    if request.param == "single":
        settings = load_settings(data_dir=data)
        service = Personify(
            settings, SharedParts(settings, model=model, presidio=redactor, embedder=embedder)
        )
        load_demo(service)
        serving: Personify | MultiTenant = service
    else:
        settings = load_settings(data_dir=data, admin_key=ADMIN)
        serving = MultiTenant(
            settings, SharedParts(settings, model=model, presidio=redactor, embedder=embedder)
        )
    app = create_app(serving)
    with TestClient(app) as client:  # runs start-up; schemathesis then calls the same app
        headers: dict[str, str] = {}
        if isinstance(serving, MultiTenant):
            made = client.post(
                "/v1/tenants", json={"name": "fuzz"}, headers={"Authorization": f"Bearer {ADMIN}"}
            ).json()
            load_demo(serving.service(made["tenant_id"]))
            headers = {"Authorization": f"Bearer {made['secret_key']}"}
        yield schemathesis.openapi.from_asgi("/openapi.json", app), headers


def test_no_500s_and_no_schema_violations(api: tuple[Any, dict[str, str]]) -> None:
    """Every operation in turn (schemathesis's pytest plugin does not load with this
    pytest, so its strategies run under Hypothesis directly)."""
    schema, headers = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: Any) -> None:
            answer = case.call_and_validate(
                headers=headers, excluded_checks=[positive_data_acceptance]
            )
            statuses.append(answer.status_code)

        fuzz()
    assert statuses.count(401) < len(statuses) / 10  # the key went along: real answers
    assert sum(200 <= code < 300 for code in statuses) > len(operations)
