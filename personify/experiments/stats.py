"""The statistics of an experiment, as small pure functions over numpy arrays.

scipy does the statistics: `ttest_ind(equal_var=False)` and its `confidence_interval`
(Welch), `chisquare` (sample ratio mismatch), `bootstrap` (quantiles) and the t
distribution. What it lacks is written out, each with its source: Holm's step-down
adjustment, the delta method for a relative lift and for a ratio metric (Deng et al.
2018, "Applying the Delta Method in Metric Analytics"), CUPED (Deng et al. 2013) and the
asymptotic confidence sequence (Waudby-Smith et al. 2023, as GrowthBook uses it).
statsmodels was weighed and left out: its CompareMeans takes 20 ms a comparison at 50,000
users an arm (scipy: 5 ms) and its Holm runs gc.collect() on every call.

A figure that is undefined (no users, one user, no spread) is None, never NaN, so an
answer always survives `json.dumps(..., allow_nan=False)`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

ALPHA = 0.05
SRM_ALPHA = 0.001
# confidence sequences are narrowest near this many users (both arms together);
# GrowthBook's default
SEQUENTIAL_TUNING = 5000.0
# a quantile is bootstrapped on at most this many values per arm; above it a fixed-seed
# sample is resampled and its spread scaled by sqrt(sample / all), so a comparison takes
# about 0.15 s however many responses were served (the interval's width then varies by
# about 10% from one data set to the next, as a quantile bootstrap on 3,000 values does)
BOOTSTRAP_CAP = 3000
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 17

Interval = tuple[float, float]


@dataclass(frozen=True, kw_only=True)
class Difference:
    """Treatment against control: absolute lift (treatment - control), relative lift
    (lift / control), their 95% intervals and the two-sided p-value of "no difference".
    `se` and `relative_se` are standard errors; `n` counts both arms (for sequences)."""

    lift: float | None = None
    se: float | None = None
    ci95: Interval | None = None
    p_value: float | None = None
    relative_lift: float | None = None
    relative_se: float | None = None
    relative_ci95: Interval | None = None
    n: int = 0


def finite(value: float | np.floating | None) -> float | None:
    """A plain float, or None for a missing, infinite or NaN one."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def srm_p_value(users: Sequence[int], shares: Sequence[float]) -> float | None:
    """Chi-squared test of users per variant against the planned shares (summing to 1)."""
    total = sum(users)
    if total == 0:
        return None
    expected = [total * share for share in shares]
    return finite(stats.chisquare(list(users), expected).pvalue)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (the k-th smallest times m - k + 1, kept monotone, at most
    1); None stays None and is not counted in the family. scipy has no Holm, and
    statsmodels' `multipletests` runs gc.collect() on every call (0.1 s in a server's heap)."""
    known = [index for index, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    values = np.array([p_values[i] for i in known], dtype=float)
    order = np.argsort(values, kind="stable")
    scaled = values[order] * (len(values) - np.arange(len(values)))
    corrected = np.empty_like(values)
    corrected[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    for index, p in zip(known, corrected, strict=True):
        adjusted[index] = float(p)
    return adjusted


def ratio_values(values: np.ndarray, denominators: np.ndarray) -> np.ndarray | None:
    """Per-user values whose mean is sum(values) / sum(denominators) and whose variance
    over n is that ratio's delta-method variance (the linearization of Deng et al. 2018),
    so a ratio metric goes through the same Welch test as any mean. None when the
    denominators sum to zero."""
    if len(values) == 0 or denominators.sum() == 0:
        return None
    ratio = values.sum() / denominators.sum()
    return ratio + (values - ratio * denominators) / denominators.mean()


def cuped(outcomes: Sequence[np.ndarray], before: Sequence[np.ndarray]) -> list[np.ndarray]:
    """CUPED (Deng et al. 2013): subtract theta * (before - mean(before)) from each value,
    theta = cov(value, before) / var(before) pooled over every variant. The before-exposure
    covariate cannot depend on the variant, so each variant's mean keeps its expectation
    and the variance drops by the squared correlation."""
    y = np.concatenate(outcomes)
    x = np.concatenate(before)
    if len(y) < 2 or np.ptp(x) == 0:
        return list(outcomes)
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    centre = x.mean()
    return [o - theta * (b - centre) for o, b in zip(outcomes, before, strict=True)]


def welch(treatment: np.ndarray, control: np.ndarray) -> Difference:
    """Difference of means: Welch's t-test and interval, relative lift by the delta method.
    With both arms constant the interval is the single point and the p-value undefined."""
    n_t, n_c = len(treatment), len(control)
    if n_t == 0 or n_c == 0:
        return Difference(n=n_t + n_c)
    mean_t, mean_c = float(treatment.mean()), float(control.mean())
    lift = mean_t - mean_c
    if n_t < 2 or n_c < 2:
        return Difference(lift=lift, relative_lift=_ratio(lift, mean_c), n=n_t + n_c)
    if np.ptp(treatment) == 0 and np.ptp(control) == 0:
        return _exact(lift, mean_c, n_t + n_c)
    # scipy warns ("catastrophic cancellation") on an arm of one repeated non-zero value,
    # as a small conversion arm can be; shifting both arms by that value makes it zeros
    # and leaves the difference, its interval and its p-value as they were
    shift = control[0] if np.ptp(control) == 0 else treatment[0] if np.ptp(treatment) == 0 else 0
    test = stats.ttest_ind(treatment - shift, control - shift, equal_var=False)
    low, high = test.confidence_interval(1 - ALPHA)
    p_value, df = test.pvalue, test.df
    se_t = math.sqrt(np.var(treatment, ddof=1) / n_t)
    se_c = math.sqrt(np.var(control, ddof=1) / n_c)
    relative, relative_se = relative_lift(mean_t, se_t, mean_c, se_c)
    relative_ci = None
    if relative is not None and relative_se is not None:
        half = float(stats.t.ppf(1 - ALPHA / 2, df)) * relative_se
        relative_ci = (relative - half, relative + half)
    return Difference(
        lift=lift,
        se=math.hypot(se_t, se_c),
        ci95=(float(low), float(high)),
        p_value=finite(p_value),
        relative_lift=relative,
        relative_se=relative_se,
        relative_ci95=relative_ci,
        n=n_t + n_c,
    )


def relative_lift(
    mean_t: float, se_t: float, mean_c: float, se_c: float
) -> tuple[float | None, float | None]:
    """mean_t / mean_c - 1 and its delta-method standard error, for independent arms:
    var = se_t^2 / mean_c^2 + mean_t^2 se_c^2 / mean_c^4. None when the control is 0."""
    if mean_c == 0:
        return None, None
    variance = se_t**2 / mean_c**2 + mean_t**2 * se_c**2 / mean_c**4
    return mean_t / mean_c - 1, math.sqrt(variance)


def quantile_difference(
    treatment: np.ndarray, control: np.ndarray, q: float, *, seed: int = BOOTSTRAP_SEED
) -> Difference:
    """Difference of the q-quantiles, with percentile-bootstrap intervals (scipy) for the
    absolute and the relative difference and the p-value that inverts them. Each arm is
    resampled independently; an arm over BOOTSTRAP_CAP values is resampled from a
    fixed-seed sample of that size, its deviations scaled by sqrt(sample / all) since a
    quantile's spread falls as 1 / sqrt(n)."""
    n_t, n_c = len(treatment), len(control)
    if n_t == 0 or n_c == 0:
        return Difference(n=n_t + n_c)
    q_t, q_c = float(last_axis_quantile(treatment, q)), float(last_axis_quantile(control, q))
    lift = q_t - q_c
    if n_t < 2 or n_c < 2:
        return Difference(lift=lift, relative_lift=_ratio(lift, q_c), n=n_t + n_c)
    if np.ptp(treatment) == 0 and np.ptp(control) == 0:
        return _exact(lift, q_c, n_t + n_c)
    rng = np.random.default_rng(seed)
    sample_t, scale_t = _capped(treatment, rng)
    sample_c, scale_c = _capped(control, rng)

    def both_quantiles(t: np.ndarray, c: np.ndarray, axis: int) -> np.ndarray:
        t, c = np.moveaxis(t, axis, -1), np.moveaxis(c, axis, -1)
        return np.stack([last_axis_quantile(t, q), last_axis_quantile(c, q)])

    result = stats.bootstrap(
        (sample_t, sample_c),
        both_quantiles,
        n_resamples=BOOTSTRAP_RESAMPLES,
        vectorized=True,
        method="percentile",
        rng=rng,
    )
    boot_t, boot_c = result.bootstrap_distribution
    boot_t = q_t + scale_t * (boot_t - last_axis_quantile(sample_t, q))
    boot_c = q_c + scale_c * (boot_c - last_axis_quantile(sample_c, q))
    diffs = boot_t - boot_c
    relative = relative_ci = relative_se = None
    if q_c != 0 and np.all(boot_c != 0):
        ratios = boot_t / boot_c - 1
        relative, relative_se = lift / q_c, float(np.std(ratios, ddof=1))
        relative_ci = _percentiles(ratios)
    share_below = float(np.mean(diffs <= 0))
    share_above = float(np.mean(diffs >= 0))
    spread = float(np.std(diffs, ddof=1))
    return Difference(
        lift=lift,
        se=spread,
        ci95=_percentiles(diffs),
        p_value=min(1.0, 2 * min(share_below, share_above)) if spread > 0 else None,
        relative_lift=relative,
        relative_se=relative_se,
        relative_ci95=relative_ci,
        n=n_t + n_c,
    )


def anytime_valid(difference: Difference) -> Difference:
    """The same estimates with asymptotic confidence-sequence intervals and always-valid
    p-values in place of fixed-horizon ones: the two-sided normal-mixture sequence of
    Waudby-Smith et al. 2023 (arXiv 2103.06476, eq. 155), tuned as GrowthBook does.
    Valid however often the results are read; always wider than the fixed interval."""
    n = difference.n
    if difference.lift is None or difference.se is None or difference.se == 0 or n < 2:
        return difference
    rho2 = (-2 * math.log(ALPHA) + math.log(-2 * math.log(ALPHA) + 1)) / SEQUENTIAL_TUNING
    spread = n * rho2 + 1

    def half_width(se: float) -> float:
        return se * math.sqrt(2 * n * spread * math.log(math.sqrt(spread) / ALPHA) / (n**2 * rho2))

    z2 = (difference.lift / difference.se) ** 2
    p_value = min(1.0, math.sqrt(spread) * math.exp(-rho2 * n * z2 / (2 * spread)))
    relative_ci = None
    if difference.relative_lift is not None and difference.relative_se is not None:
        half = half_width(difference.relative_se)
        relative_ci = (difference.relative_lift - half, difference.relative_lift + half)
    half = half_width(difference.se)
    return replace(
        difference,
        ci95=(difference.lift - half, difference.lift + half),
        p_value=p_value,
        relative_ci95=relative_ci,
    )


def non_inferior(difference: Difference, margin: float, *, higher_is_better: bool) -> bool:
    """Whether the interval rules out harm larger than `margin` (one-sided at 2.5%)."""
    if difference.ci95 is None:
        return False
    low, high = difference.ci95
    return low >= -margin if higher_is_better else high <= margin


def last_axis_quantile(values: np.ndarray, q: float) -> np.ndarray:
    """np.quantile(values, q, axis=-1) with its default (linear) method, four times as
    fast on a bootstrap's resamples: one partition finds the lower order statistic and a
    minimum the next one, where np.quantile partitions at both."""
    size = values.shape[-1]
    position = (size - 1) * q
    k = int(position)
    part = np.partition(values, k, axis=-1)
    low = part[..., k]
    if k + 1 >= size:
        return low
    return low + (position - k) * (part[..., k + 1 :].min(axis=-1) - low)


def _exact(lift: float, control: float, n: int) -> Difference:
    """Both arms constant: the difference is known exactly and no test applies."""
    relative = _ratio(lift, control)
    return Difference(
        lift=lift,
        se=0.0,
        ci95=(lift, lift),
        relative_lift=relative,
        relative_se=None if relative is None else 0.0,
        relative_ci95=None if relative is None else (relative, relative),
        n=n,
    )


def _ratio(lift: float, control: float) -> float | None:
    return lift / control if control != 0 else None


def _capped(values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    if len(values) <= BOOTSTRAP_CAP:
        return values, 1.0
    sample = rng.choice(values, BOOTSTRAP_CAP, replace=False)
    return sample, math.sqrt(BOOTSTRAP_CAP / len(values))


def _percentiles(draws: np.ndarray) -> Interval:
    low, high = np.quantile(draws, [ALPHA / 2, 1 - ALPHA / 2])
    return float(low), float(high)
