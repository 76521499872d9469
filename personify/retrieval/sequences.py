"""Item-to-item signals read from the order of each user's history, for candidates and
ranker features:

- neighbours: recency-weighted item-kNN. Two items are similar when the same users used
  both (cosine of their user sets, each item's `neighbours` nearest kept); a user's items
  vote for their neighbours with a weight that halves every `half_life` positions back
  from the newest (or every `half_life` days, where the log has real timestamps).
- transitions: what users used in the `window` steps right after an item (the weight
  halving each step further), read from the user's `last` items (halving each step back).

`personify train` fits them on the log, chooses their few parameters on a validation cut
of that log (retrieval/search.py), and saves them with the model. Like the ALS factors they hold
item-to-item counts only, no user's row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, diags

from personify.domain import LogEntry
from personify.retrieval.profiles import DAY, event_weight

Decay = Literal["position", "days"]
# Search grids, the same for every log ("days" only where timestamps are real).
HALF_LIVES: dict[Decay, list[float]] = {"position": [1.0, 2.0, 4.0, 8.0], "days": [7.0, 30.0]}
NEIGHBOURS = [100, 400]
WINDOWS = [1, 3, 10]
LAST = [1, 3, 10]
MAX_VOTERS = 50  # a user's newest distinct items that vote (older ones weigh next to nothing)


@dataclass(frozen=True, kw_only=True)
class SequenceParams:
    decay: Decay = "position"
    half_life: float = 2.0
    neighbours: int = 400
    window: int = 3
    last: int = 3


@dataclass(frozen=True, kw_only=True)
class Voters:
    """A user's items as rows of the model, and how much each one counts."""

    rows: np.ndarray
    weights: np.ndarray


class Log:
    """Positive events as arrays, each user's oldest first, with the item index."""

    def __init__(self, histories: Iterable[Sequence[LogEntry]], item_ids: Sequence[str]) -> None:
        index = {item: n for n, item in enumerate(item_ids)}
        users: list[int] = []
        items: list[int] = []
        times: list[float] = []
        for user, history in enumerate(histories):
            for entry in history:
                row = index.get(entry.item_id or "")
                if row is not None and event_weight(entry) > 0:
                    users.append(user)
                    items.append(row)
                    times.append(entry.ts)
        self.user = np.asarray(users, dtype=np.int64)
        self.item = np.asarray(items, dtype=np.int64)
        self.ts = np.asarray(times, dtype=np.float64)
        self.size = len(item_ids)

    def seen(self) -> csr_matrix:
        """Users x items: 1 where the user used the item (however often)."""
        users = int(self.user.max()) + 1 if len(self.user) else 1
        seen = csr_matrix(
            (np.ones(len(self.user), dtype=np.float32), (self.user, self.item)),
            shape=(users, self.size),
        )
        seen.sum_duplicates()
        seen.data[:] = 1.0
        return seen


class SequenceModel:
    def __init__(
        self,
        item_ids: Sequence[str],
        similar: csr_matrix,
        follows: csr_matrix,
        params: SequenceParams,
        real_time: bool,
    ) -> None:
        self.item_ids = list(item_ids)
        self._index = {item: n for n, item in enumerate(self.item_ids)}
        self.similar = similar  # items x items: cosine, `neighbours` per row
        self.follows = follows  # items x items: share of what came after each item
        self.params = params
        self.real_time = real_time  # whether "days" decay was possible

    @classmethod
    def fit(
        cls,
        histories: Iterable[Sequence[LogEntry]],
        item_ids: Sequence[str],
        params: SequenceParams,
        *,
        real_time: bool = True,
    ) -> SequenceModel:
        log = Log(histories, item_ids)
        similar = top_per_row(cosine(log), params.neighbours)
        return cls(item_ids, similar, transitions(log, params.window), params, real_time)

    # a user's scores --------------------------------------------------------------------
    def newest(self, history: Sequence[LogEntry]) -> list[tuple[int, float]]:
        """The user's known positive items, newest first, each once (at its newest use),
        at most MAX_VOTERS: (row, time)."""
        newest: dict[int, float] = {}
        for entry in reversed(history):
            row = self._index.get(entry.item_id or "")
            if row is not None and event_weight(entry) > 0:
                newest.setdefault(row, entry.ts)
                if len(newest) >= MAX_VOTERS:
                    break
        return list(newest.items())

    def last(self, history: Sequence[LogEntry], count: int) -> list[int]:
        """The rows of the user's `count` newest positive events (repeats included)."""
        rows: list[int] = []
        for entry in reversed(history):
            row = self._index.get(entry.item_id or "")
            if row is not None and event_weight(entry) > 0:
                rows.append(row)
                if len(rows) >= count:
                    break
        return rows

    def voters(self, history: Sequence[LogEntry], now: float) -> tuple[Voters, Voters]:
        """The user's items that vote for neighbours, and those that vote for what follows."""
        newest = self.newest(history)
        rows = np.fromiter((r for r, _ in newest), dtype=np.int64, count=len(newest))
        ages = np.fromiter(((now - ts) / DAY for _, ts in newest), dtype=np.float64)
        last = np.asarray(self.last(history, self.params.last), dtype=np.int64)
        return (
            Voters(rows=rows, weights=knn_weights(self.params, np.arange(len(rows)), ages)),
            Voters(rows=last, weights=0.5 ** np.arange(len(last), dtype=np.float64)),
        )

    def scores(self, history: Sequence[LogEntry], now: float) -> tuple[np.ndarray, np.ndarray]:
        """Every item's neighbour score and transition score for this user (zeros when
        none of the user's items is known), in `item_ids` order."""
        knn, follow = self.voters(history, now)
        return vote(self.similar, knn), vote(self.follows, follow)

    def strongest(
        self, history: Sequence[LogEntry], now: float, item_id: str, signal: str
    ) -> tuple[str, str] | None:
        """The user's item that voted most for `item_id` ("neighbours" or "transitions"),
        with the type of the user's newest event on it; None when none voted."""
        column = self._index.get(item_id)
        if column is None:
            return None
        knn, follow = self.voters(history, now)
        voters, matrix = (knn, self.similar) if signal == "neighbours" else (follow, self.follows)
        if not len(voters.rows):
            return None
        votes = np.asarray(matrix[voters.rows, column].todense()).ravel() * voters.weights
        if votes.max() <= 0:
            return None
        chosen = self.item_ids[int(voters.rows[int(np.argmax(votes))])]
        event = next((e.type for e in reversed(history) if e.item_id == chosen), "use")
        return chosen, event

    def top(self, scores: np.ndarray, n: int, exclude: set[str]) -> list[tuple[str, float]]:
        return top(self.item_ids, scores, n, exclude)

    def index_of(self, ids: Sequence[str]) -> np.ndarray:
        """Rows of these items (-1 for an item the model does not know)."""
        return np.fromiter((self._index.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))

    # files ------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        params = {f"param_{k}": v for k, v in asdict(self.params).items()}
        matrices = {"similar": self.similar, "follows": self.follows}
        save_matrices(path, self.item_ids, matrices, real_time=self.real_time, **params)

    @classmethod
    def load(cls, path: Path) -> SequenceModel:
        items, arrays = load_matrices(path)

        def matrix(name: str) -> csr_matrix:
            return csr_of(arrays, name, len(items))

        params = SequenceParams(
            decay=str(arrays["param_decay"]),  # type: ignore[arg-type]  # a Decay, as saved
            half_life=float(arrays["param_half_life"]),
            neighbours=int(arrays["param_neighbours"]),
            window=int(arrays["param_window"]),
            last=int(arrays["param_last"]),
        )
        return cls(items, matrix("similar"), matrix("follows"), params, bool(arrays["real_time"]))


def save_matrices(
    path: Path, item_ids: Sequence[str], matrices: Mapping[str, csr_matrix], **values: Any
) -> None:
    """Item-to-item matrices (and a few values) in one .npz, the item ids beside it."""
    parts = ("data", "indices", "indptr")
    arrays = {f"{name}_{p}": getattr(m, p) for name, m in matrices.items() for p in parts}
    np.savez(path, **arrays, **values)
    path.with_suffix(".items.txt").write_text("\n".join(item_ids), encoding="utf-8")


def load_matrices(path: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    """What `save_matrices` wrote: the item ids and the arrays by name."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return path.with_suffix(".items.txt").read_text(encoding="utf-8").split("\n"), arrays


def csr_of(arrays: Mapping[str, np.ndarray], name: str, size: int) -> csr_matrix:
    parts = (arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"])
    return csr_matrix(parts, shape=(size, size))


def top(
    item_ids: Sequence[str], scores: np.ndarray, n: int, exclude: set[str]
) -> list[tuple[str, float]]:
    """The `n` best-scored items outside `exclude` (items scored 0 are not offered)."""
    count = min(int((scores > 0).sum()), n + len(exclude))
    if count == 0:
        return []
    best = np.argpartition(-scores, count - 1)[:count]
    ranked = sorted(best, key=lambda i: -scores[i])
    out = [(item_ids[i], float(scores[i])) for i in ranked]
    return [(i, s) for i, s in out if i not in exclude][:n]


def knn_weights(params: SequenceParams, positions: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """Each voter's weight: half again every `half_life` positions (or days) back."""
    spread = np.maximum(ages, 0.0) if params.decay == "days" else positions.astype(np.float64)
    return np.asarray(0.5 ** (spread / params.half_life), dtype=np.float64)


def vote(matrix: csr_matrix, voters: Voters) -> np.ndarray:
    """Σ weight x row over the voters: one dense score per item."""
    if not len(voters.rows):
        return np.zeros(matrix.shape[1], dtype=np.float64)
    return np.asarray(matrix[voters.rows].T @ voters.weights, dtype=np.float64).ravel()


def cosine(log: Log) -> csr_matrix:
    """Items x items: how many users used both, over the root of each item's user count."""
    seen = log.seen()
    counts = np.asarray(seen.sum(axis=0), dtype=np.float64).ravel()
    norm = diags(1.0 / np.sqrt(np.maximum(counts, 1.0)))
    together = (seen.T @ seen).tocsr()
    together.setdiag(0.0)
    together.eliminate_zeros()
    return (norm @ together @ norm).tocsr().astype(np.float32)


def top_per_row(matrix: csr_matrix, keep: int) -> csr_matrix:
    """Each row's `keep` largest entries."""
    matrix = matrix.tocsr()
    lengths = np.diff(matrix.indptr)
    if not len(lengths) or lengths.max() <= keep:
        return matrix
    data, indices, indptr = [], [], [0]
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values, columns = matrix.data[start:end], matrix.indices[start:end]
        if end - start > keep:
            best = np.argpartition(-values, keep - 1)[:keep]
            values, columns = values[best], columns[best]
        data.append(values)
        indices.append(columns)
        indptr.append(indptr[-1] + len(values))
    return csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.asarray(indptr)), shape=matrix.shape
    )


def transitions(log: Log, window: int) -> csr_matrix:
    """Items x items: of what came in the `window` steps after an item (a step further
    weighing half), the share that was each other item."""
    rows, cols, weights = [], [], []
    for step in range(1, window + 1):
        same = log.user[:-step] == log.user[step:]
        rows.append(log.item[:-step][same])
        cols.append(log.item[step:][same])
        weights.append(np.full(int(same.sum()), 0.5 ** (step - 1), dtype=np.float32))
    shape = (log.size, log.size)
    if not rows or not sum(len(r) for r in rows):
        return csr_matrix(shape, dtype=np.float32)
    counts = coo_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    ).tocsr()
    counts.setdiag(0.0)
    counts.eliminate_zeros()
    totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    return (diags(1.0 / np.maximum(totals, 1e-9)) @ counts).tocsr().astype(np.float32)
