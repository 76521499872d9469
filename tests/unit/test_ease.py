"""EASE: items used together score each other; the saved model reads back the same."""

from pathlib import Path

import numpy as np

from personify.domain import LogEntry
from personify.retrieval.ease import EaseModel

ITEMS = ["a", "b", "c", "d", "e"]


def history(user: str, items: list[str]) -> list[LogEntry]:
    return [
        LogEntry(seq=n, user_id=user, type="use", item_id=i, ts=float(n))
        for n, i in enumerate(items)
    ]


def test_what_goes_with_the_users_items_scores_highest_and_survives_a_reload(
    tmp_path: Path,
) -> None:
    log = [history(f"u{n}", ["a", "b"]) for n in range(6)]
    log += [history(f"v{n}", ["c", "d"]) for n in range(6)]
    log += [history("w", ["e"])]
    model = EaseModel.fit(log, ITEMS, l2=1.0)
    scores = model.scores(["a"])
    assert [i for i, _ in model.top(scores, 2, {"a"})] == ["b"]  # nothing argues for c or d
    assert model.strongest(["a", "c"], "b") == "a"
    assert not model.scores(["unknown"]).any()
    model.save(tmp_path / "ease.npz")
    again = EaseModel.load(tmp_path / "ease.npz")
    assert again.l2 == 1.0 and again.item_ids == ITEMS
    assert np.allclose(again.scores(["a", "c"]), model.scores(["a", "c"]))
