import numpy as np

from personify.retrieval.ranking import Pooled, blend, mmr


def test_blend_prefers_items_found_by_several_generators() -> None:
    both = Pooled("both")
    both.add("vector", 0.5, "similar")
    both.add("covisit", 1.0, "together")
    one = Pooled("one")
    one.add("vector", 0.6, "similar")
    far = Pooled("far")
    far.add("vector", 0.1, "similar")
    scores = blend({"both": both, "one": one, "far": far}, {}, {}, cold=False)
    assert scores["both"] > scores["one"]


def test_blend_uses_category_affinity_for_warm_users_only() -> None:
    a, b = Pooled("a"), Pooled("b")
    a.add("popular", 0.5, "popular")
    b.add("popular", 0.5, "popular")
    categories = {"a": "liked", "b": "other"}
    warm = blend({"a": a, "b": b}, {"liked": 1.0}, categories, cold=False)
    cold = blend({"a": a, "b": b}, {"liked": 1.0}, categories, cold=True)
    assert warm["a"] > warm["b"]
    assert cold["a"] == cold["b"]


def test_mmr_trades_score_for_diversity() -> None:
    x, y = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    scores = {"x1": 1.0, "x2": 0.99, "y1": 0.9}
    vectors = {"x1": x, "x2": x, "y1": y}
    assert mmr(scores, vectors, 2, lam=0.5) == ["x1", "y1"]
    assert mmr(scores, vectors, 2, lam=1.0) == ["x1", "x2"]
