"""Candidate generation, filtering and re-ranking: the recommendation path (no LLM)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from personify.domain import Candidate, Profile
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.profiles import chat_list, event_weight
from personify.retrieval.ranking import Pooled, avoid, blend, mmr
from personify.retrieval.vectors import Neighbour, VectorIndex
from personify.store import Store

POOL = 60  # candidates per generator


class Recommender:
    def __init__(
        self,
        store: Store,
        vectors: VectorIndex,
        behaviour: BehaviourIndex,
        dislikes: Callable[[str], np.ndarray | None],
    ) -> None:
        self._store = store
        self._vectors = vectors
        self._behaviour = behaviour
        self._dislikes = dislikes  # a user's embedded stated dislikes

    def recommend(
        self,
        profile: Profile,
        n: int = 10,
        *,
        category: str | None = None,
        query_vector: np.ndarray | None = None,
        exclude: Sequence[str] = (),
    ) -> list[Candidate]:
        """Ranked candidates with reasons. Raises nothing for a user with no history."""
        self._behaviour.refresh()
        personal = profile.personalized  # without consent: no history, profile or affinity
        history = (
            self._store.events.history([profile.user_id]).get(profile.user_id, [])
            if personal
            else []
        )
        seen = (self._store.events.seen_items(profile.user_id) if personal else set()) | set(
            exclude
        )
        seeds = [e.item_id for e in history if e.item_id and event_weight(e) > 0]
        pool: dict[str, Pooled] = {}

        def add(item_id: str, source: str, score: float, reason: str) -> None:
            if item_id not in seen:
                pool.setdefault(item_id, Pooled(item_id)).add(source, score, reason)

        hits: list[Neighbour] = []
        has_vector = personal and profile.has_vector
        vector = self._vectors.profile_vector(profile.user_id) if has_vector else None
        if query_vector is not None:
            vector = query_vector if vector is None else _normalise(vector + 1.5 * query_vector)
        if vector is not None:
            # Availability is checked against the catalog below: a metadata filter here
            # would make every Chroma query several times slower.
            where: dict[str, Any] | None = {"category": category} if category else None
            reason = (
                "Matches what you asked about"
                if query_vector is not None
                else ("Close to what you have used" if seeds else "Fits your stated interests")
            )
            hits = self._vectors.similar_items(vector, POOL + len(seen), where)
            for hit in hits:
                add(hit.id, "vector", hit.similarity, reason)
        covisited = self._behaviour.covisited(seeds, POOL)
        popular = self._behaviour.popular(POOL)
        items = self._store.catalog.get_many(
            [h.id for h in hits]
            + [i for i, _, _ in covisited]
            + [via for _, _, via in covisited]  # seeds: their titles word the reason
            + [i for i, _ in popular]
        )
        for item_id, score, via in covisited:
            title = items[via].title if via in items else via
            add(item_id, "covisit", score, f"Often used together with {title}")
        for item_id, score in popular:
            add(item_id, "popular", score, "Popular with other users")
        items = {
            i: item
            for i, item in items.items()
            if item.available and (category is None or item.category == category)
        }
        pool = {i: p for i, p in pool.items() if i in items}
        categories = {i: item.category for i, item in items.items()}
        affinity = profile.features.category_affinity
        scores = blend(pool, affinity, categories, cold=not seeds)
        item_vectors = self._vectors.item_vectors(list(pool))
        dislikes = (
            self._dislikes(profile.user_id) if chat_list(profile.traits, "chat_dislikes") else None
        )
        if dislikes is not None:
            avoid(scores, item_vectors, dislikes)
        ranked = mmr(scores, item_vectors, n)
        top_categories = set(profile.features.top_categories[:2])
        out = []
        for item_id in ranked:
            reasons = list(pool[item_id].reasons)
            if categories[item_id] in top_categories:
                reasons.append(f"In {categories[item_id]}, one of your most used areas")
            out.append(
                Candidate(
                    item=items[item_id],
                    score=round(scores[item_id], 4),
                    sources=tuple(sorted(pool[item_id].scores)),
                    reasons=tuple(reasons),
                )
            )
        return out


def _normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
