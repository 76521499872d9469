"""`personify train`: fit ALS factors and the LambdaMART re-ranker from the event log.

Examples respect time: each user's history is cut where their last HOLDOUT_SHARE begins;
every generator (co-visitation, popularity, ALS, profile vectors) is rebuilt from the part
before the cuts only, candidates are generated for that past, and a candidate is relevant
when the user went on to use it after the cut. Serving then uses factors refitted on the
whole log."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from personify.retrieval import profiles
from personify.retrieval.behaviour import BehaviourIndex
from personify.retrieval.candidates import FEATURES, UserView, features, generate
from personify.retrieval.factors import FactorModel
from personify.retrieval.profiles import ProfileState, event_weight
from personify.retrieval.trained import LearnedRanker, Trained
from personify.retrieval.vectors import VectorIndex
from personify.store import Store
from personify.store.events import LogEntry

HOLDOUT_SHARE = 0.2
MIN_HISTORY = 3  # users with fewer events give no training query
MAX_QUERIES = 3000  # users sampled as training queries (deterministic)
STRONG = 1.5  # event weight from which a later use counts as a strong positive (label 2)
ROUNDS = 300
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


class MemorySources:
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

    def covisited(self, seeds: list[str], n: int) -> list[tuple[str, float, str]]:
        return self._behaviour.covisited(seeds, n)

    def popular(self, n: int) -> list[tuple[str, float]]:
        return self._behaviour.popular(n)

    def counts(self, ids: Sequence[str]) -> dict[str, tuple[int, float | None]]:
        return self._behaviour.counts(list(ids))


@dataclass(kw_only=True)
class Examples:
    rows: np.ndarray
    labels: np.ndarray
    groups: list[int]


def train(store: Store, vectors: VectorIndex, *, seed: int = 0) -> Trained:
    started = time.perf_counter()
    users = store.events.users()
    histories = store.events.history(users)
    categories = store.catalog.categories()
    item_ids = list(categories)
    item_vectors = vectors.item_vectors(item_ids)
    past: dict[str, list[LogEntry]] = {}
    future: dict[str, list[LogEntry]] = {}
    for user, history in histories.items():
        cut = len(history) - max(1, round(len(history) * HOLDOUT_SHARE))
        if len(history) < MIN_HISTORY:
            cut = len(history)
        past[user], future[user] = history[:cut], history[cut:]
    past_factors = FactorModel.fit(past.values(), item_ids, seed=seed) if past else None
    sources = MemorySources(
        item_vectors,
        BehaviourIndex.from_entries([e for h in past.values() for e in h]),
        past_factors,
    )
    candidates = sorted(u for u, f in future.items() if any(event_weight(e) > 0 for e in f))
    queries = random.Random(seed).sample(candidates, min(MAX_QUERIES, len(candidates)))
    stored = store.users.get_profiles(queries)
    examples = _examples(queries, past, future, stored, item_vectors, categories, sources)
    meta: dict[str, Any] = {
        "trained_at": time.time(),
        "users": len(histories),
        "queries": len(examples.groups),
        "rows": int(len(examples.labels)),
        "positives": int((examples.labels > 0).sum()),
    }
    ranker = None
    if examples.groups and examples.labels.max() > 0:
        import lightgbm

        data = lightgbm.Dataset(
            examples.rows, label=examples.labels, group=examples.groups, feature_name=list(FEATURES)
        )
        booster = lightgbm.train({**LGBM_PARAMS, "seed": seed}, data, num_boost_round=ROUNDS)
        ranker = LearnedRanker(booster)
        importance = booster.feature_importance("gain")
        meta["importance"] = {
            f: round(float(g), 1)
            for f, g in sorted(zip(FEATURES, importance, strict=True), key=lambda kv: -kv[1])
        }
    factors = FactorModel.fit(histories.values(), item_ids, seed=seed) if histories else None
    meta["seconds"] = round(time.perf_counter() - started, 2)
    return Trained(factors=factors, ranker=ranker, meta=meta)


def _examples(
    queries: list[str],
    past: dict[str, list[LogEntry]],
    future: dict[str, list[LogEntry]],
    stored: Mapping[str, Any],
    item_vectors: Mapping[str, np.ndarray],
    categories: Mapping[str, str],
    sources: MemorySources,
) -> Examples:
    rows: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    groups: list[int] = []
    for user in queries:
        history = past[user]
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
            now=history[-1].ts if history else future[user][0].ts,
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
        rows.append(features(view, generated, ids, categories, sources))
        labels.append(label)
        groups.append(len(ids))
    if not groups:
        return Examples(rows=np.zeros((0, len(FEATURES))), labels=np.zeros(0), groups=[])
    return Examples(rows=np.vstack(rows), labels=np.concatenate(labels), groups=groups)
