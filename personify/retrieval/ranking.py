"""Blend generator scores into one, then pick a diverse list with MMR. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

# Weights of each generator's normalised score, warm users and cold-start users.
WARM = {"vector": 0.50, "covisit": 0.30, "popular": 0.10, "affinity": 0.10}
COLD = {"vector": 0.65, "covisit": 0.0, "popular": 0.35, "affinity": 0.0}
MMR_LAMBDA = 0.85
DISLIKE_PENALTY = 1.0  # subtracted per unit of similarity to a stated dislike above the floor
DISLIKE_FLOOR = 0.2


@dataclass
class Pooled:
    """One candidate as the generators saw it, before blending."""

    item_id: str
    scores: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def add(self, source: str, score: float, reason: str) -> None:
        if score > self.scores.get(source, -1.0):
            self.scores[source] = score
        if reason not in self.reasons:
            self.reasons.append(reason)


def blend(
    pool: Mapping[str, Pooled],
    affinity: Mapping[str, float],
    categories: Mapping[str, str],
    cold: bool,
) -> dict[str, float]:
    weights = COLD if cold else WARM
    # Cosine similarities bunch together (0.2-0.5): spread them over [0, 1] within the pool.
    sims = [p.scores["vector"] for p in pool.values() if "vector" in p.scores]
    low, high = (min(sims), max(sims)) if sims else (0.0, 1.0)
    spread = (high - low) or 1.0
    top_affinity = max(affinity.values(), default=0.0) or 1.0
    blended = {}
    for item_id, pooled in pool.items():
        aff = affinity.get(categories.get(item_id, ""), 0.0) / top_affinity
        scores = dict(pooled.scores)
        if "vector" in scores:
            scores["vector"] = (scores["vector"] - low) / spread
        score = sum(weights[s] * max(v, 0.0) for s, v in scores.items() if s in weights)
        blended[item_id] = score + weights["affinity"] * aff
    return blended


def mmr(
    scores: Mapping[str, float], vectors: Mapping[str, np.ndarray], n: int, lam: float = MMR_LAMBDA
) -> list[str]:
    """Maximal marginal relevance: trade a little score for items unlike those already picked."""
    ids = sorted(scores, key=lambda i: -scores[i])[: max(n * 5, 50)]
    if not ids:
        return []
    relevance = np.array([scores[i] for i in ids], dtype=np.float32)
    dimension = next((len(v) for v in vectors.values()), 1)
    matrix = np.stack([vectors.get(i, np.zeros(dimension, dtype=np.float32)) for i in ids])
    redundancy = np.zeros(len(ids), dtype=np.float32)  # max similarity to anything chosen
    available = np.ones(len(ids), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < min(n, len(ids)):
        value = np.where(available, lam * relevance - (1 - lam) * redundancy, -np.inf)
        best = int(np.argmax(value))
        chosen.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, matrix @ matrix[best])
    return [ids[i] for i in chosen]


def avoid(
    scores: dict[str, float], vectors: Mapping[str, np.ndarray], dislikes: np.ndarray
) -> None:
    """Lower the score of items close to what the user said they do not want."""
    unit = dislikes / (float(np.linalg.norm(dislikes)) or 1.0)
    for item_id in scores:
        vector = vectors.get(item_id)
        if vector is not None:
            closeness = float(vector @ unit) - DISLIKE_FLOOR
            if closeness > 0:
                scores[item_id] -= DISLIKE_PENALTY * closeness
