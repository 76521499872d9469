"""The recommendation path (no LLM): generate candidates, filter, rank, diversify.

Ranking uses the ranker `personify train` kept for the user's segment (short or long
history) when one exists; users with no history, and every user before a first training,
get a fixed blend of generator scores."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from personify.domain import Candidate, Profile, ServingFallback
from personify.errors import VectorStoreUnavailable
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.candidates import (
    POOL,
    BehaviourSources,
    Generated,
    UserView,
    generate,
    ranker_features,
)
from personify.retrieval.factors import FactorModel
from personify.retrieval.profiles import unit
from personify.retrieval.ranking import MMR_LAMBDA, avoid, blend, mmr
from personify.retrieval.trained import Ranker, Trained, TrainedCache
from personify.retrieval.vectors import VectorIndex
from personify.store import Store
from personify.store.catalog import Brief

# Diversity after a trained ranker. Measured on goodbooks: MMR at 0.85 costs about 1% of
# NDCG@10 for long histories and 21% for short ones, where it diversifies away from the
# popular picks that serve them best; short histories therefore keep the ranker's order.
MMR_BY_SEGMENT = {"warm": MMR_LAMBDA, "cold": 1.0}
QUERY_WEIGHT = 1.5  # a chat query's weight against the profile vector's


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

    fallback: ServingFallback | None = None


@dataclass(frozen=True, kw_only=True)
class Eligible:
    """The pooled items the catalog offers now, and what ranking and reasons read of it."""

    ids: list[str]  # in pool order
    categories: dict[str, str]  # eligible item -> category
    history_categories: dict[str, str]  # the user's recent items -> category (a feature)
    titles: dict[str, str]  # item -> title, the seeds co-visitation came from included


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
        ids = _offered(ranked, brief, category)[:n]
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
        view = self._view(profile, query_vector, exclude)
        sources = LiveSources(self._vectors, self._behaviour, trained.factors, category)
        generated = generate(view, sources, vector_reason=_vector_reason(view, query_vector))
        eligible = self._eligible(view, generated, category)
        ranker = trained.rankers.get(view.segment) if view.seeds else None
        scores = _score(view, generated, eligible, sources, ranker)
        item_vectors = self._vectors.item_vectors(eligible.ids)
        dislikes = self._dislike_vector(profile)
        if dislikes is not None:
            avoid(scores, item_vectors, dislikes)
        lam = MMR_BY_SEGMENT[view.segment] if ranker is not None else MMR_LAMBDA
        ranked = mmr(scores, item_vectors, n, lam=lam)
        return self._candidates(profile, ranked, scores, generated, eligible)

    def _view(
        self, profile: Profile, query_vector: np.ndarray | None, exclude: Sequence[str]
    ) -> UserView:
        """The user now: history, what not to offer again, and the profile vector blended
        with the query's."""
        personal = profile.personalized  # without consent: no history, profile or affinity
        user_id = profile.user_id
        history = self._store.events.history([user_id]).get(user_id, []) if personal else []
        seen = (self._store.events.seen_items(user_id) if personal else set()) | set(exclude)
        vector = self._vectors.profile_vector(user_id) if personal and profile.has_vector else None
        if query_vector is not None:
            vector = query_vector if vector is None else unit(vector + QUERY_WEIGHT * query_vector)
        return UserView(
            history=history,
            seen=seen,
            vector=vector,
            affinity=profile.features.category_affinity,
            now=time.time(),
        )

    def _eligible(self, view: UserView, generated: Generated, category: str | None) -> Eligible:
        """The pooled items the catalog offers, from one catalog read that also covers the
        seeds named in reasons and the categories of the user's recent items."""
        recent = [e.item_id for e in view.history[-10:] if e.item_id]  # categories: a feature
        brief = self._store.catalog.brief([*generated.pool, *generated.via.values(), *recent])
        ids = _offered(generated.pool, brief, category)
        return Eligible(
            ids=ids,
            categories={i: brief[i].category for i in ids},
            history_categories={i: brief[i].category for i in recent if i in brief},
            titles={i: b.title for i, b in brief.items()},
        )

    def _dislike_vector(self, profile: Profile) -> np.ndarray | None:
        """The user's embedded stated dislikes, when the chat learned any."""
        return self._dislikes(profile.user_id) if profile.notes.dislikes else None

    def _candidates(
        self,
        profile: Profile,
        ranked: list[str],
        scores: Mapping[str, float],
        generated: Generated,
        eligible: Eligible,
    ) -> list[Candidate]:
        """Whole items for the chosen few only, with the reasons they were chosen."""
        top_categories = set(profile.features.top_categories[:2])
        items = self._store.catalog.get_many(ranked)
        out = []
        for item_id in ranked:
            pooled = generated.pool[item_id]
            via = eligible.titles.get(generated.via.get(item_id, ""), "")
            reasons = [r.format(via=via) for r in pooled.reasons]
            category = eligible.categories[item_id]
            if category in top_categories:
                reasons.append(f"In {category}, one of your most used areas")
            out.append(
                Candidate(
                    item=items[item_id],
                    score=round(scores[item_id], 4),
                    sources=tuple(sorted(pooled.scores)),
                    reasons=tuple(reasons),
                )
            )
        return out


def _vector_reason(view: UserView, query_vector: np.ndarray | None) -> str:
    if query_vector is not None:
        return "Matches what you asked about"
    return "Close to what you have used" if view.seeds else "Fits your stated interests"


def _offered(ids: Iterable[str], brief: Mapping[str, Brief], category: str | None) -> list[str]:
    """The items available in the catalog (and in the category, when one is asked for)."""
    return [
        i
        for i in ids
        if i in brief and brief[i].available and (category is None or brief[i].category == category)
    ]


def _score(
    view: UserView,
    generated: Generated,
    eligible: Eligible,
    sources: LiveSources,
    ranker: Ranker | None,
) -> dict[str, float]:
    """The trained ranker's scores spread onto [0, 1], or the fixed blend without one."""
    ids = eligible.ids
    if ranker is not None and ids:
        categories = {**eligible.history_categories, **eligible.categories}
        rows = ranker_features(view, generated, ids, categories, sources)
        return _spread(dict(zip(ids, ranker.score(rows), strict=True)))
    kept = {i: generated.pool[i] for i in ids}
    return blend(kept, view.affinity, eligible.categories, cold=not view.seeds)


def _spread(scores: dict[str, float]) -> dict[str, float]:
    """Learned scores are unbounded: map them onto [0, 1] for MMR and the response."""
    if not scores:
        return scores
    low, high = min(scores.values()), max(scores.values())
    span = (high - low) or 1.0
    return {i: (s - low) / span for i, s in scores.items()}
