"""GET /metrics in Prometheus format, request ids, and JSON logs without PII."""

import json
import logging

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from personify.agent.testing import ScriptedChatModel
from personify.logs import JsonFormatter

NAME = "Harriet Quarmby"
EMAIL = "harriet.quarmby@example.org"


def samples(client: TestClient) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_model_calls_fallbacks_redactions_and_events(
    client: TestClient, scripted: ScriptedChatModel
) -> None:
    before = samples(client)  # the demo data was loaded through the same counters
    client.get("/v1/users/dana/recommendations")
    client.get("/v1/users/nobody-here/recommendations")
    body = [{"event_id": "m-1", "user_id": "dana", "type": "view", "item_id": "feat-funnels"}]
    assert client.post("/v1/events", json={"events": body}).status_code in (200, 201, 202)
    scripted.enqueue("not json at all")  # onboarding falls back
    client.post("/v1/users/dana/onboarding", json={})
    scripted.enqueue("Try [[feat-funnels]].")
    client.post(
        "/v1/chat", json={"user_id": "dana", "session_id": "m", "message": f"I am {NAME}, {EMAIL}"}
    )
    found = samples(client)
    route = "/v1/users/{user_id}/recommendations"
    assert (
        value(
            found, "personify_http_request_seconds_count", route=route, method="GET", status="200"
        )
        == 1
    )
    assert (
        value(
            found, "personify_http_request_seconds_count", route=route, method="GET", status="404"
        )
        == 1
    )
    ingested = value(found, "personify_events_ingested_total")
    assert ingested - value(before, "personify_events_ingested_total") == 1
    assert value(found, "personify_model_calls_total", model="scripted", outcome="ok") == 2
    assert value(found, "personify_model_call_seconds_count", model="scripted") == 2
    assert sum(v for (n, _), v in found.items() if n == "personify_fallbacks_total") >= 1
    assert value(found, "personify_redactions_total", entity="EMAIL_ADDRESS") >= 1
    assert value(found, "personify_redactions_total", entity="PERSON") >= 1
    assert value(found, "personify_cache_lookups_total", cache="item_vectors", result="hit") > 0
    text = client.get("/metrics").text
    assert "dana" not in text and NAME not in text  # labels never carry ids or text


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert made.headers["X-Request-ID"] != "bad id\nwith newline"
    assert len(made.headers["X-Request-ID"]) == 32


def test_access_logs_are_json_with_a_request_id_and_no_pii(
    client: TestClient, scripted: ScriptedChatModel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scripted.enqueue("Try [[feat-funnels]].")
    client.put(f"/v1/users/{EMAIL}", json={"traits": {"about": f"I am {NAME}"}})
    client.post(
        "/v1/chat",
        json={"user_id": "dana", "session_id": "l", "message": f"I am {NAME}, mail {EMAIL}"},
        headers={"X-Request-ID": "req-42"},
    )
    formatter = JsonFormatter()
    ours = [r for r in caplog.records if not r.name.startswith("httpx")]  # the test client's
    lines = [formatter.format(r) for r in ours]
    access = [json.loads(line) for line in lines if '"message": "request"' in line]
    assert any(a["request_id"] == "req-42" and a["route"] == "/v1/chat" for a in access)
    assert any(a["route"] == "/v1/users/{user_id}" for a in access)
    everything = "\n".join(lines)
    assert NAME not in everything and EMAIL not in everything
