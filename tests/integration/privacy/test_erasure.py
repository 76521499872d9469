""" "Forget me" means forgotten: a marker planted in every field a user can fill is found
nowhere under the data dir, nor in any store, after the user is erased."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from personify.agent.testing import ScriptedChatModel
from personify.experiments.definitions import ExperimentSpec
from personify.service import Personify

USER = "zq7-erasable-user"
MARKER = "Xq7marker"


def files_containing(root: Path, needle: str) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


def sql_dump(demo: Personify) -> str:
    """Every row of every table, as text."""
    tables = MetaData()
    tables.reflect(demo.store.engine)
    with demo.store.engine.connect() as conn:
        return json.dumps(
            {
                name: [list(map(str, row)) for row in conn.execute(select(table))]
                for name, table in tables.tables.items()
            }
        )


def test_erasure_leaves_no_trace(
    client: TestClient, scripted: ScriptedChatModel, demo: Personify
) -> None:
    traits = {
        "name": f"Ana {MARKER}son",
        "email": f"{MARKER.lower()}@example.org",
        "role": f"{MARKER} lead",
        "industry": f"{MARKER} industry",
        "interests": [f"{MARKER} dashboards"],
        "goal": f"{MARKER} goal",
        "about": f"About {MARKER}",
        "nickname": f"{MARKER}-nick",
    }
    assert client.put(f"/v1/users/{USER}", json={"traits": traits}).status_code == 200
    events = [
        {
            "event_id": f"{MARKER}-e1",
            "user_id": USER,
            "type": "use",
            "item_id": "feat-alerts",
            "properties": {"note": MARKER},
        },
        {
            "messageId": f"{MARKER}-m1",
            "userId": USER,
            "event": f"{MARKER} Clicked",
            "properties": {"product_id": "int-slack", "note": MARKER},
        },
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 200
    scripted.default = "Try [[feat-dashboards]] for that."
    client.post(f"/v1/users/{USER}/onboarding", json={"goal": f"{MARKER} onboarding goal"})
    client.post(
        "/v1/chat",
        json={
            "user_id": USER,
            "session_id": f"{MARKER}-session",
            "message": f"I don't care about {MARKER}, I run {MARKER} ops",
        },
    )
    client.get(f"/v1/users/{USER}/recommendations")
    data_dir = demo.settings.data_dir
    before = sql_dump(demo)
    assert MARKER in before and USER in before  # it was there
    if not demo.settings.database_url:  # and the file scan can see it in SQLite's file
        assert files_containing(data_dir, MARKER) and files_containing(data_dir, USER)

    assert client.delete(f"/v1/users/{USER}").status_code == 200
    demo.behaviour.refresh()

    assert files_containing(data_dir, MARKER) == []
    assert files_containing(data_dir, USER) == []
    dump = sql_dump(demo)  # SQLite's file, or PostgreSQL's tables
    assert MARKER not in dump and USER not in dump
    assert demo.vectors.profile_vector(USER) is None
    assert client.get(f"/v1/users/{USER}/data").status_code == 404
    assert [r.kind for r in demo.audit.for_user(USER)][-1] == "erasure"  # proof, without the id


def test_every_place_a_users_data_lives_is_emptied(
    demo: Personify, scripted: ScriptedChatModel
) -> None:
    """Read from the one registry erasure uses (privacy/erasure.py): a store added there
    later is checked here too, with nothing to change in this test."""
    scripted.default = "Try [[feat-dashboards]] for that."
    experiment = {
        "key": "erasure-check",
        "surface": "all",
        "variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}],
        "metrics": {"primary": "conversion"},
    }
    demo.experiments.create(ExperimentSpec.model_validate(experiment))  # exposures, too
    demo.put_traits(USER, {"role": "Analyst", "name": "Ana Lund"})
    demo.add_events([{"event_id": "x-1", "user_id": USER, "type": "use", "item_id": "feat-alerts"}])
    demo.set_consent(USER, {"analytics": False})
    demo.chat(USER, "s", "I am Ana Lund and I don't care about marketing")
    never_seen = demo.user_data.export("nobody-ever")
    held = demo.user_data.export(USER)
    kept = {"model_calls"}  # pseudonymous proof of what was sent: kept on purpose
    assert all(held[name] != never_seen[name] for name in held if name not in kept)
    demo.delete_user(USER)
    assert demo.user_data.export(USER) | {"model_calls": None} == never_seen | {"model_calls": None}


def test_the_access_export_holds_the_users_consent(client: TestClient) -> None:
    """What the user chose is part of what we hold about them, so the export shows it."""
    assert client.put("/v1/users/ana", json={"traits": {"role": "Analyst"}}).status_code == 200
    assert client.put("/v1/users/ana/consent", json={"free_text": False}).status_code == 200
    export = client.get("/v1/users/ana/data").json()
    assert export["consent"]["free_text"] is False
    assert export["consent"]["personalization"] is True
