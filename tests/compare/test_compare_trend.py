"""The trend statistics against independent references: scipy, exact enumeration, closed forms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from xfer_tasks.compare import trend


def test_ols_slope_and_ci_equal_scipy_linregress():
    rng = np.random.default_rng(0)
    k = np.repeat(np.arange(6), 3)
    y = 0.5 + 0.01 * k + rng.normal(0, 0.02, k.size)
    fit = trend.ols_slope(k, y, permutations=99)
    ref = sps.linregress(k, y)
    t = sps.t.ppf(0.975, k.size - 2)
    assert fit.slope == pytest.approx(ref.slope)
    assert fit.intercept == pytest.approx(ref.intercept)
    assert fit.stderr == pytest.approx(ref.stderr)
    assert (fit.ci_low, fit.ci_high) == pytest.approx((ref.slope - t * ref.stderr, ref.slope + t * ref.stderr))
    assert fit.p_value_t == pytest.approx(ref.pvalue)
    assert fit.df == k.size - 2


def test_permutation_p_value_matches_exact_enumeration():
    k = np.array([0, 1, 2, 3, 4, 5, 6])
    y = np.array([0.50, 0.52, 0.49, 0.55, 0.53, 0.58, 0.56])
    xc, yc = k - k.mean(), y - y.mean()
    observed = abs(xc @ yc)
    perms = list(itertools.permutations(xc))
    exact = np.mean([abs(np.dot(p, yc)) >= observed - 1e-12 for p in perms])
    fit = trend.ols_slope(k, y, permutations=20000, seed=3)
    # Monte Carlo error of p at B = 20000 is below 0.004 here
    assert fit.p_value == pytest.approx(exact, abs=0.01)


def test_no_interval_with_two_runs_and_errors_without_two_k():
    fit = trend.ols_slope([0, 1], [0.4, 0.5])
    assert fit.slope == pytest.approx(0.1) and fit.ci_low is None and fit.p_value is None
    with pytest.raises(ValueError, match="two distinct k"):
        trend.ols_slope([2, 2, 2], [0.1, 0.2, 0.3])


def test_k_means_pooled_within_k_interval():
    k = [0, 0, 1, 1, 2, 2, 2]
    y = [0.50, 0.52, 0.55, 0.53, 0.60, 0.58, 0.62]
    means = trend.k_means(k, y)
    assert means.k_values == [0, 1, 2] and means.n_runs == [2, 2, 3]
    ss = (0.01**2 * 2) + (0.01**2 * 2) + (0.02**2 + 0.0 + 0.02**2)
    sd = math.sqrt(ss / (7 - 3))
    assert means.sd == pytest.approx(sd) and means.df == 4
    half = sps.t.ppf(0.975, 4) * sd / math.sqrt(3)
    assert (means.ci_low[2], means.ci_high[2]) == pytest.approx((0.60 - half, 0.60 + half))
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
