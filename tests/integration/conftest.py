"""Fixtures for the servers used at scale: a Chroma server and a PostgreSQL database of
the test's own. Each skips with the reason when its server cannot be had here."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.servers import chroma_cli, chroma_server

POSTGRES = ("127.0.0.1", 5432)
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    if chroma_cli() is None:
        pytest.skip("the `chroma` command from the chromadb package is not installed")
    with chroma_server(tmp_path / "chroma-server") as url:
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
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
