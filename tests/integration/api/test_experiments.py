"""Experiments through the HTTP API: definitions, sticky variants in every served answer,
exposures, outcome attribution, results, stopping and erasure."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.service import Personify
from tests.conftest import build

ITEMS = ["feat-dashboards", "feat-sql-editor", "feat-alerts", "feat-funnels", "feat-cohorts"]
USERS = [f"exp-user-{n}" for n in range(40)]


def ab_test(key: str = "ranker-test", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": key,
        "surface": "recommendations",
        "variants": [
            {"name": "control", "weight": 1, "config": {"ranker": "personalized"}},
            {"name": "popular", "weight": 1, "config": {"ranker": "popular", "n_items": 4}},
        ],
        "metrics": {
            "primary": "card_click_rate",
            "secondary": ["conversion"],
            "guardrails": ["fallback_rate", "latency_p95_ms"],
        },
        "min_users_per_variant": 5,
    }
    body.update(overrides)
    return body


def add_users(client: TestClient) -> None:
    events = [
        {"user_id": u, "type": "view", "item_id": ITEMS[n % len(ITEMS)]}
        for n, u in enumerate(USERS)
    ]
    assert client.post("/v1/events", json={"events": events}).status_code == 200


def test_definitions_are_checked_and_stored(client: TestClient) -> None:
    created = client.post("/v1/experiments", json=ab_test())
    assert created.status_code == 201
    assert created.json()["status"] == "running"
    assert client.post("/v1/experiments", json=ab_test()).status_code == 200  # the same again
    changed = ab_test()
    changed["variants"][1]["weight"] = 3
    conflict = client.post("/v1/experiments", json=changed)
    assert conflict.status_code == 409 and "stop" in conflict.json()["error"]["message"].lower()
    assert client.get("/v1/experiments/ranker-test").json()["variants"][1]["weight"] == 1
    assert [e["key"] for e in client.get("/v1/experiments").json()["experiments"]] == [
        "ranker-test"
    ]
    assert client.get("/v1/experiments/nope").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metrics": {"primary": "no_such_metric"}}, "metrics.primary"),
        ({"surface": "email"}, "surface"),
        (
            {"variants": [{"name": "a", "weight": 0}, {"name": "b", "weight": 1}]},
            "variants[0].weight",
        ),
        ({"variants": [{"name": "a", "weight": 1}, {"name": "a", "weight": 1}]}, "variants"),
        (
            {
                "variants": [
                    {"name": "a", "weight": 1},
                    {"name": "b", "weight": 1, "config": {"x": 1}},
                ]
            },
            "variants[1].config.x",
        ),
        (
            {
                "variants": [
                    {"name": "a", "weight": 1},
                    {"name": "b", "weight": 1, "config": {"ranker": "random"}},
                ]
            },
            "variants[1].config.ranker",
        ),
        (
            {
                "variants": [
                    {"name": "a", "weight": 1},
                    {"name": "b", "weight": 1, "config": {"prompt": "onboarding.v9"}},
                ]
            },
            "variants[1].config.prompt",
        ),
        (
            {
                "variants": [
                    {"name": "a", "weight": 1},
                    {"name": "b", "weight": 1, "config": {"model": "gpt-imaginary"}},
                ]
            },
            "variants[1].config.model",
        ),
    ],
)
def test_bad_definitions_name_the_field(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    answer = client.post("/v1/experiments", json=ab_test(**change))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert client.get("/v1/experiments").json()["experiments"] == []  # nothing half-written


def test_metrics_are_declared_and_checked(client: TestClient) -> None:
    names = {m["name"] for m in client.get("/v1/metrics").json()["metrics"]}
    assert {"card_click_rate", "conversion", "revenue_per_user"} <= names
    ratio = {"name": "adds_per_view", "kind": "ratio", "events": ["add"]}
    missing = client.post("/v1/metrics", json=ratio)
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "denominator_events"
    ratio["denominator_events"] = ["view"]
    assert client.post("/v1/metrics", json=ratio).status_code == 201
    builtin = client.post(
        "/v1/metrics", json={"name": "conversion", "kind": "count", "events": ["x"]}
    )
    assert builtin.status_code == 409
    experiment = ab_test(metrics={"primary": "adds_per_view"})
    assert client.post("/v1/experiments", json=experiment).status_code == 201


def test_variants_are_sticky_and_named_in_every_answer(client: TestClient, demo: Personify) -> None:
    add_users(client)
    client.post("/v1/experiments", json=ab_test())
    seen: dict[str, str] = {}
    for user in USERS:
        body = client.get(f"/v1/users/{user}/recommendations?n=6").json()
        variant = body["experiments"]["ranker-test"]
        seen[user] = variant
        if variant == "popular":
            assert len(body["items"]) == 4  # the variant's n_items
            assert all(item["sources"] == ["popular"] for item in body["items"])
        else:
            assert len(body["items"]) == 6
    assert set(seen.values()) == {"control", "popular"}
    for user in USERS[:10]:
        again = client.get(f"/v1/users/{user}/recommendations").json()["experiments"]
        assert again == {"ranker-test": seen[user]}
        listed = client.get(f"/v1/users/{user}/experiments").json()
        assert listed == {"experiments": {"ranker-test": seen[user]}}
    # another process on the same data (a restart, another worker) assigns the same
    other = build(demo.settings, demo.parts.embedder, demo.parts.presidio, demo.parts.model)
    try:
        assert {u: other.recommend(u).experiments["ranker-test"] for u in USERS} == seen
    finally:
        other.close()


def test_a_lookup_records_no_exposure(client: TestClient) -> None:
    add_users(client)
    client.post("/v1/experiments", json=ab_test())
    for user in USERS:
        client.get(f"/v1/users/{user}/experiments")
    results = client.get("/v1/experiments/ranker-test/results").json()
    assert sum(v["users"] for v in results["variants"].values()) == 0
    assert results["status"] == "insufficient data"
    assert results["decision"] == "insufficient data"


def test_outcomes_count_after_exposure_for_the_variant_served(client: TestClient) -> None:
    add_users(client)
    # a click before the experiment exists is not an outcome of it
    early = [{"user_id": u, "type": "card_click", "item_id": ITEMS[0]} for u in USERS]
    client.post("/v1/events", json={"events": early})
    client.post("/v1/experiments", json=ab_test())
    variant = {}
    for user in USERS:
        body = client.get(f"/v1/users/{user}/recommendations").json()
        variant[user] = body["experiments"]["ranker-test"]
    clickers = [u for u in USERS if variant[u] == "popular"]
    others = [u for u in USERS if variant[u] == "control"]
    # popular: 2 or 3 clicks a user; control: one click from every fourth user
    clicks = {u: 2 + n % 2 for n, u in enumerate(clickers)} | {
        u: 1 for n, u in enumerate(others) if n % 4 == 0
    }
    batch = [
        {"user_id": u, "type": "card_click", "item_id": ITEMS[1], "event_id": f"c-{u}-{k}"}
        for u, count in clicks.items()
        for k in range(count)
    ]
    assert client.post("/v1/events", json={"events": batch}).status_code == 200
    results = client.get("/v1/experiments/ranker-test/results").json()
    users = {name: v["users"] for name, v in results["variants"].items()}
    assert users == {"control": len(others), "popular": len(clickers)}
    assert results["variants"]["popular"]["exposures"] == len(clickers)
    rate = results["metrics"]["card_click_rate"]
    control = sum(clicks.get(u, 0) for u in others) / len(others)  # the early clicks: not counted
    treated = sum(clicks[u] for u in clickers) / len(clickers)
    assert rate["variants"]["control"]["mean"] == pytest.approx(control)
    assert rate["variants"]["popular"]["mean"] == pytest.approx(treated)
    comparison = rate["comparisons"]["popular"]
    assert comparison["lift"] == pytest.approx(treated - control)
    assert comparison["significant"] is True
    low, high = comparison["ci95"]
    assert low < treated - control < high
    assert set(comparison) >= {"lift", "relative_lift", "ci95", "p_value", "significant"}
    assert set(results["srm"]) >= {"p_value", "flagged"}
    assert results["decision"] in ("ship", "keep running", "stop")
    assert "latency_p95_ms" in results["metrics"]


def test_stopping_ends_assignment_and_keeps_results(client: TestClient) -> None:
    add_users(client)
    client.post("/v1/experiments", json=ab_test())
    client.get(f"/v1/users/{USERS[0]}/recommendations")
    stopped = client.post("/v1/experiments/ranker-test/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert client.get(f"/v1/users/{USERS[1]}/recommendations").json()["experiments"] == {}
    results = client.get("/v1/experiments/ranker-test/results").json()
    assert sum(v["users"] for v in results["variants"].values()) == 1
    reused = client.post("/v1/experiments", json=ab_test())
    assert reused.status_code == 409


def test_every_surface_names_its_variants(client: TestClient, scripted: ScriptedChatModel) -> None:
    scripted.default = "A reply the guards may keep or replace: either way it is served."
    client.post("/v1/experiments", json=ab_test(key="everywhere", surface="all"))
    plan = client.post("/v1/users/dana/onboarding", json={}).json()
    assert set(plan["experiments"]) == {"everywhere"}
    turn = client.post(
        "/v1/chat", json={"user_id": "dana", "session_id": "s1", "message": "dashboards?"}
    ).json()
    assert turn["experiments"] == plan["experiments"]
    completion = client.post(
        "/v1/chat/completions",
        json={
            "model": "personify",
            "user": "dana",
            "messages": [{"role": "user", "content": "hi"}],
        },
    ).json()
    assert completion["experiments"] == plan["experiments"]
    recs = client.get("/v1/users/dana/recommendations").json()
    assert recs["experiments"] == plan["experiments"]
    results = client.get("/v1/experiments/everywhere/results").json()
    assert sum(v["exposures"] for v in results["variants"].values()) == 4


def test_erasure_removes_exposures(client: TestClient) -> None:
    add_users(client)
    client.post("/v1/experiments", json=ab_test())
    for user in USERS[:3]:
        client.get(f"/v1/users/{user}/recommendations")
    export = client.get(f"/v1/users/{USERS[0]}/data").json()
    assert "ranker-test" in export["experiments"]
    assert client.delete(f"/v1/users/{USERS[0]}").status_code == 200
    results = client.get("/v1/experiments/ranker-test/results").json()
    assert sum(v["users"] for v in results["variants"].values()) == 2
    assert sum(v["exposures"] for v in results["variants"].values()) == 2


def test_an_experiment_on_one_surface_leaves_the_others_alone(
    client: TestClient, scripted: ScriptedChatModel
) -> None:
    scripted.default = "not json: the onboarding falls back, and is still served"
    client.post("/v1/experiments", json=ab_test(key="onboarding-only", surface="onboarding"))
    assert client.get("/v1/users/dana/recommendations").json()["experiments"] == {}
    plan = client.post("/v1/users/dana/onboarding", json={}).json()
    assert set(plan["experiments"]) == {"onboarding-only"}


def test_a_new_app_reads_the_same_experiments(demo: Personify, client: TestClient) -> None:
    client.post("/v1/experiments", json=ab_test())
    with TestClient(create_app(demo)) as second:
        assert second.get("/v1/experiments/ranker-test").json()["key"] == "ranker-test"


def test_cuped_reads_the_days_before_exposure(client: TestClient) -> None:
    """Each user's purchases in the 14 days before exposure predict the ones after: CUPED
    must find them in the log and narrow the interval."""
    from datetime import UTC, datetime, timedelta

    add_users(client)
    before = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    habit = {u: n % 4 for n, u in enumerate(USERS)}  # purchases a user makes in a while
    past = [
        {
            "user_id": u,
            "type": "purchase",
            "item_id": ITEMS[0],
            "timestamp": before,
            "event_id": f"b-{u}-{k}",
        }
        for u, count in habit.items()
        for k in range(count)
    ]
    client.post("/v1/events", json={"events": past})
    for key, cuped in (("plain", False), ("adjusted", True)):
        metrics = {"primary": "purchases"}
        client.post(
            "/v1/metrics", json={"name": "purchases", "kind": "count", "events": ["purchase"]}
        )
        client.post("/v1/experiments", json=ab_test(key=key, metrics=metrics, cuped=cuped))
    for user in USERS:
        client.get(f"/v1/users/{user}/recommendations")
    # after exposure: the same habit, and one more for every other user (noise)
    after = [
        {"user_id": u, "type": "purchase", "item_id": ITEMS[1], "event_id": f"a-{u}-{k}"}
        for n, u in enumerate(USERS)
        for k in range(habit[u] + n % 2)
    ]
    client.post("/v1/events", json={"events": after})
    plain = client.get("/v1/experiments/plain/results").json()["metrics"]["purchases"]
    adjusted = client.get("/v1/experiments/adjusted/results").json()["metrics"]["purchases"]
    assert adjusted["cuped"] is True and not plain.get("cuped")
    # the variants differ between the two keys; each interval's width is what counts
    width = {
        name: found["comparisons"]["popular"]["ci95"][1]
        - found["comparisons"]["popular"]["ci95"][0]
        for name, found in (("plain", plain), ("adjusted", adjusted))
    }
    assert width["adjusted"] < 0.8 * width["plain"]
