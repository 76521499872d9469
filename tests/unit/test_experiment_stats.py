"""The statistics against answers computed another way: textbook formulas, simulations
with a known truth, and worked examples."""

import math
import warnings
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats as scipy_stats

from personify.experiments import stats

RNG_SEED = 20240617
Compare = Callable[[np.ndarray, np.ndarray], stats.Difference]


def test_welch_matches_the_textbook_formula() -> None:
    # Welch's 1947-style worked example (Wikipedia, "Welch's t-test", example 1)
    treatment = np.array(
        [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
    )
    control = np.array(
        [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
    )
    v_t = treatment.var(ddof=1) / len(treatment)
    v_c = control.var(ddof=1) / len(control)
    lift = treatment.mean() - control.mean()
    se = math.sqrt(v_t + v_c)
    df = (v_t + v_c) ** 2 / (v_t**2 / (len(treatment) - 1) + v_c**2 / (len(control) - 1))
    half = scipy_stats.t.ppf(0.975, df) * se
    p_value = 2 * scipy_stats.t.sf(abs(lift / se), df)

    result = stats.welch(treatment, control)

    assert result.lift == pytest.approx(lift)
    assert result.se == pytest.approx(se)
    assert result.ci95 == pytest.approx((lift - half, lift + half))
    assert result.p_value == pytest.approx(p_value)
    assert lift / se == pytest.approx(-2.46, abs=0.005)  # the worked example's t
    assert result.p_value == pytest.approx(0.021, abs=0.0005)  # and its p-value
    assert result.relative_lift == pytest.approx(lift / control.mean())


def test_welch_with_one_constant_arm_is_still_welch_and_quiet() -> None:
    control = np.random.default_rng(RNG_SEED).normal(0.5, 0.2, 40)
    treatment = np.ones(25)  # every user converted: one repeated value, no spread
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = stats.welch(treatment, control)
    se = math.sqrt(control.var(ddof=1) / len(control))
    half = scipy_stats.t.ppf(0.975, len(control) - 1) * se  # Welch's df: the varying arm's
    lift = 1 - control.mean()
    assert result.ci95 == pytest.approx((lift - half, lift + half))
    assert result.p_value == pytest.approx(2 * scipy_stats.t.sf(lift / se, len(control) - 1))


def test_delta_method_relative_interval_matches_a_simulation() -> None:
    rng = np.random.default_rng(RNG_SEED)
    n, p_control, p_treatment = 2000, 0.10, 0.12
    truth = p_treatment / p_control - 1
    estimates: list[float] = []
    errors: list[float] = []
    covered = 0
    for _ in range(800):
        result = stats.welch(
            (rng.random(n) < p_treatment).astype(float), (rng.random(n) < p_control).astype(float)
        )
        assert result.relative_ci95 is not None and result.relative_se is not None
        assert result.relative_lift is not None
        estimates.append(result.relative_lift)
        errors.append(result.relative_se)
        covered += result.relative_ci95[0] <= truth <= result.relative_ci95[1]
    assert np.median(errors) == pytest.approx(np.std(estimates), rel=0.1)
    assert 0.92 <= covered / 800 <= 0.975


def test_srm_flags_a_55_45_split_but_not_a_near_even_one() -> None:
    flagged = stats.srm_p_value([5500, 4500], [0.5, 0.5])
    fine = stats.srm_p_value([5010, 4990], [0.5, 0.5])
    assert flagged is not None and flagged < stats.SRM_ALPHA
    assert fine is not None and fine > 0.5
    assert stats.srm_p_value([0, 0], [0.5, 0.5]) is None


def test_holm_on_a_known_vector() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> monotone 0.06
    adjusted = stats.holm([0.01, 0.04, 0.03, None, 0.005])
    assert adjusted[3] is None
    assert [adjusted[i] for i in (0, 1, 2, 4)] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([]) == []


def test_holm_rejects_what_the_step_down_procedure_rejects() -> None:
    rng = np.random.default_rng(RNG_SEED)
    for size in (1, 2, 5, 12):
        p_values = list(rng.random(size) ** 3)
        adjusted = stats.holm(p_values)
        for alpha in (0.001, 0.01, 0.05, 0.2):
            # Holm 1979: walk up the sorted p-values while p_(k) <= alpha / (m - k + 1)
            rejected = set()
            for k, index in enumerate(np.argsort(p_values)):
                if p_values[index] > alpha / (size - k):
                    break
                rejected.add(index)
            assert {i for i, p in enumerate(adjusted) if p is not None and p <= alpha} == rejected


def test_fast_quantile_is_numpys_linear_quantile() -> None:
    rng = np.random.default_rng(RNG_SEED)
    for size in (1, 2, 3, 10, 1001):
        values = rng.gamma(2.0, 3.0, (7, size))
        for q in (0.0, 0.5, 0.95, 0.999, 1.0):
            expected = np.quantile(values, q, axis=-1)
            assert stats.last_axis_quantile(values, q) == pytest.approx(expected)


def test_ratio_values_give_the_pooled_ratio_and_its_delta_variance() -> None:
    rng = np.random.default_rng(RNG_SEED)
    exposures = rng.integers(1, 20, 5000).astype(float)
    clicks = rng.binomial(exposures.astype(int), 0.08).astype(float)
    linear = stats.ratio_values(clicks, exposures)
    assert linear is not None
    ratio = clicks.sum() / exposures.sum()
    covariance = np.cov(clicks, exposures)
    delta = (
        covariance[0, 0] - 2 * ratio * covariance[0, 1] + ratio**2 * covariance[1, 1]
    ) / exposures.mean() ** 2
    assert linear.mean() == pytest.approx(ratio)
    assert linear.var(ddof=1) == pytest.approx(delta)
    assert stats.ratio_values(np.zeros(3), np.zeros(3)) is None


def test_cuped_narrows_the_interval_and_keeps_the_lift_unbiased() -> None:
    rng = np.random.default_rng(RNG_SEED)
    n, true_lift = 1000, 0.3
    plain: list[float] = []
    adjusted: list[float] = []
    widths_plain: list[float] = []
    widths_cuped: list[float] = []
    for _ in range(200):
        before_t, before_c = rng.normal(10, 2, n), rng.normal(10, 2, n)
        after_t = before_t + rng.normal(true_lift, 1, n)
        after_c = before_c + rng.normal(0, 1, n)
        raw = stats.welch(after_t, after_c)
        cuped_t, cuped_c = stats.cuped([after_t, after_c], [before_t, before_c])
        with_cuped = stats.welch(cuped_t, cuped_c)
        assert raw.ci95 is not None and with_cuped.ci95 is not None
        assert raw.lift is not None and with_cuped.lift is not None
        plain.append(raw.lift)
        adjusted.append(with_cuped.lift)
        widths_plain.append(raw.ci95[1] - raw.ci95[0])
        widths_cuped.append(with_cuped.ci95[1] - with_cuped.ci95[0])
    # corr(before, after)^2 = 4 / 5: the interval should shrink to about sqrt(1/5) of its width
    assert np.mean(widths_cuped) < 0.55 * np.mean(widths_plain)
    assert np.mean(adjusted) == pytest.approx(
        true_lift, abs=float(3 * np.std(adjusted) / math.sqrt(200))
    )
    assert np.std(adjusted) < 0.55 * np.std(plain)


def test_sequential_interval_is_wider_and_its_p_value_inverts_it() -> None:
    rng = np.random.default_rng(RNG_SEED)
    for n in (200, 5000, 50_000):
        fixed = stats.welch(rng.normal(0.05, 1, n), rng.normal(0, 1, n))
        always = stats.anytime_valid(fixed)
        assert fixed.ci95 is not None and always.ci95 is not None and fixed.lift is not None
        assert always.ci95[0] < fixed.ci95[0] and always.ci95[1] > fixed.ci95[1]
        assert always.p_value is not None and fixed.p_value is not None
        assert always.p_value >= fixed.p_value
        # at the edge of the sequence the always-valid p-value is exactly alpha
        edge = stats.Difference(lift=always.ci95[1] - fixed.lift + 0.0, se=fixed.se, n=fixed.n)
        assert stats.anytime_valid(edge).p_value == pytest.approx(stats.ALPHA)


def test_quantile_interval_has_the_textbook_width_when_sampled() -> None:
    rng = np.random.default_rng(RNG_SEED)
    n = 50_000  # over BOOTSTRAP_CAP: the sampled, rescaled path
    # asymptotic sd of a sample p-quantile: sqrt(p (1 - p) / n) / density(quantile)
    sd = math.sqrt(0.95 * 0.05 / n) / 0.05
    expected_width = 2 * 1.96 * math.sqrt(2) * sd
    widths, covered = [], 0
    for _ in range(5):
        treatment, control = rng.exponential(1.0, n), rng.exponential(1.0, n)
        result = stats.quantile_difference(treatment, control, 0.95)
        assert result.ci95 is not None and result.p_value is not None
        widths.append(result.ci95[1] - result.ci95[0])
        covered += result.ci95[0] <= 0 <= result.ci95[1]
    assert np.mean(widths) == pytest.approx(expected_width, rel=0.15)
    assert covered >= 4
    again = stats.quantile_difference(treatment, control, 0.95)
    assert again == result  # a fixed seed: the same data give the same answer


def test_quantile_detects_a_slower_treatment() -> None:
    rng = np.random.default_rng(RNG_SEED)
    control = rng.gamma(2.0, 50.0, 1500)
    treatment = rng.gamma(2.0, 50.0, 1500) * 1.3
    result = stats.quantile_difference(treatment, control, 0.95)
    truth = 0.3 * scipy_stats.gamma.ppf(0.95, 2.0, scale=50.0)
    assert result.ci95 is not None and result.relative_ci95 is not None
    assert result.ci95[0] <= truth <= result.ci95[1]
    assert result.relative_ci95[0] <= 0.3 <= result.relative_ci95[1]
    assert result.p_value is not None and result.p_value < 0.01


@pytest.mark.parametrize(
    "compare", [stats.welch, lambda t, c: stats.quantile_difference(t, c, 0.95)]
)
def test_undefined_figures_are_none(compare: Compare) -> None:
    empty = compare(np.zeros(0), np.ones(5))
    assert empty.lift is None and empty.ci95 is None and empty.p_value is None
    single = compare(np.ones(1), np.ones(5))
    assert single.lift == 0 and single.ci95 is None and single.p_value is None
    constant = compare(np.ones(10), np.ones(10))
    assert constant.p_value is None and constant.ci95 == (0.0, 0.0)
    zero_control = compare(np.ones(10), np.zeros(10))
    assert zero_control.relative_lift is None and zero_control.relative_ci95 is None


def test_non_inferiority_passes_and_fails_both_ways() -> None:
    inside = stats.Difference(lift=-0.01, ci95=(-0.03, 0.01))
    beyond = stats.Difference(lift=-0.04, ci95=(-0.08, 0.0))
    assert stats.non_inferior(inside, 0.05, higher_is_better=True)
    assert not stats.non_inferior(beyond, 0.05, higher_is_better=True)
    # for a metric where lower is better the harm is on the other side
    assert stats.non_inferior(
        stats.Difference(lift=0.01, ci95=(-0.01, 0.03)), 0.05, higher_is_better=False
    )
    assert not stats.non_inferior(
        stats.Difference(lift=0.04, ci95=(0.0, 0.08)), 0.05, higher_is_better=False
    )
    assert not stats.non_inferior(stats.Difference(), 0.05, higher_is_better=True)
