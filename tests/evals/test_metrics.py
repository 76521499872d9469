import math

import numpy as np
import pytest

from personify.evals import metrics


def test_rank_metrics_of_one_list() -> None:
    got = metrics.per_user(["a", "x", "b", "y"], {"a", "b", "c"}, k=3)
    assert got["recall@3"] == pytest.approx(2 / 3)
    assert got["mrr@3"] == 1.0
    assert got["hit@3"] == 1.0
    dcg = 1 + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert got["ndcg@3"] == pytest.approx(dcg / ideal)


def test_a_list_without_hits_scores_zero() -> None:
    got = metrics.per_user(["x", "y"], {"a"}, k=2)
    assert got == {"recall@2": 0.0, "ndcg@2": 0.0, "mrr@2": 0.0, "hit@2": 0.0}


def test_bootstrap_interval_brackets_the_mean_and_is_deterministic() -> None:
    values = np.random.default_rng(3).random(500)
    low, high = metrics.bootstrap(values, seed=7)
    assert low < values.mean() < high
    assert (low, high) == metrics.bootstrap(values, seed=7)
    assert high - low < 0.1


def test_coverage_diversity_and_novelty() -> None:
    lists = [["a", "b"], ["a", "c"]]
    assert metrics.coverage(lists, 2, catalog_size=10) == pytest.approx(0.3)
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "c": np.array([1.0, 0.0])}
    assert metrics.intra_list_diversity(lists, 2, vectors) == pytest.approx(0.5)
    # an item every training user had is less novel than one nobody had
    assert metrics.novelty([["a"]], 1, {"a": 9}, users=9) < metrics.novelty([["z"]], 1, {}, users=9)
