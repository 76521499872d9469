from datetime import timedelta

import numpy as np

from personify.domain import Event, utcnow
from personify.retrieval.profiles import compute_features, profile_vector

NOW = utcnow()


def event(n: int, kind: str, item: str, days_ago: float) -> Event:
    return Event(
        event_id=f"e{n}",
        user_id="u",
        type=kind,
        item_id=item,
        timestamp=NOW - timedelta(days=days_ago),
    )


def test_features_count_windows_engagement_and_affinity() -> None:
    history = [
        event(1, "view", "a", 40),
        event(2, "click", "a", 20),
        event(3, "use", "b", 5),
        event(4, "view", "b", 1),
    ]
    features = compute_features(history, {"a": "sales", "b": "data"}, NOW)
    assert features.events_total == 4
    assert features.events_30d == 3
    assert features.events_7d == 2
    assert features.engagement_ratio == 0.5
    assert features.top_categories[0] == "data"  # recent and stronger
    assert abs(sum(features.category_affinity.values()) - 1.0) < 1e-3
    assert 0.9 < (features.recency_days or 0) < 1.1


def test_no_events_means_empty_features() -> None:
    features = compute_features([], {}, NOW)
    assert features.events_total == 0
    assert features.top_categories == []


def test_profile_vector_leans_to_recent_items_and_ignores_dislikes() -> None:
    old, new, hated = np.eye(3, dtype=np.float32)
    vectors = {"old": old, "new": new, "hated": hated}
    history = [
        event(1, "use", "old", 60),
        event(2, "use", "new", 1),
        event(3, "dislike", "hated", 0),
    ]
    vector = profile_vector(history, vectors, None, NOW)
    assert vector is not None
    assert vector[1] > vector[0] > 0
    assert vector[2] == 0
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_stated_interests_alone_give_a_vector() -> None:
    interests = np.array([0.0, 0.0, 2.0], dtype=np.float32)
    vector = profile_vector([], {}, interests, NOW)
    assert vector is not None and np.allclose(vector, [0, 0, 1])
    assert profile_vector([], {}, None, NOW) is None
