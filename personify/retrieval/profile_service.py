"""Keeps each user's profile (features in SQL, vector in Chroma) current as events arrive."""

from __future__ import annotations

from collections.abc import Iterable

from personify.domain import Profile, ProfileFeatures, UserTraits, utcnow
from personify.errors import NotFound
from personify.retrieval.embeddings import Embedder
from personify.retrieval.profiles import compute_features, interests_text, profile_vector
from personify.retrieval.vectors import VectorIndex
from personify.store import Store
from personify.store.sql import from_epoch


class ProfileService:
    def __init__(self, store: Store, vectors: VectorIndex, embedder: Embedder) -> None:
        self._store = store
        self._vectors = vectors
        self._embedder = embedder

    def traits(self, user_id: str) -> UserTraits | None:
        raw = self._store.users.get_traits(user_id)
        return UserTraits.model_validate(raw) if raw is not None else None

    def refresh(self, user_ids: Iterable[str]) -> None:
        """Recompute features and vectors for these users from the log and their traits."""
        now = utcnow()
        users = list(dict.fromkeys(user_ids))
        found = self._store.events.for_users(users)
        histories = {u: found.get(u, []) for u in users}
        traits = {u: self.traits(u) for u in users}
        item_ids = {e.item_id for h in histories.values() for e in h if e.item_id}
        categories = {i.id: i.category for i in self._store.catalog.get_many(item_ids).values()}
        item_vectors = self._vectors.item_vectors(sorted(item_ids))
        texts = {u: interests_text(t) for u, t in traits.items() if t is not None}
        texts = {u: text for u, text in texts.items() if text}
        embedded = dict(zip(texts, self._embedder.embed(list(texts.values())), strict=True))
        rows, vectors = [], {}
        for user in users:
            features = compute_features(histories[user], categories, now)
            vector = profile_vector(histories[user], item_vectors, embedded.get(user), now)
            if vector is not None:
                vectors[user] = vector
            rows.append(
                {
                    "user_id": user,
                    "features": features.model_dump(mode="json"),
                    "has_vector": vector is not None,
                    "updated_at": now.timestamp(),
                }
            )
        self._store.users.put_features(rows)
        self._vectors.upsert_profiles(vectors)

    def exists(self, user_id: str) -> bool:
        return self._store.users.get_traits(user_id) is not None or self._store.events.user_exists(
            user_id
        )

    def get(self, user_id: str) -> Profile:
        traits = self.traits(user_id)
        stored = self._store.users.get_features(user_id)
        if traits is None and stored is None and not self._store.events.user_exists(user_id):
            raise NotFound(
                f"Unknown user {user_id!r}: create it with PUT /v1/users/{user_id} "
                "or send events for it first.",
                field="user_id",
            )
        if stored is None:
            self.refresh([user_id])
            stored = self._store.users.get_features(user_id)
        if stored is None:
            raise NotFound(
                f"No profile for {user_id!r}: send events or traits first.", field="user_id"
            )
        features = ProfileFeatures.model_validate(stored.features)
        return Profile(
            user_id=user_id,
            features=features,
            traits=traits or UserTraits(),
            has_vector=stored.has_vector,
            cold_start=features.events_total == 0,
            updated_at=from_epoch(stored.updated_at),
        )
