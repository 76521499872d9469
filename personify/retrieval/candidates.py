"""Candidate generation and candidate features: one code path for serving and training.

Eight generators each propose up to POOL items (or a deeper `size`): the profile vector's
nearest items, the items nearest to what the user touched last, co-visitation, ALS factors,
EASE (retrieval/ease.py), recency-weighted item neighbours, next-item transitions (both
retrieval/sequences.py) and popularity. Items in the user's `seen` set or in `skip` (what serving found the catalog
does not offer) are passed over, not counted: each generator reaches past them.
`Sources` hides where their data lives: Chroma and the live indexes when serving, exact
in-memory search over a past slice of the log when `personify train` builds examples."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from personify.domain import LogEntry
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.ease import EaseModel
from personify.retrieval.factors import FactorModel
from personify.retrieval.profiles import DAY, event_weight, unit
from personify.retrieval.ranking import Pooled
from personify.retrieval.sequences import SequenceModel

POOL = 60  # candidates per generator
RECENT = 3  # the "recent items" generator looks at this many of the newest positive items
SHORT_HISTORY = 3  # users with at most this many positive items are ranked by the cold model
GENERATORS = (
    "vector", "recent", "covisit", "als", "ease", "neighbours", "transitions", "popular",
)  # fmt: skip
RANKER_FEATURES = (
    *(f"{g}_rank" for g in GENERATORS),
    "vector_sim",
    "recent_sim",
    "covisit_score",
    "als_score",
    "ease_score",
    "neighbour_score",
    "transition_score",
    "log_popularity",
    "item_age_days",
    "category_affinity",
    "category_recent",
    "history_length",
    "sources",
)


class Sources(Protocol):
    """What the generators read. Scores are similarities or shares; higher is better."""

    factors: FactorModel | None
    ease: EaseModel | None
    sequences: SequenceModel | None

    def similar(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]: ...

    def item_vectors(self, ids: Sequence[str]) -> Mapping[str, np.ndarray]: ...

    def covisited(self, seeds: list[str], n: int) -> list[tuple[str, float, str]]: ...

    def popular(self, n: int) -> list[tuple[str, float]]: ...

    def counts(self, ids: Sequence[str]) -> dict[str, tuple[int, float | None]]:
        """(interactions, first seen epoch seconds or None) per item."""
        ...


class BehaviourSources:
    """Co-visitation, popularity and item counts from a BehaviourIndex: the part of
    `Sources` that serving and training share."""

    _behaviour: BehaviourIndex

    def covisited(self, seeds: list[str], n: int) -> list[tuple[str, float, str]]:
        return self._behaviour.covisited(seeds, n)

    def popular(self, n: int) -> list[tuple[str, float]]:
        return self._behaviour.popular(n)

    def counts(self, ids: Sequence[str]) -> dict[str, tuple[int, float | None]]:
        return self._behaviour.counts(list(ids))


@dataclass(kw_only=True)
class UserView:
    """A user as the ranker sees them at one moment."""

    history: list[LogEntry]  # oldest first
    seen: set[str]
    vector: np.ndarray | None  # the profile vector (stated interests included)
    affinity: Mapping[str, float]  # category -> share of positive weight
    now: float
    seeds: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.seeds = [e.item_id for e in self.history if e.item_id and event_weight(e) > 0]

    @property
    def segment(self) -> str:
        """Which learned ranker serves this user: short histories behave differently."""
        return "cold" if len(set(self.seeds)) <= SHORT_HISTORY else "warm"


@dataclass(kw_only=True)
class Generated:
    pool: dict[str, Pooled]
    ranks: dict[str, dict[str, int]]  # item -> generator -> rank (0 = first)
    covisit: dict[str, float]  # co-visitation score of every item it reached
    recent_vector: np.ndarray | None
    user_factors: np.ndarray | None
    via: dict[str, str]  # item -> the seed co-visitation reached it from
    # every item's neighbour and transition scores for this user, in the model's order
    sequence_scores: tuple[np.ndarray, np.ndarray] | None = None
    ease_scores: np.ndarray | None = None  # every item's EASE score, in the model's order


def recent_vector(view: UserView, sources: Sources) -> np.ndarray | None:
    recent = list(dict.fromkeys(reversed(view.seeds)))[:RECENT]
    vectors = sources.item_vectors(recent)
    rows = [vectors[i] for i in recent if i in vectors]
    return unit(np.mean(rows, axis=0)) if rows else None


def generate(
    view: UserView,
    sources: Sources,
    *,
    vector_reason: str,
    skip: frozenset[str] = frozenset(),
    size: int = POOL,
) -> Generated:
    """Up to `size` items per generator, none of them seen or in `skip`."""
    pool: dict[str, Pooled] = {}
    ranks: dict[str, dict[str, int]] = {}
    passed_over = view.seen | skip
    deep = size + len(passed_over)  # what to ask for so `size` remain after passing over

    def add(source: str, found: Sequence[tuple[str, float]], reason: str) -> None:
        rank = 0
        for item_id, score in found:
            if item_id in passed_over:
                continue
            pool.setdefault(item_id, Pooled(item_id)).add(source, score, reason)
            ranks.setdefault(item_id, {})[source] = rank
            rank += 1
            if rank >= size:
                break

    if view.vector is not None:
        add("vector", sources.similar(view.vector, deep), vector_reason)
    recent = recent_vector(view, sources) if view.seeds else None
    if recent is not None:
        add("recent", sources.similar(recent, deep), "Close to what you opened last")
    covisited = sources.covisited(view.seeds, 5 * size + len(skip)) if view.seeds else []
    add("covisit", [(i, s) for i, s, _ in covisited], "Often used together with {via}")
    factors = None
    if sources.factors is not None and view.seeds:
        factors = sources.factors.user_vector(view.history)
        if factors is not None:
            found = sources.factors.top(factors, size, passed_over)
            add("als", found, "Liked by people with similar taste")
    ease_scores = None
    if sources.ease is not None and view.seeds:
        ease_scores = sources.ease.scores(view.seeds)
        add("ease", sources.ease.top(ease_scores, size, passed_over), "Goes with what you used")
    sequence_scores = None
    if sources.sequences is not None and view.seeds:
        sequence_scores = sources.sequences.scores(view.history, view.now)
        neighbours, follows = sequence_scores
        best = sources.sequences.top
        add("neighbours", best(neighbours, size, passed_over), "Used by people who used yours")
        add("transitions", best(follows, size, passed_over), "Often used next")
    add("popular", sources.popular(deep), "Popular with other users")
    return Generated(
        pool=pool,
        ranks=ranks,
        covisit={i: s for i, s, _ in covisited},
        recent_vector=recent,
        user_factors=factors,
        via={i: v for i, _, v in covisited},
        sequence_scores=sequence_scores,
        ease_scores=ease_scores,
    )


def ranker_features(
    view: UserView,
    generated: Generated,
    ids: Sequence[str],
    categories: Mapping[str, str],
    sources: Sources,
) -> np.ndarray:
    """One row per candidate, columns in RANKER_FEATURES order; NaN where a value does not apply."""
    vectors = sources.item_vectors(ids)
    counts = sources.counts(ids)
    als = (
        sources.factors.item_scores(generated.user_factors, ids)
        if sources.factors is not None and generated.user_factors is not None
        else {}
    )
    recent_categories = {categories.get(e.item_id or "") for e in view.history[-10:]}
    history_length = math.log1p(len(view.seeds))
    rows = np.full((len(ids), len(RANKER_FEATURES)), np.nan, dtype=np.float32)
    for row, item_id in enumerate(ids):
        ranks = generated.ranks.get(item_id, {})
        for column, name in enumerate(GENERATORS):
            if name in ranks:
                rows[row, column] = ranks[name]
    at = {name: n for n, name in enumerate(RANKER_FEATURES)}
    rows[:, at["vector_sim"]] = _cosines(view.vector, ids, vectors)
    rows[:, at["recent_sim"]] = _cosines(generated.recent_vector, ids, vectors)
    rows[:, at["covisit_score"]] = [generated.covisit.get(i, 0.0) for i in ids]
    rows[:, at["als_score"]] = [als.get(i, np.nan) for i in ids]
    if generated.sequence_scores is not None and sources.sequences is not None:
        where = sources.sequences.index_of(ids)
        known = where >= 0
        neighbours, follows = generated.sequence_scores
        rows[known, at["neighbour_score"]] = neighbours[where[known]]
        rows[known, at["transition_score"]] = follows[where[known]]
    if generated.ease_scores is not None and sources.ease is not None:
        where = sources.ease.index_of(ids)
        known = where >= 0
        rows[known, at["ease_score"]] = generated.ease_scores[where[known]]
    rows[:, at["log_popularity"]] = [math.log1p(counts.get(i, (0, None))[0]) for i in ids]
    rows[:, at["item_age_days"]] = [_age(view.now, counts.get(i, (0, None))[1]) for i in ids]
    rows[:, at["category_affinity"]] = [view.affinity.get(categories.get(i, ""), 0.0) for i in ids]
    rows[:, at["category_recent"]] = [float(categories.get(i) in recent_categories) for i in ids]
    rows[:, at["history_length"]] = history_length
    rows[:, at["sources"]] = [len(generated.ranks.get(i, {})) for i in ids]
    return rows


def _age(now: float, first_seen: float | None) -> float:
    return (now - first_seen) / DAY if first_seen is not None else float("nan")


def _cosines(
    query: np.ndarray | None, ids: Sequence[str], vectors: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Cosine of each item's vector with the query (NaN without either)."""
    out = np.full(len(ids), np.nan, dtype=np.float32)
    if query is None:
        return out
    have = [n for n, i in enumerate(ids) if i in vectors]
    if have:
        matrix = np.stack([vectors[ids[n]] for n in have])
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
        out[have] = (matrix @ query) / np.where(norms > 0, norms, 1.0)
    return out
