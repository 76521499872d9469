"""The same code on the servers used at scale: a real Chroma server (`chroma run`) and
PostgreSQL, chosen by PERSONIFY_CHROMA_URL and PERSONIFY_DATABASE_URL."""

from __future__ import annotations

import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from personify.demo import load_demo
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import Settings, load_settings
from tests.servers import free_port, run_process

pytestmark = pytest.mark.slow
POSTGRES = ("127.0.0.1", 5432)


def chroma_cli() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    cli = chroma_cli()
    if cli is None:
        pytest.skip("the `chroma` command from the chromadb package is not installed")
    port = free_port()
    server_dir = str(tmp_path / "chroma-server")
    command = [cli, "run", "--path", server_dir, "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with run_process(command, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log"):
        yield url


def postgres_up() -> bool:
    try:
        with socket.create_connection(POSTGRES, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not postgres_up():
        pytest.skip(
            "no PostgreSQL on 127.0.0.1:5432 (the embedded SQLite default does not need it)"
        )
    name = f"personify_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def exercise(settings: Settings, embedder: MiniLMEmbedder, redactor: PresidioRedactor) -> None:
    app = Personify(settings, redactor=redactor, embedder=embedder)
    try:
        assert load_demo(app)
        batch = [{"event_id": "x1", "user_id": "zoe", "type": "use", "item_id": "int-jira"}]
        assert app.add_events(batch).accepted == 1
        assert app.add_events(batch).duplicates == 1
        ranked = app.recommend("sam", 5)
        assert {"int-zendesk", "tpl-support-sla", "guide-support-metrics"} & {
            c.item.id for c in ranked[:3]
        }
        assert "int-jira" not in {c.item.id for c in app.recommend("zoe", 10)}
        app.delete_user("zoe")
        assert app.vectors.profile_vector("zoe") is None
    finally:
        app.close()
    reopened = Personify(
        settings, redactor=redactor, embedder=embedder
    )  # state outlives the process
    try:
        assert reopened.store.catalog.count() == 64 and reopened.vectors.count_items() == 64
        assert reopened.profile("dana").has_vector
        assert not load_demo(reopened)
    finally:
        reopened.close()


def test_chroma_server(
    chroma_url: str, tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", chroma_url=chroma_url).check()
    exercise(settings, embedder, redactor)
    assert not (tmp_path / "data" / "chroma").exists()  # nothing went to embedded Chroma


def test_postgresql(
    postgres_url: str, tmp_path: Path, embedder: MiniLMEmbedder, redactor: PresidioRedactor
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", database_url=postgres_url).check()
    exercise(settings, embedder, redactor)
    assert not (tmp_path / "data" / "personify.db").exists()


def test_a_dead_chroma_server_is_a_clear_start_up_error(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    from personify.errors import ConfigError

    settings = load_settings(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConfigError) as err:
        Personify(settings, embedder=embedder)
    assert err.value.field == "PERSONIFY_CHROMA_URL"
