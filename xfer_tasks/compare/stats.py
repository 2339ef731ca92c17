"""Standard errors and significance of score differences.

Three estimators, each labelled in every output so a reader knows which one produced a number:

``paired bootstrap`` (per-document results from ``--log_samples`` for both runs, same documents)
    Resample the n documents with replacement B times, using the *same* indices for both
    systems (Koehn 2004; Berg-Kirkpatrick et al. 2012). For a metric that is the mean of
    per-document values x_i (system A) and y_i (system B), the statistic is
    delta = mean(y) - mean(x) = mean(d), d_i = y_i - x_i.
    - stderr: the standard deviation of the B bootstrap deltas. As B grows it tends to the
      closed form sqrt(var_0(d) / n) with var_0 the plug-in variance (divisor n); lm-eval's
      ``mean_stderr`` uses divisor n - 1, a factor sqrt(n / (n - 1)) larger.
    - 95% CI: the 2.5th and 97.5th percentiles of the bootstrap deltas (percentile interval).
    - p-value (two-sided): the bootstrap deltas centred on the observed delta approximate the
      null distribution, so p = (1 + #{b : |delta*_b - delta| >= |delta|}) / (B + 1).
      The +1 terms are the usual Monte Carlo p-value convention (Davison & Hinkley 1997,
      ch. 4) and keep p > 0: the smallest reportable p-value is 1 / (B + 1).

``stderr (normal approx.)`` (no paired per-document data)
    delta = b - a with standard error sqrt(se_a^2 + se_b^2) (the two estimates treated as
    independent; conservative when both runs scored the same documents, whose errors are
    positively correlated). z = delta / se, p = erfc(|z| / sqrt(2)), CI = delta +- 1.96 se.

``binomial approx.`` (stderr fallback for accuracy-like fractions lm-eval reports as N/A)
    se = sqrt(p (1 - p) / n) with n the documents scored, the standard error of a proportion
    of n independent hits. Used only for metrics named ``acc*`` or ``exact_match`` whose
    stderr lm-eval left as N/A, e.g. Tatoeba retrieval accuracy (one document per query).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_BOOTSTRAP_ITERS = 1000
DEFAULT_SEED = 1234
Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal

PAIRED_BOOTSTRAP = "paired bootstrap"
NORMAL_APPROX = "stderr (normal approx.)"


@dataclass(frozen=True)
class DeltaTest:
    """A difference b - a with its uncertainty and how it was estimated."""

    delta: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str
    n: int | None = None

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value is not None and self.p_value < alpha


def _bootstrap_indices(n: int, iters: int, seed: int, chunk: int):
    """Yield (rows, n) blocks of resampling indices, B rows in all, memory-bounded."""
    rng = np.random.default_rng(seed)
    rows_per_block = max(1, chunk // max(n, 1))
    done = 0
    while done < iters:
        rows = min(rows_per_block, iters - done)
        yield rng.integers(0, n, size=(rows, n))
        done += rows


def bootstrap_means(
    values: Sequence[float] | np.ndarray,
    iters: int = DEFAULT_BOOTSTRAP_ITERS,
    seed: int = DEFAULT_SEED,
    chunk: int = 2_000_000,
) -> np.ndarray:
    """The means of ``iters`` resamples (with replacement, size n) of ``values``."""
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size == 0:
        raise ValueError("bootstrap needs a non-empty 1-D array of per-document values")
    if iters < 1:
        raise ValueError(f"bootstrap iterations must be >= 1, got {iters}")
    return np.concatenate(
        [data[idx].mean(axis=1) for idx in _bootstrap_indices(data.size, iters, seed, chunk)]
    )


def bootstrap_stderr(
    values: Sequence[float] | np.ndarray,
    iters: int = DEFAULT_BOOTSTRAP_ITERS,
    seed: int = DEFAULT_SEED,
) -> float:
    """Bootstrap standard error of the mean of ``values`` (tends to sqrt(var_0 / n))."""
    return float(np.std(bootstrap_means(values, iters, seed), ddof=1))


def paired_bootstrap(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    iters: int = DEFAULT_BOOTSTRAP_ITERS,
    seed: int = DEFAULT_SEED,
) -> DeltaTest:
    """Paired bootstrap test of mean(b) - mean(a) over the same documents (see module doc)."""
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired bootstrap needs aligned arrays, got {x.shape} and {y.shape}")
    diffs = y - x
    observed = float(diffs.mean())
    deltas = bootstrap_means(diffs, iters, seed)
    extreme = int(np.count_nonzero(np.abs(deltas - observed) >= abs(observed)))
    low, high = np.percentile(deltas, [2.5, 97.5])
    return DeltaTest(
        delta=observed,
        stderr=float(np.std(deltas, ddof=1)) if iters > 1 else None,
        ci_low=float(low),
        ci_high=float(high),
        p_value=(1 + extreme) / (iters + 1),
        method=PAIRED_BOOTSTRAP,
        n=int(x.size),
    )


def normal_test(
    value_a: float, stderr_a: float | None, value_b: float, stderr_b: float | None
) -> DeltaTest:
    """b - a with independent standard errors; no p-value when either stderr is unknown."""
    delta = value_b - value_a
    if stderr_a is None or stderr_b is None:
        return DeltaTest(delta, None, None, None, None, "no stderr")
    se = math.sqrt(stderr_a**2 + stderr_b**2)
    if se == 0.0:
        p = 1.0 if delta == 0.0 else 0.0
        return DeltaTest(delta, 0.0, delta, delta, p, NORMAL_APPROX)
    p = math.erfc(abs(delta / se) / math.sqrt(2.0))
    return DeltaTest(delta, se, delta - Z_95 * se, delta + Z_95 * se, p, NORMAL_APPROX)


def binomial_stderr(proportion: float, n: int) -> float:
    """Standard error of a proportion of n independent trials: sqrt(p (1 - p) / n)."""
    if n < 1:
        raise ValueError(f"binomial stderr needs n >= 1, got {n}")
    if not 0.0 <= proportion <= 1.0:
        raise ValueError(f"binomial stderr needs a proportion in [0, 1], got {proportion}")
    return math.sqrt(proportion * (1.0 - proportion) / n)


def is_proportion_metric(metric: str) -> bool:
    """Metrics that are a fraction of independent per-document hits (binomial fallback applies)."""
    return metric.startswith("acc") or metric == "exact_match"


def combine_independent(tests: Sequence[DeltaTest]) -> DeltaTest:
    """The mean of L per-language deltas (XTREME-style average): delta = mean(delta_i),
    se = sqrt(sum se_i^2) / L (languages are disjoint test sets, hence independent);
    normal-approximation CI and p-value. No stderr if any language lacks one."""
    if not tests:
        raise ValueError("nothing to combine")
    count = len(tests)
    delta = sum(t.delta for t in tests) / count
    if any(t.stderr is None for t in tests):
        return DeltaTest(delta, None, None, None, None, "no stderr")
    se = math.sqrt(sum(t.stderr**2 for t in tests)) / count  # type: ignore[operator]
    if se == 0.0:
        p = 1.0 if delta == 0.0 else 0.0
        return DeltaTest(delta, 0.0, delta, delta, p, "mean of languages")
    p = math.erfc(abs(delta / se) / math.sqrt(2.0))
    return DeltaTest(delta, se, delta - Z_95 * se, delta + Z_95 * se, p, "mean of languages")


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values) of a family of tests.

    q_(i) = min_{j >= i} min(1, m p_(j) / j) over the p-values sorted ascending (Benjamini &
    Hochberg 1995, JRSS-B 57:289; the step-up adjustment of R's ``p.adjust(method="BH")`` and
    ``scipy.stats.false_discovery_control(method="bh")``). Rejecting q < alpha controls the
    false discovery rate at alpha for independent or positively dependent tests.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("benjamini_hochberg needs a 1-D sequence of p-values")
    if p.size == 0:
        return []
    if np.any((p < 0) | (p > 1) | ~np.isfinite(p)):
        raise ValueError("p-values must lie in [0, 1]")
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    q = np.empty_like(adjusted)
    q[order] = adjusted
    return q.tolist()


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test of two systems' binary per-item results on the same items."""

    right_to_wrong: int  # items the baseline got right and the other run got wrong
    wrong_to_right: int  # items the baseline got wrong and the other run got right
    p_value: float


def mcnemar_exact(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> McNemar:
    """Exact McNemar test for paired 0/1 outcomes (McNemar 1947; exact form: Fagerland,
    Lydersen & Laake 2013, BMC Med. Res. Methodol. 13:91).

    Only the discordant items carry information: under the null each of the n = r2w + w2r
    flips is equally likely in either direction, so the two-sided p-value is the exact binomial
    test of w2r successes in n trials with p = 1/2: min(1, 2 * P(X <= min(r2w, w2r))).
    """
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"McNemar needs aligned arrays, got {x.shape} and {y.shape}")
    if not (np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all()):
        raise ValueError("McNemar needs binary (0/1) per-item values")
    r2w = int(np.count_nonzero((x == 1) & (y == 0)))
    w2r = int(np.count_nonzero((x == 0) & (y == 1)))
    n = r2w + w2r
    if n == 0:
        return McNemar(r2w, w2r, 1.0)
    tail = sum(math.comb(n, i) for i in range(min(r2w, w2r) + 1)) / 2.0**n
    return McNemar(r2w, w2r, min(1.0, 2.0 * tail))


def is_binary(values: np.ndarray) -> bool:
    """Every per-item value is 0 or 1 (accuracy, exact match)."""
    return bool(np.isin(values, (0.0, 1.0)).all())


def combine_correlated(tests: Sequence[DeltaTest]) -> DeltaTest:
    """The mean of deltas measured on the same items (e.g. EM and F1 of one QA benchmark):
    se = mean(se_i), an upper bound of the true standard error for any correlation
    (Minkowski's inequality), so the normal CI and p-value are conservative."""
    if not tests:
        raise ValueError("nothing to combine")
    delta = sum(t.delta for t in tests) / len(tests)
    if any(t.stderr is None for t in tests):
        return DeltaTest(delta, None, None, None, None, "no stderr")
    se = sum(t.stderr for t in tests) / len(tests)  # type: ignore[misc]
    if se == 0.0:
        return DeltaTest(delta, 0.0, delta, delta, 1.0 if delta == 0.0 else 0.0, "mean of metrics")
    p = math.erfc(abs(delta / se) / math.sqrt(2.0))
    return DeltaTest(delta, se, delta - Z_95 * se, delta + Z_95 * se, p, "mean of metrics")
