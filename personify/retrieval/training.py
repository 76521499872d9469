"""`personify train`: fit ALS factors and the LambdaMART re-ranker from the event log.

Examples respect time: each user's history is cut where their last HOLDOUT_SHARE begins;
every generator (co-visitation, popularity, ALS, profile vectors) is rebuilt from the part
before the cuts only, candidates are generated for that past, and a candidate is relevant
when the user went on to use it after the cut. A fifth of users keep only their first
events (cold-start practice). Short and long histories get a ranker each, and each must
beat single-feature orderings on held-out queries to be kept. Serving then uses factors
refitted on the whole log."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from personify.domain import LogEntry
from personify.retrieval import profiles
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.candidates import (
    RANKER_FEATURES,
    BehaviourSources,
    UserView,
    generate,
    ranker_features,
)
from personify.retrieval.factors import FactorModel
from personify.retrieval.profiles import ProfileState, event_weight
from personify.retrieval.trained import FeatureRanker, LearnedRanker, Ranker, Trained
from personify.retrieval.vectors import VectorIndex
from personify.store import Store

HOLDOUT_SHARE = 0.2
# Users with fewer events give no training query (their events still feed the generators):
# one held-out event after two is a next-item guess, not the weeks ahead we rank for.
MIN_HISTORY = 5
MAX_QUERIES = 3000  # users sampled as training queries (deterministic)
MIN_QUERIES = 20  # a segment with fewer training queries gets no learned ranker
# Single features the learned model must beat on held-out queries to be kept.
BASELINE_FEATURES = ("log_popularity", "covisit_score", "als_score")
COLD_SHARE = 0.2  # users whose past is cut to their first events (cold-start practice)
COLD_EVENTS = 3  # a cold-start query keeps this many of the user's first events
STRONG = 1.5  # event weight from which a later use counts as a strong positive (label 2)
ROUNDS = {"warm": 300, "cold": 100}
LGBM_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "num_threads": 2,
    "verbose": -1,
}
# Short histories carry little signal and give fewer examples: a smaller model.
SEGMENT_PARAMS: dict[str, dict[str, Any]] = {
    "warm": {},
    "cold": {"num_leaves": 7, "min_data_in_leaf": 200, "lambda_l2": 10.0},
}


class MemorySources(BehaviourSources):
    """Generators over a fixed past: exact vector search in memory instead of Chroma."""

    def __init__(
        self,
        item_vectors: Mapping[str, np.ndarray],
        behaviour: BehaviourIndex,
        factors: FactorModel | None,
    ) -> None:
        self._ids = list(item_vectors)
        matrix = np.stack([item_vectors[i] for i in self._ids]).astype(np.float32)
        self._matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
        self._vectors = item_vectors
        self._behaviour = behaviour
        self.factors = factors

    def similar(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        sims = self._matrix @ (vector / (np.linalg.norm(vector) or 1.0))
        n = min(n, len(sims))
        best = np.argpartition(-sims, n - 1)[:n]
        return [(self._ids[i], float(sims[i])) for i in sorted(best, key=lambda i: -sims[i])]

    def item_vectors(self, ids: Sequence[str]) -> Mapping[str, np.ndarray]:
        return {i: self._vectors[i] for i in ids if i in self._vectors}


@dataclass(kw_only=True)
class Examples:
    """Training rows grouped per query (one user at one cut), by ranker segment."""

    rows: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)

    @property
    def groups(self) -> list[int]:
        return [len(label) for label in self.labels]


def train(store: Store, vectors: VectorIndex, *, seed: int = 0) -> Trained:
    started = time.perf_counter()
    users = store.events.users()
    histories = store.events.history(users)
    categories = store.catalog.categories()
    item_ids = list(categories)
    item_vectors = vectors.item_vectors(item_ids)
    rng = random.Random(seed)
    past: dict[str, list[LogEntry]] = {}
    future: dict[str, list[LogEntry]] = {}
    for user, history in histories.items():
        cut = len(history) - max(1, round(len(history) * HOLDOUT_SHARE))
        if len(history) < MIN_HISTORY:
            cut = len(history)
        past[user], future[user] = history[:cut], history[cut:]
    # Cold-start practice: some users keep only their first few events in the past, for
    # every generator alike, so the ranker learns what works for short histories too.
    cold = [u for u in sorted(past) if len(past[u]) > COLD_EVENTS and rng.random() < COLD_SHARE]
    for user in cold:
        past[user] = past[user][:COLD_EVENTS]
    past_factors = FactorModel.fit(past.values(), item_ids, seed=seed) if past else None
    sources = MemorySources(
        item_vectors,
        BehaviourIndex.from_entries([e for h in past.values() for e in h]),
        past_factors,
    )
    candidates = sorted(u for u, f in future.items() if any(event_weight(e) > 0 for e in f))
    queries = rng.sample(candidates, min(MAX_QUERIES, len(candidates)))
    stored = store.users.get_profiles(queries)
    examples = _examples(
        [(u, past[u]) for u in queries], future, stored, item_vectors, categories, sources
    )
    meta: dict[str, Any] = {
        "trained_at": time.time(),
        "users": len(histories),
        "cold_practice_users": len(cold),
    }
    rankers: dict[str, Ranker] = {}
    for segment, found in examples.items():
        labels = np.concatenate(found.labels)
        meta[segment] = {
            "queries": len(found.groups),
            "rows": int(len(labels)),
            "positives": int((labels > 0).sum()),
        }
        if len(found.groups) < MIN_QUERIES:
            continue  # too little to learn from: this segment keeps the fixed blend
        rankers[segment], meta[segment]["validation"] = _choose(segment, found, seed)
    factors = FactorModel.fit(histories.values(), item_ids, seed=seed) if histories else None
    meta["seconds"] = round(time.perf_counter() - started, 2)
    return Trained(factors=factors, rankers=rankers, meta=meta)


def _choose(segment: str, found: Examples, seed: int) -> tuple[Ranker, dict[str, Any]]:
    """Fit on four fifths of the queries; keep whichever of the learned model and the
    single-feature orderings ranks the held-out fifth best (NDCG@10); a learned model
    that wins is then refitted on all queries."""
    held = set(range(0, len(found.labels), 5))
    fit = [n for n in range(len(found.labels)) if n not in held]
    booster = _fit(
        segment,
        np.vstack([found.rows[n] for n in fit]),
        np.concatenate([found.labels[n] for n in fit]),
        [len(found.labels[n]) for n in fit],
        seed,
    )
    options: dict[str, Ranker] = {"learned": LearnedRanker(booster)}
    options.update({f: FeatureRanker(f) for f in BASELINE_FEATURES})
    scores = {
        name: round(
            float(np.mean([_ndcg(r.score(found.rows[n]), found.labels[n]) for n in held])), 4
        )
        for name, r in options.items()
    }
    best = max(scores, key=lambda name: scores[name])
    if best == "learned":  # refit on every query: the held-out fifth only chose the model
        booster = _fit(
            segment, np.vstack(found.rows), np.concatenate(found.labels), found.groups, seed
        )
        options["learned"] = LearnedRanker(booster)
    importance = booster.feature_importance("gain")
    report = {
        "ndcg@10": scores,
        "chosen": best,
        "importance": {
            f: round(float(g), 1)
            for f, g in sorted(zip(RANKER_FEATURES, importance, strict=True), key=lambda kv: -kv[1])
        },
    }
    return options[best], report


def _ndcg(scores: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    order = np.argsort(-scores, kind="stable")[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = (2.0 ** labels[order] - 1) @ discounts[: len(order)]
    ideal = np.sort(2.0**labels - 1)[::-1][:k] @ discounts[: min(k, len(labels))]
    return float(gains / ideal) if ideal > 0 else 0.0


def _fit(segment: str, rows: np.ndarray, labels: np.ndarray, groups: list[int], seed: int) -> Any:
    import lightgbm

    data = lightgbm.Dataset(rows, label=labels, group=groups, feature_name=list(RANKER_FEATURES))
    params = {**LGBM_PARAMS, **SEGMENT_PARAMS[segment], "seed": seed}
    return lightgbm.train(params, data, num_boost_round=ROUNDS[segment])


def _examples(
    queries: list[tuple[str, list[LogEntry]]],
    future: dict[str, list[LogEntry]],
    stored: Mapping[str, Any],
    item_vectors: Mapping[str, np.ndarray],
    categories: Mapping[str, str],
    sources: MemorySources,
) -> dict[str, Examples]:
    found: dict[str, Examples] = {}
    for user, history in queries:
        profile = stored.get(user)
        interests = (
            np.frombuffer(profile.interests, dtype=np.float32)
            if profile is not None and profile.interests
            else None
        )
        state = profiles.fold(ProfileState(interests=interests), history, item_vectors, categories)
        view = UserView(
            history=history,
            seen={e.item_id for e in history if e.item_id},
            vector=profiles.vector(state),
            affinity=profiles.shares(state.affinity),
            now=future[user][0].ts,  # asked for just before the next event
        )
        generated = generate(view, sources, vector_reason="")
        ids = list(generated.pool)
        if not ids:
            continue
        gains: dict[str, float] = {}
        for entry in future[user]:
            if entry.item_id:
                gains[entry.item_id] = max(gains.get(entry.item_id, 0.0), event_weight(entry))
        label = np.array(
            [2 if gains.get(i, 0) >= STRONG else 1 if gains.get(i, 0) > 0 else 0 for i in ids]
        )
        if label.max() == 0:
            continue
        examples = found.setdefault(view.segment, Examples())
        examples.rows.append(ranker_features(view, generated, ids, categories, sources))
        examples.labels.append(label)
    return found
