"""`personify serve --load-demo` (what `make run` starts) keeps the demo in its own data
dir: what is posted to the running demo never reaches your data, and `personify serve`
without the flag serves your data with no demo in it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, run_process

pytestmark = pytest.mark.slow


def serve(data: Path, *flags: str) -> tuple[list[str], str, dict[str, str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIFY_")}
    env["PERSONIFY_DATA_DIR"] = str(data)
    command = [sys.executable, "-m", "personify.cli", "serve", "--port", str(port), *flags]
    return command, f"http://127.0.0.1:{port}", env


def test_the_demo_and_your_data_never_mix(tmp_path: Path) -> None:
    data = tmp_path / "state"
    command, url, env = serve(data, "--load-demo")
    with run_process(command, f"{url}/healthz", tmp_path / "demo.log", env=env, seconds=240):
        with httpx.Client(base_url=url, timeout=60) as http:
            assert http.get("/healthz").json()["items"] == 64
            mine = {"id": "int-slack", "title": "Our own Slack bot", "category": "integration"}
            assert http.post("/v1/items", json={"items": [mine]}).status_code == 200
    assert (data / "demo" / "personify.db").is_file()
    log = (tmp_path / "demo.log").read_text()
    assert str(data / "demo") in log and "personify serve` without --load-demo" in log

    command, url, env = serve(data)
    with run_process(command, f"{url}/healthz", tmp_path / "own.log", env=env, seconds=240):
        with httpx.Client(base_url=url, timeout=60) as http:
            assert http.get("/healthz").json()["items"] == 0  # your data: no demo in it
            assert http.get("/v1/items/int-slack").status_code == 404
