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

from personify.agent.models import ScriptedChatModel
from personify.api.app import create_app
from personify.demo import load_demo
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import load_settings

EXAMPLES = 25  # per operation: bounded, so the suite stays quick


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
) -> Iterator[Any]:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("fuzz") / "data")
    service = Personify(settings, model=ScriptedChatModel(), redactor=redactor, embedder=embedder)
    load_demo(service)
    app = create_app(service)
    with TestClient(app):  # runs the app's start-up, then schemathesis calls the same app
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_500s_and_no_schema_violations(api: Any) -> None:
    """Every operation in turn (schemathesis's pytest plugin does not load with this
    pytest, so its strategies run under Hypothesis directly)."""
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 10
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
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        fuzz()
