"""Shared fixtures. Heavy real parts (embedder, Presidio, the local model) load once per
session; every test gets its own data dir, SQLite file and embedded Chroma.

With PERSONIFY_TEST_BACKEND=servers (`make test` runs the integration suite a second time
so), every test gets its own PostgreSQL schema and Chroma database instead, on one
PostgreSQL and one `chroma run` server for the session: the same code on the servers
used at scale."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from personify.agent.models import ChatModel
from personify.agent.testing import ScriptedChatModel
from personify.api.app import create_app
from personify.demo import load_demo
from personify.parts import SharedParts
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.retrieval.vectors import drop_chroma_database
from personify.service import Personify
from personify.settings import Settings, load_settings
from personify.store.database import drop_schema
from tests.servers import (
    PostgresUnavailable,
    chroma_cli,
    chroma_server,
    postgres_database,
    postgres_server,
)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def redactor() -> PresidioRedactor:
    return PresidioRedactor()


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """A PostgreSQL server's admin URL: the local service, or a throwaway cluster."""
    try:
        server = postgres_server()
        url = server.__enter__()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    yield url
    server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str] | None]:
    """(Chroma server URL, PostgreSQL URL) for the servers backend, else None."""
    if os.environ.get("PERSONIFY_TEST_BACKEND", "embedded") != "servers":
        yield None
        return
    if chroma_cli() is None:
        pytest.skip("servers backend: the `chroma` command is not installed")
    admin = request.getfixturevalue("postgres_admin")
    with chroma_server(tmp_path_factory.mktemp("chroma")) as chroma, postgres_database(admin) as pg:
        yield chroma, pg


@pytest.fixture
def settings(tmp_path: Path, servers: tuple[str, str] | None) -> Iterator[Settings]:
    if servers is None:
        yield load_settings(data_dir=tmp_path / "data")
        return
    chroma, pg = servers
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield load_settings(
        data_dir=tmp_path / "data",
        chroma_url=chroma,
        chroma_database=name,
        database_url=pg,
        database_schema=name,
    )
    drop_schema(pg, name)
    drop_chroma_database(chroma, name)


@pytest.fixture
def scripted() -> ScriptedChatModel:
    return ScriptedChatModel()


def build(
    settings: Settings, embedder: MiniLMEmbedder, redactor: PresidioRedactor, model: ChatModel
) -> Personify:
    return Personify(
        settings, SharedParts(settings, model=model, presidio=redactor, embedder=embedder)
    )


@pytest.fixture
def service(
    settings: Settings,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
) -> Iterator[Personify]:
    built = build(settings, embedder, redactor, scripted)
    yield built
    built.close()


@pytest.fixture
def demo(service: Personify) -> Personify:
    assert load_demo(service)
    return service


@pytest.fixture
def client(demo: Personify) -> Iterator[TestClient]:
    with TestClient(create_app(demo)) as test_client:
        yield test_client
