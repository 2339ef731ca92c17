"""The study's answer: how each benchmark's score changes as intermediate tasks are added.

Input: lm-eval results of checkpoints whose ``xfer_manifest.json`` records ``k`` (number of
intermediate tasks), ``seed`` and the task order (``xfer sweep`` writes them). The unit of
analysis is the *training run*: one score per run and benchmark x language group, so training
seed variance, the largest noise of fine-tuning studies, is inside every interval and test.
Statistics and their sources are in :mod:`xfer_tasks.compare.trend`; calibration against
simulated studies with a known slope is ``benchmarks/bench_scaling_calibration.py``.

For every benchmark x language group x headline metric (XNLI acc, TyDiQA F1, BUCC F1, Tatoeba
acc_en2xx, MMLU-family acc; groups: ``all`` languages, ``en``, ``non-en``, and each language
family with a member) a :class:`Trend`: the mean at each k with its 95% CI, the slope per added
task and per doubling of the task count with 95% CIs, a permutation p-value over runs, the best
k and the probability it beats k = 0. Also XTREME's cross-lingual transfer gap (English minus
the mean of the other languages, Hu et al. 2020 sec. 5) against k, per-language slopes (the
forest plot), and each run's XTREME score (:mod:`xfer_tasks.compare.xtreme`).

A group's score is the unweighted mean over its languages (XTREME), over the languages every
run has, so each k averages the same set. Runs with the same k and identical scores on every
task are one checkpoint evaluated twice (``xfer sweep`` re-saves the base model at k = 0 for
each seed): they are counted once, and the output says so.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy import stats as sps

from xfer_tasks.compare import trend as trend_stats
from xfer_tasks.compare.naming import (
    headline_metric,
    is_layer_metric,
    is_xfer_task,
    language_family,
    split_task,
)
from xfer_tasks.compare.results import RunResults
from xfer_tasks.compare.stats import benjamini_hochberg
from xfer_tasks.compare.xtreme import xtreme_score

ALL = "all"
ENGLISH = "en"
NON_ENGLISH = "non-en"
GAP = "en minus non-en"
XTREME_BENCHMARK = "xfer_xtreme"
XTREME_METRIC = "score"
ENGLISH_FAMILY = language_family("en")
POWER = 0.8  # for the detectable slope quoted when no trend is found
ALPHA = 0.05
# Below this many scored items per language (or with lm-eval's --limit) a study is smoke scale:
# one language's accuracy then has a standard error of 5 points or more, far above the effects
# intermediate-task training is expected to have per added task (Phang et al. 2020 report
# +5.4 XTREME points for nine tasks together), so no conclusion is stated.
SMOKE_SCALE_ITEMS = 100


@dataclass
class StudyRun:
    """One checkpoint of the study, as read from its results file and manifest."""

    label: str
    k: int
    seed: Any
    order: list[str] | None
    results_file: str
    checkpoint: str | None
    duplicate_of: str | None = None
    min_items: int | None = None  # fewest documents scored by one of its xfer tasks
    limit: float | None = None  # lm-eval's --limit, when the run used one
    untrained: bool = False  # every training phase skipped: the base model itself (k = 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "k": self.k,
            "seed": self.seed,
            "order": self.order,
            "results_file": self.results_file,
            "checkpoint": self.checkpoint,
            "duplicate_of": self.duplicate_of,
            "min_items": self.min_items,
            "limit": self.limit,
            "untrained": self.untrained,
        }


# scores[label][(benchmark, language, metric)] = value (a fraction)
ScoreTable = dict[str, dict[tuple[str, str, str], float]]


@dataclass
class Trend:
    """Score vs k for one benchmark x language group x metric (the ``trends`` contract)."""

    benchmark: str
    metric: str
    languages: str  # "all", "en", "non-en", a family name, or a language code
    language_codes: list[str]
    k_values: list[int]
    means: list[float]
    ci_low: list[float | None]
    ci_high: list[float | None]
    runs_per_k: list[int]
    slope_per_task: float | None
    intercept: float | None  # of the least-squares line on k (the score it predicts at k = 0)
    slope_ci: list[float | None]
    slope_per_doubling: float | None
    slope_per_doubling_ci: list[float | None]
    p_value: float | None
    p_value_per_doubling: float | None
    p_value_t: float | None
    n_runs: int
    n_seeds: int
    best_k: int
    p_best_beats_k0: float | None
    sd_between_runs: float | None
    sd_source: str
    detectable_slope: float | None  # slope found with 80% power at alpha 0.05 by this design
    q_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class ScalingAnalysis:
    runs: list[StudyRun]
    trends: list[Trend]
    transfer_gap: list[Trend]
    language_trends: list[Trend]
    xtreme_score: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    permutations: int = trend_stats.DEFAULT_PERMUTATIONS
    seed: int = trend_stats.DEFAULT_SEED
    smoke_scale: str | None = None  # why no conclusion is stated, when the study is too small

    @property
    def n_seeds(self) -> int:
        return len({str(r.seed) for r in self.runs})

    def headline(self) -> list[Trend]:
        """The ``all``-languages trend of each benchmark (and of the XTREME score)."""
        return [t for t in self.trends if t.languages == ALL]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.to_dict() for r in self.runs],
            "trends": [t.to_dict() for t in self.trends],
            "transfer_gap": [t.to_dict() for t in self.transfer_gap],
            "language_trends": [t.to_dict() for t in self.language_trends],
            "xtreme_score": self.xtreme_score,
            "smoke_scale": self.smoke_scale,
            "summary": summary_lines(self),
            "notes": self.notes,
            "method": {
                "unit": "training run (duplicate evaluations of one checkpoint counted once)",
                "slope": "least squares on k (per task) and on log2(1 + k) (per doubling); "
                "95% CI from the t distribution with n - 2 df",
                "p_value": f"two-sided permutation test of k over runs, {self.permutations} "
                "permutations (p_value_t: the t-test matching the CI)",
                "q_value": "Benjamini-Hochberg over every row of 'trends'",
                "means_ci": "t interval with the within-k standard deviation pooled over k "
                "(the scatter around the linear trend when each k has one run)",
                "p_best_beats_k0": "posterior probability, flat prior, pooled normal model",
                "scores": "fractions in [0, 1]; sentences quote points (x 100)",
            },
        }


# --------------------------------------------------------------------------- reading runs


def study_runs(results: Sequence[RunResults]) -> tuple[list[StudyRun], ScoreTable, list[str]]:
    """The runs that carry k (their labels already set, as ``compare_runs`` sets them), their
    xfer-benchmark scores, and notes on what was left out."""
    notes: list[str] = []
    runs: list[StudyRun] = []
    table: ScoreTable = {}
    skipped_tasks: set[str] = set()
    for result in results:
        if result.num_tasks is None:
            notes.append(f"{result.label}: no xfer_manifest.json with k; not in the analysis")
            continue
        sweep = (result.manifest or {}).get("sweep") or {}
        order = sweep.get("order") if isinstance(sweep.get("order"), list) else None
        runs.append(
            StudyRun(
                label=result.label,
                k=int(result.num_tasks),
                seed=result.seed,
                order=[str(t) for t in order] if order else result.intermediate_tasks,
                results_file=str(result.path),
                checkpoint=result.checkpoint,
                min_items=min(
                    (t.n for name, t in result.tasks.items() if is_xfer_task(name) and t.n),
                    default=None,
                ),
                limit=result.limit,
                untrained=is_untrained(result.manifest or {}),
            )
        )
        scores: dict[tuple[str, str, str], float] = {}
        for task, task_result in result.tasks.items():
            if not is_xfer_task(task):
                skipped_tasks.add(task)
                continue
            benchmark, language = split_task(task, result.groups)
            for metric, value in task_result.metrics.items():
                if not is_layer_metric(benchmark, metric):  # layer profiles: compare only
                    scores[(benchmark, language, metric)] = value.value
        table[result.label] = scores
    if skipped_tasks:
        notes.append(
            f"{len(skipped_tasks)} task(s) outside xfer's benchmarks (e.g. "
            f"{sorted(skipped_tasks)[0]}) are not in the scaling analysis; compare shows them"
        )
    return runs, table, notes


def has_trend(results: Sequence[RunResults]) -> bool:
    """At least two distinct k among the runs that carry one (a trend can be fitted)."""
    return len({r.num_tasks for r in results if r.num_tasks is not None}) >= 2


def is_untrained(manifest: dict[str, Any]) -> bool:
    """The checkpoint is the base model: its manifest lists phases and every one was skipped
    (``xfer train`` records ``skipped: no tasks (k = 0)``)."""
    phases = manifest.get("phases")
    return bool(phases) and all(isinstance(p, dict) and p.get("skipped") for p in phases)


def mark_duplicates(runs: list[StudyRun], table: ScoreTable) -> list[str]:
    """One checkpoint evaluated several times counts once: runs with the same k, identical
    scores everywhere and either the same checkpoint folder or no training at all (the base
    model re-saved per seed at k = 0) are marked ``duplicate_of`` the first. Different trained
    checkpoints that happen to score identically (tiny test sets) stay separate runs."""
    first: dict[tuple[Any, ...], str] = {}
    notes = []
    for run in runs:
        identity = "untrained" if run.untrained else (run.checkpoint or run.label)
        key = (run.k, identity, tuple(sorted(table[run.label].items())))
        if key in first:
            run.duplicate_of = first[key]
        else:
            first[key] = run.label
    dupes = defaultdict(list)
    for run in runs:
        if run.duplicate_of:
            dupes[run.duplicate_of].append(run.label)
    for original, copies in dupes.items():
        notes.append(
            f"{', '.join(copies)}: identical scores to {original} at the same k (one checkpoint, "
            "e.g. the base model at k = 0); counted once"
        )
    return notes


# --------------------------------------------------------------------------- the analysis


def analyze(
    results: Sequence[RunResults],
    *,
    permutations: int = trend_stats.DEFAULT_PERMUTATIONS,
    seed: int = trend_stats.DEFAULT_SEED,
) -> ScalingAnalysis:
    """The scaling analysis of loaded runs (labels set); see the module doc."""
    runs, table, notes = study_runs(results)
    return analyze_table(runs, table, notes=notes, permutations=permutations, seed=seed)


def analyze_table(
    runs: list[StudyRun],
    table: ScoreTable,
    *,
    notes: list[str] | None = None,
    permutations: int = trend_stats.DEFAULT_PERMUTATIONS,
    seed: int = trend_stats.DEFAULT_SEED,
) -> ScalingAnalysis:
    """The analysis of a score table (``table[label][(benchmark, language, metric)]``)."""
    notes = list(notes or [])
    notes += mark_duplicates(runs, table)
    distinct = [r for r in runs if r.duplicate_of is None]
    analysis = ScalingAnalysis(
        runs=runs, trends=[], transfer_gap=[], language_trends=[], xtreme_score={},
        notes=notes, permutations=permutations, seed=seed,
    )  # fmt: skip
    analysis.xtreme_score = _xtreme_scores(runs, table)
    analysis.smoke_scale = smoke_scale_reason(distinct)
    if len({r.k for r in distinct}) < 2:
        notes.append("fewer than two distinct k values: no trend can be estimated")
        return analysis
    n_seeds = len({str(r.seed) for r in distinct})

    def fit(benchmark: str, metric: str, group: str, codes: list[str], y: list[float]) -> Trend:
        return _fit_trend(
            benchmark, metric, group, codes, [r.k for r in distinct], y, n_seeds,
            permutations, seed,
        )  # fmt: skip

    for benchmark, metric, languages in _headline_series(distinct, table, notes):
        def score(run: StudyRun, codes: list[str], b: str = benchmark, m: str = metric) -> float:
            return sum(table[run.label][(b, lang, m)] for lang in codes) / len(codes)

        for group, codes in _language_groups(languages):
            y = [score(run, codes) for run in distinct]
            analysis.trends.append(fit(benchmark, metric, group, codes, y))
        english = [c for c in languages if language_family(c) == ENGLISH_FAMILY]
        others = [c for c in languages if c not in english]
        if english and others:
            y = [score(run, english) - score(run, others) for run in distinct]
            analysis.transfer_gap.append(fit(benchmark, metric, GAP, english + others, y))
        for lang in languages:
            y = [score(run, [lang]) for run in distinct]
            analysis.language_trends.append(fit(benchmark, metric, lang, [lang], y))

    xtreme = [analysis.xtreme_score.get(r.label) for r in distinct]
    if all(x is not None for x in xtreme) and xtreme:
        tasks = sorted({tuple(x["tasks"]) for x in xtreme})  # type: ignore[index]
        if len(tasks) == 1 and len(tasks[0]) >= 2:  # one task: its own trend says it all
            y = [x["score"] for x in xtreme]  # type: ignore[index]
            analysis.trends.append(fit(XTREME_BENCHMARK, XTREME_METRIC, ALL, list(tasks[0]), y))
        else:
            notes.append("runs cover different XTREME tasks: no trend of the XTREME score")

    _add_q_values(analysis.trends)
    for benchmark in sorted({t.benchmark for t in analysis.language_trends}):
        _add_q_values([t for t in analysis.language_trends if t.benchmark == benchmark])
    orders = {tuple(r.order) for r in distinct if r.order and r.k == max(x.k for x in distinct)}
    if len(orders) > 1:
        notes.append(
            f"{len(orders)} different task orders: the trend averages over them (which tasks "
            "come first is part of the run-to-run spread)"
        )
    if n_seeds == 1:
        notes.append(
            "one seed: training-seed variance is not estimated separately; intervals use the "
            "scatter of the runs around the linear trend, which assumes the trend is linear"
        )
    return analysis


def smoke_scale_reason(runs: list[StudyRun]) -> str | None:
    """Why the study is too small for a conclusion (``--limit``, or fewer than
    :data:`SMOKE_SCALE_ITEMS` items per language), or None."""
    limited = sorted({r.limit for r in runs if r.limit is not None})
    if limited:
        return f"scored with lm-eval's --limit {limited[0]:g}: a subset of every test set"
    sizes = [r.min_items for r in runs if r.min_items is not None]
    if sizes and min(sizes) < SMOKE_SCALE_ITEMS:
        return (
            f"as few as {min(sizes)} items per language (under {SMOKE_SCALE_ITEMS}: one "
            "language's accuracy has a standard error of 5 points or more)"
        )
    return None


def _headline_series(
    runs: list[StudyRun], table: ScoreTable, notes: list[str]
) -> list[tuple[str, str, list[str]]]:
    """(benchmark, headline metric, languages every run has) for each benchmark."""
    metrics: dict[str, set[str]] = defaultdict(set)
    languages: dict[tuple[str, str], list[set[str]]] = defaultdict(list)
    for run in runs:
        seen: dict[tuple[str, str], set[str]] = defaultdict(set)
        for benchmark, language, metric in table[run.label]:
            metrics[benchmark].add(metric)
            seen[(benchmark, metric)].add(language)
        for key, langs in seen.items():
            languages[key].append(langs)
    series = []
    for benchmark in sorted(metrics):
        metric = headline_metric(benchmark, sorted(metrics[benchmark]))
        if metric is None:
            continue
        sets = languages[(benchmark, metric)]
        if len(sets) < len(runs):
            notes.append(f"{benchmark}: not every run has it; not in the analysis")
            continue
        common = set.intersection(*sets)
        left_out = set.union(*sets) - common
        if left_out:
            notes.append(
                f"{benchmark} {metric}: languages every run has ({len(common)}); left out "
                + ", ".join(sorted(left_out))
            )
        if common:
            series.append((benchmark, metric, sorted(common)))
    return series


def _language_groups(languages: list[str]) -> list[tuple[str, list[str]]]:
    """all; en and non-en when English is among them; each family when there are several."""
    groups = [(ALL, list(languages))]
    english = [c for c in languages if language_family(c) == ENGLISH_FAMILY]
    others = [c for c in languages if c not in english]
    if english and others:
        groups += [(ENGLISH, english), (NON_ENGLISH, others)]
    families: dict[str, list[str]] = defaultdict(list)
    for code in others:
        families[language_family(code)].append(code)
    if len(families) > 1:
        groups += sorted(families.items())
    return groups


def _fit_trend(
    benchmark: str, metric: str, group: str, codes: list[str], k: list[int], y: list[float],
    n_seeds: int, permutations: int, seed: int,
) -> Trend:  # fmt: skip
    means = trend_stats.k_means(k, y, seed=seed)
    per_task = per_doubling = None
    if len(k) >= 2:
        per_task = trend_stats.ols_slope(k, y, permutations=permutations, seed=seed)
        log_k = [math.log2(1 + v) for v in k]
        per_doubling = trend_stats.ols_slope(log_k, y, permutations=permutations, seed=seed)
    detectable = None
    if per_task is not None and per_task.stderr is not None:
        df = per_task.df
        detectable = float(
            (sps.t.ppf(1 - ALPHA / 2, df) + sps.t.ppf(POWER, df)) * per_task.stderr
        )
    return Trend(
        benchmark=benchmark,
        metric=metric,
        languages=group,
        language_codes=list(codes),
        k_values=means.k_values,
        means=means.means,
        ci_low=means.ci_low,
        ci_high=means.ci_high,
        runs_per_k=means.n_runs,
        slope_per_task=None if per_task is None else per_task.slope,
        intercept=None if per_task is None else per_task.intercept,
        slope_ci=[None, None] if per_task is None else [per_task.ci_low, per_task.ci_high],
        slope_per_doubling=None if per_doubling is None else per_doubling.slope,
        slope_per_doubling_ci=(
            [None, None] if per_doubling is None else [per_doubling.ci_low, per_doubling.ci_high]
        ),
        p_value=None if per_task is None else per_task.p_value,
        p_value_per_doubling=None if per_doubling is None else per_doubling.p_value,
        p_value_t=None if per_task is None else per_task.p_value_t,
        n_runs=len(k),
        n_seeds=n_seeds,
        best_k=means.best_k,
        p_best_beats_k0=means.p_best_beats_k0,
        sd_between_runs=means.sd,
        sd_source=means.sd_source,
        detectable_slope=detectable,
    )


def _add_q_values(trends: list[Trend]) -> None:
    tested = [t for t in trends if t.p_value is not None]
    for t, q in zip(tested, benjamini_hochberg([t.p_value for t in tested]), strict=True):
        t.q_value = q


def _xtreme_scores(runs: list[StudyRun], table: ScoreTable) -> dict[str, dict[str, Any]]:
    out = {}
    for run in runs:
        nested: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        for (benchmark, language, metric), value in table[run.label].items():
            nested[benchmark][language][metric] = value
        score = xtreme_score(nested)
        if score is not None:
            out[run.label] = score.to_dict()
    return out


# --------------------------------------------------------------------------- the answer in words


def _points(value: float) -> str:
    return f"{100 * value:+.2f}"


def _p(value: float | None) -> str:
    if value is None:
        return "p n/a"
    return "p < 0.001" if value < 0.001 else f"p = {value:.2g}"


def sentence(t: Trend) -> str:
    """One plain sentence: the slope per added task, its CI, p, and the design's size."""
    design = f"{t.n_runs} runs, {t.n_seeds} seed{'s' if t.n_seeds != 1 else ''}"
    name = f"{t.benchmark} {t.metric}"
    if t.slope_per_task is None:
        return f"{name}: no trend (fewer than two k values; {design})"
    if t.slope_ci[0] is None:
        return (
            f"{name}: {_points(t.slope_per_task)} points per added task, no interval "
            f"(a CI needs at least 3 training runs; {design})"
        )
    return (
        f"{name}: {_points(t.slope_per_task)} points per added task "
        f"(95% CI {_points(t.slope_ci[0])} to {_points(t.slope_ci[1])}; {_p(t.p_value)}; "
        f"{design})"
    )


def reading(
    t: Trend, gap: Trend | None, alpha: float = ALPHA, smoke_scale: str | None = None
) -> str:
    """What the numbers allow one to say, in words, after the sentence."""
    if t.slope_per_task is None or t.slope_ci[0] is None or t.p_value is None:
        return "training variance cannot be estimated from these runs; no conclusion"
    if smoke_scale is not None:
        width = 100 * (t.slope_ci[1] - t.slope_ci[0]) / 2  # type: ignore[operator]
        return (
            f"smoke scale: no effect is detectable at this size, whatever p says (the 95% CI is "
            f"±{width:.2f} points per task and the test sets are too small to trust)"
        )
    parts = []
    if t.p_value >= alpha:
        parts.append(
            "no effect of the number of tasks is detectable"
            + (
                f": this design finds a slope of {100 * t.detectable_slope:.2f} points per task "
                f"80% of the time"
                if t.detectable_slope is not None
                else ""
            )
        )
    else:
        direction = "rises" if t.slope_per_task > 0 else "falls"
        parts.append(f"the score {direction} with more tasks")
        if t.q_value is not None and t.q_value >= alpha:
            parts.append(f"but not after correcting for the {alpha:g} false discovery rate "
                         f"(q = {t.q_value:.2g})")  # fmt: skip
    if t.p_best_beats_k0 is not None:
        parts.append(f"best k = {t.best_k} (P(beats k = 0) = {t.p_best_beats_k0:.2f})")
    if gap is not None and gap.slope_per_task is not None and gap.slope_ci[0] is not None:
        parts.append(
            f"transfer gap (en minus others) {_points(gap.slope_per_task)} points per task "
            f"(95% CI {_points(gap.slope_ci[0])} to {_points(gap.slope_ci[1])})"
        )
    return "; ".join(parts)


def summary_lines(analysis: ScalingAnalysis) -> list[str]:
    """One sentence per benchmark (the XTREME score last), each followed by its reading."""
    gaps = {(g.benchmark, g.metric): g for g in analysis.transfer_gap}
    lines = []
    if analysis.smoke_scale is not None:
        lines.append(
            f"SMOKE SCALE ({analysis.smoke_scale}; {analysis.n_seeds} seed(s)): no effect of the "
            "number of intermediate tasks is detectable at this size. The lines below show the "
            "analysis working, not a result."
        )
    headline = sorted(analysis.headline(), key=lambda t: t.benchmark == XTREME_BENCHMARK)
    for t in headline:
        lines.append(sentence(t))
        gap = gaps.get((t.benchmark, t.metric))
        lines.append("  " + reading(t, gap, smoke_scale=analysis.smoke_scale))
    if not headline:
        lines.append("No trend: the runs need manifests with at least two distinct k values.")
    return lines


def summary_markdown(analysis: ScalingAnalysis) -> str:
    """The answer first (sentences), then the trend table, the gap, the XTREME scores."""
    out = ["# How scores change as intermediate tasks are added", ""]
    for line in summary_lines(analysis):
        if line.startswith("SMOKE SCALE"):
            out += [f"**{line}**", ""]
        else:
            out.append(f"- {line.strip()}" if not line.startswith("  ") else f"  - {line.strip()}")
    out += [
        "",
        f"Unit of analysis: the training run ({sum(r.duplicate_of is None for r in analysis.runs)}"
        f" distinct runs, {analysis.n_seeds} seed(s)). Points = score x 100. p: permutation test "
        f"of k over runs ({analysis.permutations} permutations); q: Benjamini-Hochberg over "
        "every row of the trend table.",
        "",
        "## Trends",
        "",
        "| benchmark | metric | languages | per task (95% CI) | per doubling (95% CI) | p | q "
        "| best k | P(best > k=0) | runs |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for t in analysis.trends:
        out.append(_trend_row(t))
    if analysis.transfer_gap:
        out += [
            "",
            "## Cross-lingual transfer gap (English minus the mean of the other languages)",
            "",
            "| benchmark | metric | gap at each k | per task (95% CI) | p |",
            "|---|---|---|---|---:|",
        ]
        for g in analysis.transfer_gap:
            at_k = ", ".join(
                f"k={k}: {100 * m:.1f}" for k, m in zip(g.k_values, g.means, strict=True)
            )
            out.append(
                f"| {g.benchmark} | {g.metric} | {at_k} | {_ci(g.slope_per_task, g.slope_ci)} "
                f"| {_p(g.p_value).removeprefix('p = ')} |"
            )
    if analysis.xtreme_score:
        out += ["", "## XTREME score per run", "", "| run | k | score | XTREME tasks present |",
                "|---|---:|---:|---|"]  # fmt: skip
        k_of = {r.label: r.k for r in analysis.runs}
        for label, score in analysis.xtreme_score.items():
            out.append(
                f"| {label} | {k_of.get(label, '?')} | {100 * score['score']:.2f} | "
                f"{', '.join(score['tasks'])} (missing: {', '.join(score['missing']) or '-'}) |"
            )
    if analysis.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in analysis.notes]
    return "\n".join(out) + "\n"


def _ci(value: float | None, ci: list[float | None]) -> str:
    if value is None:
        return "-"
    if ci[0] is None or ci[1] is None:
        return _points(value)
    return f"{_points(value)} ({_points(ci[0])} to {_points(ci[1])})"


def _trend_row(t: Trend) -> str:
    p = "-" if t.p_value is None else f"{t.p_value:.3g}"
    q = "-" if t.q_value is None else f"{t.q_value:.3g}"
    pb = "-" if t.p_best_beats_k0 is None else f"{t.p_best_beats_k0:.2f}"
    return (
        f"| {t.benchmark} | {t.metric} | {t.languages} | {_ci(t.slope_per_task, t.slope_ci)} | "
        f"{_ci(t.slope_per_doubling, t.slope_per_doubling_ci)} | {p} | {q} | {t.best_k} | {pb} "
        f"| {t.n_runs} |"
    )


def summary_terminal(analysis: ScalingAnalysis) -> str:
    return "\n".join(summary_lines(analysis) + [""] + [f"Note: {n}" for n in analysis.notes]) + "\n"
