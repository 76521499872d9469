"""Reasons from the re-ranker: the signal that raised an item most is named first, with the
real item it came from. A real LightGBM model, trained where one signal decides."""

import lightgbm
import numpy as np

from personify.retrieval import explain
from personify.retrieval.candidates import RANKER_FEATURES
from personify.retrieval.trained import FeatureRanker, LearnedRanker

COLUMN = {f: n for n, f in enumerate(RANKER_FEATURES)}


def booster_led_by(feature: str) -> LearnedRanker:
    """A LambdaMART model on random rows where only `feature` says what was used next."""
    rng = np.random.default_rng(0)
    rows = rng.random((2000, len(RANKER_FEATURES))).astype(np.float32)
    labels = (rows[:, COLUMN[feature]] > 0.8).astype(int)
    data = lightgbm.Dataset(rows, label=labels, group=[50] * 40)
    params = {"objective": "lambdarank", "verbose": -1, "num_threads": 1, "seed": 0}
    return LearnedRanker(lightgbm.train(params, data, num_boost_round=30))


def said(category: str = "Kitchen") -> explain.Said:
    voters = {"transitions": ("Espresso Cups", "purchase"), "neighbours": ("Tea Towels", "view")}
    return explain.Said(
        category=category,
        vector_reason="Matches what you asked about",
        via="",
        recent="Espresso Cups",
        voter=voters.get,
        top_categories=frozenset({"Kitchen"}),
    )


def test_the_signal_that_decided_is_named_first_with_the_item_it_came_from() -> None:
    ranker = booster_led_by("transition_score")
    row = np.full((1, len(RANKER_FEATURES)), 0.5, dtype=np.float32)
    row[0, COLUMN["transition_score"]] = 0.95
    contributions = ranker.contributions(row)[0]
    assert explain.signals(contributions)[0] == "transitions"
    got = explain.reasons(contributions, said(), ["Popular with other users"])
    assert got[0] == "Often bought after Espresso Cups"
    assert got[-1] == "Popular with other users"  # the generators' reasons follow


def test_a_signal_that_held_the_item_back_says_nothing() -> None:
    ranker = booster_led_by("log_popularity")
    row = np.full((1, len(RANKER_FEATURES)), 0.5, dtype=np.float32)
    row[0, COLUMN["log_popularity"]] = 0.1  # unpopular: popularity pulled it down
    assert "popular" not in explain.signals(ranker.contributions(row)[0])
    row[0, COLUMN["log_popularity"]] = 0.95
    contributions = ranker.contributions(row)[0]
    assert explain.reasons(contributions, said(), [])[0] == "Popular in Kitchen"


def test_words_for_each_signal_name_real_things_or_nothing() -> None:
    assert explain.reason("neighbours", said()) == "Because you viewed Tea Towels"
    assert explain.reason("area", said()) == "In Kitchen, one of your most used areas"
    assert explain.reason("area", said("Garden")) == "In Garden, like what you used lately"
    assert explain.reason("together", said()) is None  # no co-visited seed to name
    nobody = explain.Said(
        category="",
        vector_reason="Fits your stated interests",
        via="",
        recent="",
        voter=lambda signal: None,
        top_categories=frozenset(),
    )
    assert explain.reason("transitions", nobody) is None
    assert explain.reason("popular", nobody) == "Popular with other users"


def test_a_single_feature_ranker_explains_by_its_feature() -> None:
    rows = np.zeros((2, len(RANKER_FEATURES)), dtype=np.float32)
    rows[1, COLUMN["covisit_score"]] = np.nan
    contributions = FeatureRanker("covisit_score").contributions(rows)
    assert explain.signals(contributions[0]) == ["together"]
    assert explain.signals(contributions[1]) == []
