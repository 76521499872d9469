"""Crash safety: event batches stream in while `personify serve` is killed with SIGKILL;
restarted on the same data dir, every acknowledged event is there exactly once, an
unacknowledged batch is there whole or not at all, and retrying it lands it once."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from personify.store.schema import events
from tests.servers import free_port, start_process

pytestmark = pytest.mark.slow
SIZE = 10  # events per batch
USERS = 5
ITEMS = ["int-jira", "int-zendesk", "feat-alerts", "feat-dashboards", "guide-first-sql"]


def batch(sender: int, n: int) -> list[dict[str, object]]:
    return [
        {
            "event_id": f"s{sender}-b{n}-{k}",
            "user_id": f"crash-u{k % USERS}",
            "type": "click",
            "item_id": ITEMS[(n + k) % len(ITEMS)],
        }
        for k in range(SIZE)
    ]


def test_sigkill_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIFY_")}
    env["PERSONIFY_DATA_DIR"] = str(tmp_path / "state")
    command = [sys.executable, "-m", "personify.cli", "serve", "--port", str(port), "--load-demo"]
    log = tmp_path / "serve.log"
    server = start_process(command, f"{url}/healthz", log, env=env, seconds=180)

    acked: set[tuple[int, int]] = set()
    tried: set[tuple[int, int]] = set()

    def send(sender: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            for n in range(100_000):
                tried.add((sender, n))
                try:
                    answer = http.post("/v1/events", json={"events": batch(sender, n)})
                except httpx.HTTPError:
                    return  # the server is gone
                assert answer.status_code == 200, answer.text
                acked.add((sender, n))

    senders = [threading.Thread(target=send, args=(s,)) for s in range(3)]
    for thread in senders:
        thread.start()
    deadline = time.monotonic() + 120
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=30)
    for thread in senders:
        thread.join(timeout=60)
    assert len(acked) >= 40, "the server acknowledged too few batches before the kill"
    unacked = tried - acked
    assert unacked, "some batch must have been in flight or unsent at the kill"

    server = start_process(command, f"{url}/healthz", log, env=env, seconds=180)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            stored: list[str] = []
            for user in range(USERS):
                data = http.get(f"/v1/users/crash-u{user}/data").json()
                stored += [e["event_id"] for e in data["events"]]
            assert len(stored) == len(set(stored)), "an event is stored twice"
            have = set(stored)
            for sender, n in tried:
                present = sum(f"s{sender}-b{n}-{k}" in have for k in range(SIZE))
                if (sender, n) in acked:
                    assert present == SIZE, f"acknowledged batch {sender}/{n} lost events"
                else:
                    assert present in (0, SIZE), f"batch {sender}/{n} is half applied"
            for sender, n in sorted(unacked):  # the clients retry what got no answer
                answer = http.post("/v1/events", json={"events": batch(sender, n)}).json()
                assert answer["accepted"] + answer["duplicates"] == SIZE
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = create_engine(f"sqlite:///{tmp_path / 'state' / 'demo' / 'personify.db'}")
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).where(events.c.user_id.like("crash-u%")))
        unfolded = conn.scalar(
            select(func.count()).where(events.c.user_id.like("crash-u%"), ~events.c.folded)
        )
    engine.dispose()
    assert total == len(tried) * SIZE  # every batch, each event once
    assert unfolded == 0  # and every one of them is in its user's profile
