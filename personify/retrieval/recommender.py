"""The recommendation path (no LLM): generate candidates, filter, rank, diversify.

Filtering never starves the list: while fewer than `n` candidates are on offer, the pools
are generated again past what was filtered out (see Recommender._pool). Each item is
listed with the score the diversified order was picked by, so scores fall down the list.

A user who has used every item on offer is offered the ones used longest ago again
(reoffer.py): never an empty list while the catalog offers anything.

Ranking uses the ranker `personify train` kept for the user's segment (short or long
history) when one exists; users with no history, and every user before a first training,
get a fixed blend of generator scores."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from personify.domain import Candidate, Profile, RankerName, ServingFallback
from personify.errors import VectorStoreUnavailable
from personify.retrieval import explain
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.candidates import (
    POOL,
    BehaviourSources,
    Generated,
    UserView,
    generate,
    ranker_features,
)
from personify.retrieval.profiles import unit
from personify.retrieval.ranking import MMR_LAMBDA, Pooled, avoid, blend, mmr
from personify.retrieval.reoffer import used_longest_ago
from personify.retrieval.trained import Ranker, Trained, TrainedCache
from personify.retrieval.vectors import VectorIndex
from personify.store import Store
from personify.store.catalog import Brief

# Diversity after a trained ranker. Measured on goodbooks: MMR at 0.85 costs about 1% of
# NDCG@10 for long histories and 21% for short ones, where it diversifies away from the
# popular picks that serve them best; short histories therefore keep the ranker's order.
MMR_BY_SEGMENT = {"warm": MMR_LAMBDA, "cold": 1.0}
QUERY_WEIGHT = 1.5  # a chat query's weight against the profile vector's
CATALOG_REASON = "Also in the catalog"  # reached by no generator: filled in from the catalog


class LiveSources(BehaviourSources):
    """The generators' data when serving: Chroma and the live behaviour index."""

    def __init__(
        self,
        vectors: VectorIndex,
        behaviour: BehaviourIndex,
        trained: Trained,
        category: str | None,
    ) -> None:
        self._vectors = vectors
        self._behaviour = behaviour
        self.factors = trained.factors
        self.ease = trained.ease
        self.sequences = trained.sequences
        # Availability is checked against the catalog later (a metadata filter on every
        # Chroma query would make it several times slower); Recommender._pool reaches
        # past what that check filters out.
        self._where = {"category": category} if category else None

    def similar(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        return [(h.id, h.similarity) for h in self._vectors.similar_items(vector, n, self._where)]

    def item_vectors(self, ids: Sequence[str]) -> Mapping[str, np.ndarray]:
        return self._vectors.item_vectors(ids)


class Ranked(list[Candidate]):
    """Ranked candidates, and why the usual ranking was not used, when it was not."""

    fallback: ServingFallback | None = None  # popular items stood in for the user's own
    seen_everything: bool = False  # nothing unused was on offer: used items come again


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
        ranker: RankerName = "personalized",
    ) -> Ranked:
        """Ranked candidates with reasons. Raises nothing for a user with no history. With
        the vector store down: the most popular items, `fallback` saying why. A user who
        has used every item on offer gets those used longest ago (`seen_everything`).

        `ranker` (an experiment's variant may set it): "personalized", the whole learned
        path; "popular", the event log's most used items; "content", nearness to the
        profile vector alone (popular items for a user who has none)."""
        try:
            if ranker == "popular":
                ranked = Ranked(self._popular(profile, n, category, exclude))
            elif ranker == "content":
                ranked = Ranked(self._content(profile, n, category, query_vector, exclude))
            else:
                ranked = Ranked(self._rank(profile, n, category, query_vector, exclude))
        except VectorStoreUnavailable:
            ranked = Ranked(self._popular(profile, n, category, exclude))
            ranked.fallback = "vector_store_unavailable"
        if not ranked and profile.personalized:
            ranked.extend(used_longest_ago(self._store, profile.user_id, n, category, exclude))
            ranked.seen_everything = bool(ranked)
        return ranked

    def _popular(
        self, profile: Profile, n: int, category: str | None, exclude: Sequence[str]
    ) -> list[Candidate]:
        """From the event log and the catalog alone (SQL and memory, no Chroma)."""
        self._behaviour.refresh()
        seen = set(exclude)
        if profile.personalized:
            seen |= self._store.events.seen_items(profile.user_id)
        depth = POOL * 4
        while True:  # deeper down the popularity list until n are on offer, or it ends
            counts = dict(self._behaviour.popular(depth + len(seen)))
            ranked = [i for i in counts if i not in seen]
            ids = _offered(ranked, self._store.catalog.brief(ranked), category)[:n]
            if len(ids) >= n or len(counts) < depth + len(seen):
                break
            depth *= 4
        fill = self._catalog_fill(category, seen | counts.keys(), n - len(ids))
        items = self._store.catalog.get_many([*ids, *fill])
        top = max(counts.values(), default=1.0) or 1.0
        popular = [
            Candidate(
                item=items[i],
                score=round(counts[i] / top, 4),
                sources=("popular",),
                reasons=("Popular with other users",),
            )
            for i in ids
        ]
        return popular + [
            Candidate(item=items[i], score=0.0, sources=("catalog",), reasons=(CATALOG_REASON,))
            for i in fill
            if i in items
        ]

    def _content(
        self,
        profile: Profile,
        n: int,
        category: str | None,
        query_vector: np.ndarray | None,
        exclude: Sequence[str],
    ) -> list[Candidate]:
        """The offered items nearest the profile (and query) vector, nothing else."""
        view = self._view(profile, query_vector, exclude)
        if view.vector is None:
            return self._popular(profile, n, category, exclude)
        where = {"category": category} if category else None
        reason = _vector_reason(view, query_vector)
        depth = max(POOL, n) + len(view.seen)
        while True:
            hits = self._vectors.similar_items(view.vector, depth, where)
            fresh = [h for h in hits if h.id not in view.seen]
            brief = self._store.catalog.brief(h.id for h in fresh)
            ids = set(_offered((h.id for h in fresh), brief, category))
            chosen = [h for h in fresh if h.id in ids][:n]
            if len(chosen) >= n or len(hits) < depth:
                break
            depth *= 4
        items = self._store.catalog.get_many(h.id for h in chosen)
        return [
            Candidate(
                item=items[h.id],
                score=round(h.similarity, 4),
                sources=("vector",),
                reasons=(reason,),
            )
            for h in chosen
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
        sources = LiveSources(self._vectors, self._behaviour, trained, category)
        reason = _vector_reason(view, query_vector)
        generated, eligible = self._pool(view, sources, category, n, reason)
        ranker = trained.rankers.get(view.segment) if view.seeds else None
        scores, rows = _score(view, generated, eligible, sources, ranker)
        item_vectors = self._vectors.item_vectors(eligible.ids)
        dislikes = self._dislike_vector(profile)
        if dislikes is not None:
            avoid(scores, item_vectors, dislikes)
        lam = MMR_BY_SEGMENT[view.segment] if ranker is not None else MMR_LAMBDA
        ranked = mmr(scores, item_vectors, n, lam=lam)
        listed = listed_scores(ranked, scores, item_vectors, lam)
        contributions: dict[str, np.ndarray] = {}
        if ranker is not None and rows is not None and ranked:
            at = {item_id: n for n, item_id in enumerate(eligible.ids)}
            values = ranker.contributions(rows[[at[i] for i in ranked]])
            contributions = dict(zip(ranked, values, strict=True))
        said = _Explained(view, sources, eligible, reason, profile)
        return self._candidates(ranked, listed, generated, eligible, contributions, said)

    def _pool(
        self, view: UserView, sources: LiveSources, category: str | None, n: int, reason: str
    ) -> tuple[Generated, Eligible]:
        """Candidates until `n` of them are on offer. Each round passes over what the last
        one found unavailable (or outside the category) and reaches twice as deep; when the
        generators run dry short of `n`, the catalog's newest offered items fill in. One
        round in the usual case, where few items are filtered."""
        skip: frozenset[str] = frozenset()
        size = max(POOL, n)
        while True:
            generated = generate(view, sources, vector_reason=reason, skip=skip, size=size)
            eligible = self._eligible(view, generated, category)
            if len(eligible.ids) >= n:
                return generated, eligible
            filtered = generated.pool.keys() - set(eligible.ids)
            if not filtered:  # every generator gave all it had
                break
            skip |= filtered
            size *= 2
        passed_over = view.seen | skip | generated.pool.keys()
        fill = self._catalog_fill(category, passed_over, n - len(eligible.ids))
        for rank, item_id in enumerate(fill):
            generated.pool[item_id] = Pooled(item_id)
            generated.pool[item_id].add("catalog", 0.0, CATALOG_REASON)
            generated.ranks[item_id] = {"catalog": rank}
        return generated, self._eligible(view, generated, category) if fill else eligible

    def _catalog_fill(self, category: str | None, passed_over: set[str], wanted: int) -> list[str]:
        """Up to `wanted` offered items none of the generators reached, newest first."""
        if wanted <= 0:
            return []
        newest = self._store.catalog.offered_ids(category, limit=wanted + len(passed_over))
        return [i for i in newest if i not in passed_over][:wanted]

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
        ranked: list[str],
        scores: Mapping[str, float],
        generated: Generated,
        eligible: Eligible,
        contributions: Mapping[str, np.ndarray],
        explained: _Explained,
    ) -> list[Candidate]:
        """Whole items for the chosen few only, with the reasons they were chosen: what
        the trained ranker says raised each one first, then where it was found."""
        items = self._store.catalog.get_many(ranked)
        out = []
        for item_id in ranked:
            pooled = generated.pool[item_id]
            via = eligible.titles.get(generated.via.get(item_id, ""), "")
            found = [r.format(via=via) for r in pooled.reasons]
            category = eligible.categories[item_id]
            if category in explained.top_categories:
                found.append(f"In {category}, one of your most used areas")
            if item_id in contributions:
                found = explain.reasons(contributions[item_id], explained.said(item_id, via), found)
            out.append(
                Candidate(
                    item=items[item_id],
                    score=round(scores[item_id], 4),
                    sources=tuple(sorted(pooled.scores)),
                    reasons=tuple(found),
                )
            )
        return out


class _Explained:
    """What the model's reasons for one user's list can name (explain.Said per item)."""

    def __init__(
        self,
        view: UserView,
        sources: LiveSources,
        eligible: Eligible,
        vector_reason: str,
        profile: Profile,
    ) -> None:
        self._view = view
        self._sources = sources
        self._eligible = eligible
        self._vector_reason = vector_reason
        self.top_categories = frozenset(profile.features.top_categories[:2])
        newest = next((e.item_id for e in reversed(view.history) if e.item_id), None)
        self._recent = eligible.titles.get(newest or "", "")

    def said(self, item_id: str, via: str) -> explain.Said:
        sequences, view = self._sources.sequences, self._view

        ease = self._sources.ease

        def find(signal: str) -> tuple[str, str] | None:
            if signal == "ease":
                seed = ease.strongest(view.seeds, item_id) if ease is not None else None
                return (seed, _last_event(view, seed)) if seed is not None else None
            if sequences is None:
                return None
            return sequences.strongest(view.history, view.now, item_id, signal)

        return explain.Said(
            category=self._eligible.categories.get(item_id, ""),
            vector_reason=self._vector_reason,
            via=via,
            recent=self._recent,
            voter=explain.voter_of(self._eligible.titles, find),
            top_categories=self.top_categories,
        )


def _last_event(view: UserView, item_id: str) -> str:
    return next((e.type for e in reversed(view.history) if e.item_id == item_id), "use")


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
) -> tuple[dict[str, float], np.ndarray | None]:
    """The trained ranker's scores spread onto [0, 1] and the feature rows it read (in
    `eligible.ids` order), or the fixed blend without one."""
    ids = eligible.ids
    if ranker is not None and ids:
        categories = {**eligible.history_categories, **eligible.categories}
        rows = ranker_features(view, generated, ids, categories, sources)
        return _spread(dict(zip(ids, ranker.score(rows), strict=True))), rows
    kept = {i: generated.pool[i] for i in ids}
    return blend(kept, view.affinity, eligible.categories, cold=not view.seeds), None


def _spread(scores: dict[str, float]) -> dict[str, float]:
    """Learned scores are unbounded: map them onto [0, 1] for MMR and the response."""
    if not scores:
        return scores
    low, high = min(scores.values()), max(scores.values())
    span = (high - low) or 1.0
    return {i: (s - low) / span for i, s in scores.items()}


def listed_scores(
    ranked: Sequence[str],
    scores: Mapping[str, float],
    vectors: Mapping[str, np.ndarray],
    lam: float,
) -> dict[str, float]:
    """The score each item is listed with: its relevance less MMR's penalty for resembling
    the items listed above it, in relevance units (the first item keeps its relevance).
    That is the value MMR picked it by, so the scores never rise down the list; the running
    minimum only absorbs float32 ties in MMR's own arithmetic."""
    penalty = (1 - lam) / lam if lam > 0 else 0.0
    listed: dict[str, float] = {}
    above: list[np.ndarray] = []
    floor = float("inf")
    for item_id in ranked:
        vector = vectors.get(item_id)
        similar = [float(v @ vector) for v in above] if vector is not None else []
        floor = min(floor, scores[item_id] - penalty * max([0.0, *similar]))
        listed[item_id] = floor
        if vector is not None:
            above.append(vector)
    return listed
