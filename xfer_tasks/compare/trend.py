"""The trend of a score over k, the number of intermediate tasks, with the training run as the unit.

Inputs are one score per *training run* (a checkpoint: one k, one seed, one task order), so the
run-to-run spread that training seeds cause is inside every interval and test below. Scores of
the same test set are compared, so the items' difficulty is common to every run and cancels;
the inference is about the expected score over training randomness on that test set (the
per-item standard error of one run is what ``xfer compare``'s table shows).

Model: ``y_r = a + b x_r + e_r``, e_r independent, with a variance that may differ between k
(training noise often grows with the number of tasks; the base model at k = 0 has none), x_r =
k_r (slope per added task) or log2(1 + k_r) (slope per doubling of the task count).

``slope``, ``slope_ci``  ordinary least squares; 95% CI = b +- t_df * se_HC2, with the HC2
                         standard error sqrt(sum_r c_r^2 e_r^2 / (1 - h_r)), c_r = (x_r -
                         mean x) / Sxx, h_r the leverage (MacKinnon & White 1985), and the
                         Bell & McCaffrey (2002) degrees of freedom, as Imbens & Kolesar
                         (2016, REStat 98:701) recommend for small samples: right whether or not
                         the variance is equal over k. ``stderr_classical`` is the textbook
                         s / sqrt(Sxx) (Weisberg, *Applied Linear Regression*, sec. 2.6), kept
                         for reference; it is used only when a run has leverage 1 (HC2 is
                         then undefined).
``p_value``              permutation test of the k labels over runs (Manly, *Randomization,
                         Bootstrap and Monte Carlo Methods in Biology*, 3rd ed., ch. 8) of the
                         slope's HC2 t statistic: studentized, it is exact when runs are
                         exchangeable under "k has no effect" and stays valid when only the
                         mean is equal and the variance differs (DiCiccio & Romano 2017, JASA
                         112:1211); two-sided, p = (1 + #{|t*| >= |t|}) / (1 + B) (Davison &
                         Hinkley 1997, ch. 4). Its unit is the run.
``means``, ``ci``        per k: the mean over that k's runs; 95% CI = mean +- t_{n_k - 1} *
                         s_k / sqrt(n_k) with that k's own standard deviation s_k (the
                         one-sample t interval: right when training noise differs between k,
                         where a pooled s is too narrow at the noisy k). A k with one run uses
                         s_pooled, the within-k standard deviation pooled over all k (one-way
                         ANOVA error term, df = n - #k); with one run per k (one seed) there is
                         no within-k spread and the residual scatter around the linear trend is
                         used instead (df = n - 2), which assumes linearity. ``sd`` is s_pooled.
``versus_k0``            which k beats k = 0, with the choice of the best k accounted for:
                         every k > 0 against k = 0 at once, t_k = (mean_k - mean_0) / sqrt(
                         v_k / n_k + v_0 / n_0) with each k's own variance (Welch; the pooled
                         within-k variance for a k with one run), simultaneous 95% intervals
                         diff_k +- c se_k and single-step adjusted p-values from the permutation
                         distribution of max_k |t_k| (Dunnett 1955's many-to-one comparisons,
                         resampled as Westfall & Young 1993, ch. 2). The best k is claimed to
                         beat k = 0 only when its adjusted p < 0.05: at most 5% of no-effect
                         studies make the claim.
``best_k``, ``p_best_beats_k0``  the k with the highest mean, and the posterior probability
                         (flat prior, pooled normal model; Gelman et al., *Bayesian Data
                         Analysis*, 3rd ed., sec. 3.2) that its true mean exceeds k = 0's. NOT
                         adjusted for picking the best k (a winner's curse: near 0.8 with no
                         effect at all); kept for the scaling.json contract, never printed.
``language_spread``      the language x k interaction: y_rl = run_r + a_l + b_l k_r + e_rl,
                         the classical two-way F test of equal b_l, the method-of-moments SD of
                         the true per-language slopes and its CI by inverting the noncentral F
                         (these languages), and the mean slope's standard error for languages
                         in general (random language slopes).
``task_effects``         each task's own contribution when runs add tasks in different orders:
                         least squares on one 0/1 indicator per task, HC2 + Bell-McCaffrey.

No spread, no interval. Discrete scores tie: three seeds can each retrieve the same 22 of 1000
Tatoeba pairs. An estimate of the spread is then 0, and an interval built from it has zero
width. It would "exclude 0" for any nonzero difference, a claim tied runs cannot support, so
it is not given (None). In detail:
- the slope has no interval and no t-based p when every run lies on the fitted line (tied runs
  at two values of k). With three or more k, tied runs whose means are not on a line keep an
  interval built from that lack of fit, which is conservative: it contains no seed noise;
- a k whose runs tie has no interval for its mean;
- ``versus_k0`` is None when any comparison has no spread;
- ``task_effects`` is None when the runs fit exactly.
The permutation p-value needs no estimate of the spread and is kept. ``no_spread`` is the test:
below 1e-9 times the largest |score| (at least 1), far below one item in a million.

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
ROBUST = "HC2 with Bell-McCaffrey df"
CLASSICAL = "classical (equal variances)"


SPREAD_TOLERANCE = 1e-9  # relative: below any real score difference (one item in 10^6 is 1e-6)


def no_spread(values: np.ndarray | float, scale: np.ndarray | float) -> bool:
    """True when ``values`` (residuals, deviations, standard errors) are all 0 up to rounding:
    below 1e-9 times the largest |score| in ``scale`` (at least 1, so absolute for scores in
    [0, 1]). The runs tie and no interval can be estimated from them."""
    size = max(1.0, float(np.max(np.abs(scale))) if np.size(scale) else 1.0)
    return bool(np.all(np.abs(values) <= SPREAD_TOLERANCE * size))


@dataclass(frozen=True)
class Slope:
    """A least-squares slope with its robust 95% CI and studentized permutation p-value."""

    slope: float
    intercept: float
    ci_low: float | None
    ci_high: float | None
    stderr: float | None  # HC2 (heteroscedasticity-robust); classical where HC2 is undefined
    p_value: float | None  # studentized permutation test over runs
    p_value_t: float | None  # the t-test that matches the CI
    n: int
    df: float  # Bell-McCaffrey degrees of freedom of the CI (n - 2 for the classical one)
    stderr_classical: float | None = None  # s / sqrt(Sxx), equal variances assumed
    stderr_method: str = ROBUST


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
    """Least-squares slope of y on x, its robust 95% CI and a studentized permutation p-value
    (module doc). Needs at least two distinct x values; the CI needs n >= 3.
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
    if n - 2 < 1:
        return Slope(slope, intercept, None, None, None, None, None, n, n - 2)
    residuals = yc - slope * xc
    classical = math.sqrt(float(residuals @ residuals) / (n - 2) / sxx)
    leverage = 1.0 / n + xc**2 / sxx
    if leverage.max() > 1.0 - 1e-9:
        # a run alone at its x with only two x values: its residual is 0 whatever its noise,
        # HC2 is undefined; fall back to the classical interval and unstudentized permutation
        se, df, method = classical, float(n - 2), CLASSICAL
    else:
        contrast = xc / sxx
        se = math.sqrt(float(np.sum(contrast**2 * residuals**2 / (1.0 - leverage))))
        design = np.column_stack([np.ones(n), xc])
        df = bell_mccaffrey_df(design, contrast, leverage)
        method = ROBUST
    p_perm = None
    if permutations > 0:
        studentize = method == ROBUST
        p_perm = permutation_p_value(xc, yc, slope * sxx, permutations, seed, studentize)
    if no_spread(residuals, ys):  # every run on the line: a zero-width interval claims too much
        return Slope(slope, intercept, None, None, None, p_perm, None, n, df, 0.0, method)
    t = float(sps.t.ppf(0.5 + CONFIDENCE / 2, df))
    p_t = float(2 * sps.t.sf(abs(slope) / se, df))
    return Slope(
        slope=slope,
        intercept=intercept,
        ci_low=slope - t * se,
        ci_high=slope + t * se,
        stderr=se,
        p_value=p_perm,
        p_value_t=p_t,
        n=n,
        df=df,
        stderr_classical=classical,
        stderr_method=method,
    )


def bell_mccaffrey_df(design: np.ndarray, contrast: np.ndarray, leverage: np.ndarray) -> float:
    """Bell & McCaffrey (2002) degrees of freedom of the HC2 variance of ``contrast @ y``
    (Imbens & Kolesar 2016, eq. 9): with M = I - H and a_i = c_i / sqrt(1 - h_ii), the
    eigenvalues l of diag(a) M diag(a) give df = (sum l)^2 / sum l^2."""
    hat = design @ np.linalg.pinv(design)
    m = np.eye(design.shape[0]) - hat
    a = contrast / np.sqrt(1.0 - leverage)
    weighted = (a[:, None] * m) * a[None, :]
    trace = float(np.trace(weighted))
    squares = float(np.sum(weighted * weighted))
    return trace * trace / squares if squares > 0 else float(design.shape[0] - design.shape[1])


def permutation_p_value(
    xc: np.ndarray,
    yc: np.ndarray,
    observed: float,
    permutations: int,
    seed: int,
    studentize: bool = False,
) -> float:
    """Two-sided Monte Carlo permutation p-value of the slope: of sum(xc * yc) (proportional
    to it), or with ``studentize`` of its HC2 t statistic (DiCiccio & Romano 2017), which
    keeps the test valid when the variance differs between k."""
    rng = np.random.default_rng(seed)
    n = xc.size
    sxx = float(xc @ xc)

    def statistic(xs: np.ndarray) -> np.ndarray:  # rows of permuted xc -> statistics
        sums = xs @ yc
        if not studentize:
            return sums
        slopes = sums / sxx
        residuals = yc[None, :] - slopes[:, None] * xs
        leverage = 1.0 / n + xs**2 / sxx
        var = np.sum(xs**2 * residuals**2 / (1.0 - leverage), axis=1) / sxx**2
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(var > 0, slopes / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
        infinite = np.where(slopes > 0, np.inf, -np.inf)
        return np.where((var <= 0) & (slopes != 0), infinite, t)

    reference = float(statistic(xc[None, :])[0]) if studentize else observed
    extreme = 0
    done = 0
    tolerance = 1e-12 * max(1.0, abs(reference)) if math.isfinite(reference) else 0.0
    while done < permutations:
        rows = min(4096, permutations - done)
        shuffled = rng.permuted(np.broadcast_to(xc, (rows, xc.size)), axis=1)
        stats = statistic(shuffled)
        extreme += int(np.count_nonzero(np.abs(stats) >= abs(reference) - tolerance))
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
        sd = None if fit.stderr_classical is None else fit.stderr_classical * math.sqrt(
            float(((ks - ks.mean()) ** 2).sum())
        )
        source, df = "around the linear trend", ys.size - 2
    else:
        sd, source, df = None, "none", 0
    best = int(np.argmax(means))
    if sd is not None and no_spread(sd, ys):
        sd = 0.0  # the runs tie: no interval (module doc)
    lows: list[float | None] = [None] * len(levels)
    highs: list[float | None] = [None] * len(levels)
    p_best = None
    if sd is not None and df >= 1 and sd > 0.0:
        pooled_t = float(sps.t.ppf(0.5 + CONFIDENCE / 2, df))
        for i, group in enumerate(groups):
            if group.size >= 2:  # this k's own spread: right when training noise differs by k
                own = float(group.std(ddof=1))
                if no_spread(own, ys):
                    continue  # this k's runs tie: no interval for it
                half = float(sps.t.ppf(0.5 + CONFIDENCE / 2, group.size - 1)) * own / math.sqrt(group.size)
            else:  # one run at this k: the pooled spread of the others
                half = pooled_t * sd / math.sqrt(group.size)
            lows[i], highs[i] = float(means[i] - half), float(means[i] + half)
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


# --------------------------------------------------------------------------- which k beats k = 0


def smallest_permutation_p(k: Sequence[int]) -> float:
    """The smallest p-value a permutation test of k over these runs can give: 1 / the number of
    distinct arrangements of the k labels over the runs (n! / prod over k of n_k!). With 1 run
    at k = 0 and 3 at k = 3 there are 4 arrangements, so no p below 0.25 exists and no effect
    of any size can be declared at 5%, whatever a t-based interval or power formula says."""
    counts = np.unique(np.asarray(k), return_counts=True)[1]
    log_arrangements = math.lgamma(int(counts.sum()) + 1) - sum(math.lgamma(int(c) + 1) for c in counts)
    return float(math.exp(-log_arrangements)) if log_arrangements < 700 else 0.0


@dataclass(frozen=True)
class VersusZero:
    """Every k against k = 0 at once (Dunnett-style, max-|t| permutation distribution)."""

    k_values: list[int]  # the k > 0 compared with k = 0
    differences: list[float]  # mean at k minus mean at k = 0
    stderrs: list[float]
    # simultaneous 95% intervals: all cover together 95% of the time; None when the design has
    # too few arrangements of its runs for a permutation quantile at 95% (smallest_permutation_p)
    ci_low: list[float | None]
    ci_high: list[float | None]
    p_adjusted: list[float]  # single-step max-|t| adjusted p-values (Westfall & Young 1993)
    critical: float  # the 95th percentile of max |t| under "k has no effect"
    best_k: int  # the k with the largest difference
    best_claimed: bool  # best_k beats k = 0 with the choice among all k accounted for


def versus_k0(
    k: Sequence[int],
    y: Sequence[float] | np.ndarray,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
) -> VersusZero | None:
    """Compare the mean at every k > 0 with k = 0, simultaneously (module doc); None without
    k = 0, another k, or any estimate of the spread."""
    ks = np.asarray(k, dtype=int)
    ys = np.asarray(y, dtype=float)
    levels = sorted(set(ks.tolist()))
    if 0 not in levels or len(levels) < 2 or ys.size < 3:
        return None
    order = np.argsort(ks, kind="stable")
    ks, ys = ks[order], ys[order]
    onehot = (ks[:, None] == np.asarray(levels)[None, :]).astype(float)
    counts = onehot.sum(axis=0)
    xc = ks - ks.mean()
    sxx = float(xc @ xc)

    def t_stats(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """rows (B, n) of scores in the positions of ks -> (t, differences, stderrs)."""
        sums = rows @ onehot
        means = sums / counts
        # two passes (deviations from each k's mean): runs that tie give exactly 0, where
        # sum(y^2) - n mean^2 leaves rounding of ~1e-8 that would pass for a spread
        within = ((rows - means @ onehot.T) ** 2) @ onehot
        replicated = counts >= 2
        if replicated.any():
            pooled = within[:, replicated].sum(axis=1) / float((counts[replicated] - 1).sum())
        else:  # one run per k: the scatter around the linear trend (assumes linearity)
            centred = rows - rows.mean(axis=1, keepdims=True)
            rss = (centred**2).sum(axis=1) - (centred @ xc) ** 2 / sxx
            pooled = rss / (rows.shape[1] - 2)
        var = np.where(
            replicated[None, :], within / np.maximum(counts - 1, 1)[None, :], pooled[:, None]
        )
        var = np.maximum(var, 0.0)
        se = np.sqrt(var[:, 1:] / counts[1:] + var[:, :1] / counts[0])
        diff = means[:, 1:] - means[:, :1]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, diff / np.where(se > 0, se, 1.0), 0.0)
        return t, diff, se

    t_obs, diff, se = (a[0] for a in t_stats(ys[None, :]))
    if any(no_spread(v, ys) for v in se):  # a comparison of runs that tie: no estimate
        return None
    rng = np.random.default_rng(seed)
    maxima = []
    done = 0
    while done < permutations:
        rows = min(4096, permutations - done)
        shuffled = rng.permuted(np.broadcast_to(ys, (rows, ys.size)), axis=1)
        maxima.append(np.abs(t_stats(shuffled)[0]).max(axis=1))
        done += rows
    null = np.sort(np.concatenate(maxima)) if maxima else np.array([np.inf])
    critical = float(np.quantile(null, CONFIDENCE)) if maxima else math.inf
    exceed = null.size - np.searchsorted(null, np.abs(t_obs) - 1e-12, side="left")
    p_adj = (1 + exceed) / (1 + null.size)
    best = int(np.argmax(diff))
    if smallest_permutation_p(ks) > 1 - CONFIDENCE:  # the 95% quantile is one of a few atoms
        ci_low: list[float | None] = [None] * diff.size
        ci_high: list[float | None] = [None] * diff.size
    else:
        ci_low, ci_high = (diff - critical * se).tolist(), (diff + critical * se).tolist()
    return VersusZero(
        k_values=levels[1:],
        differences=diff.tolist(),
        stderrs=se.tolist(),
        ci_low=ci_low,
        ci_high=ci_high,
        p_adjusted=p_adj.tolist(),
        critical=critical,
        best_k=levels[1 + best],
        best_claimed=bool(diff[best] > 0 and p_adj[best] < 1 - CONFIDENCE),
    )


# --------------------------------------------------------------------------- languages disagree


@dataclass(frozen=True)
class LanguageSpread:
    """How much the per-language slopes differ (the language x k interaction)."""

    n_languages: int
    sd: float  # method-of-moments estimate of the SD of the true per-language slopes
    ci_low: float  # 95% CI of that SD for these languages (noncentral F inverted)
    ci_high: float
    p_value: float  # F test of "every language has the same slope"
    df: tuple[int, int]
    general_stderr: float  # of the mean slope as a claim about languages in general
    general_df: int


def language_spread(
    k: Sequence[int], scores: np.ndarray, mean_slope_stderr: float | None
) -> LanguageSpread | None:
    """Spread of the per-language slopes (module doc); ``scores`` is runs x languages.

    Model y_rl = run_r + a_l + b_l k_r + e_rl: the run effect takes out what a training run
    does to every language (its seed noise), so only the language x k interaction and the
    language-specific noise remain. SS_int = Sxx sum_l (b_l - mean b)^2 on L - 1 df against
    the residual mean square on (n - 2)(L - 1) df is the classical interaction F test; with
    S^2 = sum_l (b_l - mean b)^2 / (L - 1) over the true slopes, F is noncentral with
    lambda = Sxx (L - 1) S^2 / sigma^2, inverted for the CI of S (these languages).
    ``general_stderr`` adds the between-language spread of the slopes to the mean slope's
    standard error, sqrt(se^2 + sum_l (b_l - mean b)^2 / (L (L - 1))) on L - 1 df: the mean
    slope as a claim about languages in general (languages as a random sample; conservative).
    """
    ks = np.asarray(k, dtype=float)
    ys = np.asarray(scores, dtype=float)
    n, langs = ys.shape
    if langs < 3 or n < 4:
        return None
    xc = ks - ks.mean()
    sxx = float(xc @ xc)
    if sxx == 0:
        return None
    d = ys - ys.mean(axis=1, keepdims=True)
    slopes = xc @ d / sxx
    fitted = d.mean(axis=0)[None, :] + xc[:, None] * slopes[None, :]
    rss = float(((d - fitted) ** 2).sum())
    df1, df2 = langs - 1, (n - 2) * (langs - 1)
    sigma2 = rss / df2
    spread = float(slopes @ slopes)  # slopes of d are already centred over languages
    ms_int = sxx * spread / df1
    if sigma2 <= 0 or no_spread(d - fitted, ys):
        return None
    f_obs = ms_int / sigma2
    p = float(sps.f.sf(f_obs, df1, df2))
    tau2 = max(0.0, (ms_int - sigma2) / sxx)

    def lam_at(quantile: float) -> float:  # noncentrality whose cdf at f_obs equals quantile
        if sps.f.cdf(f_obs, df1, df2) <= quantile:
            return 0.0
        hi = max(1.0, f_obs * df1)
        while sps.ncf.cdf(f_obs, df1, df2, hi) > quantile:
            hi *= 2
        from scipy.optimize import brentq

        return float(brentq(lambda lam: sps.ncf.cdf(f_obs, df1, df2, lam) - quantile, 0.0, hi))

    to_sd = lambda lam: math.sqrt(lam * sigma2 / (sxx * df1))  # noqa: E731
    ci_low = to_sd(lam_at(0.5 + CONFIDENCE / 2))
    ci_high = to_sd(lam_at(0.5 - CONFIDENCE / 2))
    general = math.sqrt((mean_slope_stderr or 0.0) ** 2 + spread / (langs * df1))
    return LanguageSpread(
        n_languages=langs, sd=math.sqrt(tau2), ci_low=ci_low, ci_high=ci_high, p_value=p,
        df=(df1, df2), general_stderr=general, general_df=df1,
    )  # fmt: skip


# --------------------------------------------------------------------------- which tasks help


@dataclass(frozen=True)
class TaskEffect:
    task: str
    effect: float  # the change in score when the task is among a run's intermediate tasks
    stderr: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    n_runs_with: int


def _task_design(task_sets: Sequence[Sequence[str]], tasks: list[str]) -> np.ndarray:
    """Runs x (intercept, one 0/1 column per task)."""
    return np.array([[1.0] + [float(t in set(s)) for t in tasks] for s in task_sets])


def tasks_separable(task_sets: Sequence[Sequence[str]]) -> bool:
    """Whether the runs' task sets let each task's own contribution be estimated: the design
    has full rank and leaves residual degrees of freedom."""
    tasks = sorted({t for s in task_sets for t in s})
    if not tasks:
        return False
    x = _task_design(task_sets, tasks)
    n, p = x.shape
    return n > p and int(np.linalg.matrix_rank(x)) == p


def task_effects(task_sets: Sequence[Sequence[str]], y: Sequence[float]) -> list[TaskEffect] | None:
    """Each intermediate task's own contribution: least squares of the run scores on an
    intercept and one 0/1 indicator per task (is the task among the run's tasks?), HC2
    standard errors with Bell-McCaffrey df (Imbens & Kolesar 2016). Needs runs whose task
    sets vary independently enough (different orders): None when the design cannot separate
    the tasks (rank-deficient) or leaves no residual degrees of freedom."""
    ys = np.asarray(y, dtype=float)
    if not tasks_separable(task_sets):
        return None
    tasks = sorted({t for s in task_sets for t in s})
    x = _task_design(task_sets, tasks)
    n, p = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ ys
    residuals = ys - x @ beta
    if no_spread(residuals, ys):  # the runs fit exactly: no spread to put intervals on
        return None
    hat = x @ xtx_inv @ x.T
    leverage = np.diag(hat)
    contrasts = xtx_inv @ x.T  # row j: the weights of coefficient j over runs
    robust = leverage.max() < 1.0 - 1e-9
    sigma2 = float(residuals @ residuals) / (n - p)
    out = []
    for j, task in enumerate(tasks, start=1):
        c = contrasts[j]
        if robust:
            se = math.sqrt(float(np.sum(c**2 * residuals**2 / (1.0 - leverage))))
            df = bell_mccaffrey_df(x, c, leverage)
        else:
            se, df = math.sqrt(sigma2 * float(xtx_inv[j, j])), float(n - p)
        t = float(sps.t.ppf(0.5 + CONFIDENCE / 2, df))
        if no_spread(se, ys):
            return None  # a task whose runs all fit exactly: its interval would have zero width
        p_value = float(2 * sps.t.sf(abs(beta[j]) / se, df))
        out.append(TaskEffect(task, float(beta[j]), se, float(beta[j] - t * se),
                              float(beta[j] + t * se), p_value, df,
                              int(x[:, j].sum())))  # fmt: skip
    return out
