"""EASE (Steck 2019): item-to-item weights from a closed-form ridge regression of each item
on all the others, over which items users had together.

    P = (XᵀX + λI)⁻¹,   B = I - P / diag(P)   (B's diagonal is zero)

A user's score for an item is the sum of B's rows of the items they used. The inverse is
over the MAX_ITEMS items most users touched (other items get no score here; the other
generators still reach them), and each row keeps its KEEP largest weights, so the saved
model is small and a user is scored with one sparse product. `personify train` chooses λ
on a validation cut of the log (retrieval/search.py). Item-to-item weights only: no
user's row is kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy.linalg import lapack
from scipy.sparse import csr_matrix

from personify.domain import LogEntry
from personify.retrieval.factors import single_threaded_blas
from personify.retrieval.sequences import (
    Log,
    csr_of,
    load_matrices,
    save_matrices,
    top,
    top_per_row,
)

MAX_ITEMS = 5000  # the inverse is items x items: the most used items only
KEEP = 200  # weights kept per item
L2 = [10.0, 50.0, 200.0, 1000.0]  # λ grid, the same for every log


def gram(log: Log) -> tuple[csr_matrix, np.ndarray]:
    """XᵀX over the MAX_ITEMS most used items, and those items' rows in the full index."""
    seen = log.seen()
    counts = np.asarray(seen.sum(axis=0)).ravel()
    used = np.flatnonzero(counts > 0)
    chosen = used[np.argsort(-counts[used], kind="stable")[:MAX_ITEMS]]
    part = seen[:, chosen]
    return (part.T @ part).tocsr(), chosen


def weights(together: csr_matrix, chosen: np.ndarray, l2: float, size: int) -> csr_matrix:
    """B for one λ, in the full item index (rows and columns of unchosen items empty)."""
    dense = together.toarray().astype(np.float64)
    dense[np.diag_indices_from(dense)] += l2
    with single_threaded_blas():  # one thread: two on two busy cores were 8x slower
        factor, info = lapack.dpotrf(dense, lower=False)
        if info == 0:
            inverse, info = lapack.dpotri(factor, lower=False)
    if info != 0:
        raise ValueError(f"EASE: the Gram matrix plus {l2} I is not positive definite")
    inverse = np.triu(inverse) + np.triu(inverse, 1).T
    b = inverse / -np.diag(inverse)
    np.fill_diagonal(b, 0.0)
    kept = top_per_row(csr_matrix(b.astype(np.float32)), KEEP)
    kept.data[kept.data < 0] = 0.0  # what argues against an item says nothing to show
    kept.eliminate_zeros()
    coo = kept.tocoo()
    return csr_matrix(
        (coo.data, (chosen[coo.row], chosen[coo.col])), shape=(size, size), dtype=np.float32
    )


class EaseModel:
    def __init__(self, item_ids: Sequence[str], b: csr_matrix, l2: float) -> None:
        self.item_ids = list(item_ids)
        self._index = {item: n for n, item in enumerate(self.item_ids)}
        self.b = b
        self.l2 = l2

    @classmethod
    def fit(
        cls, histories: Iterable[Sequence[LogEntry]], item_ids: Sequence[str], l2: float
    ) -> EaseModel:
        log = Log(histories, item_ids)
        together, chosen = gram(log)
        return cls(item_ids, weights(together, chosen, l2, log.size), l2)

    def scores(self, seeds: Sequence[str]) -> np.ndarray:
        """Every item's score for a user who used `seeds`, in `item_ids` order."""
        rows = sorted({self._index[i] for i in seeds if i in self._index})
        if not rows:
            return np.zeros(len(self.item_ids), dtype=np.float64)
        return np.asarray(self.b[rows].sum(axis=0), dtype=np.float64).ravel()

    def top(self, scores: np.ndarray, n: int, exclude: set[str]) -> list[tuple[str, float]]:
        return top(self.item_ids, scores, n, exclude)

    def index_of(self, ids: Sequence[str]) -> np.ndarray:
        """Rows of these items (-1 for an item the model does not know)."""
        return np.fromiter((self._index.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))

    def strongest(self, seeds: Sequence[str], item_id: str) -> str | None:
        """Of the user's items, the one whose weight for `item_id` is largest."""
        column = self._index.get(item_id)
        rows = sorted({self._index[i] for i in seeds if i in self._index})
        if column is None or not rows:
            return None
        votes = np.asarray(self.b[rows, column].todense()).ravel()
        return self.item_ids[rows[int(np.argmax(votes))]] if votes.max() > 0 else None

    def save(self, path: Path) -> None:
        save_matrices(path, self.item_ids, {"b": self.b}, l2=self.l2)

    @classmethod
    def load(cls, path: Path) -> EaseModel:
        items, arrays = load_matrices(path)
        return cls(items, csr_of(arrays, "b", len(items)), float(arrays["l2"]))
