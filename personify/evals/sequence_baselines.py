"""Baselines that read order and time, and a closed-form one: recency-weighted item-kNN,
next-item transitions and EASE (Steck 2019). numpy and scipy only: users are scored in
batches with sparse products, never item by item in Python.

Every model ranks the user's unseen items by its score, then the items it has no evidence
for by popularity; a user with no training history gets popularity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.linalg import lapack
from scipy.sparse import csr_matrix

from personify.errors import PersonifyError
from personify.evals.baselines import Popularity
from personify.evals.dataset import Interaction
from personify.retrieval.factors import single_threaded_blas

SYSTEMS = ("recency_itemknn", "transitions", "ease")
BATCH = 256  # users scored at once: one dense users x items block
BLOCK = 1024  # items per block when the item-item similarities are computed
SECONDS_PER_DAY = 86_400.0
EASE_MAX_ITEMS = 5_000  # EASE inverts an items x items matrix: the most popular items only
TIE_BREAK = 1e-6  # popularity's weight among scored items: it only breaks ties
# Search grids: small and the same for every dataset ("days" only with real timestamps).
HALF_LIVES = {"position": [1.0, 2.0, 4.0, 8.0, float("inf")], "days": [1.0, 7.0, 30.0, 180.0]}
NEIGHBOURS = [50, 200, 1000]
WINDOWS = [1, 3, 10]  # an item follows another up to this many steps later (weight halves a step)
LAST = [1, 3, 10]  # the user's newest items that vote (weight halves a step back)
EASE_L2 = [10.0, 50.0, 200.0, 1000.0]


@dataclass(frozen=True, kw_only=True)
class RecencyParams:
    decay: Literal["position", "days"]
    half_life: float  # in positions from the newest, or in days before the newest
    neighbours: int  # similar items kept per item


@dataclass(frozen=True, kw_only=True)
class TransitionParams:
    window: int
    last: int


@dataclass(frozen=True, kw_only=True)
class EaseParams:
    l2: float  # lambda, the ridge on the item-item regression


Params = RecencyParams | TransitionParams | EaseParams


class History:
    """A training log as arrays, in time order, with the id maps."""

    def __init__(self, train: Sequence[Interaction], item_ids: Sequence[str]) -> None:
        self.users = {u: n for n, u in enumerate(dict.fromkeys(i.user_id for i in train))}
        self.items = list(item_ids)
        index = {item: n for n, item in enumerate(item_ids)}
        size = len(train)
        user = np.fromiter((self.users[i.user_id] for i in train), np.int64, size)
        item = np.fromiter((index[i.item_id] for i in train), np.int64, size)
        ts = np.fromiter((i.ts for i in train), np.float64, size)
        order = np.fromiter((i.order for i in train), np.int64, size)
        by_user = np.lexsort((order, ts, user))  # each user's interactions, oldest first
        self.user, self.item = user[by_user], item[by_user]
        counts = np.bincount(self.user, minlength=len(self.users))
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        self.positions = (counts[self.user] - 1 - (np.arange(size) - starts)).astype(np.float64)
        newest = np.full(len(self.users), -np.inf)
        np.maximum.at(newest, self.user, ts[by_user])
        self.days = (newest[self.user] - ts[by_user]) / SECONDS_PER_DAY
        self.seen = self.weighted(np.ones(size))
        self.seen.data[:] = 1.0
        touched = np.bincount(self.item, minlength=len(self.items)).astype(np.float64)
        self.popularity = touched / (touched.max(initial=0.0) + 1.0)  # in [0, 1)
        self._cosine: dict[int, csr_matrix] = {}

    def weighted(self, weights: np.ndarray) -> csr_matrix:
        """Users x items, each interaction's weight added in (zero weights dropped)."""
        keep = weights > 0
        matrix = csr_matrix(
            (weights[keep], (self.user[keep], self.item[keep])),
            shape=(len(self.users), len(self.items)),
        )
        matrix.sum_duplicates()
        return matrix

    def cosine(self, neighbours: int) -> csr_matrix:
        """Item-item cosine of co-occurrence: for each item j, its `neighbours` most similar
        items i, at [i, j]. Computed once per size, a block of items at a time."""
        if neighbours not in self._cosine:
            self._cosine[neighbours] = self._neighbours(neighbours)
        return self._cosine[neighbours]

    def _neighbours(self, neighbours: int) -> csr_matrix:
        n_items = len(self.items)
        keep = min(neighbours, n_items - 1)
        norms = np.sqrt(np.asarray(self.seen.sum(axis=0)).ravel())
        scaled = csr_matrix(self.seen.multiply(1.0 / np.maximum(norms, 1e-12)[None, :]))
        scaled = scaled.astype(np.float32)
        transposed = scaled.T.tocsr()
        rows, cols, values = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
        for start in range(0, n_items if keep > 0 else 0, BLOCK):
            block = (transposed[start : start + BLOCK] @ scaled).toarray()  # block x items
            height = block.shape[0]
            block[np.arange(height), start + np.arange(height)] = 0.0  # not its own neighbour
            top = np.argpartition(-block, keep - 1, axis=1)[:, :keep]
            best = np.take_along_axis(block, top, axis=1)
            mask = best > 0
            rows.append(top[mask])
            cols.append(np.broadcast_to(start + np.arange(height)[:, None], top.shape)[mask])
            values.append(best[mask])
        return csr_matrix(
            (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_items, n_items),
        )


class BatchModel:
    """Recommends in batches of users from `scores` (NaN: no evidence for that item)."""

    name = ""

    def __init__(self, history: History, fallback: Popularity) -> None:
        self.history = history
        self.fallback = fallback

    def scores(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def recommend_many(self, user_ids: Sequence[str], n: int) -> list[list[str]]:
        known = [u for u in user_ids if u in self.history.users]
        out: dict[str, list[str]] = {}
        for start in range(0, len(known), BATCH):
            batch = known[start : start + BATCH]
            rows = np.array([self.history.users[u] for u in batch], dtype=np.int64)
            for user, columns in zip(batch, self._top(rows, n), strict=True):
                out[user] = [self.history.items[c] for c in columns]
        return [out.get(u) or self.fallback.recommend(u, n) for u in user_ids]

    def _top(self, rows: np.ndarray, n: int) -> list[np.ndarray]:
        """Per row: the best scored unseen items, then unseen items without evidence by
        popularity."""
        scores = self.scores(rows)
        blank = np.isnan(scores)
        seen = self.history.seen[rows].toarray() > 0
        popularity = self.history.popularity[None, :]
        scored = np.where(blank | seen, -np.inf, scores + TIE_BREAK * popularity)
        filler = np.where(blank & ~seen, popularity, -np.inf)
        first, second = _top_n(scored, n), _top_n(filler, n)
        lists = []
        for r in range(len(rows)):
            head = first[r][np.isfinite(scored[r, first[r]])]
            tail = second[r][np.isfinite(filler[r, second[r]])]
            lists.append(np.concatenate([head, tail])[:n])
        return lists


class RecencyItemKnn(BatchModel):
    """Cosine item-kNN where the user's items vote with 0.5 ** (age / half-life), the age
    in positions from the user's newest interaction or in days before it."""

    name = "recency_itemknn"

    def __init__(self, history: History, fallback: Popularity, params: RecencyParams) -> None:
        super().__init__(history, fallback)
        age = history.positions if params.decay == "position" else history.days
        self.profile = history.weighted(0.5 ** (age / params.half_life))
        self.similarity = history.cosine(params.neighbours)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return _no_zeros((self.profile[rows] @ self.similarity).toarray())


class Transitions(BatchModel):
    """First-order next-item statistics: P(j follows i within `window` steps), scored from
    the user's `last` newest items."""

    name = "transitions"

    def __init__(self, history: History, fallback: Popularity, params: TransitionParams) -> None:
        super().__init__(history, fallback)
        user, item = history.user, history.item
        sources, targets, weights = [], [], []
        for step in range(1, params.window + 1):
            same = (user[:-step] == user[step:]) & (item[:-step] != item[step:])
            sources.append(item[:-step][same])
            targets.append(item[step:][same])
            weights.append(np.full(int(same.sum()), 0.5 ** (step - 1)))
        n_items = len(history.items)
        counts = csr_matrix(
            (np.concatenate(weights), (np.concatenate(sources), np.concatenate(targets))),
            shape=(n_items, n_items),
        )
        counts.sum_duplicates()
        totals = np.asarray(counts.sum(axis=1)).ravel()
        self.following = csr_matrix(counts.multiply(1.0 / np.maximum(totals, 1e-12)[:, None]))
        recent = np.where(history.positions < params.last, 0.5**history.positions, 0.0)
        self.profile = history.weighted(recent)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return _no_zeros((self.profile[rows] @ self.following).toarray())


class Ease(BatchModel):
    """EASE: B = I - P / diag(P), P = (X'X + l2 I)^-1, over the EASE_MAX_ITEMS items with
    the most training users; the other items have no evidence."""

    name = "ease"

    def __init__(self, history: History, fallback: Popularity, params: EaseParams) -> None:
        super().__init__(history, fallback)
        users_per_item = np.asarray(history.seen.sum(axis=0)).ravel()
        kept = np.flatnonzero(users_per_item)
        if len(kept) > EASE_MAX_ITEMS:
            kept = np.sort(kept[np.argsort(-users_per_item[kept], kind="stable")][:EASE_MAX_ITEMS])
        self.kept = kept
        self.matrix = csr_matrix(history.seen[:, kept], dtype=np.float32)
        gram = (self.matrix.T @ self.matrix).toarray()
        gram[np.diag_indices_from(gram)] += params.l2
        with single_threaded_blas():  # two BLAS threads on two busy cores run ~8x slower
            inverse = _spd_inverse(gram)
        self.weights = inverse / -np.diag(inverse)[None, :]
        self.weights[np.diag_indices_from(self.weights)] = 0.0

    def scores(self, rows: np.ndarray) -> np.ndarray:
        out = np.full((len(rows), len(self.history.items)), np.nan)
        out[:, self.kept] = self.matrix[rows] @ self.weights
        return out


def grid(system: str, real_time: bool) -> list[Params]:
    """The search grid of one system; decay by days only where timestamps are real."""
    if system == "recency_itemknn":
        decays: list[Literal["position", "days"]] = (
            ["position", "days"] if real_time else ["position"]
        )
        return [
            RecencyParams(decay=decay, half_life=h, neighbours=k)
            for decay in decays
            for h in HALF_LIVES[decay]
            for k in NEIGHBOURS
        ]
    if system == "transitions":
        return [TransitionParams(window=w, last=last) for w in WINDOWS for last in LAST]
    if system == "ease":
        return [EaseParams(l2=l2) for l2 in EASE_L2]
    raise ValueError(f"no sequence baseline called {system!r}")


def build(history: History, fallback: Popularity, params: Params) -> BatchModel:
    match params:
        case RecencyParams():
            return RecencyItemKnn(history, fallback, params)
        case TransitionParams():
            return Transitions(history, fallback, params)
        case EaseParams():
            return Ease(history, fallback, params)


def _no_zeros(scores: np.ndarray) -> np.ndarray:
    scores[scores == 0] = np.nan
    return scores


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix, through Cholesky (float32)."""
    factor, info = lapack.spotrf(matrix.astype(np.float32), lower=False)
    if info == 0:
        inverse, info = lapack.spotri(factor, lower=False)
    if info != 0:
        raise PersonifyError(
            f"EASE: X'X + l2 I did not invert in float32 (LAPACK info {info}); "
            "raise the smallest value of EASE_L2."
        )
    return np.triu(inverse) + np.triu(inverse, 1).T


def _top_n(keys: np.ndarray, n: int) -> np.ndarray:
    """Per row, the columns of the n largest keys, largest first."""
    n = min(n, keys.shape[1])
    part = np.argpartition(-keys, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(keys, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)
