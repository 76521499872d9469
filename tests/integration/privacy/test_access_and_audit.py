"""Access requests, the audit trail of model calls and erasures, and logs without PII."""

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from personify.agent.testing import ScriptedChatModel
from personify.service import Personify
from personify.store.schema import audit_log

PLANTED = {"name": "Oksana Virtanen", "email": "oksana.v@example.org", "phone": "+44 20 7946 0321"}


def plant(client: TestClient, scripted: ScriptedChatModel) -> None:
    traits = {
        "name": PLANTED["name"],
        "email": PLANTED["email"],
        "role": "Controller",
        "interests": ["budgets"],
    }
    client.put("/v1/users/oksana", json={"traits": traits})
    client.post(
        "/v1/events",
        json={
            "events": [
                {"event_id": "o1", "user_id": "oksana", "type": "use", "item_id": "int-stripe"}
            ]
        },
    )
    scripted.enqueue("no json", "Try [[tpl-budget-actuals]] next.")
    client.post("/v1/users/oksana/onboarding", json={"goal": f"call me on {PLANTED['phone']}"})
    client.post(
        "/v1/chat",
        json={"user_id": "oksana", "session_id": "a", "message": f"I am {PLANTED['name']}"},
    )


def test_the_access_request_returns_everything_held(
    client: TestClient, scripted: ScriptedChatModel
) -> None:
    plant(client, scripted)
    data = client.get("/v1/users/oksana/data").json()
    assert data["traits"]["email"] == PLANTED["email"]
    assert [e["item_id"] for e in data["events"]] == ["int-stripe"]
    assert data["profile"]["events_total"] == 1
    (session,) = data["conversations"]
    assert session["session_id"] == "a" and [t["role"] for t in session["turns"]] == [
        "user",
        "assistant",
    ]
    assert PLANTED["name"] in data["pseudonyms"]["a"].values()  # their own values, for them
    assert len(data["model_calls"]) == 2
    assert client.get("/v1/users/nobody/data").status_code == 404


def test_model_calls_and_erasures_are_audited_without_pii(
    client: TestClient, scripted: ScriptedChatModel, demo: Personify
) -> None:
    plant(client, scripted)
    client.delete("/v1/users/oksana")
    with demo.store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(audit_log))]
    dump = json.dumps(rows)
    for value in [*PLANTED.values(), "oksana"]:
        assert value not in dump
    mine = demo.audit.for_user("oksana")
    assert [r.kind for r in mine] == ["model_call", "model_call", "erasure"]
    onboarding, chat, erasure = mine
    assert onboarding.template == "onboarding.v2" and chat.template == "chat.v2"
    assert onboarding.model == "scripted" and len(onboarding.prompt_sha256 or "") == 64
    assert (
        onboarding.entities.get("PERSON", 0) >= 1 and onboarding.entities.get("PHONE_NUMBER") == 1
    )
    assert erasure.entities["rows_removed"] > 0
    assert erasure.subject == demo.audit.subject("oksana") != demo.audit.subject("other")


def test_logs_hold_no_pii(
    client: TestClient, scripted: ScriptedChatModel, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        plant(client, scripted)
        client.get("/v1/users/oksana/recommendations")
        client.post(
            "/v1/chat", json={"user_id": "oksana", "session_id": "b", "message": "x" * 6000}
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # something was logged, so the check means something
    for value in PLANTED.values():
        assert value not in text
