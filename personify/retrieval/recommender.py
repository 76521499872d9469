"""The recommendation path (no LLM): generate candidates, filter, rank, diversify.

Ranking uses the ranker `personify train` kept for the user's segment (short or long
history) when one exists; users with no history, and every user before a first training,
get a fixed blend of generator scores."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from personify.domain import Candidate, Profile
from personify.errors import VectorStoreUnavailable
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.candidates import (
    POOL,
    BehaviourSources,
    UserView,
    features,
    generate,
)
from personify.retrieval.factors import FactorModel
from personify.retrieval.profiles import chat_list, unit
from personify.retrieval.ranking import MMR_LAMBDA, avoid, blend, mmr
from personify.retrieval.trained import Trained, TrainedCache
from personify.retrieval.vectors import VectorIndex
from personify.store import Store

# Diversity after a trained ranker. Measured on goodbooks: MMR at 0.85 costs about 1% of
# NDCG@10 for long histories and 21% for short ones, where it diversifies away from the
# popular picks that serve them best; short histories therefore keep the ranker's order.
MMR_BY_SEGMENT = {"warm": MMR_LAMBDA, "cold": 1.0}


class LiveSources(BehaviourSources):
    """The generators' data when serving: Chroma and the live behaviour index."""

    def __init__(
        self,
        vectors: VectorIndex,
        behaviour: BehaviourIndex,
        factors: FactorModel | None,
        category: str | None,
    ) -> None:
        self._vectors = vectors
        self._behaviour = behaviour
        self.factors = factors
        # Availability is checked against the catalog later: a metadata filter on every
        # Chroma query would make it several times slower.
        self._where = {"category": category} if category else None

    def similar(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        return [(h.id, h.similarity) for h in self._vectors.similar_items(vector, n, self._where)]

    def item_vectors(self, ids: Sequence[str]) -> Mapping[str, np.ndarray]:
        return self._vectors.item_vectors(ids)


class Ranked(list[Candidate]):
    """Ranked candidates, and why the usual ranking was not used, when it was not."""

    fallback: str | None = None


class Recommender:
    def __init__(
        self,
        store: Store,
        vectors: VectorIndex,
        behaviour: BehaviourIndex,
        dislikes: Callable[[str], np.ndarray | None],
        trained: TrainedCache | None = None,
    ) -> None:
        self._store = store
        self._vectors = vectors
        self._behaviour = behaviour
        self._dislikes = dislikes  # a user's embedded stated dislikes
        self._trained = trained

    def recommend(
        self,
        profile: Profile,
        n: int = 10,
        *,
        category: str | None = None,
        query_vector: np.ndarray | None = None,
        exclude: Sequence[str] = (),
    ) -> Ranked:
        """Ranked candidates with reasons. Raises nothing for a user with no history. With
        the vector store down: the most popular items, `fallback` saying why."""
        try:
            return Ranked(self._rank(profile, n, category, query_vector, exclude))
        except VectorStoreUnavailable:
            ranked = Ranked(self._popular(profile, n, category, exclude))
            ranked.fallback = "vector_store_unavailable"
            return ranked

    def _popular(
        self, profile: Profile, n: int, category: str | None, exclude: Sequence[str]
    ) -> list[Candidate]:
        """From the event log and the catalog alone (SQL and memory, no Chroma)."""
        self._behaviour.refresh()
        seen = set(exclude)
        if profile.personalized:
            seen |= self._store.events.seen_items(profile.user_id)
        counts = dict(self._behaviour.popular(POOL * 4))
        ranked = [i for i in counts if i not in seen]
        brief = self._store.catalog.brief(ranked)
        ids = [
            i
            for i in ranked
            if i in brief
            and brief[i].available
            and (category is None or brief[i].category == category)
        ][:n]
        items = self._store.catalog.get_many(ids)
        top = max(counts.values(), default=1.0) or 1.0
        return [
            Candidate(
                item=items[i],
                score=round(counts[i] / top, 4),
                sources=("popular",),
                reasons=("Popular with other users",),
            )
            for i in ids
        ]

    def _rank(
        self,
        profile: Profile,
        n: int,
        category: str | None,
        query_vector: np.ndarray | None,
        exclude: Sequence[str],
    ) -> list[Candidate]:
        self._behaviour.refresh()
        trained = self._trained.get() if self._trained is not None else Trained()
        personal = profile.personalized  # without consent: no history, profile or affinity
        history = (
            self._store.events.history([profile.user_id]).get(profile.user_id, [])
            if personal
            else []
        )
        seen = (self._store.events.seen_items(profile.user_id) if personal else set()) | set(
            exclude
        )
        vector = (
            self._vectors.profile_vector(profile.user_id)
            if personal and profile.has_vector
            else None
        )
        if query_vector is not None:
            vector = query_vector if vector is None else unit(vector + 1.5 * query_vector)
        view = UserView(
            history=history,
            seen=seen,
            vector=vector,
            affinity=profile.features.category_affinity,
            now=time.time(),
        )
        if query_vector is not None:
            reason = "Matches what you asked about"
        else:
            reason = "Close to what you have used" if view.seeds else "Fits your stated interests"
        sources = LiveSources(self._vectors, self._behaviour, trained.factors, category)
        generated = generate(view, sources, vector_reason=reason)
        pool = generated.pool
        recent = [e.item_id for e in history[-10:] if e.item_id]  # their categories are a feature
        brief = self._store.catalog.brief([*pool, *generated.via.values(), *recent])
        titles = {i: b.title for i, b in brief.items()}
        history_categories = {i: brief[i].category for i in recent if i in brief}
        ids = [
            i
            for i in pool
            if i in brief
            and brief[i].available
            and (category is None or brief[i].category == category)
        ]
        categories = {i: brief[i].category for i in ids}
        ranker = trained.rankers.get(view.segment) if view.seeds else None
        if ranker is not None and ids:
            rows = features(view, generated, ids, {**history_categories, **categories}, sources)
            scores = _spread(dict(zip(ids, ranker.score(rows), strict=True)))
        else:
            kept = {i: pool[i] for i in ids}
            scores = blend(kept, view.affinity, categories, cold=not view.seeds)
        item_vectors = self._vectors.item_vectors(ids)
        dislikes = (
            self._dislikes(profile.user_id) if chat_list(profile.traits, "chat_dislikes") else None
        )
        if dislikes is not None:
            avoid(scores, item_vectors, dislikes)
        ranked = mmr(
            scores, item_vectors, n, lam=MMR_BY_SEGMENT[view.segment] if ranker else MMR_LAMBDA
        )
        top_categories = set(profile.features.top_categories[:2])
        items = self._store.catalog.get_many(ranked)  # whole items for the chosen few only
        out = []
        for item_id in ranked:
            via = titles.get(generated.via.get(item_id, ""), "")
            reasons = [r.format(via=via) for r in pool[item_id].reasons]
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


def _spread(scores: dict[str, float]) -> dict[str, float]:
    """Learned scores are unbounded: map them onto [0, 1] for MMR and the response."""
    if not scores:
        return scores
    low, high = min(scores.values()), max(scores.values())
    span = (high - low) or 1.0
    return {i: (s - low) / span for i, s in scores.items()}
