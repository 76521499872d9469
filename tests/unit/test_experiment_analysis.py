"""The results answer: its shape, each decision, guardrails, Holm, CUPED, sequential
intervals, and nulls where a figure is undefined."""

import json
from typing import Any

import numpy as np
import pytest

from personify.errors import NotFound
from personify.experiments.analysis import Outcomes, VariantData, analyze
from personify.experiments.definitions import Experiment, MetricSet, MetricSpec, Variant

RNG = np.random.default_rng()
CLICKS = MetricSpec(name="clicks", kind="count", events=["card_click"])
METRICS = {"clicks": CLICKS}


@pytest.fixture(autouse=True)
def _same_data_whatever_the_order() -> None:
    global RNG
    RNG = np.random.default_rng(7)


def experiment(**changes: object) -> Experiment:
    fields: dict[str, object] = {
        "key": "onboarding-copy",
        "surface": "onboarding",
        "variants": [Variant(name="control", weight=1), Variant(name="treatment", weight=1)],
        "metrics": MetricSet(primary="conversion", guardrails=["fallback_rate", "latency_p95_ms"]),
        "min_users_per_variant": 100,
        "created_at": 0.0,
    } | changes
    return Experiment.model_validate(fields)


def arm(
    users: int,
    conversion: float,
    fallback: float = 0.02,
    latency_ms: float = 100.0,
    extra: dict[str, Outcomes] | None = None,
) -> VariantData:
    exposures = RNG.integers(1, 6, users).astype(float)
    outcomes = {
        "conversion": Outcomes(values=(RNG.random(users) < conversion).astype(float)),
        "fallback_rate": Outcomes(
            values=RNG.binomial(exposures.astype(int), fallback).astype(float),
            denominators=exposures,
        ),
        "latency_p95_ms": Outcomes(values=RNG.gamma(4.0, latency_ms / 4, int(exposures.sum()))),
    }
    return VariantData(
        users=users, exposures=int(exposures.sum()), outcomes=outcomes | (extra or {})
    )


def twin(data: VariantData, conversion: float) -> VariantData:
    """The same guardrail data (no difference there), another conversion rate."""
    values = (RNG.random(data.users) < conversion).astype(float)
    outcomes = data.outcomes | {"conversion": Outcomes(values=values)}
    return VariantData(users=data.users, exposures=data.exposures, outcomes=outcomes)


def results(exp: Experiment, **arms: VariantData) -> dict[str, Any]:
    answer = analyze(exp, METRICS, arms)
    json.dumps(answer, allow_nan=False)  # no NaN or infinity anywhere
    return answer


def test_answer_has_every_contract_key() -> None:
    exp = experiment(
        metrics=MetricSet(primary="conversion", secondary=["clicks"], guardrails=["latency_p95_ms"])
    )
    clicks = {"clicks": Outcomes(values=RNG.poisson(2.0, 3000).astype(float))}
    answer = results(
        exp, control=arm(3000, 0.1, extra=clicks), treatment=arm(3000, 0.1, extra=clicks)
    )
    assert answer["experiment"] == "onboarding-copy"
    assert answer["status"] == "running"
    assert set(answer["srm"]) >= {"p_value", "flagged"}
    assert answer["variants"]["treatment"]["users"] == 3000
    assert answer["variants"]["control"]["exposures"] > 3000
    assert answer["decision"] in {"ship", "keep running", "stop", "insufficient data"}
    roles = {name: metric["role"] for name, metric in answer["metrics"].items()}
    assert roles == {"conversion": "primary", "clicks": "secondary", "latency_p95_ms": "guardrail"}
    for metric in answer["metrics"].values():
        assert set(metric["variants"]) == {"control", "treatment"}
        assert list(metric["comparisons"]) == ["treatment"]
        comparison = metric["comparisons"]["treatment"]
        expected = {"lift", "relative_lift", "ci95", "relative_ci95", "p_value", "significant"}
        assert set(comparison) >= expected
        low, high = comparison["ci95"]
        assert low <= comparison["lift"] <= high
    assert "p_value_holm" in answer["metrics"]["clicks"]["comparisons"]["treatment"]
    latency = answer["metrics"]["latency_p95_ms"]
    assert latency["statistic"] == "quantile"
    assert {"non_inferior", "margin"} <= set(latency["comparisons"]["treatment"])


def test_ships_a_clearly_better_treatment_that_passes_guardrails() -> None:
    # a 30% margin: 4,000 users cannot show a 2% fallback rate within 10% of itself
    control = arm(4000, 0.10)
    answer = results(
        experiment(guardrail_margin=0.3), control=control, treatment=twin(control, 0.14)
    )
    comparison = answer["metrics"]["conversion"]["comparisons"]["treatment"]
    assert comparison["significant"] and comparison["lift"] > 0
    assert answer["metrics"]["fallback_rate"]["comparisons"]["treatment"]["non_inferior"]
    assert answer["decision"] == "ship"
    assert answer["ship_variant"] == "treatment"


def test_picks_the_better_of_two_winning_treatments() -> None:
    exp = experiment(
        variants=[Variant(name=n, weight=1) for n in ("control", "small", "large")],
        guardrail_margin=0.3,
    )
    control = arm(4000, 0.10)
    answer = results(exp, control=control, small=twin(control, 0.14), large=twin(control, 0.20))
    assert answer["decision"] == "ship"
    assert answer["ship_variant"] == "large"


def test_stops_when_every_treatment_is_worse_on_the_primary() -> None:
    answer = results(experiment(), control=arm(4000, 0.14), treatment=arm(4000, 0.10))
    assert answer["metrics"]["conversion"]["comparisons"]["treatment"]["direction"] == "worse"
    assert answer["decision"] == "stop"
    assert answer["ship_variant"] is None


def test_stops_when_the_treatment_fails_a_guardrail() -> None:
    answer = results(
        experiment(), control=arm(4000, 0.10), treatment=arm(4000, 0.14, fallback=0.06)
    )
    guardrail = answer["metrics"]["fallback_rate"]["comparisons"]["treatment"]
    assert not guardrail["non_inferior"] and guardrail["failed"]
    assert guardrail["margin"] == pytest.approx(
        0.1 * answer["metrics"]["fallback_rate"]["variants"]["control"]["mean"]
    )
    assert answer["decision"] == "stop"


def test_keeps_running_when_a_guardrail_is_not_yet_shown_safe() -> None:
    # better on the primary, but 150 users cannot show fallbacks within 10% of 2%
    control = arm(150, 0.10)
    answer = results(experiment(), control=control, treatment=twin(control, 0.40))
    guardrail = answer["metrics"]["fallback_rate"]["comparisons"]["treatment"]
    assert answer["metrics"]["conversion"]["comparisons"]["treatment"]["direction"] == "better"
    assert not guardrail["non_inferior"] and not guardrail["failed"]
    assert answer["decision"] == "keep running"


def test_keeps_running_without_a_difference() -> None:
    same = arm(2000, 0.10)
    answer = results(experiment(), control=same, treatment=same)
    assert answer["decision"] == "keep running"


def test_stops_on_sample_ratio_mismatch() -> None:
    answer = results(experiment(), control=arm(5500, 0.10), treatment=arm(4500, 0.14))
    assert answer["srm"]["flagged"]
    assert answer["decision"] == "stop"


def test_insufficient_data_below_the_minimum_is_an_answer_not_an_error() -> None:
    answer = results(
        experiment(min_users_per_variant=500), control=arm(400, 0.1), treatment=arm(600, 0.3)
    )
    assert answer["status"] == "insufficient data"
    assert answer["decision"] == "insufficient data"


def test_zero_users_give_nulls() -> None:
    empty = VariantData(users=0, exposures=0, outcomes={})
    answer = results(experiment(status="stopped", stopped_at=1.0), control=empty, treatment=empty)
    assert answer["srm"] == {"p_value": None, "flagged": False}
    assert answer["decision"] == "insufficient data"
    for metric in answer["metrics"].values():
        assert metric["variants"]["control"]["mean"] is None
        comparison = metric["comparisons"]["treatment"]
        assert comparison["lift"] is None and comparison["ci95"] is None
        assert comparison["p_value"] is None and comparison["significant"] is False


def test_zero_variance_gives_null_p_values_and_passes_an_unchanged_guardrail() -> None:
    def constant(users: int) -> VariantData:
        ones = np.ones(users)
        return VariantData(
            users=users,
            exposures=users,
            outcomes={
                "conversion": Outcomes(values=np.zeros(users)),
                "fallback_rate": Outcomes(values=np.zeros(users), denominators=ones),
            },
        )

    answer = results(experiment(), control=constant(300), treatment=constant(300))
    conversion = answer["metrics"]["conversion"]["comparisons"]["treatment"]
    assert conversion["lift"] == 0 and conversion["p_value"] is None
    assert conversion["relative_lift"] is None  # the control's mean is 0
    assert answer["metrics"]["fallback_rate"]["comparisons"]["treatment"]["non_inferior"]
    assert answer["metrics"]["latency_p95_ms"]["variants"]["control"]["mean"] is None
    assert answer["decision"] == "keep running"


def test_ratio_metric_mean_is_pooled() -> None:
    control, treatment = arm(1000, 0.1), arm(1000, 0.1)
    answer = results(experiment(), control=control, treatment=treatment)
    data = control.outcomes["fallback_rate"]
    assert data.denominators is not None
    pooled = data.values.sum() / data.denominators.sum()
    assert answer["metrics"]["fallback_rate"]["variants"]["control"]["mean"] == pytest.approx(
        pooled
    )


def test_holm_adjusts_secondary_metrics_only() -> None:
    names = [f"m{i}" for i in range(4)]
    metrics = {n: MetricSpec(name=n, kind="sum", events=["purchase"]) for n in names}
    exp = experiment(metrics=MetricSet(primary="conversion", secondary=names))
    shifts = [0.0, 0.0, 0.0, 0.09]

    def outcomes(shift: float) -> VariantData:
        data = arm(2000, 0.1)
        extra = {
            n: Outcomes(values=RNG.normal(s, 1, 2000)) for n, s in zip(names, shifts, strict=True)
        }
        return VariantData(users=2000, exposures=data.exposures, outcomes=data.outcomes | extra)

    answer = analyze(exp, metrics, {"control": outcomes(0), "treatment": outcomes(1)})
    rows = [answer["metrics"][n]["comparisons"]["treatment"] for n in names]
    raw = [r["p_value"] for r in rows]
    order = np.argsort(raw)
    expected = np.maximum.accumulate([raw[i] * (4 - k) for k, i in enumerate(order)])
    for k, i in enumerate(order):
        assert rows[i]["p_value_holm"] == pytest.approx(min(1.0, expected[k]))
        assert rows[i]["significant"] == (rows[i]["p_value_holm"] < 0.05)
    assert "p_value_holm" not in answer["metrics"]["conversion"]["comparisons"]["treatment"]


def test_cuped_is_used_and_narrows_the_interval() -> None:
    def with_history(users: int, lift: float) -> VariantData:
        before = RNG.normal(50, 10, users)
        after = before + RNG.normal(lift, 5, users)
        data = arm(users, 0.1)
        return VariantData(
            users=users,
            exposures=data.exposures,
            outcomes=data.outcomes | {"revenue_per_user": Outcomes(values=after, before=before)},
        )

    control, treatment = with_history(3000, 0), with_history(3000, 1)
    exp = MetricSet(primary="revenue_per_user")
    plain = results(experiment(metrics=exp), control=control, treatment=treatment)
    adjusted = results(experiment(metrics=exp, cuped=True), control=control, treatment=treatment)
    metric = adjusted["metrics"]["revenue_per_user"]
    assert metric["cuped"] and not plain["metrics"]["revenue_per_user"]["cuped"]
    assert "adjusted_mean" in metric["variants"]["control"]

    def width(answer: dict[str, Any]) -> float:
        low, high = answer["metrics"]["revenue_per_user"]["comparisons"]["treatment"]["ci95"]
        return float(high - low)

    assert width(adjusted) < 0.6 * width(plain)


def test_sequential_intervals_are_wider_than_fixed_ones() -> None:
    control, treatment = arm(3000, 0.10), arm(3000, 0.12)
    fixed = results(experiment(), control=control, treatment=treatment)
    always = results(experiment(sequential=True), control=control, treatment=treatment)
    for name in ("conversion", "fallback_rate", "latency_p95_ms"):
        low_f, high_f = fixed["metrics"][name]["comparisons"]["treatment"]["ci95"]
        low_s, high_s = always["metrics"][name]["comparisons"]["treatment"]["ci95"]
        assert low_s < low_f and high_s > high_f
    assert always["metrics"]["conversion"]["sequential"] is True


def test_latency_guardrail_flags_a_slower_treatment() -> None:
    answer = results(
        experiment(metrics=MetricSet(primary="conversion", guardrails=["latency_p95_ms"])),
        control=arm(2000, 0.10),
        treatment=arm(2000, 0.14, latency_ms=150.0),
    )
    latency = answer["metrics"]["latency_p95_ms"]
    assert latency["variants"]["treatment"]["mean"] > latency["variants"]["control"]["mean"]
    assert latency["comparisons"]["treatment"]["failed"]
    assert answer["decision"] == "stop"


def test_an_undeclared_metric_is_named() -> None:
    exp = experiment(metrics=MetricSet(primary="no_such_metric"))
    with pytest.raises(NotFound, match="no_such_metric"):
        analyze(exp, {}, {"control": arm(10, 0.1), "treatment": arm(10, 0.1)})
