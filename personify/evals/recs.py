"""`personify eval recs`: Personify's ranker against popularity, item-kNN, ALS and the
sequence baselines (recency-weighted item-kNN, next-item transitions, EASE), trained on one
split and scored on the same users, with slices, intervals and reports.

Personify is scored through the service facade the API calls (`Personify.recommend`),
after its own `train` step, in a throwaway data dir: nothing is reimplemented here."""

from __future__ import annotations

import functools
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from personify.evals import baselines, metrics, sequence_baselines
from personify.evals.dataset import Dataset, as_events
from personify.evals.split import Split, split
from personify.retrieval.embeddings import Embedder
from personify.settings import load_settings

if TYPE_CHECKING:
    from personify.service import Personify

SYSTEMS = ("personify", "popularity", "itemknn", "als", *sequence_baselines.SYSTEMS)
SLICES = ("all", "cold", "warm")
INGEST_BATCH = 5000
# metric name ("ndcg@10", and "users": how many were scored) -> value
Metrics = dict[str, float]
Spans = dict[str, list[float]]  # metric name -> [low, high], a 95% bootstrap interval


@dataclass(frozen=True, kw_only=True)
class RecsSettings:
    split: str
    min_value: float | None
    k: list[int]
    seed: int
    synthetic_time: bool


@dataclass(frozen=True, kw_only=True)
class RecsCounts:
    items: int
    interactions: int
    train_interactions: int
    scored_users: dict[str, int]  # slice -> users scored
    simulated_cold: int


@dataclass(frozen=True, kw_only=True)
class RecsReport:
    """What `personify eval recs` found; `to_json` is the shape of report.json."""

    dataset: str
    settings: RecsSettings
    counts: RecsCounts
    results: dict[str, dict[str, Metrics]]  # system -> slice -> metric -> value
    intervals: dict[str, dict[str, Spans]]  # system -> slice -> metric -> [low, high]
    als_search: baselines.AlsSearch
    baseline_search: dict[str, baselines.Search[sequence_baselines.Params]]  # system -> search
    training: dict[str, Any]  # what Personify's `train` step reported
    timings: dict[str, float]  # step -> seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "settings": asdict(self.settings),
            "counts": asdict(self.counts),
            "results": self.results,
            "intervals": self.intervals,
            "als_search": self.als_search.to_json(),
            "baseline_search": {s: search.to_json() for s, search in self.baseline_search.items()},
            "personify_training": self.training,
            "timings_s": self.timings,
        }


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[step] = round(time.perf_counter() - started, 2)


def evaluate_recs(
    dataset: Dataset,
    *,
    how: str = "user-last",
    min_value: float | None = None,
    ks: Sequence[int] = (10, 20),
    seed: int = 0,
    progress: bool = True,
    workdir: Path | None = None,
    embedder: Embedder | None = None,
) -> RecsReport:
    timer = Timer()
    depth = max(ks)
    with timer("split"):
        data = split(dataset.interactions, how=how, min_value=min_value, seed=seed)
    users = data.users
    item_ids = dataset.item_ids
    lists: dict[str, list[list[str]]] = {}
    with timer("popularity"):
        popular = baselines.Popularity(data.train)
        lists["popularity"] = [popular.recommend(u, depth) for u in users]
    with timer("itemknn"):
        knn = baselines.item_knn(data.train, item_ids, popular)
        lists["itemknn"] = knn.recommend_many(users, depth)
    with timer("validation_split"):
        inner = split(data.train, how=how, min_value=min_value, seed=seed, simulate_cold=False)
    with timer("als_search"):
        als_search = baselines.search_als(
            inner.train, inner.test, item_ids, seed, min_value, _mean_ndcg10
        )
    with timer("als"):
        als = baselines.als(data.train, item_ids, popular, als_search.best, seed, min_value)
        lists["als"] = als.recommend_many(users, depth)
    searches = _sequence_baselines(
        data, inner, users, depth, item_ids, popular, not dataset.synthetic_time, lists, timer
    )
    with trained_personify(
        dataset,
        data,
        users,
        seed=seed,
        workdir=workdir,
        timer=timer,
        progress=progress,
        embedder=embedder,
    ) as personify:
        with timer("personify_recommend"):
            lists["personify"] = [
                [c.item.id for c in personify.service.recommend(u, depth).items]
                for u in _bar(users, progress, "recommend")
            ]
    vectors, trained = personify.vectors, personify.training
    with timer("metrics"):
        results, intervals = _score(data, users, lists, ks, vectors, item_ids, seed)
    return RecsReport(
        dataset=str(dataset.path),
        settings=RecsSettings(
            split=how,
            min_value=min_value,
            k=list(ks),
            seed=seed,
            synthetic_time=dataset.synthetic_time,
        ),
        counts=RecsCounts(
            items=len(item_ids),
            interactions=len(dataset.interactions),
            train_interactions=len(data.train),
            scored_users={s: len(_slice(data, users, s)) for s in SLICES},
            simulated_cold=len(data.simulated_cold),
        ),
        results=results,
        intervals=intervals,
        als_search=als_search,
        baseline_search=searches,
        training=trained,
        timings=timer.seconds,
    )


def _sequence_baselines(
    data: Split,
    inner: Split,
    users: list[str],
    depth: int,
    item_ids: list[str],
    popular: baselines.Popularity,
    real_time: bool,
    lists: dict[str, list[list[str]]],
    timer: Timer,
) -> dict[str, baselines.Search[sequence_baselines.Params]]:
    """Each sequence baseline tuned on the inner split, then trained on the whole training
    split; its lists go into `lists`. Returns the searches."""
    with timer("sequence_history"):
        tuning = sequence_baselines.History(inner.train, item_ids)
        tuning_popular = baselines.Popularity(inner.train)
        history = sequence_baselines.History(data.train, item_ids)
    searches = {}
    for system in sequence_baselines.SYSTEMS:
        with timer(f"{system}_search"):
            searches[system] = baselines.grid_search(
                sequence_baselines.grid(system, real_time),
                functools.partial(sequence_baselines.build, tuning, tuning_popular),
                inner.test,
                _mean_ndcg10,
            )
        with timer(system):
            model = sequence_baselines.build(history, popular, searches[system].best)
            lists[system] = model.recommend_many(users, depth)
    return searches


@dataclass(frozen=True, kw_only=True)
class TrainedPersonify:
    """Personify trained on a split's training part, ready to recommend."""

    service: Personify
    vectors: dict[str, np.ndarray]  # item id -> embedding
    training: dict[str, Any]  # what its `train` step reported


@contextmanager
def trained_personify(
    dataset: Dataset,
    data: Split,
    users: list[str],
    *,
    seed: int,
    workdir: Path | None = None,
    timer: Timer | None = None,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> Iterator[TrainedPersonify]:
    """Personify the way the API builds it, in a throwaway data dir: the catalog indexed,
    the training events ingested, `users` created, `train` run. Every eval that scores
    Personify's rankers (recs, experiments, interleave) goes through here."""
    from personify.parts import SharedParts
    from personify.service import Personify

    timer = timer or Timer()
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        settings = load_settings(data_dir=Path(folder), chroma_url="", database_url="")
        service = Personify(settings, SharedParts(settings, embedder=embedder))
        try:
            with timer("personify_index"):
                items = dataset.items
                for start in _bar(
                    range(0, len(items), 500), progress, "embed items", 500, len(items)
                ):
                    service.index_items(items[start : start + 500])
                vectors = service.vectors.item_vectors(dataset.item_ids)
            with timer("personify_ingest"):
                events = as_events(data.train)
                for start in _bar(
                    range(0, len(events), INGEST_BATCH),
                    progress,
                    "ingest",
                    INGEST_BATCH,
                    len(events),
                ):
                    service.ingest(events[start : start + INGEST_BATCH])
                known = set(service.store.events.users())
                for user in users:
                    traits = dataset.traits.get(user, {})
                    if traits or user not in known:  # a new user is created the API's way
                        service.put_traits(user, traits)
            with timer("personify_train"):
                training = service.train(seed=seed)
            yield TrainedPersonify(service=service, vectors=vectors, training=training)
        finally:
            service.close()


def _score(
    data: Split,
    users: list[str],
    lists: dict[str, list[list[str]]],
    ks: Sequence[int],
    vectors: dict[str, np.ndarray],
    item_ids: list[str],
    seed: int,
) -> tuple[dict[str, dict[str, Metrics]], dict[str, dict[str, Spans]]]:
    popularity: Counter[str] = Counter()
    for _user, item in {(i.user_id, i.item_id) for i in data.train}:
        popularity[item] += 1
    train_users = len({i.user_id for i in data.train})
    results: dict[str, dict[str, Metrics]] = {}
    intervals: dict[str, dict[str, Spans]] = {}
    for system, ranked in lists.items():
        by_user = dict(zip(users, ranked, strict=True))
        results[system], intervals[system] = {}, {}
        for name in SLICES:
            members = _slice(data, users, name)
            chosen = [by_user[u] for u in members]
            values: Metrics = {}
            spans: Spans = {}
            for k in ks:
                rows = [metrics.per_user(by_user[u], data.test[u], k) for u in members]
                for metric in (f"recall@{k}", f"ndcg@{k}", f"mrr@{k}", f"hit@{k}"):
                    column = np.array([r[metric] for r in rows], dtype=np.float64)
                    values[metric] = round(float(column.mean()), 4) if len(column) else 0.0
                    if metric.startswith(("ndcg", "recall")):
                        low, high = metrics.bootstrap(column, seed)
                        spans[metric] = [round(low, 4), round(high, 4)]
                values[f"coverage@{k}"] = round(metrics.coverage(chosen, k, len(item_ids)), 4)
                values[f"diversity@{k}"] = round(
                    metrics.intra_list_diversity(chosen, k, vectors), 4
                )
                values[f"novelty@{k}"] = round(
                    metrics.novelty(chosen, k, popularity, train_users), 4
                )
            values["users"] = len(members)
            results[system][name] = values
            intervals[system][name] = spans
    return results, intervals


def _slice(data: Split, users: list[str], name: str) -> list[str]:
    if name == "cold":
        return [u for u in users if u in data.cold]
    if name == "warm":
        return [u for u in users if u not in data.cold]
    return users


def _mean_ndcg10(lists: list[list[str]], relevant: list[set[str]]) -> float:
    scores = [
        metrics.per_user(r, rel, 10)["ndcg@10"] for r, rel in zip(lists, relevant, strict=True)
    ]
    return float(np.mean(scores)) if scores else 0.0


def _bar(
    iterable: Sequence[Any],
    enabled: bool,
    label: str,
    step: int = 1,
    total: int | None = None,
) -> Iterator[Any]:
    """A progress bar over the iterable (counting `step` units per element)."""
    if not enabled:
        yield from iterable
        return
    with tqdm(total=total or len(iterable), desc=label, unit="") as bar:
        for element in iterable:
            yield element
            bar.update(min(step, bar.total - bar.n))
