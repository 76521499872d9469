"""A recommendations answer is ordered by its scores: MMR reorders items for variety, and
the score listed is the value it ordered them by, so no score is above the one before it."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from personify.retrieval.ranking import mmr
from personify.retrieval.recommender import listed_scores


def test_scores_never_rise_down_the_list(client: TestClient) -> None:
    client.put("/v1/users/lee", json={"traits": {"role": "Finance lead", "interests": ["budgets"]}})
    for user in ("dana", "marco", "sam", "lee"):
        for params in ({"n": 10}, {"n": 30}, {"n": 5, "category": "guide"}):
            answer = client.get(f"/v1/users/{user}/recommendations", params=params).json()
            scores = [item["score"] for item in answer["items"]]
            assert scores and scores == sorted(scores, reverse=True), (user, params, scores)


def test_the_listed_score_is_relevance_less_the_diversity_penalty() -> None:
    """Two near twins: MMR lists the second below a less relevant but different item, and
    its score says why (relevance minus its likeness to the twin above it)."""
    a, b, c = np.eye(3, dtype=np.float32)
    twin = (a + 0.05 * b) / np.linalg.norm(a + 0.05 * b)
    vectors = {"first": a, "twin": twin, "other": c}
    scores = {"first": 0.9, "twin": 0.88, "other": 0.72}
    ranked = mmr(scores, vectors, 3, lam=0.85)
    assert ranked == ["first", "other", "twin"]
    listed = listed_scores(ranked, scores, vectors, 0.85)
    assert listed["first"] == 0.9 and listed["other"] == 0.72
    assert listed["twin"] < 0.72 and round(listed["twin"], 3) == round(
        0.88 - 0.15 / 0.85 * float(twin @ a), 3
    )
