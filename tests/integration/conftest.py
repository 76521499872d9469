"""Fixtures for the servers used at scale: a Chroma server and a PostgreSQL database of
the test's own. Each skips with the reason when its server cannot be had here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import chroma_cli, chroma_server, postgres_database


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    if chroma_cli() is None:
        pytest.skip("the `chroma` command from the chromadb package is not installed")
    with chroma_server(tmp_path / "chroma-server") as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A database of the test's own (the embedded SQLite default needs none)."""
    with postgres_database(postgres_admin) as url:
        yield url
