"""Several `personify serve` workers on one Chroma server and one PostgreSQL: event batches
sent concurrently, the same batch to two servers at once, land exactly once, and every
event is folded into its user's profile."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from personify.demo import load_demo
from personify.service import Personify
from personify.settings import load_settings
from personify.store.schema import events
from tests.servers import (
    chroma_cli,
    chroma_server,
    free_port,
    postgres_database,
    run_process,
)

pytestmark = pytest.mark.slow
SENDERS, BATCHES, SIZE, USERS = 4, 15, 8, 6
ITEMS = ["int-jira", "int-zendesk", "feat-alerts", "feat-dashboards", "guide-first-sql"]


def batch(n: int) -> list[dict[str, object]]:
    return [
        {
            "event_id": f"w-b{n}-{k}",
            "user_id": f"worker-u{(n + k) % USERS}",
            "type": "click",
            "item_id": ITEMS[(n * SIZE + k) % len(ITEMS)],
        }
        for k in range(SIZE)
    ]


def test_workers_share_the_stores_without_losing_or_doubling_events(
    tmp_path: Path, postgres_admin: str
) -> None:
    """Server A runs two workers, server B one more, all on the same stores; senders split
    between them, the same batch going to A and to B at about the same time."""
    if chroma_cli() is None:
        pytest.skip("needs the `chroma` command from the chromadb package")
    with chroma_server(tmp_path / "chroma") as chroma, postgres_database(postgres_admin) as pg:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIFY_")}
        env |= {
            "PERSONIFY_DATA_DIR": str(tmp_path / "state"),
            "PERSONIFY_CHROMA_URL": chroma,
            "PERSONIFY_DATABASE_URL": pg,
        }
        # the catalog, loaded once into the shared stores (the demo itself is one process)
        seed = Personify(
            load_settings(data_dir=tmp_path / "state", chroma_url=chroma, database_url=pg)
        )
        load_demo(seed)
        seed.close()
        urls, logs = [], []
        answers: list[dict[str, int]] = []

        def send(sender: int) -> None:
            with httpx.Client(base_url=urls[sender % 2], timeout=120) as http:
                for n in range(BATCHES):
                    # senders 0 and 1 send the same batches, one to each server; 2 and 3 too
                    number = n + sender // 2 * BATCHES
                    answer = http.post("/v1/events", json={"events": batch(number)})
                    assert answer.status_code == 200, answer.text
                    answers.append(answer.json())

        with contextlib.ExitStack() as servers:
            for workers in (2, 1):
                port = free_port()
                urls.append(f"http://127.0.0.1:{port}")
                logs.append(tmp_path / f"serve-{port}.log")
                command = [sys.executable, "-m", "personify.cli", "serve", "--port", str(port)]
                command += ["--workers", str(workers)]
                ready = f"{urls[-1]}/healthz"
                servers.enter_context(run_process(command, ready, logs[-1], env=env, seconds=240))
            threads = [threading.Thread(target=send, args=(s,)) for s in range(SENDERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        lines = [
            json.loads(x) for log in logs for x in log.read_text().splitlines() if x[:1] == "{"
        ]
        assert len({e["pid"] for e in lines if e.get("route") == "/v1/events"}) >= 2
        sent = {f"w-b{n}-{k}" for n in range(BATCHES * SENDERS // 2) for k in range(SIZE)}
        assert len(answers) == SENDERS * BATCHES
        assert sum(a["accepted"] for a in answers) == len(sent)  # each event stored once
        assert sum(a["accepted"] + a["duplicates"] for a in answers) == SENDERS * BATCHES * SIZE
        engine = create_engine(pg)
        with engine.connect() as conn:
            ours = events.c.user_id.like("worker-u%")
            stored = conn.scalars(select(events.c.event_id).where(ours)).all()
            unfolded = conn.scalar(select(func.count()).where(ours, ~events.c.folded))
        engine.dispose()
        assert sorted(stored) == sorted(sent)
        assert unfolded == 0  # every event is in its user's profile
