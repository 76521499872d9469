"""Shared fixtures. Heavy real parts (embedder, Presidio, the local model) load once per
session; every test gets its own data dir, SQLite file and embedded Chroma."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from personify.agent.models import ChatModel, ScriptedChatModel
from personify.api.app import create_app
from personify.demo import load_demo
from personify.privacy.redactor import PresidioRedactor
from personify.retrieval.embeddings import MiniLMEmbedder
from personify.service import Personify
from personify.settings import Settings, load_settings


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def redactor() -> PresidioRedactor:
    return PresidioRedactor()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def scripted() -> ScriptedChatModel:
    return ScriptedChatModel()


def build(
    settings: Settings, embedder: MiniLMEmbedder, redactor: PresidioRedactor, model: ChatModel
) -> Personify:
    return Personify(settings, model=model, redactor=redactor, embedder=embedder)


@pytest.fixture
def service(
    settings: Settings,
    embedder: MiniLMEmbedder,
    redactor: PresidioRedactor,
    scripted: ScriptedChatModel,
) -> Iterator[Personify]:
    app = build(settings, embedder, redactor, scripted)
    yield app
    app.close()


@pytest.fixture
def demo(service: Personify) -> Personify:
    assert load_demo(service)
    return service


@pytest.fixture
def client(demo: Personify) -> Iterator[TestClient]:
    with TestClient(create_app(demo)) as test_client:
        yield test_client
