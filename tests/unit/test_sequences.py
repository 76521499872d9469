"""The sequence model: recency-weighted neighbours, next-item transitions, the parameter
search and the files. Small logs built so that each signal has one right answer."""

from pathlib import Path

import numpy as np

from personify.domain import LogEntry
from personify.retrieval.search import Query, choose
from personify.retrieval.sequences import LAST, NEIGHBOURS, WINDOWS, SequenceModel, SequenceParams

DAY = 86_400.0


def history(user: str, items: list[str], start: float = 0.0, step: float = 60.0) -> list[LogEntry]:
    return [
        LogEntry(seq=n, user_id=user, type="use", item_id=item, ts=start + n * step)
        for n, item in enumerate(items)
    ]


def ranked(model: SequenceModel, scores: np.ndarray, seen: list[str]) -> list[str]:
    return [i for i, _ in model.top(scores, 5, set(seen))]


ITEMS = ["a", "b", "c", "p", "x", "q", "y", "z"]


def test_what_follows_the_newest_item_comes_first() -> None:
    log = [history(f"u{n}", ["a", "b"]) for n in range(5)]
    log += [history(f"v{n}", ["a", "c"]) for n in range(2)]
    model = SequenceModel.fit(log, ITEMS, SequenceParams(window=1, last=1))
    _, follows = model.scores(history("me", ["z", "a"]), now=1e6)
    assert ranked(model, follows, ["z", "a"])[:2] == ["b", "c"]
    assert follows[ITEMS.index("b")] > follows[ITEMS.index("c")] > 0


def test_neighbours_of_the_newer_item_outrank_those_of_an_older_one() -> None:
    # p goes with x, q goes with y, equally often; the user used p long ago, q just now
    log = [history(f"u{n}", ["p", "x"]) for n in range(4)]
    log += [history(f"v{n}", ["q", "y"]) for n in range(4)]
    model = SequenceModel.fit(log, ITEMS, SequenceParams(half_life=1.0))
    neighbours, _ = model.scores(history("me", ["p", "z", "z", "q"]), now=1e6)
    assert ranked(model, neighbours, ["p", "z", "q"])[:2] == ["y", "x"]
    # by days: the same, read from the timestamps
    by_days = SequenceModel.fit(log, ITEMS, SequenceParams(decay="days", half_life=1.0))
    me = history("me", ["p", "q"], step=5 * DAY)
    neighbours, _ = by_days.scores(me, now=me[-1].ts + 60)
    assert ranked(by_days, neighbours, ["p", "q"])[:2] == ["y", "x"]


def test_seen_items_and_items_with_no_evidence_are_never_offered() -> None:
    log = [history(f"u{n}", ["a", "b"]) for n in range(3)]
    model = SequenceModel.fit(log, ITEMS, SequenceParams())
    neighbours, follows = model.scores(history("me", ["a"]), now=1e6)
    assert ranked(model, neighbours, ["a"]) == ["b"]
    assert ranked(model, follows, ["a"]) == ["b"]
    # a user none of whose items the model knows gets nothing from it
    empty, _ = model.scores(history("new", ["unknown"]), now=1e6)
    assert not empty.any()


def test_the_model_reads_back_what_it_wrote(tmp_path: Path) -> None:
    log = [history(f"u{n}", ["a", "b", "c", "p"][n % 3 :]) for n in range(9)]
    params = SequenceParams(decay="days", half_life=7.0, neighbours=2, window=3, last=2)
    model = SequenceModel.fit(log, ITEMS, params)
    model.save(tmp_path / "sequences.npz")
    again = SequenceModel.load(tmp_path / "sequences.npz")
    assert again.params == params and again.item_ids == ITEMS
    me = history("me", ["a", "b"])
    for before, after in zip(model.scores(me, 1e6), again.scores(me, 1e6), strict=True):
        assert np.allclose(before, after)
    assert all(len(row) <= 2 for row in np.split(again.similar.indices, again.similar.indptr[1:-1]))


def test_the_search_picks_the_window_that_predicts_the_future() -> None:
    # what comes next is always three steps on: only a window of 3 or more sees it
    chain = ["a", "b", "c", "p", "x", "q", "y", "z"]
    past = [history(f"u{n}", chain[n % 3 : n % 3 + 4]) for n in range(30)]
    queries = [
        Query(past=history(f"w{n}", ["a", "z", "z"]), future={"p"}, now=1e6) for n in range(5)
    ]
    params, trials = choose(past, queries, ITEMS, real_time=False)
    assert params.window >= 3
    assert len(trials) == len(NEIGHBOURS) * 4 + len(WINDOWS) * len(LAST)
    assert all(0.0 <= v <= 1.0 for v in trials.values())
