"""Parameters chosen on a validation cut of the log: each candidate setting orders the
validation users' unseen items, and the one whose top ten hold most of what they went on
to use (NDCG@10) is kept. Users are scored in blocks with sparse products."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from personify.domain import LogEntry
from personify.retrieval import ease
from personify.retrieval.profiles import DAY
from personify.retrieval.sequences import (
    HALF_LIVES,
    LAST,
    NEIGHBOURS,
    WINDOWS,
    Decay,
    Log,
    SequenceModel,
    SequenceParams,
    cosine,
    knn_weights,
    top_per_row,
    transitions,
)


@dataclass(frozen=True, kw_only=True)
class Query:
    """One validation user: their past and what they went on to use."""

    past: Sequence[LogEntry]
    future: set[str]
    now: float


def choose(
    past: Iterable[Sequence[LogEntry]],
    queries: Sequence[Query],
    item_ids: Sequence[str],
    *,
    real_time: bool,
) -> tuple[SequenceParams, dict[str, float]]:
    """Fitted on `past`, the parameters under which the neighbour ordering and the
    transition ordering each rank the queries' futures best (NDCG@10); every point's score."""
    log = Log(past, item_ids)
    base = cosine(log)
    batch = Validation(SequenceModel(item_ids, base, base, SequenceParams(), real_time), queries)
    trials: dict[str, float] = {}
    knn: dict[SequenceParams, float] = {}
    for k in NEIGHBOURS:
        similar = top_per_row(base, k)
        decays: list[Decay] = ["position", "days"] if real_time else ["position"]
        for decay in decays:
            for h in HALF_LIVES[decay]:
                params = SequenceParams(decay=decay, half_life=h, neighbours=k)
                knn[params] = batch.ndcg(similar, batch.knn_weights(params))
                trials[f"neighbours {decay} half-life {h:g} k {k}"] = knn[params]
    follow: dict[tuple[int, int], float] = {}
    for window in WINDOWS:
        follows = transitions(log, window)
        for last in LAST:
            follow[window, last] = batch.ndcg(follows, batch.last_weights(last))
            trials[f"transitions window {window} last {last}"] = follow[window, last]
    best = max(knn, key=lambda p: knn[p])
    window, last = max(follow, key=lambda wl: follow[wl])
    return SequenceParams(
        decay=best.decay,
        half_life=best.half_life,
        neighbours=best.neighbours,
        window=window,
        last=last,
    ), trials


def choose_ease(
    past: Iterable[Sequence[LogEntry]], queries: Sequence[Query], item_ids: Sequence[str]
) -> tuple[float, dict[str, float]]:
    """Fitted on `past`, the EASE ridge λ whose ordering ranks the queries' futures best."""
    log = Log(past, item_ids)
    together, chosen = ease.gram(log)
    empty = csr_matrix((len(item_ids), len(item_ids)), dtype=np.float32)
    batch = Validation(SequenceModel(item_ids, empty, empty, SequenceParams(), False), queries)
    trials = {
        f"ease l2 {l2:g}": batch.ndcg(ease.weights(together, chosen, l2, log.size), batch.seen)
        for l2 in ease.L2
    }
    best = max(ease.L2, key=lambda l2: trials[f"ease l2 {l2:g}"])
    return best, trials


class Validation:
    """The validation users' items once; their weights for any parameters, and NDCG@10
    of the ordering a matrix gives them."""

    def __init__(self, model: SequenceModel, queries: Sequence[Query]) -> None:
        self.users = len(queries)
        self.size = len(model.item_ids)
        index = {item: n for n, item in enumerate(model.item_ids)}
        self.futures = [{index[i] for i in q.future if i in index} for q in queries]
        self.newest = [model.newest(q.past) for q in queries]
        self.recent = [model.last(q.past, max(LAST)) for q in queries]
        self.now = [q.now for q in queries]
        seen = [
            (u, r)
            for u, q in enumerate(queries)
            for r in {index.get(e.item_id or "", -1) for e in q.past}
            if r >= 0
        ]
        self.seen = _sparse(
            [u for u, _ in seen], [r for _, r in seen], [1.0] * len(seen), (self.users, self.size)
        )

    def knn_weights(self, params: SequenceParams) -> csr_matrix:
        users, rows, weights = [], [], []
        for user, newest in enumerate(self.newest):
            ages = np.array([(self.now[user] - ts) / DAY for _, ts in newest])
            users += [user] * len(newest)
            rows += [r for r, _ in newest]
            weights += list(knn_weights(params, np.arange(len(newest)), ages))
        return _sparse(users, rows, weights, (self.users, self.size))

    def last_weights(self, last: int) -> csr_matrix:
        users, rows, weights = [], [], []
        for user, recent in enumerate(self.recent):
            for step, row in enumerate(recent[:last]):
                users.append(user)
                rows.append(row)
                weights.append(0.5**step)
        return _sparse(users, rows, weights, (self.users, self.size))

    def ndcg(self, matrix: csr_matrix, weights: csr_matrix, block: int = 512) -> float:
        depth = min(10, self.size)
        discounts = 1.0 / np.log2(np.arange(2, depth + 2))
        total = 0.0
        for start in range(0, self.users, block):
            scores = np.asarray((weights[start : start + block] @ matrix).todense())
            scores[np.asarray(self.seen[start : start + block].todense()) > 0] = 0.0
            top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
            for offset, rows in enumerate(top):
                future = self.futures[start + offset]
                ranked = sorted(
                    (r for r in rows if scores[offset, r] > 0), key=lambda r: -scores[offset, r]
                )
                gains = np.array([float(r in future) for r in ranked])
                ideal = discounts[: min(depth, len(future))].sum()
                total += float(gains @ discounts[: len(gains)]) / ideal if ideal else 0.0
        return round(total / self.users, 4) if self.users else 0.0


def _sparse(
    users: Sequence[int], rows: Sequence[int], weights: Sequence[float], shape: tuple[int, int]
) -> csr_matrix:
    return csr_matrix(
        (
            np.asarray(weights, dtype=np.float64),
            (np.asarray(users, dtype=np.int64), np.asarray(rows, dtype=np.int64)),
        ),
        shape=shape,
    )
