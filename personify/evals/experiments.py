"""`personify eval experiments`: simulated A/B tests that check the experiment statistics.

Simulated users (a dataset's held-out users) see their variant's real top-10 list, as
`Personify.recommend` ranks it, in a few sessions, and click each shown item with one
probability if it is in their held-out future and a lower one otherwise. The expected
metric of every user under every ranker follows from those probabilities, so the true
lift is known exactly. Each run assigns users with the product's sticky hash under a fresh
key, draws fresh clicks and reads the answer of `analyze()`, the code behind
GET /v1/experiments/{key}/results. Over many runs, A/A tests must be "significant" at
about alpha, the 95% intervals must hold the true lift about 95% of the time, a broken
sample ratio must be flagged, and the power to see personalized beat popular is measured.
Lists are computed once; the runs are numpy only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import binomtest

from personify.domain import RankerName
from personify.errors import InputError
from personify.evals.dataset import Dataset
from personify.evals.recs import trained_personify
from personify.evals.split import split
from personify.experiments.analysis import Outcomes, VariantData, analyze
from personify.experiments.assignment import assign
from personify.experiments.definitions import (
    BUILT_IN_METRICS,
    Experiment,
    MetricSet,
    MetricSpec,
    Variant,
    VariantConfig,
)
from personify.retrieval.embeddings import Embedder

DEPTH = 10
ALPHA = 0.05
SRM_DROP = 0.2  # share of one arm's exposed users lost in the SRM runs
CONTROL: RankerName = "popular"
TREATMENT: RankerName = "personalized"
METRICS = {name: BUILT_IN_METRICS[name] for name in ("card_click_rate", "conversion")}
Analyzer = Callable[[Experiment, Mapping[str, MetricSpec], Mapping[str, VariantData]], Any]


@dataclass(frozen=True, kw_only=True)
class ClickModel:
    """Each shown item is clicked with p_hit if it is in the user's held-out future, else
    p_miss; a user has 1 + Poisson(sessions_mean - 1) sessions, each showing the list."""

    p_hit: float = 0.3
    p_miss: float = 0.02
    sessions_mean: float = 3.0


@dataclass(frozen=True, kw_only=True)
class Population:
    """The simulated users: per ranker, how many items each is shown and how many of
    those are in the user's future. `users` may repeat a real user under a new id."""

    users: list[str]
    held_out: int  # real users among them
    shown: dict[str, np.ndarray]  # ranker -> items in each user's list
    hits: dict[str, np.ndarray]  # ranker -> of those, items in the user's future


@dataclass(frozen=True, kw_only=True)
class Rate:
    """How many of `runs` runs had the property, with a 95% Wilson interval (scipy)."""

    count: int
    runs: int

    def to_json(self) -> dict[str, Any]:
        span = binomtest(self.count, max(self.runs, 1)).proportion_ci(method="wilson")
        return {
            "rate": round(self.count / self.runs, 4) if self.runs else None,
            "ci95": [round(float(span.low), 4), round(float(span.high), 4)],
            "count": self.count,
            "runs": self.runs,
        }


# what is counted per metric over the runs
TALLIES = ("aa_false_positive", "coverage", "relative_coverage", "power")


@dataclass(frozen=True, kw_only=True)
class Simulation:
    """aa_false_positive: A/A runs with p < alpha; coverage (relative_coverage): A/B runs
    whose ci95 (relative_ci95) holds the true lift (relative lift); power: A/B runs with
    p < alpha in the true lift's direction; mean_lift: the A/B estimate averaged over the
    runs, against the true lift for bias. SRM: runs flagged with SRM_DROP of the
    treatment's users lost (detection), and unbroken A/A and A/B runs flagged."""

    runs: int
    rates: dict[str, dict[str, Rate]]  # metric -> tally -> rate
    mean_lift: dict[str, float]  # metric -> mean estimated lift
    srm_detection: Rate
    srm_false_alarm: Rate

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": {
                name: {
                    **{f"{t}_rate": rate.to_json() for t, rate in tallies.items()},
                    "mean_lift": round(self.mean_lift[name], 6),
                }
                for name, tallies in self.rates.items()
            },
            "srm_detection_rate": self.srm_detection.to_json(),
            "srm_false_alarm_rate": self.srm_false_alarm.to_json(),
        }


def truth(population: Population, model: ClickModel) -> dict[str, dict[str, float]]:
    """Each metric's expected value under each ranker over all simulated users, from the
    click probabilities. Clicks per exposure: the mean expected clicks per session (the
    sessions do not depend on the user). Conversion: 1 - E[q^S], q the chance of no click
    in a session, S = 1 + Poisson(l): E[q^S] = q exp(l (q - 1))."""
    extra = model.sessions_mean - 1
    values: dict[str, dict[str, float]] = {name: {} for name in METRICS}
    for ranker in population.shown:
        hits, misses = population.hits[ranker], population.shown[ranker] - population.hits[ranker]
        per_session = hits * model.p_hit + misses * model.p_miss
        quiet = (1 - model.p_hit) ** hits * (1 - model.p_miss) ** misses
        values["card_click_rate"][ranker] = float(per_session.mean())
        values["conversion"][ranker] = float((1 - quiet * np.exp(extra * (quiet - 1))).mean())
    return values


def simulate(
    population: Population,
    model: ClickModel,
    *,
    runs: int,
    seed: int = 0,
    analyzer: Analyzer = analyze,
) -> Simulation:
    """`runs` A/A (personalized against itself), A/B (popular against personalized) and
    SRM runs, each read through `analyzer` (the product's `analyze` unless a test swaps
    in a broken one to show the simulation would notice)."""
    return _simulate(population, model, runs, seed, analyzer)


def _simulate(
    population: Population, model: ClickModel, runs: int, seed: int, analyzer: Analyzer
) -> Simulation:
    expected = truth(population, model)
    counts = {name: dict.fromkeys(TALLIES, 0) for name in METRICS}
    lifts: dict[str, list[float]] = {name: [] for name in METRICS}
    srm_flagged = srm_false = 0
    for run in range(runs):
        rng = np.random.default_rng([seed, run])
        key = f"sim-{seed}-{run}"  # a fresh key: the product's hash deals users anew
        one_ranker, two_rankers = _experiment(key, TREATMENT), _experiment(key, CONTROL)
        variants = two_rankers.variants
        arm = np.array([assign(key, u, variants) == "treatment" for u in population.users])
        aa = analyzer(one_ranker, METRICS, _draw(population, model, rng, arm, TREATMENT))
        data = _draw(population, model, rng, arm, CONTROL)
        ab = analyzer(two_rankers, METRICS, data)
        lost = {**data, "treatment": _drop(data["treatment"], rng)}
        srm_flagged += int(bool(analyzer(two_rankers, METRICS, lost)["srm"]["flagged"]))
        srm_false += int(bool(aa["srm"]["flagged"])) + int(bool(ab["srm"]["flagged"]))
        for name, tally in counts.items():
            lifts[name].append(_tally(tally, aa, ab, name, expected[name]))
    return Simulation(
        runs=runs,
        rates={
            n: {t: Rate(count=c, runs=runs) for t, c in tally.items()}
            for n, tally in counts.items()
        },
        mean_lift={name: float(np.mean(found)) if runs else 0.0 for name, found in lifts.items()},
        srm_detection=Rate(count=srm_flagged, runs=runs),
        srm_false_alarm=Rate(count=srm_false, runs=2 * runs),
    )


def _tally(tally: dict[str, int], aa: Any, ab: Any, name: str, known: dict[str, float]) -> float:
    """Counts one run's A/A and A/B answers for a metric; returns the A/B estimate."""
    same = aa["metrics"][name]["comparisons"]["treatment"]
    found = ab["metrics"][name]["comparisons"]["treatment"]
    lift = known[TREATMENT] - known[CONTROL]
    tally["aa_false_positive"] += _below(same["p_value"], ALPHA)
    tally["coverage"] += _holds(found["ci95"], lift)
    tally["relative_coverage"] += _holds(found["relative_ci95"], lift / known[CONTROL])
    right_way = (found["lift"] or 0) * lift > 0
    tally["power"] += int(right_way) * _below(found["p_value"], ALPHA)
    return float(found["lift"] or 0)


def _below(p_value: float | None, alpha: float) -> int:
    return int(p_value is not None and p_value < alpha)


def _holds(interval: list[float] | None, value: float) -> int:
    return int(interval is not None and interval[0] <= value <= interval[1])


def _experiment(key: str, control: RankerName) -> Experiment:
    variants = [
        Variant(name="control", weight=1, config=VariantConfig(ranker=control)),
        Variant(name="treatment", weight=1, config=VariantConfig(ranker=TREATMENT)),
    ]
    return Experiment(
        key=key,
        surface="recommendations",
        variants=variants,
        metrics=MetricSet(primary="card_click_rate", secondary=["conversion"]),
        min_users_per_variant=1,
        created_at=0.0,
    )


def _draw(
    population: Population,
    model: ClickModel,
    rng: np.random.Generator,
    treated: np.ndarray,
    control: RankerName,
) -> dict[str, VariantData]:
    """Each user's sessions and clicks under their variant's ranker."""
    shown = np.where(treated, population.shown[TREATMENT], population.shown[control])
    hits = np.where(treated, population.hits[TREATMENT], population.hits[control])
    sessions = 1 + rng.poisson(model.sessions_mean - 1, len(treated))
    clicks = rng.binomial(sessions * hits, model.p_hit) + rng.binomial(
        sessions * (shown - hits), model.p_miss
    )
    return {
        name: _variant_data(clicks[members], sessions[members])
        for name, members in (("control", ~treated), ("treatment", treated))
    }


def _variant_data(clicks: np.ndarray, sessions: np.ndarray) -> VariantData:
    return VariantData(
        users=len(clicks),
        exposures=int(sessions.sum()),
        outcomes={
            "card_click_rate": Outcomes(
                values=clicks.astype(np.float64), denominators=sessions.astype(np.float64)
            ),
            "conversion": Outcomes(values=(clicks > 0).astype(np.float64)),
        },
    )


def _drop(data: VariantData, rng: np.random.Generator) -> VariantData:
    """The arm with SRM_DROP of its exposed users lost (say, a logging bug)."""
    ratio = data.outcomes["card_click_rate"]
    assert ratio.denominators is not None
    kept = rng.permutation(data.users)[: round(data.users * (1 - SRM_DROP))]
    return _variant_data(ratio.values[kept].astype(np.int64), ratio.denominators[kept])


def ranker_lists(
    dataset: Dataset,
    how: str,
    min_value: float | None,
    rankers: tuple[RankerName, ...],
    *,
    seed: int = 0,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> tuple[list[str], dict[str, set[str]], dict[str, list[list[str]]]]:
    """The split's held-out users, their held-out items, and each ranker's real top-DEPTH
    list for each of them from Personify trained on the training part."""
    data = split(dataset.interactions, how=how, min_value=min_value, seed=seed)
    users = data.users
    if not users:
        raise InputError(
            f"--dataset {dataset.path}: no user has a held-out positive after the {how} "
            "split; lower --min-value or try the other --split.",
            field="dataset",
        )
    with trained_personify(
        dataset, data, users, seed=seed, progress=progress, embedder=embedder
    ) as personify:
        lists: dict[str, list[list[str]]] = {
            ranker: [
                [c.item.id for c in personify.service.recommend(u, DEPTH, ranker=ranker).items]
                for u in users
            ]
            for ranker in dict.fromkeys(rankers)
        }
    return users, data.test, lists


def population(
    users: list[str], future: Mapping[str, set[str]], lists: dict[str, list[list[str]]], size: int
) -> Population:
    """`size` simulated users (0: each held-out user once); past the real users, copies
    under new ids (the same lists and future, their own assignment and clicks)."""
    size = size or len(users)
    picks = [(index % len(users), index // len(users)) for index in range(size)]
    return Population(
        users=[users[i] if copy == 0 else f"{users[i]}~{copy}" for i, copy in picks],
        held_out=min(size, len(users)),
        shown={r: np.array([len(ranked[i]) for i, _ in picks]) for r, ranked in lists.items()},
        hits={
            r: np.array([len(set(ranked[i]) & future[users[i]]) for i, _ in picks])
            for r, ranked in lists.items()
        },
    )
