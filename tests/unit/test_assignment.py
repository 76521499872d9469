"""Sticky assignment: deterministic, in proportion to the weights, independent by key."""

import numpy as np
from scipy.stats import chi2_contingency, chisquare

from personify.experiments.assignment import assign, bucket
from personify.experiments.definitions import Variant

USERS = [f"user-{n}" for n in range(20_000)]
AB = [Variant(name="control", weight=1), Variant(name="treatment", weight=1)]


def test_the_same_user_always_gets_the_same_variant() -> None:
    first = [assign("onboarding-copy", u, AB) for u in USERS[:500]]
    again = [assign("onboarding-copy", u, AB) for u in USERS[:500]]
    assert first == again
    assert {assign("onboarding-copy", "dana", AB) for _ in range(50)} == {
        assign("onboarding-copy", "dana", AB)
    }


def test_shares_follow_the_weights() -> None:
    variants = [Variant(name="a", weight=1), Variant(name="b", weight=3)]
    names = [assign("weights", u, variants) for u in USERS]
    counts = [names.count("a"), names.count("b")]
    expected = [len(USERS) / 4, 3 * len(USERS) / 4]
    assert chisquare(counts, expected).pvalue > 0.001
    assert abs(counts[0] / len(USERS) - 0.25) < 0.02


def test_buckets_are_uniform() -> None:
    points = np.array([bucket("uniform", u) for u in USERS])
    assert points.min() >= 0 and points.max() < 1
    histogram, _ = np.histogram(points, bins=20, range=(0, 1))
    assert chisquare(histogram).pvalue > 0.001


def test_experiments_assign_independently() -> None:
    one = [assign("first", u, AB) for u in USERS]
    two = [assign("second", u, AB) for u in USERS]
    table = [
        [
            sum(a == x and b == y for a, b in zip(one, two, strict=True))
            for y in ("control", "treatment")
        ]
        for x in ("control", "treatment")
    ]
    assert chi2_contingency(table).pvalue > 0.001
    assert one != two  # a different key shuffles users
