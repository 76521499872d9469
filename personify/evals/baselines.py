"""The baselines a team would pick off the shelf: popularity, item-kNN co-visitation and
ALS (both from the `implicit` library), trained on the same split as Personify, and the
grid search on a validation split that tunes them (and those in sequence_baselines)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np
from scipy.sparse import csr_matrix

from personify.evals.dataset import Interaction
from personify.evals.split import is_positive
from personify.retrieval.factors import single_threaded_blas

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

NEIGHBOURS = 100  # item-kNN: neighbours kept per item
# ALS search grid: small and the same for every dataset. Each point trains on all
# training interactions or on the positives only.
ALS_GRID: dict[str, list[Any]] = {
    "factors": [64, 128],
    "regularization": [0.01, 0.1],
    "alpha": [2.0, 10.0],
    "positives_only": [False, True],
}
ALS_ITERATIONS = 15


@dataclass(frozen=True, kw_only=True)
class AlsParams:
    """One point of ALS_GRID (the fields are its keys, in its order)."""

    factors: int
    regularization: float
    alpha: float
    positives_only: bool


P = TypeVar("P", bound="DataclassInstance")


@dataclass(frozen=True, kw_only=True)
class Trial(Generic[P]):
    """One point of a search grid and its NDCG@10 on the validation split."""

    params: P
    ndcg10: float

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self.params), "ndcg@10": self.ndcg10}


@dataclass(frozen=True, kw_only=True)
class Search(Generic[P]):
    best: P
    trials: list[Trial[P]]

    def to_json(self) -> dict[str, Any]:
        return {"best": asdict(self.best), "trials": [t.to_json() for t in self.trials]}


AlsSearch = Search[AlsParams]


class Recommender(Protocol):
    def recommend_many(self, user_ids: Sequence[str], n: int) -> list[list[str]]: ...


def grid_search(
    points: Iterable[P],
    build: Callable[[P], Recommender],
    validation: dict[str, set[str]],
    score: Callable[[list[list[str]], list[set[str]]], float],
) -> Search[P]:
    """Each grid point trained and scored on the validation split; the first best wins."""
    users = sorted(validation)
    relevant = [validation[u] for u in users]
    trials: list[Trial[P]] = []
    for params in points:
        lists = build(params).recommend_many(users, 10)
        trials.append(Trial(params=params, ndcg10=round(score(lists, relevant), 4)))
    return Search(best=max(trials, key=lambda t: t.ndcg10).params, trials=trials)


@dataclass
class Matrix:
    """Users x items, 1 per interaction (repeats add up), with the id maps."""

    users: dict[str, int]
    items: list[str]
    item_index: dict[str, int]
    data: csr_matrix

    @classmethod
    def build(cls, interactions: Sequence[Interaction], item_ids: Sequence[str]) -> Matrix:
        users = {u: n for n, u in enumerate(dict.fromkeys(i.user_id for i in interactions))}
        item_index = {item: n for n, item in enumerate(item_ids)}
        rows = [users[i.user_id] for i in interactions]
        cols = [item_index[i.item_id] for i in interactions]
        data = csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(users), len(item_ids)),
        )
        data.sum_duplicates()
        return cls(users, list(item_ids), item_index, data)


class Popularity:
    name = "popularity"

    def __init__(self, train: Sequence[Interaction]) -> None:
        self._ranked = [item for item, _ in Counter(i.item_id for i in train).most_common()]
        self._seen: dict[str, set[str]] = {}
        for i in train:
            self._seen.setdefault(i.user_id, set()).add(i.item_id)

    def recommend(self, user_id: str, n: int) -> list[str]:
        seen = self._seen.get(user_id, set())
        return list(itertools.islice((i for i in self._ranked if i not in seen), n))


class ImplicitModel:
    """Any `implicit` recommender; a user with no training history gets popularity."""

    def __init__(
        self,
        name: str,
        model: object,
        train: Sequence[Interaction],
        item_ids: Sequence[str],
        fallback: Popularity,
    ) -> None:
        self.name = name
        self._matrix = Matrix.build(train, item_ids)
        self._model = model
        self._fallback = fallback
        with single_threaded_blas():
            model.fit(self._matrix.data, show_progress=False)  # type: ignore[attr-defined]

    def recommend(self, user_id: str, n: int) -> list[str]:
        return self.recommend_many([user_id], n)[0]

    def recommend_many(self, user_ids: Sequence[str], n: int) -> list[list[str]]:
        known = [u for u in user_ids if u in self._matrix.users]
        out: dict[str, list[str]] = {}
        if known:
            rows = np.array([self._matrix.users[u] for u in known])
            with single_threaded_blas():
                ids, _ = self._model.recommend(  # type: ignore[attr-defined]
                    rows, self._matrix.data[rows], N=n, filter_already_liked_items=True
                )
            for user, row in zip(known, ids, strict=True):
                out[user] = [self._matrix.items[i] for i in row if i >= 0]
        return [out.get(u) or self._fallback.recommend(u, n) for u in user_ids]


def item_knn(
    train: Sequence[Interaction], item_ids: Sequence[str], popular: Popularity
) -> ImplicitModel:
    from implicit.nearest_neighbours import CosineRecommender

    return ImplicitModel("itemknn", CosineRecommender(K=NEIGHBOURS), train, item_ids, popular)


def als(
    train: Sequence[Interaction],
    item_ids: Sequence[str],
    popular: Popularity,
    params: AlsParams,
    seed: int,
    min_value: float | None,
) -> ImplicitModel:
    from implicit.als import AlternatingLeastSquares

    with single_threaded_blas():  # the library checks BLAS threads when constructed
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=ALS_ITERATIONS,
            random_state=seed,
        )
    if params.positives_only:
        train = [i for i in train if is_positive(i, min_value)]
    return ImplicitModel("als", model, train, item_ids, popular)


def search_als(
    train: Sequence[Interaction],
    validation: dict[str, set[str]],
    item_ids: Sequence[str],
    seed: int,
    min_value: float | None,
    score: Callable[[list[list[str]], list[set[str]]], float],
) -> AlsSearch:
    """Grid search on a validation split carved from training: the best point by NDCG@10."""
    popular = Popularity(train)
    keys = list(ALS_GRID)
    points = [
        AlsParams(**dict(zip(keys, values, strict=True)))
        for values in itertools.product(*[ALS_GRID[k] for k in keys])
    ]
    return grid_search(
        points,
        lambda params: als(train, item_ids, popular, params, seed, min_value),
        validation,
        score,
    )
