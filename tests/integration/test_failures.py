"""Dependencies failing, through the HTTP API: the model server down, slow past its timeout
or answering garbage; the Chroma server down; the database down. Each gives the
documented fallback (onboarding and chat from the deterministic template, provenance
naming the reason) or a 503 with Retry-After; never a hang, never a 500 or a stack trace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.demo import load_demo
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import load_settings
from tests.servers import TcpProxy, chroma_server, free_port, serve_in_thread

TIMEOUT_S = 1.0


def model_server(mode: str) -> FastAPI:
    """An OpenAI-style endpoint that is too slow, or answers 200 with an HTML page."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions() -> PlainTextResponse:
        if mode == "slow":
            await asyncio.sleep(TIMEOUT_S * 5)
        return PlainTextResponse("<html>502 Bad Gateway</html>", media_type="text/html")

    return app


@pytest.fixture(params=["down", "slow", "garbage"])
def model_url(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    if request.param == "down":
        yield request.param, f"http://127.0.0.1:{free_port()}/v1"
        return
    with serve_in_thread(model_server(request.param)) as url:
        yield request.param, f"{url}/v1"


def test_a_failing_model_server_gives_the_deterministic_answer(
    model_url: tuple[str, str],
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
) -> None:
    mode, url = model_url
    settings = load_settings(
        data_dir=tmp_path / "data",
        llm_provider="openai",
        openai_base_url=url,
        openai_model="any",
        llm_timeout_s=TIMEOUT_S,
    ).check()
    service = Personify(settings, SharedParts(settings, presidio=redactor, embedder=embedder))
    load_demo(service)
    with TestClient(create_app(service)) as http:
        started = time.monotonic()
        plan = http.post("/v1/users/dana/onboarding", json={})
        chat = http.post(
            "/v1/chat", json={"user_id": "dana", "session_id": "s", "message": "what next?"}
        )
        elapsed = time.monotonic() - started
    assert plan.status_code == chat.status_code == 200
    expected = ("timeout",) if mode == "slow" else ("invalid_output", "model_error")
    for body in (plan.json(), chat.json()):
        assert body["provenance"]["fallback"] in expected
        assert body["message"] and body["provenance"]["candidates"]
    plan_items = {i["item_id"] for i in plan.json()["items"]}
    assert plan_items and plan_items <= set(plan.json()["provenance"]["candidates"])
    # two calls, each bounded by the timeout (generous slack for a busy machine)
    assert elapsed < 2 * TIMEOUT_S + 10


@pytest.mark.slow
def test_a_dead_chroma_server_degrades_to_popular_items_or_a_503(
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
) -> None:
    """Reads fall back to the most popular items (from the event log) and say so; writes,
    which must reach the profile vectors, get a 503 with Retry-After."""
    with chroma_server(tmp_path / "chroma") as url:
        settings = load_settings(data_dir=tmp_path / "data", chroma_url=url).check()
        service = Personify(
            settings, SharedParts(settings, model=scripted, presidio=redactor, embedder=embedder)
        )
        load_demo(service)
        http = TestClient(create_app(service))
        http.__enter__()
        normal = http.get("/v1/users/dana/recommendations").json()
        assert normal["fallback"] is None and normal["personalized"]
    # the server is gone now
    recs = http.get("/v1/users/dana/recommendations")
    assert recs.status_code == 200
    body = recs.json()
    assert body["fallback"] == "vector_store_unavailable" and not body["personalized"]
    sources = [i["sources"] for i in body["items"]]
    assert sources[0] == ["popular"]  # popular first; the rest of the catalog fills up to n
    assert sources == sorted(sources, key=lambda s: s != ["popular"])
    assert all(s in (["popular"], ["catalog"]) for s in sources) and len(sources) == 10
    seen = {e.item_id for e in service.store.events.for_user("dana")}
    assert not seen & {i["item_id"] for i in body["items"]}  # still nothing already used
    scripted.enqueue("not json")  # the plan falls back to the deterministic template
    plan = http.post("/v1/users/dana/onboarding", json={})
    assert plan.status_code == 200 and not plan.json()["personalized"]
    for answer in (
        http.put("/v1/users/newbie", json={"traits": {"interests": ["reports"]}}),
        http.post("/v1/items", json={"items": [{"id": "new-1", "title": "New"}]}),
    ):
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "5"
        assert (
            "Traceback" not in answer.text and "vector store" in answer.json()["error"]["message"]
        )
    http.__exit__(None, None, None)


@pytest.mark.slow
def test_a_dead_database_is_a_503_and_recovers(
    postgres_url: str,
    tmp_path: Path,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
) -> None:
    real = make_url(postgres_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    proxy.start()
    through_proxy = real.set(port=proxy.port).render_as_string(hide_password=False)
    settings = load_settings(data_dir=tmp_path / "data", database_url=through_proxy).check()
    service = Personify(
        settings, SharedParts(settings, model=scripted, presidio=redactor, embedder=embedder)
    )
    load_demo(service)
    event = {"event_id": "db-1", "user_id": "dana", "type": "view", "item_id": "int-jira"}
    try:
        with TestClient(create_app(service)) as http:
            assert http.get("/v1/users/dana/recommendations").status_code == 200
            proxy.stop()
            for answer in (
                http.get("/v1/users/dana/recommendations"),
                http.post("/v1/events", json={"events": [event]}),
                http.get("/v1/users/dana/data"),
            ):
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"] == "5"
                assert "database" in answer.json()["error"]["message"]
            proxy.start()  # back: the pool reconnects, the retried batch lands once
            assert http.post("/v1/events", json={"events": [event]}).json()["accepted"] == 1
            assert http.post("/v1/events", json={"events": [event]}).json()["duplicates"] == 1
    finally:
        proxy.stop()
