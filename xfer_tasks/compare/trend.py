"""The trend of a score over k, the number of intermediate tasks, with the training run as the unit.

Inputs are one score per *training run* (a checkpoint: one k, one seed, one task order), so the
run-to-run spread that training seeds cause is inside every interval and test below. Scores of
the same test set are compared, so the items' difficulty is common to every run and cancels;
the inference is about the expected score over training randomness on that test set (the
per-item standard error of one run is what ``xfer compare``'s table shows).

Model: ``y_r = a + b x_r + e_r``, e_r independent with a common variance (training noise plus
the run's own item-level noise), x_r = k_r (slope per added task) or log2(1 + k_r) (slope per
doubling of the task count).

``slope``, ``slope_ci``  ordinary least squares; 95% CI = b +- t_{n-2, 0.975} * s / sqrt(Sxx),
                         s^2 = RSS / (n - 2): the textbook interval (e.g. Weisberg, *Applied
                         Linear Regression*, 4th ed., sec. 2.6), exact under normal errors.
``p_value``              permutation test of the k labels over runs (Manly, *Randomization,
                         Bootstrap and Monte Carlo Methods in Biology*, 3rd ed., ch. 8): the
                         null "k has no effect" makes runs exchangeable, so the slope of the
                         observed scores is compared with the slopes after shuffling k over
                         runs; two-sided, p = (1 + #{|b*| >= |b|}) / (1 + B) (Davison &
                         Hinkley 1997, ch. 4). It needs no normality; its unit is the run.
``means``, ``ci``        per k: the mean over that k's runs; 95% CI = mean +- t_{df} *
                         s_pooled / sqrt(n_k), s_pooled the within-k standard deviation pooled
                         over all k (one-way ANOVA error term, df = n - #k). With one run per k
                         (one seed) there is no within-k spread: the residual scatter around
                         the linear trend is used instead (df = n - 2), which assumes linearity.
``best_k``, ``p_best_beats_k0``  the k with the highest mean, and the posterior probability
                         (flat prior, normal model with the pooled variance: the means are
                         independent mean_k + s * Z_k / sqrt(n_k), with s^2 drawn from its
                         scaled-inverse-chi^2 posterior; Gelman et al., *Bayesian Data
                         Analysis*, 3rd ed., sec. 3.2) that its true mean exceeds k = 0's.

How well these hold up when the truth is known (planted slope, no-effect benchmark; item and
seed noise of stated sizes) is measured by ``benchmarks/bench_scaling_calibration.py``; its
table is in ``benchmarks/RESULTS.md`` and a small version runs in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

DEFAULT_PERMUTATIONS = 9999
DEFAULT_POSTERIOR_DRAWS = 20000
DEFAULT_SEED = 1234
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Slope:
    """A least-squares slope with its 95% CI and permutation p-value."""

    slope: float
    intercept: float
    ci_low: float | None
    ci_high: float | None
    stderr: float | None
    p_value: float | None  # permutation test over runs
    p_value_t: float | None  # the t-test that matches the CI
    n: int
    df: int


@dataclass(frozen=True)
class KMeans:
    """Per-k means with 95% CIs, the best k and the probability it beats k = 0."""

    k_values: list[int]
    means: list[float]
    ci_low: list[float | None]
    ci_high: list[float | None]
    n_runs: list[int]
    sd: float | None  # the standard deviation used for the CIs
    sd_source: str  # "within k (pooled)", "around the linear trend", or "none"
    df: int
    best_k: int
    p_best_beats_k0: float | None


def ols_slope(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
) -> Slope:
    """Least-squares slope of y on x, its t-based 95% CI and a permutation p-value (module doc).

    Needs at least two distinct x values; the CI needs n >= 3.
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError(f"slope needs two aligned 1-D arrays, got {xs.shape} and {ys.shape}")
    n = xs.size
    xc = xs - xs.mean()
    sxx = float(xc @ xc)
    if n < 2 or sxx == 0.0:
        raise ValueError("slope needs at least two distinct k values")
    yc = ys - ys.mean()
    slope = float(xc @ yc) / sxx
    intercept = float(ys.mean() - slope * xs.mean())
    df = n - 2
    if df < 1:
        return Slope(slope, intercept, None, None, None, None, None, n, df)
    rss = float(((yc - slope * xc) ** 2).sum())
    se = math.sqrt(rss / df / sxx)
    t = float(sps.t.ppf(0.5 + CONFIDENCE / 2, df))
    p_t = float(2 * sps.t.sf(abs(slope) / se, df)) if se > 0 else (1.0 if slope == 0 else 0.0)
    return Slope(
        slope=slope,
        intercept=intercept,
        ci_low=slope - t * se,
        ci_high=slope + t * se,
        stderr=se,
        p_value=permutation_p_value(xc, yc, slope * sxx, permutations, seed),
        p_value_t=p_t,
        n=n,
        df=df,
    )


def permutation_p_value(
    xc: np.ndarray, yc: np.ndarray, observed: float, permutations: int, seed: int
) -> float:
    """Two-sided Monte Carlo permutation p-value of sum(xc * yc) (proportional to the slope)."""
    rng = np.random.default_rng(seed)
    extreme = 0
    done = 0
    tolerance = 1e-12 * max(1.0, abs(observed))  # ties within rounding count as extreme
    while done < permutations:
        rows = min(4096, permutations - done)
        shuffled = rng.permuted(np.broadcast_to(xc, (rows, xc.size)), axis=1)
        stats = shuffled @ yc
        extreme += int(np.count_nonzero(np.abs(stats) >= abs(observed) - tolerance))
        done += rows
    return (1 + extreme) / (1 + permutations)


def k_means(
    k: Sequence[int],
    y: Sequence[float] | np.ndarray,
    *,
    draws: int = DEFAULT_POSTERIOR_DRAWS,
    seed: int = DEFAULT_SEED,
) -> KMeans:
    """Mean score per k with 95% CIs, the best k and P(best k beats k = 0) (module doc)."""
    ks = np.asarray(k, dtype=int)
    ys = np.asarray(y, dtype=float)
    levels = sorted(set(ks.tolist()))
    groups = [ys[ks == level] for level in levels]
    means = np.array([g.mean() for g in groups])
    counts = np.array([g.size for g in groups])
    within_df = int(ys.size - len(levels))
    if within_df >= 1:
        sd = math.sqrt(sum(float(((g - g.mean()) ** 2).sum()) for g in groups) / within_df)
        source, df = "within k (pooled)", within_df
    elif ys.size >= 3 and len(levels) >= 2:
        fit = ols_slope(ks, ys, permutations=0)
        sd = None if fit.stderr is None else fit.stderr * math.sqrt(
            float(((ks - ks.mean()) ** 2).sum())
        )
        source, df = "around the linear trend", fit.df
    else:
        sd, source, df = None, "none", 0
    best = int(np.argmax(means))
    if sd is None or df < 1:
        lows: list[float | None] = [None] * len(levels)
        highs: list[float | None] = [None] * len(levels)
        p_best = None
    else:
        t = float(sps.t.ppf(0.5 + CONFIDENCE / 2, df))
        half = t * sd / np.sqrt(counts)
        lows, highs = (means - half).tolist(), (means + half).tolist()
        p_best = None
        if 0 in levels and levels[best] != 0:
            p_best = _posterior_beats(means, counts, sd, df, best, levels.index(0), draws, seed)
    return KMeans(
        k_values=levels,
        means=means.tolist(),
        ci_low=lows,
        ci_high=highs,
        n_runs=counts.tolist(),
        sd=sd,
        sd_source=source,
        df=df,
        best_k=levels[best],
        p_best_beats_k0=p_best,
    )


def _posterior_beats(
    means: np.ndarray, counts: np.ndarray, sd: float, df: int, best: int, zero: int,
    draws: int, seed: int,
) -> float:  # fmt: skip
    """P(mu_best > mu_0 | data): flat prior, common variance (scaled-inverse-chi^2 posterior)."""
    rng = np.random.default_rng(seed)
    sigma = sd * np.sqrt(df / rng.chisquare(df, size=draws))
    mu_best = means[best] + sigma * rng.standard_normal(draws) / math.sqrt(counts[best])
    mu_zero = means[zero] + sigma * rng.standard_normal(draws) / math.sqrt(counts[zero])
    return float(np.mean(mu_best > mu_zero))
