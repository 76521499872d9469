"""Collaborative filtering factors: ALS from the `implicit` library, fitted on the event log.

Item factors are learned by `personify train`; a user's factors are solved on the fly from
their current history, so new events count at once without refitting."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from personify.domain import LogEntry
from personify.retrieval.profiles import event_weight

FACTORS = 64
REGULARIZATION = 0.1
ALPHA = 2.0
ITERATIONS = 15


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """`implicit` runs its own threads: BLAS threads on top of them only contend (it warns
    about exactly that). Its kNN models also convert matrices internally, with a warning."""
    from implicit.utils import ParameterWarning
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ParameterWarning)
        yield


class FactorModel:
    """Item factors, and the least-squares step that solves a user's from their history.

    No user's factors are written: they are solved from the history when needed, so
    erasing a user's events leaves nothing of them in a trained model's files."""

    def __init__(
        self,
        item_factors: np.ndarray,
        item_ids: Sequence[str],
        *,
        alpha: float,
        regularization: float,
        model: object | None = None,
    ) -> None:
        self._model = model  # implicit's, when fitted in this process
        self.item_ids = list(item_ids)
        self._index = {item: n for n, item in enumerate(self.item_ids)}
        self._item_factors = np.asarray(item_factors, dtype=np.float32)
        self._alpha = float(alpha)
        self._regularization = float(regularization)
        factors = self._item_factors.shape[1]
        self._base = self._item_factors.T @ self._item_factors + self._regularization * np.eye(
            factors
        )

    @classmethod
    def fit(
        cls,
        histories: Iterable[Sequence[LogEntry]],
        item_ids: Sequence[str],
        *,
        factors: int = FACTORS,
        regularization: float = REGULARIZATION,
        alpha: float = ALPHA,
        seed: int = 0,
    ) -> FactorModel:
        from implicit.als import AlternatingLeastSquares

        index = {item: n for n, item in enumerate(item_ids)}
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        user = 0
        for history in histories:
            confidence = _confidence(history, index)
            if not confidence:
                continue
            for col, weight in confidence.items():
                rows.append(user)
                cols.append(col)
                weights.append(weight)
            user += 1
        matrix = csr_matrix(
            (np.asarray(weights, dtype=np.float32), (rows, cols)),
            shape=(max(user, 1), len(item_ids)),
        )
        with single_threaded_blas():
            model = AlternatingLeastSquares(
                factors=factors,
                regularization=regularization,
                alpha=alpha,
                iterations=ITERATIONS,
                random_state=seed,
            )
            model.fit(matrix, show_progress=False)
        item_factors = np.asarray(model.item_factors)
        return cls(item_factors, item_ids, alpha=alpha, regularization=regularization, model=model)

    def user_vector(self, history: Sequence[LogEntry]) -> np.ndarray | None:
        """The user's factors given their history (None without a known positive item)."""
        confidence = _confidence(history, self._index)
        if not confidence:
            return None
        # implicit's own least-squares step (confidence = alpha * weight), solved here with
        # YtY cached: its recalculate_user took 8 ms a call, this takes well under one.
        cols = np.fromiter(confidence, dtype=np.int64)
        weights = self._alpha * np.fromiter(confidence.values(), dtype=np.float64)
        rows = self._item_factors[cols].astype(np.float64)
        matrix = self._base + (rows.T * (weights - 1.0)) @ rows
        target = weights @ rows
        return np.linalg.solve(matrix, target).astype(np.float32)

    def scores(self, user_vector: np.ndarray) -> np.ndarray:
        """Predicted preference for every item, in `item_ids` order."""
        return self._item_factors @ user_vector

    def item_scores(self, user_vector: np.ndarray, ids: Iterable[str]) -> dict[str, float]:
        return {
            i: float(self._item_factors[self._index[i]] @ user_vector)
            for i in ids
            if i in self._index
        }

    def top(self, user_vector: np.ndarray, n: int, exclude: set[str]) -> list[tuple[str, float]]:
        scores = self.scores(user_vector)
        count = min(len(scores), n + len(exclude))
        best = np.argpartition(-scores, count - 1)[:count] if count else np.array([], dtype=int)
        ranked = sorted(best, key=lambda i: -scores[i])
        out = [(self.item_ids[i], float(scores[i])) for i in ranked]
        return [(i, s) for i, s in out if i not in exclude][:n]

    def save(self, path: Path) -> None:
        self._save_factors(path)
        path.with_suffix(".items.txt").write_text("\n".join(self.item_ids), encoding="utf-8")

    def _save_factors(self, path: Path) -> None:
        """The item factors and what solves a user's from them; no user's row."""
        np.savez(
            path,
            item_factors=self._item_factors,
            alpha=self._alpha,
            regularization=self._regularization,
        )

    @classmethod
    def load(cls, path: Path) -> FactorModel:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        items = path.with_suffix(".items.txt").read_text(encoding="utf-8").split("\n")
        model = cls(
            arrays["item_factors"],
            items,
            alpha=float(arrays["alpha"]),
            regularization=float(arrays["regularization"]),
        )
        if "user_factors" in arrays:  # implicit's format, from before: it kept user rows
            staging = path.with_name(path.name + ".new.npz")
            model._save_factors(staging)
            staging.replace(path)  # atomic: readers see the old file or the new one
        return model


def _confidence(history: Iterable[LogEntry], index: dict[str, int]) -> dict[int, float]:
    """Summed positive event weights per item (a low rating or a dislike adds nothing)."""
    out: dict[int, float] = {}
    for entry in history:
        col = index.get(entry.item_id or "")
        weight = event_weight(entry)
        if col is not None and weight > 0:
            out[col] = out.get(col, 0.0) + weight
    return out
