"""The answer of GET /v1/experiments/{key}/results: per-variant means, lifts against the
control with intervals and p-values, sample ratio mismatch, guardrails, and a decision.

The caller aggregates the event log per user; this module only does arithmetic on the
arrays it is handed (statistics in `stats`). The answer's keys are a contract that
clients read; figures that are undefined are null."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from personify.errors import NotFound
from personify.experiments import stats
from personify.experiments.definitions import (
    BUILT_IN_METRICS,
    QUANTILES,
    Decision,
    Experiment,
    MetricSpec,
)

Role = Literal["primary", "secondary", "guardrail"]
EMPTY = np.zeros(0)


@dataclass(frozen=True, kw_only=True)
class Outcomes:
    """One metric's data for one variant (see the brief of issue 17 for each field)."""

    values: np.ndarray
    denominators: np.ndarray | None = None
    before: np.ndarray | None = None


@dataclass(frozen=True, kw_only=True)
class VariantData:
    users: int
    exposures: int
    outcomes: dict[str, Outcomes]


NO_DATA = VariantData(users=0, exposures=0, outcomes={})


def analyze(
    experiment: Experiment, metrics: Mapping[str, MetricSpec], data: Mapping[str, VariantData]
) -> dict[str, Any]:
    """The results answer. A variant missing from `data` counts as one with no users."""
    names = [v.name for v in experiment.variants]
    arms = {name: data.get(name, NO_DATA) for name in names}
    srm_p = stats.srm_p_value([arms[n].users for n in names], list(experiment.weights().values()))
    flagged = srm_p is not None and srm_p < stats.SRM_ALPHA
    answers = {
        name: _metric(experiment, _spec(name, metrics), role, arms)
        for name, role in _roles(experiment).items()
    }
    _adjust_secondary(answers, names[1:])
    enough = all(arms[n].users >= experiment.min_users_per_variant for n in names)
    decision, ship, reason = _decide(experiment, answers, flagged, enough)
    return {
        "experiment": experiment.key,
        "status": experiment.status if enough else "insufficient data",
        "srm": {"p_value": srm_p, "flagged": flagged},
        "variants": {n: {"users": arms[n].users, "exposures": arms[n].exposures} for n in names},
        "metrics": answers,
        "decision": decision,
        "ship_variant": ship,
        "reason": reason,
        "sequential": experiment.sequential,
        "control": names[0],
    }


def _roles(experiment: Experiment) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for name in experiment.metrics.guardrails:
        roles[name] = "guardrail"
    for name in experiment.metrics.secondary:
        roles[name] = "secondary"
    roles[experiment.metrics.primary] = "primary"
    return {name: roles[name] for name in experiment.metrics.all()}


def _spec(name: str, metrics: Mapping[str, MetricSpec]) -> MetricSpec:
    spec = metrics.get(name) or BUILT_IN_METRICS.get(name)
    if spec is None:
        raise NotFound(
            f"metric {name!r} is not defined: declare it with POST /v1/metrics", field="metrics"
        )
    return spec


def _metric(
    experiment: Experiment, spec: MetricSpec, role: Role, arms: Mapping[str, VariantData]
) -> dict[str, Any]:
    names = list(arms)
    raw = {n: arms[n].outcomes.get(spec.name, Outcomes(values=EMPTY)) for n in names}
    quantile = QUANTILES.get(spec.name)
    samples = {n: _per_user(spec, raw[n]) for n in names}
    used_cuped = quantile is None and experiment.cuped and _has_before(raw, samples)
    if used_cuped:
        adjusted = stats.cuped([samples[n] for n in names], [_before(raw[n]) for n in names])
        samples = dict(zip(names, adjusted, strict=True))
    variants = {n: _summary(spec, raw[n], samples[n], quantile, used_cuped) for n in names}
    control = names[0]
    comparisons = {}
    for name in names[1:]:
        if quantile is not None:
            diff = stats.quantile_difference(_floats(raw[name]), _floats(raw[control]), quantile)
        else:
            diff = stats.welch(samples[name], samples[control])
        if experiment.sequential:
            diff = stats.anytime_valid(diff)
        comparisons[name] = _comparison(experiment, spec, role, diff, variants[control]["mean"])
    answer: dict[str, Any] = {
        "role": role,
        "kind": spec.kind,
        "statistic": "ratio" if spec.kind == "ratio" else "mean",
        "higher_is_better": spec.higher_is_better,
        "cuped": used_cuped,
        "sequential": experiment.sequential,
        "variants": variants,
        "comparisons": comparisons,
    }
    if quantile is not None:
        answer |= {"statistic": "quantile", "quantile": quantile}
    return answer


def _floats(outcomes: Outcomes) -> np.ndarray:
    return np.asarray(outcomes.values, dtype=float)


def _per_user(spec: MetricSpec, outcomes: Outcomes) -> np.ndarray:
    """What the Welch test compares: the values, or a ratio's linearized values."""
    values = _floats(outcomes)
    if spec.kind != "ratio":
        return values
    denominators = _denominators(outcomes)
    if len(denominators) != len(values):
        return EMPTY
    linear = stats.ratio_values(values, denominators)
    return EMPTY if linear is None else linear


def _denominators(outcomes: Outcomes) -> np.ndarray:
    if outcomes.denominators is None:
        return EMPTY
    return np.asarray(outcomes.denominators, dtype=float)


def _before(outcomes: Outcomes) -> np.ndarray:
    return np.asarray(outcomes.before, dtype=float)


def _has_before(raw: Mapping[str, Outcomes], samples: Mapping[str, np.ndarray]) -> bool:
    """CUPED applies when every variant has one covariate per analysed user."""
    return all(
        raw[n].before is not None and len(_before(raw[n])) == len(samples[n]) for n in raw
    ) and any(len(s) for s in samples.values())


def _summary(
    spec: MetricSpec,
    outcomes: Outcomes,
    sample: np.ndarray,
    quantile: float | None,
    used_cuped: bool,
) -> dict[str, Any]:
    """A variant's figure for the metric. For a quantile metric "mean" holds the quantile,
    so that lift = treatment "mean" - control "mean" holds for every metric."""
    values = _floats(outcomes)
    summary: dict[str, Any] = {"n": len(values)}
    if quantile is not None:
        summary["mean"] = (
            stats.finite(float(stats.last_axis_quantile(values, quantile))) if len(values) else None
        )
    elif spec.kind == "ratio":
        denominator = float(_denominators(outcomes).sum()) if len(sample) else 0.0
        summary["mean"] = float(values.sum()) / denominator if denominator else None
    else:
        summary["mean"] = stats.finite(values.mean()) if len(values) else None
    if used_cuped:
        summary["adjusted_mean"] = stats.finite(sample.mean()) if len(sample) else None
    return summary


def _comparison(
    experiment: Experiment,
    spec: MetricSpec,
    role: Role,
    diff: stats.Difference,
    control_mean: float | None,
) -> dict[str, Any]:
    p_value = stats.finite(diff.p_value)
    answer: dict[str, Any] = {
        "lift": stats.finite(diff.lift),
        "relative_lift": stats.finite(diff.relative_lift),
        "ci95": _interval(diff.ci95),
        "relative_ci95": _interval(diff.relative_ci95),
        "p_value": p_value,
        "significant": p_value is not None and p_value < stats.ALPHA,
        "direction": _direction(spec, diff, p_value),
    }
    if role == "guardrail":
        margin = None if control_mean is None else experiment.guardrail_margin * abs(control_mean)
        inferior = margin is not None and stats.non_inferior(
            diff, margin, higher_is_better=spec.higher_is_better
        )
        answer |= {
            "margin": margin,
            "margin_share": experiment.guardrail_margin,
            "non_inferior": inferior,
            # failed: significantly worse and not shown to be within the margin
            "failed": answer["direction"] == "worse" and not inferior,
        }
    return answer


def _direction(
    spec: MetricSpec, diff: stats.Difference, p_value: float | None
) -> Literal["better", "worse", "none"]:
    if p_value is None or p_value >= stats.ALPHA or not diff.lift:
        return "none"
    return "better" if (diff.lift > 0) == spec.higher_is_better else "worse"


def _interval(interval: stats.Interval | None) -> list[float | None] | None:
    if interval is None:
        return None
    low, high = stats.finite(interval[0]), stats.finite(interval[1])
    return None if low is None or high is None else [low, high]


def _adjust_secondary(answers: Mapping[str, dict[str, Any]], treatments: Sequence[str]) -> None:
    """Holm across the secondary metrics, one family per treatment: `significant` and
    `direction` then follow the adjusted p-value."""
    secondary = [a for a in answers.values() if a["role"] == "secondary"]
    for treatment in treatments:
        rows = [a["comparisons"][treatment] for a in secondary]
        for row, adjusted in zip(rows, stats.holm([r["p_value"] for r in rows]), strict=True):
            row["p_value_holm"] = adjusted
            row["significant"] = adjusted is not None and adjusted < stats.ALPHA
            if not row["significant"]:
                row["direction"] = "none"


def _decide(
    experiment: Experiment, answers: Mapping[str, dict[str, Any]], srm: bool, enough: bool
) -> tuple[Decision, str | None, str]:
    """Insufficient data first, then SRM, harm, a winner, and otherwise keep running."""
    if not enough:
        return (
            "insufficient data",
            None,
            (f"a variant has fewer than {experiment.min_users_per_variant} users"),
        )
    if srm:
        return "stop", None, "sample ratio mismatch: the split is not the planned one"
    primary = answers[experiment.metrics.primary]["comparisons"]
    guardrails = [a["comparisons"] for a in answers.values() if a["role"] == "guardrail"]
    treatments = list(primary)
    harmed = [
        t
        for t in treatments
        if primary[t]["direction"] == "worse" or any(g[t]["failed"] for g in guardrails)
    ]
    if harmed == treatments:
        return "stop", None, "every treatment is worse on the primary metric or a guardrail"
    winners = [
        t
        for t in treatments
        if primary[t]["direction"] == "better" and all(g[t]["non_inferior"] for g in guardrails)
    ]
    if winners:
        best = max(winners, key=lambda t: abs(primary[t]["lift"]))
        return "ship", best, f"{best} is better on the primary metric and passes every guardrail"
    return "keep running", None, "no treatment is yet better with every guardrail passed"
