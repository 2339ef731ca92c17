"""Bootstrap and significance estimators against closed forms and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xfer_tasks.compare import stats

# Monte Carlo error of a bootstrap standard deviation estimated from B draws is about
# 1 / sqrt(2 (B - 1)) relative; B = 20000 gives 0.5%, so 3% is a > 5-sigma tolerance.
B = 20000
REL_TOL = 0.03


def test_bootstrap_stderr_of_a_proportion_matches_closed_form():
    values = [1.0] * 70 + [0.0] * 30  # p = 0.7, n = 100
    closed = math.sqrt(0.7 * 0.3 / 100)  # sqrt(var_0 / n), var_0 with divisor n
    assert stats.bootstrap_stderr(values, iters=B, seed=1) == pytest.approx(closed, rel=REL_TOL)


def test_bootstrap_stderr_of_continuous_values_matches_closed_form():
    values = np.random.default_rng(0).normal(0.5, 0.2, size=250)
    closed = values.std(ddof=0) / math.sqrt(values.size)
    assert stats.bootstrap_stderr(values, iters=B, seed=2) == pytest.approx(closed, rel=REL_TOL)
    # and lm-eval's divisor-(n-1) form differs from it by exactly sqrt(n / (n - 1))
    lmeval = values.std(ddof=1) / math.sqrt(values.size)
    assert lmeval / closed == pytest.approx(math.sqrt(250 / 249))


def test_paired_bootstrap_delta_stderr_and_ci_match_closed_form():
    rng = np.random.default_rng(3)
    a = (rng.random(400) < 0.60).astype(float)
    b = a.copy()
    flip = rng.choice(400, size=60, replace=False)
    b[flip] = 1.0 - b[flip]
    result = stats.paired_bootstrap(a, b, iters=B, seed=4)
    d = b - a
    assert result.delta == pytest.approx(d.mean(), abs=1e-12)
    closed = d.std(ddof=0) / math.sqrt(d.size)
    assert result.stderr == pytest.approx(closed, rel=REL_TOL)
    # percentile CI of a near-normal bootstrap distribution ~ delta -+ 1.96 se
    assert result.ci_low == pytest.approx(result.delta - 1.96 * closed, abs=0.15 * closed)
    assert result.ci_high == pytest.approx(result.delta + 1.96 * closed, abs=0.15 * closed)
    assert result.method == stats.PAIRED_BOOTSTRAP and result.n == 400


def test_paired_bootstrap_p_value_matches_normal_tail_on_a_known_case():
    # Continuous per-document differences (e.g. F1): the bootstrap distribution of the mean is
    # close to normal, so p ~ erfc(|z| / sqrt 2) with z = mean / sqrt(var_0 / n).
    rng = np.random.default_rng(21)
    d = rng.normal(0.0, 0.3, size=500)
    d += 0.021 - d.mean()  # mean 0.021 exactly; se ~0.0134 -> z ~1.57, p ~0.12
    z = d.mean() / (d.std(ddof=0) / math.sqrt(d.size))
    expected = math.erfc(z / math.sqrt(2))
    assert 0.08 < expected < 0.16
    result = stats.paired_bootstrap(np.zeros_like(d), d, iters=B, seed=5)
    assert result.p_value == pytest.approx(expected, abs=0.01)
    assert not result.significant(0.05)
    # 45 wins, 10 losses: z = 4.86, far in the tail: p is at the 1 / (B + 1) resolution
    strong = np.array([1.0] * 45 + [-1.0] * 10 + [0.0] * 345)
    result = stats.paired_bootstrap(np.zeros_like(strong), strong, iters=B, seed=5)
    assert result.p_value < 0.001 and result.significant(0.05)


def test_paired_bootstrap_extremes():
    same = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    null = stats.paired_bootstrap(same, same, iters=500, seed=0)
    assert (null.delta, null.p_value) == (0.0, 1.0)
    # every document improves by 1: every resample has delta 1, none as far from it as 1
    shift = stats.paired_bootstrap(np.zeros(50), np.ones(50), iters=500, seed=0)
    assert shift.delta == 1.0
    assert shift.p_value == pytest.approx(1 / 501)
    assert (shift.ci_low, shift.ci_high) == (1.0, 1.0)


def test_paired_bootstrap_is_reproducible_and_checks_alignment():
    a, b = np.random.default_rng(9).random((2, 60))
    first = stats.paired_bootstrap(a, b, iters=300, seed=11)
    assert first == stats.paired_bootstrap(a, b, iters=300, seed=11)
    assert first != stats.paired_bootstrap(a, b, iters=300, seed=12)
    with pytest.raises(ValueError, match="aligned"):
        stats.paired_bootstrap(a, b[:10])


def test_bootstrap_chunking_gives_the_same_draws():
    values = np.arange(37, dtype=float)
    whole = stats.bootstrap_means(values, iters=100, seed=3)
    chunked = stats.bootstrap_means(values, iters=100, seed=3, chunk=37 * 7)
    np.testing.assert_array_equal(whole, chunked)


def test_normal_test_by_hand():
    result = stats.normal_test(0.50, 0.03, 0.56, 0.04)
    assert result.delta == pytest.approx(0.06)
    assert result.stderr == pytest.approx(0.05)
    assert result.p_value == pytest.approx(math.erfc(1.2 / math.sqrt(2)))  # 0.2301
    assert result.p_value == pytest.approx(0.2301, abs=1e-4)
    assert result.ci_low == pytest.approx(0.06 - 1.959964 * 0.05)
    unknown = stats.normal_test(0.5, None, 0.6, 0.01)
    assert unknown.p_value is None and unknown.stderr is None
    assert unknown.delta == pytest.approx(0.1)


def test_binomial_stderr_and_combination():
    assert stats.binomial_stderr(0.5, 100) == pytest.approx(0.05)
    assert stats.binomial_stderr(1.0, 10) == 0.0
    with pytest.raises(ValueError):
        stats.binomial_stderr(1.5, 10)
    assert stats.is_proportion_metric("acc_en2xx") and stats.is_proportion_metric("exact_match")
    assert not stats.is_proportion_metric("f1")
    tests = [
        stats.DeltaTest(0.02, 0.03, None, None, None, "x"),
        stats.DeltaTest(0.04, 0.04, None, None, None, "x"),
    ]
    combined = stats.combine_independent(tests)
    assert combined.delta == pytest.approx(0.03)
    assert combined.stderr == pytest.approx(0.025)  # sqrt(0.03^2 + 0.04^2) / 2
    assert combined.p_value == pytest.approx(math.erfc(1.2 / math.sqrt(2)))


def test_benjamini_hochberg_equals_scipy_false_discovery_control():
    rng = np.random.default_rng(11)
    p = np.concatenate([rng.random(40), rng.random(10) * 1e-3, [1.0, 0.0, 0.05, 0.05]])
    from scipy.stats import false_discovery_control

    assert stats.benjamini_hochberg(p) == pytest.approx(false_discovery_control(p, method="bh").tolist())
    assert stats.benjamini_hochberg([]) == []
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        stats.benjamini_hochberg([0.2, 1.5])


def test_mcnemar_equals_exact_binomial_test_on_discordant_counts():
    from scipy.stats import binomtest

    rng = np.random.default_rng(5)
    for n, flip in ((300, 0.1), (40, 0.3), (12, 0.5)):
        a = rng.integers(0, 2, n).astype(float)
        b = np.where(rng.random(n) < flip, 1 - a, a)
        result = stats.mcnemar_exact(a, b)
        assert result.right_to_wrong == int(((a == 1) & (b == 0)).sum())
        assert result.wrong_to_right == int(((a == 0) & (b == 1)).sum())
        discordant = result.right_to_wrong + result.wrong_to_right
        assert result.p_value == pytest.approx(binomtest(result.wrong_to_right, discordant, 0.5).pvalue)
    assert stats.mcnemar_exact([1, 0], [1, 0]).p_value == 1.0
    with pytest.raises(ValueError, match="binary"):
        stats.mcnemar_exact([0.5, 1.0], [1.0, 1.0])
