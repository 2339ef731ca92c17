"""The trend statistics against independent references: scipy, exact enumeration, closed forms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from xfer_tasks.compare import trend


def test_ols_slope_equals_scipy_and_its_ci_is_the_hc2_sandwich():
    rng = np.random.default_rng(0)
    k = np.repeat(np.arange(6), 3)
    y = 0.5 + 0.01 * k + rng.normal(0, 0.02, k.size) * (1 + k)
    fit = trend.ols_slope(k, y, permutations=99)
    ref = sps.linregress(k, y)
    assert fit.slope == pytest.approx(ref.slope)
    assert fit.intercept == pytest.approx(ref.intercept)
    assert fit.stderr_classical == pytest.approx(ref.stderr)
    # HC2 by the matrix sandwich (X'X)^-1 X' diag(e^2 / (1 - h)) X (X'X)^-1
    x = np.column_stack([np.ones(k.size), k])
    bread = np.linalg.inv(x.T @ x)
    e = y - x @ (bread @ x.T @ y)
    h = np.einsum("ij,jk,ik->i", x, bread, x)
    hc2 = bread @ x.T @ np.diag(e**2 / (1 - h)) @ x @ bread
    assert fit.stderr == pytest.approx(np.sqrt(hc2[1, 1]))
    t = sps.t.ppf(0.975, fit.df)
    assert (fit.ci_low, fit.ci_high) == pytest.approx((fit.slope - t * fit.stderr, fit.slope + t * fit.stderr))
    assert fit.p_value_t == pytest.approx(2 * sps.t.sf(abs(fit.slope) / fit.stderr, fit.df))
    assert 2 < fit.df < k.size - 2 and fit.stderr_method == trend.ROBUST


def test_bell_mccaffrey_df_of_two_groups_is_welchs_df_with_equal_variances():
    """x in {0, 1}: HC2 is Welch's variance and the BM df is Welch-Satterthwaite's with equal
    variances plugged in, (1/n0 + 1/n1)^2 / (1/(n0^2 (n0-1)) + 1/(n1^2 (n1-1)))."""
    n0, n1 = 3, 7
    x = np.array([0] * n0 + [1] * n1, dtype=float)
    y = np.array([0.1, 0.4, 0.2, 0.5, 0.9, 0.6, 0.8, 0.7, 0.75, 0.65])
    fit = trend.ols_slope(x, y, permutations=0)
    welch = math.sqrt(np.var(y[:n0], ddof=1) / n0 + np.var(y[n0:], ddof=1) / n1)
    df = (1 / n0 + 1 / n1) ** 2 / (1 / (n0**2 * (n0 - 1)) + 1 / (n1**2 * (n1 - 1)))
    assert fit.stderr == pytest.approx(welch) and fit.df == pytest.approx(df)


def test_a_run_alone_with_leverage_one_falls_back_to_the_classical_interval():
    fit = trend.ols_slope([0, 1, 1], [0.4, 0.5, 0.56], permutations=99)
    ref = sps.linregress([0, 1, 1], [0.4, 0.5, 0.56])
    assert fit.stderr_method == trend.CLASSICAL and fit.stderr == pytest.approx(ref.stderr)
    assert fit.df == 1


def _hc2_t(x: np.ndarray, y: np.ndarray) -> float:
    xc = x - x.mean()
    sxx = xc @ xc
    b = xc @ (y - y.mean()) / sxx
    e = y - y.mean() - b * xc
    h = 1 / x.size + xc**2 / sxx
    return b / math.sqrt(np.sum(xc**2 * e**2 / (1 - h)) / sxx**2)


def test_studentized_permutation_p_value_matches_exact_enumeration():
    k = np.array([0, 1, 2, 3, 4, 5, 6], dtype=float)
    y = np.array([0.50, 0.52, 0.49, 0.55, 0.53, 0.58, 0.56])
    observed = abs(_hc2_t(k, y))
    perms = list(itertools.permutations(k))
    exact = np.mean([abs(_hc2_t(np.array(p), y)) >= observed - 1e-12 for p in perms])
    fit = trend.ols_slope(k, y, permutations=20000, seed=3)
    # Monte Carlo error of p at B = 20000 is below 0.004 here
    assert fit.p_value == pytest.approx(exact, abs=0.01)
    xc, yc = k - k.mean(), y - y.mean()
    raw = np.mean([abs(np.dot(np.array(p) - k.mean(), yc)) >= abs(xc @ yc) - 1e-12 for p in perms])
    unstudentized = trend.permutation_p_value(xc, yc, float(xc @ yc), 20000, 3)
    assert unstudentized == pytest.approx(raw, abs=0.01)


def test_no_interval_with_two_runs_and_errors_without_two_k():
    fit = trend.ols_slope([0, 1], [0.4, 0.5])
    assert fit.slope == pytest.approx(0.1) and fit.ci_low is None and fit.p_value is None
    with pytest.raises(ValueError, match="two distinct k"):
        trend.ols_slope([2, 2, 2], [0.1, 0.2, 0.3])


def test_k_means_interval_uses_each_ks_own_spread_and_pooled_for_a_lone_run():
    k = [0, 1, 1, 2, 2, 2]
    y = [0.50, 0.55, 0.53, 0.60, 0.58, 0.62]
    means = trend.k_means(k, y)
    assert means.k_values == [0, 1, 2] and means.n_runs == [1, 2, 3]
    ss = (0.01**2 * 2) + (0.02**2 + 0.0 + 0.02**2)
    sd = math.sqrt(ss / (6 - 3))
    assert means.sd == pytest.approx(sd) and means.df == 3
    # k = 2: the one-sample t interval of its own three runs (scipy's, independently)
    own = sps.t.interval(0.95, 2, loc=0.60, scale=sps.sem([0.60, 0.58, 0.62]))
    assert (means.ci_low[2], means.ci_high[2]) == pytest.approx(own)
    # k = 0 has one run: the pooled spread of the others, on their df
    half = sps.t.ppf(0.975, 3) * sd
    assert (means.ci_low[0], means.ci_high[0]) == pytest.approx((0.50 - half, 0.50 + half))
    assert means.best_k == 2 and means.sd_source == "within k (pooled)"
    # P(mu_2 > mu_0): with the difference 0.09 against its posterior scale, near certain
    assert means.p_best_beats_k0 > 0.99


def test_k_means_with_one_run_per_k_uses_the_scatter_around_the_line():
    k = [0, 1, 2, 3, 4]
    y = [0.50, 0.53, 0.51, 0.56, 0.55]
    means = trend.k_means(k, y)
    ref = sps.linregress(k, y)
    residual_sd = ref.stderr * math.sqrt(sum((v - 2) ** 2 for v in k))
    assert means.sd_source == "around the linear trend" and means.df == 3
    assert means.sd == pytest.approx(residual_sd)
    # the posterior probability is a probability and favours the better k
    assert 0.5 < means.p_best_beats_k0 <= 1.0


# --------------------------------------------------------------------------- runs that tie


def test_runs_that_tie_give_no_interval_not_a_zero_width_one():
    """Three seeds that each retrieve 24 of 1000 pairs, the base model 22: every estimate of the
    run-to-run spread is 0, and an interval built from it (+0.067 to +0.067) would 'exclude 0'
    on three tied runs. No interval and no t-based p; the permutation p (no spread needed)
    stays, and it is the 4-arrangement floor 0.25."""
    k, y = [0, 3, 3, 3], [22 / 1000, 24 / 1000, 0.024, 12 / 500]
    fit = trend.ols_slope(k, y, permutations=999)
    assert fit.slope == pytest.approx(0.002 / 3)
    assert fit.ci_low is None and fit.ci_high is None and fit.p_value_t is None and fit.stderr is None
    assert fit.p_value == pytest.approx(0.25, abs=0.05)
    means = trend.k_means(k, y)
    assert means.ci_low == [None, None] and means.p_best_beats_k0 is None
    assert trend.versus_k0([0, 0, 3, 3], [0.022, 0.022, 0.024, 0.024], permutations=99) is None
    # the same with a real spread keeps its interval
    spread = trend.ols_slope(k, [0.022, 0.024, 0.025, 0.023], permutations=99)
    assert spread.ci_low is not None and spread.ci_low < spread.slope < spread.ci_high


def test_task_effects_that_fit_the_runs_exactly_are_not_given():
    sets = [["a"], ["b"], ["a", "b"], [], ["a"], ["b"]]
    exact = [0.5 + 0.1 * ("a" in s) - 0.05 * ("b" in s) for s in sets]
    assert trend.tasks_separable(sets)
    assert trend.task_effects(sets, exact) is None
    noisy = [v + e for v, e in zip(exact, [0.01, -0.02, 0.0, 0.015, -0.01, 0.02], strict=True)]
    effects = trend.task_effects(sets, noisy)
    assert effects is not None and all(e.ci_low < e.effect < e.ci_high for e in effects)


def test_discrete_scores_that_often_tie_do_not_make_false_claims():
    """Calibration where the truth is known: training changes nothing on average (each seed
    moves the base model's 22 hits by +1 item with probability 0.8, by -4 with 0.2: mean 0),
    1 base run and 3 seeds at k = 3. Half the studies tie at +1; a zero-width interval claimed
    an effect in every one of them (51% false claims). At most 5% may claim one."""
    rng = np.random.default_rng(7)
    claims = 0
    studies = 400
    for _ in range(studies):
        hits = 22 + rng.choice([1, -4], size=3, p=[0.8, 0.2])
        fit = trend.ols_slope([0, 3, 3, 3], np.r_[22, hits] / 1000, permutations=0)
        claims += fit.ci_low is not None and (fit.ci_low > 0 or fit.ci_high < 0)
    assert claims / studies <= 0.05


def test_k_means_intervals_cover_at_every_k_when_seed_noise_grows_with_k():
    """Calibration where the truth is known: sd from 0.001 at k = 1 to 0.041 at k = 9 (as
    k^2), 3 seeds. A pooled spread gave the noisiest k an interval about half as wide as it
    needs; each k's own spread covers at every k."""
    rng = np.random.default_rng(11)
    k = np.repeat(np.arange(1, 10), 3)
    sd = 0.001 + 0.04 * (k / 9) ** 2
    truth = 0.5 + 0.01 * np.arange(1, 10)
    covered = np.zeros(9)
    studies = 600
    for _ in range(studies):
        means = trend.k_means(k, 0.5 + 0.01 * k + rng.normal(0.0, 1.0, k.size) * sd, draws=10)
        covered += [lo <= m <= hi for lo, m, hi in zip(means.ci_low, truth, means.ci_high, strict=True)]
    assert covered.min() / studies >= 0.93


def test_versus_k0_sees_ties_through_rounding_and_in_one_comparison():
    """Scores near 0.73 that tie: sum(y^2) - n mean^2 left ~1e-8 of rounding, taken for a
    spread, and 'best k' was claimed (adjusted p 0.018). A tie in one comparison (k = 0 and
    k = 1 each tie) is enough for no simultaneous intervals."""
    assert trend.versus_k0([0, 1, 1, 1, 3, 3, 3], [0.731] + [0.732] * 3 + [0.727] * 3, permutations=199) is None
    partial = [0.70, 0.70, 0.73, 0.73, 0.71, 0.72, 0.705]
    assert trend.versus_k0([0, 0, 1, 1, 3, 3, 3], partial, permutations=199) is None
    untied = [0.70, 0.701, 0.73, 0.732, 0.71, 0.72, 0.705]
    assert trend.versus_k0([0, 0, 1, 1, 3, 3, 3], untied, permutations=199) is not None
