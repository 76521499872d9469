"""The sequence baselines on small hand-built logs: what each one recommends, and why."""

from __future__ import annotations

import numpy as np
import pytest

from personify.evals import metrics
from personify.evals.baselines import Popularity, grid_search
from personify.evals.dataset import Interaction
from personify.evals.sequence_baselines import (
    SYSTEMS,
    EaseParams,
    History,
    Params,
    RecencyParams,
    TransitionParams,
    build,
    grid,
)

ITEMS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "z"]
DAY = 86_400.0


def log(histories: dict[str, list[str]], *, gap: float = 60.0) -> list[Interaction]:
    """Each user's items in order, `gap` seconds apart; all users interleaved in time."""
    rows = [
        (step * gap, user, item)
        for user, items in histories.items()
        for step, item in enumerate(items)
    ]
    rows.sort(key=lambda r: r[0])
    return [
        Interaction(user_id=u, item_id=i, type="view", ts=1_700_000_000.0 + t, value=None, order=n)
        for n, (t, u, i) in enumerate(rows)
    ]


def mean_ndcg10(lists: list[list[str]], relevant: list[set[str]]) -> float:
    return float(
        np.mean(
            [
                metrics.per_user(r, rel, 10)["ndcg@10"]
                for r, rel in zip(lists, relevant, strict=True)
            ]
        )
    )


def two_groups() -> dict[str, list[str]]:
    """Users who keep to the a items or to the b items, and one who read z alone, twice over."""
    crowd = {f"a{n}": ["a1", "a2", "a3", "a4"] for n in range(6)}
    crowd |= {f"b{n}": ["b1", "b2", "b3", "b4"] for n in range(6)}
    return crowd | {"z0": ["z"], "z1": ["z"]}


def recommend(train: list[Interaction], params: Params, user: str, n: int = 5) -> list[str]:
    model = build(History(train, ITEMS), Popularity(train), params)
    return model.recommend_many([user], n)[0]


def test_transitions_recommend_what_follows_the_last_item() -> None:
    crowd = {f"u{n}": ["a1", "b3", "z"] for n in range(5)} | {
        f"v{n}": ["a2", "b1", "z"] for n in range(5)
    }
    train = log(crowd | {"me": ["a2", "a1"], "you": ["a1", "a2"]})
    params = TransitionParams(window=1, last=1)
    assert recommend(train, params, "me")[0] == "b3"
    assert recommend(train, params, "you")[0] == "b1"


def test_transitions_fill_with_popularity_where_nothing_follows() -> None:
    train = log({"u0": ["a1", "b3"], "u1": ["z"], "u2": ["z", "a4"], "me": ["a1"]})
    assert recommend(train, TransitionParams(window=1, last=1), "me", 3) == ["b3", "z", "a4"]


def test_recency_itemknn_prefers_neighbours_of_the_newest_item() -> None:
    recent_b = log(two_groups() | {"me": ["a1", "a2", "b1"]})
    recent_a = log(two_groups() | {"me": ["b1", "b2", "a1"]})
    decayed = RecencyParams(decay="position", half_life=1.0, neighbours=50)
    flat = RecencyParams(decay="position", half_life=float("inf"), neighbours=50)
    assert recommend(recent_b, decayed, "me", 2)[0] in {"b2", "b3", "b4"}
    assert recommend(recent_a, decayed, "me", 2)[0] in {"a2", "a3", "a4"}
    # Without decay the two a items outvote the newest b.
    assert recommend(recent_b, flat, "me", 2)[0] in {"a3", "a4"}


def test_recency_itemknn_can_decay_by_days() -> None:
    crowd = log(two_groups())
    start = crowd[-1].ts + DAY
    # a1 a week ago, then b1 and a2 in the same basket today: positions rank a2 newest,
    # days see b1 and a2 as equally recent and a1 as old.
    mine = [("a1", start), ("b1", start + 7 * DAY), ("a2", start + 7 * DAY)]
    train = crowd + [
        Interaction(user_id="me", item_id=i, type="buy", ts=t, value=None, order=len(crowd) + n)
        for n, (i, t) in enumerate(mine)
    ]
    by_position = RecencyParams(decay="position", half_life=1.0, neighbours=50)
    by_days = RecencyParams(decay="days", half_life=1.0, neighbours=50)
    assert recommend(train, by_position, "me", 1)[0] in {"a3", "a4"}
    assert {"b2", "b3", "b4"} & set(recommend(train, by_days, "me", 3))


def test_ease_gives_the_item_that_co_occurs() -> None:
    train = log(two_groups() | {"me": ["b2"]})
    assert set(recommend(train, EaseParams(l2=1.0), "me", 3)) == {"b1", "b3", "b4"}


@pytest.mark.parametrize("params", [grid(s, real_time=True)[0] for s in SYSTEMS])
def test_seen_items_are_never_returned_and_lists_are_full(params: Params) -> None:
    train = log(two_groups() | {"me": ["a1", "b1", "z"]})
    ranked = recommend(train, params, "me", 6)
    assert len(ranked) == len(set(ranked)) == 6
    assert not {"a1", "b1", "z"} & set(ranked)


@pytest.mark.parametrize("params", [grid(s, real_time=False)[-1] for s in SYSTEMS])
def test_a_user_without_history_gets_popularity(params: Params) -> None:
    train = log(two_groups() | {"z2": ["z"]})
    popular = Popularity(train)
    model = build(History(train, ITEMS), popular, params)
    assert model.recommend_many(["stranger"], 4) == [popular.recommend("stranger", 4)]


def test_days_are_searched_only_with_real_timestamps() -> None:
    assert {p.decay for p in grid("recency_itemknn", real_time=True)} == {"position", "days"}
    assert {p.decay for p in grid("recency_itemknn", real_time=False)} == {"position"}


def test_search_picks_the_grid_point_that_predicts_validation() -> None:
    crowd = two_groups()
    tuning = {f"me{n}": ["a1", "a2", "b1"] for n in range(4)}
    train = log(crowd | tuning)
    history, popular = History(train, ITEMS), Popularity(train)
    validation = {user: {"b2", "b3", "b4"} for user in tuning}
    points = [
        RecencyParams(decay="position", half_life=float("inf"), neighbours=50),
        RecencyParams(decay="position", half_life=1.0, neighbours=50),
    ]
    search = grid_search(points, lambda p: build(history, popular, p), validation, mean_ndcg10)
    assert search.best == points[1]
    assert [t.params for t in search.trials] == points
    assert search.trials[1].ndcg10 > search.trials[0].ndcg10
    assert search.to_json()["best"] == {"decay": "position", "half_life": 1.0, "neighbours": 50}
