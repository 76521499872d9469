"""`personify train`: fit ALS factors, the sequence and EASE models and the LambdaMART
re-ranker from the event log.

Examples respect time: the log is cut where its last HOLDOUT_SHARE begins (at one moment
for a log with real timestamps, per user for one in file order; see `_cut`); every
generator (co-visitation, popularity, ALS, EASE, sequences, profile vectors) is rebuilt
from the part before the cut only, candidates are generated for that past, and a candidate
is relevant when the user went on to use it after the cut. The sequence model's few
parameters (decay, neighbours, transition window) and EASE's λ are chosen on the same cut.
A fifth of users keep only their first events (cold-start practice). Short and long
histories get a ranker each, and each must beat single-feature orderings on held-out
queries to be kept. Serving then uses models refitted on the whole log."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
from personify.retrieval.ease import EaseModel
from personify.retrieval.factors import FactorModel
from personify.retrieval.profiles import ProfileState, event_weight
from personify.retrieval.search import Query, choose, choose_ease
from personify.retrieval.sequences import SequenceModel
from personify.retrieval.trained import FeatureRanker, LearnedRanker, Ranker, Trained
from personify.retrieval.vectors import VectorIndex
from personify.store import Store

HOLDOUT_SHARE = 0.2
# Users with fewer events give no training query (their events still feed the generators):
# one held-out event after two is a next-item guess, not the weeks ahead we rank for.
MIN_HISTORY = 5
MAX_QUERIES = 3000  # users sampled as training queries (deterministic)
CHOICE_QUERIES = 1000  # of those, the ones the sequence model's parameters are chosen on
MIN_QUERIES = 20  # a segment with fewer training queries gets no learned ranker
# Single features the learned model must beat on held-out queries to be kept.
BASELINE_FEATURES = ("log_popularity", "covisit_score", "als_score")
COLD_SHARE = 0.2  # users whose past is cut to their first events (cold-start practice)
COLD_EVENTS = 3  # a cold-start query keeps this many of the user's first events
STRONG = 1.5  # event weight from which a later use counts as a strong positive (label 2)
MAX_ROUNDS = 300  # boosting rounds at most; early stopping on the held-out queries decides
PATIENCE = 30  # rounds without a better held-out NDCG@10 before boosting stops
NEGATIVES = 100  # candidates with no later use kept per training query (sampled)
LGBM_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.05,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "lambda_l2": 10.0,
    "num_threads": 2,
    "verbose": -1,
}
# Model sizes tried on the held-out queries of each log: a small log (a shop with a thousand
# regular customers) overfits a large tree that a long log needs.
SHAPES: list[dict[str, Any]] = [
    {"num_leaves": 3, "min_data_in_leaf": 100},
    {"num_leaves": 7, "min_data_in_leaf": 100},
    {"num_leaves": 31, "min_data_in_leaf": 50},
]


class MemorySources(BehaviourSources):
    """Generators over a fixed past: exact vector search in memory instead of Chroma."""

    def __init__(
        self,
        item_vectors: Mapping[str, np.ndarray],
        behaviour: BehaviourIndex,
        factors: FactorModel | None,
        sequences: SequenceModel | None,
        ease: EaseModel | None,
    ) -> None:
        self._ids = list(item_vectors)
        matrix = np.stack([item_vectors[i] for i in self._ids]).astype(np.float32)
        self._matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
        self._vectors = item_vectors
        self._behaviour = behaviour
        self.factors = factors
        self.sequences = sequences
        self.ease = ease

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
    real_time = _real_time(histories)
    past, future, asked = _cut(histories, real_time)
    uncut = dict(past)
    cold = _cold_practice(past, rng)
    candidates = sorted(u for u, f in future.items() if any(event_weight(e) > 0 for e in f))
    queries = rng.sample(candidates, min(MAX_QUERIES, len(candidates)))
    validation = [_query(past[u], future[u], asked[u]) for u in queries[:CHOICE_QUERIES]]
    params, trials = choose(past.values(), validation, item_ids, real_time=real_time)
    l2, ease_trials = choose_ease(past.values(), validation, item_ids)

    def examples_at(
        past: dict[str, list[LogEntry]],
        future: dict[str, list[LogEntry]],
        asked: dict[str, float],
        queries: list[str],
    ) -> dict[str, Examples]:
        """Training rows for these queries, every generator fitted on `past` only."""
        sources = MemorySources(
            item_vectors,
            BehaviourIndex.from_entries([e for h in past.values() for e in h]),
            FactorModel.fit(past.values(), item_ids, seed=seed) if past else None,
            SequenceModel.fit(past.values(), item_ids, params, real_time=real_time),
            EaseModel.fit(past.values(), item_ids, l2),
        )
        stored = store.users.get_profiles(queries)
        rows = [(u, past[u]) for u in queries]
        return _examples(rows, future, asked, stored, item_vectors, categories, sources)

    examples = examples_at(past, future, asked, queries)
    if len(queries) < MAX_QUERIES:
        # A small log (a shop's regular customers): a second, earlier cut of the same past
        # gives the ranker more queries to learn from, its generators fitted before it.
        past, future, asked = _cut(uncut, real_time)
        _cold_practice(past, rng)
        earlier = sorted(u for u, f in future.items() if any(event_weight(e) > 0 for e in f))
        more = rng.sample(earlier, min(len(queries), len(earlier)))
        for segment, found in examples_at(past, future, asked, more).items():
            into = examples.setdefault(segment, Examples())
            into.rows += found.rows
            into.labels += found.labels
    meta: dict[str, Any] = {
        "trained_at": time.time(),
        "users": len(histories),
        "cold_practice_users": len(cold),
        "sequences": {"chosen": asdict(params), "ndcg@10": trials},
        "ease": {"chosen": {"l2": l2}, "ndcg@10": ease_trials},
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
        rankers[segment], meta[segment]["validation"] = _choose(found, seed)
    factors = FactorModel.fit(histories.values(), item_ids, seed=seed) if histories else None
    sequences = SequenceModel.fit(histories.values(), item_ids, params, real_time=real_time)
    ease = EaseModel.fit(histories.values(), item_ids, l2)
    meta["seconds"] = round(time.perf_counter() - started, 2)
    return Trained(factors=factors, sequences=sequences, ease=ease, rankers=rankers, meta=meta)


def _cold_practice(past: dict[str, list[LogEntry]], rng: random.Random) -> list[str]:
    """Cold-start practice: some users keep only their first few events in the past, for
    every generator alike, so the ranker learns what works for short histories too."""
    cold = [u for u in sorted(past) if len(past[u]) > COLD_EVENTS and rng.random() < COLD_SHARE]
    for user in cold:
        past[user] = past[user][:COLD_EVENTS]
    return cold


def _cut(
    histories: Mapping[str, list[LogEntry]], real_time: bool
) -> tuple[dict[str, list[LogEntry]], dict[str, list[LogEntry]], dict[str, float]]:
    """Past and future per user, and when each user is asked. A log with real time is cut
    at one moment for everyone (the HOLDOUT_SHARE newest events after it), as serving
    meets it: what will each user take up from now on? A log in file order, which says
    nothing of when, is cut per user where their last HOLDOUT_SHARE begins, and each user
    is asked just before their next event."""
    past: dict[str, list[LogEntry]] = {}
    future: dict[str, list[LogEntry]] = {}
    asked: dict[str, float] = {}
    if real_time:
        times = np.fromiter((e.ts for h in histories.values() for e in h), dtype=np.float64)
        moment = float(np.quantile(times, 1 - HOLDOUT_SHARE))
        for user, history in histories.items():
            past[user] = [e for e in history if e.ts < moment]
            future[user] = [e for e in history if e.ts >= moment]
            asked[user] = moment
        return past, future, asked
    for user, history in histories.items():
        cut = len(history) - max(1, round(len(history) * HOLDOUT_SHARE))
        if len(history) < MIN_HISTORY:
            cut = len(history)
        past[user], future[user] = history[:cut], history[cut:]
        asked[user] = history[cut].ts if cut < len(history) else 0.0
    return past, future, asked


def _query(past: list[LogEntry], future: list[LogEntry], now: float) -> Query:
    """A validation query: the past, and what came after it."""
    used = {e.item_id for e in future if e.item_id and event_weight(e) > 0}
    return Query(past=past, future=used, now=now)


def _real_time(histories: Mapping[str, list[LogEntry]]) -> bool:
    """Whether timestamps say when things happened: a log written one event a second apart
    (a file without them) says nothing about days."""
    times = sorted({e.ts for h in histories.values() for e in h})
    if len(times) < 2:
        return False
    gaps = np.diff(times)
    return bool(np.median(gaps) != 1.0 or gaps.max() > 86_400)


def _choose(found: Examples, seed: int) -> tuple[Ranker, dict[str, Any]]:
    """Fit each model shape on four fifths of the queries, stopping early on the held-out
    fifth. The best learned model is kept only where it beats the best single-feature
    ordering on that fifth beyond chance (a paired bootstrap over its queries): a segment
    with few queries (short histories) keeps the plain ordering unless the learned one is
    clearly better. A learned model that is kept is refitted on all queries, for the rounds
    early stopping found."""
    held = list(range(0, len(found.labels), 5))
    fit = [n for n in range(len(found.labels)) if n % 5]
    per_query: dict[str, np.ndarray] = {}
    fitted: dict[str, tuple[Any, dict[str, Any]]] = {}
    for shape in SHAPES:
        booster = _fit(found, fit, shape, seed, valid=held)
        name = f"learned {shape['num_leaves']} leaves"
        per_query[name] = _ndcgs(LearnedRanker(booster), found, held)
        fitted[name] = booster, shape
    options: dict[str, Ranker] = {f: FeatureRanker(f) for f in BASELINE_FEATURES}
    per_query.update({f: _ndcgs(r, found, held) for f, r in options.items()})
    scores = {name: round(float(v.mean()), 4) for name, v in per_query.items()}
    learned = max(fitted, key=lambda name: scores[name])
    single = max(options, key=lambda name: scores[name])
    margin = _lower_bound(per_query[learned] - per_query[single], seed)
    best = learned if margin > 0 else single
    report: dict[str, Any] = {
        "ndcg@10": scores,
        "chosen": best,
        "learned_margin_low": round(margin, 4),  # 5% bound of learned - single, NDCG@10
    }
    if best in fitted:  # refit on every query: the held-out fifth only chose the model
        booster, shape = fitted[best]
        rounds = max(booster.best_iteration, 1)
        booster = _fit(found, list(range(len(found.labels))), shape, seed, rounds=rounds)
        options[best] = LearnedRanker(booster)
        importance = booster.feature_importance("gain")
        report["rounds"] = rounds
        report["importance"] = {
            f: round(float(g), 1)
            for f, g in sorted(zip(RANKER_FEATURES, importance, strict=True), key=lambda kv: -kv[1])
        }
    return options[best], report


def _ndcgs(ranker: Ranker, found: Examples, queries: list[int]) -> np.ndarray:
    return np.array([_ndcg(ranker.score(found.rows[n]), found.labels[n]) for n in queries])


def _lower_bound(differences: np.ndarray, seed: int, draws: int = 1000) -> float:
    """The 5th percentile of the mean difference over bootstrap resamples of the queries."""
    if not len(differences):
        return 0.0
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(differences), size=(draws, len(differences)))
    return float(np.quantile(differences[picks].mean(axis=1), 0.05))


def _ndcg(scores: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    order = np.argsort(-scores, kind="stable")[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = (2.0 ** labels[order] - 1) @ discounts[: len(order)]
    ideal = np.sort(2.0**labels - 1)[::-1][:k] @ discounts[: min(k, len(labels))]
    return float(gains / ideal) if ideal > 0 else 0.0


def _fit(
    found: Examples,
    queries: list[int],
    shape: dict[str, Any],
    seed: int,
    *,
    valid: list[int] | None = None,
    rounds: int = MAX_ROUNDS,
) -> Any:
    """LambdaMART on these queries (each with its later-used candidates and at most
    NEGATIVES others), early stopping on the `valid` queries when given."""
    import lightgbm

    rng = np.random.default_rng(seed)
    rows, labels, groups = [], [], []
    for n in queries:
        label = found.labels[n]
        negatives = np.flatnonzero(label == 0)
        if len(negatives) > NEGATIVES:
            dropped = rng.choice(negatives, len(negatives) - NEGATIVES, replace=False)
            keep = np.ones(len(label), dtype=bool)
            keep[dropped] = False
            rows.append(found.rows[n][keep])
            labels.append(label[keep])
        else:
            rows.append(found.rows[n])
            labels.append(label)
        groups.append(len(labels[-1]))
    names = list(RANKER_FEATURES)
    data = lightgbm.Dataset(
        np.vstack(rows), label=np.concatenate(labels), group=groups, feature_name=names
    )
    params = {**LGBM_PARAMS, **shape, "seed": seed}
    if valid is None:
        return lightgbm.train(params, data, num_boost_round=rounds)
    check = lightgbm.Dataset(
        np.vstack([found.rows[n] for n in valid]),
        label=np.concatenate([found.labels[n] for n in valid]),
        group=[len(found.labels[n]) for n in valid],
        reference=data,
    )
    return lightgbm.train(
        params,
        data,
        num_boost_round=rounds,
        valid_sets=[check],
        callbacks=[lightgbm.early_stopping(PATIENCE, verbose=False)],
    )


def _examples(
    queries: list[tuple[str, list[LogEntry]]],
    future: dict[str, list[LogEntry]],
    asked: dict[str, float],
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
            now=asked[user],
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
