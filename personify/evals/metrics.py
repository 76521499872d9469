"""Ranking metrics over top-K lists, with bootstrap intervals. Pure numpy.

Relevance is binary (a held-out positive). Recall@K divides the hits by all of the user's
held-out positives; NDCG@K uses the ideal ranking of min(K, positives) hits; MRR@K is the
reciprocal rank of the first hit within K (0 without one)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

BOOTSTRAP_SAMPLES = 1000


def per_user(ranked: Sequence[str], relevant: set[str], k: int) -> dict[str, float]:
    top = list(ranked[:k])
    gains = [1.0 if item in relevant else 0.0 for item in top]
    hits = sum(gains)
    dcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    first = next((rank for rank, g in enumerate(gains) if g), None)
    return {
        f"recall@{k}": hits / len(relevant) if relevant else 0.0,
        f"ndcg@{k}": dcg / ideal if ideal else 0.0,
        f"mrr@{k}": 1.0 / (first + 1) if first is not None else 0.0,
        f"hit@{k}": 1.0 if hits else 0.0,
    }


def bootstrap(values: np.ndarray, seed: int) -> tuple[float, float]:
    """95% interval of the mean, resampling users with replacement."""
    if len(values) == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(values), size=(BOOTSTRAP_SAMPLES, len(values)))
    means = values[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return (float(low), float(high))


def coverage(lists: Sequence[Sequence[str]], k: int, catalog_size: int) -> float:
    shown = {item for ranked in lists for item in ranked[:k]}
    return len(shown) / catalog_size if catalog_size else 0.0


def intra_list_diversity(
    lists: Sequence[Sequence[str]], k: int, vectors: Mapping[str, np.ndarray]
) -> float:
    """Mean pairwise cosine distance between the items of a list, averaged over lists."""
    scores = []
    for ranked in lists:
        rows = [vectors[i] for i in ranked[:k] if i in vectors]
        if len(rows) < 2:
            continue
        matrix = np.stack(rows)
        matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
        sims = matrix @ matrix.T
        n = len(rows)
        mean_sim = (sims.sum() - np.trace(sims)) / (n * (n - 1))
        scores.append(1.0 - float(mean_sim))
    return float(np.mean(scores)) if scores else 0.0


def novelty(
    lists: Sequence[Sequence[str]], k: int, popularity: Mapping[str, int], users: int
) -> float:
    """Mean self-information -log2(p(i)) of recommended items, p(i) being the share of
    training users who interacted with i (add-one smoothed)."""
    values = [
        -math.log2((popularity.get(item, 0) + 1) / (users + 1))
        for ranked in lists
        for item in ranked[:k]
    ]
    return float(np.mean(values)) if values else 0.0
