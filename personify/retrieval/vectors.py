"""Chroma access: an `items` collection (catalog vectors) and a `profiles` collection.

Embedded persistent Chroma in the data dir by default; a Chroma server when
PERSONIFY_CHROMA_URL is set. We pass vectors ourselves: Chroma's default embedding
function would download a model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from personify.errors import ConfigError, VectorStoreUnavailable

ITEMS = "items"
PROFILES = "profiles"


@dataclass(frozen=True, kw_only=True)
class Neighbour:
    id: str
    similarity: float


def open_chroma(url: str, path: Path, database: str = "") -> Any:
    """Embedded Chroma in `path`, or the server at `url`; `database` (server only) is a
    Chroma database of its own, made if missing: one per tenant."""
    import chromadb
    from chromadb.config import DEFAULT_DATABASE

    if not url:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    try:
        if database:
            admin = chromadb.AdminClient(_server_settings(url))
            try:
                admin.get_database(database)
            except Exception:  # chromadb raises NotFoundError; older servers a ValueError
                admin.create_database(database)
        parsed = urlparse(url)
        client = chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=_chroma_settings(),
            database=database or DEFAULT_DATABASE,
        )
        client.heartbeat()
    except Exception as exc:  # chromadb raises several unrelated types for a dead server
        raise ConfigError(
            f"No Chroma server answers at PERSONIFY_CHROMA_URL={url}: start one "
            "(`chroma run --path DIR --port N`) or unset the setting for embedded Chroma.",
            field="PERSONIFY_CHROMA_URL",
        ) from exc
    return client


def drop_chroma_database(url: str, database: str) -> None:
    """Remove a tenant's Chroma database, collections and vectors with it (server mode).
    A database that is not there (never opened, or removed already) is no error."""
    import chromadb
    from chromadb.errors import NotFoundError

    try:
        chromadb.AdminClient(_server_settings(url)).delete_database(database)
    except NotFoundError:
        pass


def list_chroma_databases(url: str, prefix: str) -> list[str]:
    """The server's databases whose name starts with prefix (none when embedded)."""
    if not url:
        return []
    import chromadb

    databases = chromadb.AdminClient(_server_settings(url)).list_databases()
    return [d["name"] for d in databases if d["name"].startswith(prefix)]


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _server_settings(url: str) -> Any:
    from chromadb.config import Settings as ChromaSettings

    parsed = urlparse(url)
    return ChromaSettings(
        anonymized_telemetry=False,
        chroma_api_impl="chromadb.api.fastapi.FastAPI",
        chroma_server_host=parsed.hostname or "127.0.0.1",
        chroma_server_http_port=parsed.port or (443 if parsed.scheme == "https" else 8000),
        chroma_server_ssl_enabled=parsed.scheme == "https",
    )


@contextmanager
def _answering() -> Iterator[None]:
    """Chroma's reads on the serving path: any failure means the vector store is down (a
    dead server raises several unrelated types), which the recommender can work around."""
    try:
        yield
    except Exception as exc:
        raise VectorStoreUnavailable(
            f"The vector store is not answering ({exc.__class__.__name__}); retry shortly."
        ) from exc


class VectorIndex:
    """Item and profile vectors in Chroma, cosine space."""

    def __init__(self, client: Any, key: Callable[[str], str]) -> None:
        """`key` turns a user id into the profile's record id: a keyed hash, so no user id
        is written into Chroma's files (where deleted ids can linger in logs)."""
        self._client = client
        self._key = key
        self._item_cache: dict[str, np.ndarray] = {}
        self.cache_hits = self.cache_misses = 0  # item vector lookups, for /metrics
        config: Any = {"hnsw": {"space": "cosine"}}
        self._items = client.get_or_create_collection(
            ITEMS, configuration=config, embedding_function=None
        )
        self._profiles = client.get_or_create_collection(
            PROFILES, configuration=config, embedding_function=None
        )

    # items -------------------------------------------------------------------------------
    def upsert_items(
        self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[Mapping[str, Any]]
    ) -> None:
        for item_id in ids:
            self._item_cache.pop(item_id, None)
        for start in range(0, len(ids), 1000):
            end = start + 1000
            self._items.upsert(
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                metadatas=[dict(m) for m in metadatas[start:end]],
            )

    def similar_items(
        self, vector: np.ndarray, n: int, where: Mapping[str, Any] | None = None
    ) -> list[Neighbour]:
        with _answering():
            result = self._items.query(
                query_embeddings=[vector],
                n_results=n,
                where=dict(where) if where else None,
                include=["distances"],
            )
        ids = result["ids"][0]
        distances = result["distances"][0] if result["distances"] else [1.0] * len(ids)
        return [
            Neighbour(id=i, similarity=1.0 - float(d)) for i, d in zip(ids, distances, strict=True)
        ]

    def item_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors by item id, from an in-process cache filled from Chroma on a miss. An item
        re-embedded by another worker keeps its old vector here until this one restarts."""
        missing = [i for i in dict.fromkeys(ids) if i not in self._item_cache]
        self.cache_misses += len(missing)
        self.cache_hits += len(ids) - len(missing)
        for start in range(0, len(missing), 1000):
            with _answering():
                got = self._items.get(ids=missing[start : start + 1000], include=["embeddings"])
            for item_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                self._item_cache[item_id] = np.asarray(vector, dtype=np.float32)
        return {i: self._item_cache[i] for i in ids if i in self._item_cache}

    def delete_items(self, ids: Sequence[str]) -> None:
        """Their vectors, and this process's cached copies (other workers' copies are never
        served: an item is offered only while the catalog of record holds it)."""
        for item_id in ids:
            self._item_cache.pop(item_id, None)
        if ids:
            self._items.delete(ids=list(ids))

    def count_items(self) -> int:
        return int(self._items.count())

    # profiles ----------------------------------------------------------------------------
    def upsert_profiles(self, vectors: Mapping[str, np.ndarray]) -> None:
        if vectors:
            users = list(vectors)
            self._profiles.upsert(
                ids=[self._key(u) for u in users], embeddings=np.stack([vectors[u] for u in users])
            )

    def profile_vector(self, user_id: str) -> np.ndarray | None:
        with _answering():
            got = self._profiles.get(ids=[self._key(user_id)], include=["embeddings"])
        if not got["ids"]:
            return None
        return np.asarray(got["embeddings"][0], dtype=np.float32)

    def drop(self) -> None:
        """Delete both collections (a tenant's deletion), so nothing is left to persist."""
        for name in (ITEMS, PROFILES):
            self._client.delete_collection(name)
        self._item_cache.clear()

    def delete_profile(self, user_id: str) -> None:
        self._profiles.delete(ids=[self._key(user_id)])
