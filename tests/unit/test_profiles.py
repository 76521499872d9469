from datetime import timedelta

import numpy as np

from personify.domain import Activity, LogEntry, utcnow
from personify.retrieval.profiles import ProfileState, event_weight, features, fold, vector

NOW = utcnow()
VECTORS = dict(zip(["old", "new", "hated"], np.eye(3, dtype=np.float32), strict=True))
CATEGORIES = {"old": "sales", "new": "data", "hated": "data"}


def event(n: int, kind: str, item: str, days_ago: float, value: float | None = None) -> LogEntry:
    moment = NOW - timedelta(days=days_ago)
    return LogEntry(seq=n, user_id="u", type=kind, item_id=item, ts=moment.timestamp(), value=value)


HISTORY = [event(1, "use", "old", 60), event(2, "click", "new", 3), event(3, "dislike", "hated", 1)]


def test_the_vector_leans_to_recent_items_and_ignores_dislikes() -> None:
    state = fold(ProfileState(), HISTORY, VECTORS, CATEGORIES)
    profile = vector(state)
    assert profile is not None
    assert profile[1] > profile[0] > 0
    assert profile[2] == 0
    assert abs(float(np.linalg.norm(profile)) - 1.0) < 1e-5


def test_folding_in_batches_equals_folding_at_once_in_any_order() -> None:
    at_once = fold(ProfileState(), HISTORY, VECTORS, CATEGORIES)
    late_first = fold(ProfileState(), [HISTORY[2]], VECTORS, CATEGORIES)
    in_steps = fold(late_first, HISTORY[:2], VECTORS, CATEGORIES)  # an old event arrives late
    assert np.allclose(vector(at_once), vector(in_steps))
    assert at_once.affinity.keys() == in_steps.affinity.keys()
    for category, value in at_once.affinity.items():
        assert abs(value - in_steps.affinity[category]) < 1e-9


def test_features_from_activity_and_affinity() -> None:
    state = fold(ProfileState(), HISTORY[:2], VECTORS, CATEGORIES)
    activity = Activity(
        total=9, last_7d=2, last_30d=3, engaged=6, last_ts=(NOW - timedelta(days=1)).timestamp()
    )
    got = features(state, activity, NOW)
    assert (got.events_total, got.events_7d, got.events_30d) == (9, 2, 3)
    assert got.engagement_ratio == round(6 / 9, 4)
    assert got.top_categories == ["data", "sales"]  # recent beats old and stronger
    assert abs(sum(got.category_affinity.values()) - 1.0) < 1e-3
    assert 0.99 < (got.recency_days or 0) < 1.01
    assert features(state, None, NOW).events_total == 0


def test_stated_interests_alone_give_a_vector_and_blend_with_behaviour() -> None:
    interests = np.array([0.0, 0.0, 2.0], dtype=np.float32)
    assert np.allclose(vector(ProfileState(interests=interests)), [0, 0, 1])
    assert vector(ProfileState()) is None
    both = vector(fold(ProfileState(interests=interests), HISTORY[:2], VECTORS, CATEGORIES))
    assert both is not None and both[2] > 0 and both[1] > 0


def test_ratings_weigh_by_their_value() -> None:
    assert event_weight(event(1, "rating", "a", 0, value=5)) > 0
    assert event_weight(event(2, "rating", "a", 0, value=1)) < 0
