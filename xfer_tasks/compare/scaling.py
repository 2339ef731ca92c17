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
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
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
from xfer_tasks.compare.xtreme import XTREME_BENCHMARKS, XTREME_TASKS, xtreme_score

ALL = "all"
ENGLISH = "en"
NON_ENGLISH = "non-en"
GAP = "en minus non-en"
XTREME_BENCHMARK = "xfer_xtreme"
XTREME_METRIC = "score"
ENGLISH_FAMILY = language_family("en")
POWER = 0.8  # for the detectable slope quoted when no trend is found
ALPHA = 0.05
# The effect size intermediate-task training is expected to have per added task: Phang et al.
# (2020) report +5.4 XTREME points for nine tasks together, ~0.6 points per task. A benchmark
# whose test sets are so small that item noise alone hides slopes of this size is smoke scale.
EXPECTED_SLOPE = 0.006


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
    untrained: bool = False  # no training phase ran: the base model itself (k = 0)
    base_model: str | None = None  # the manifest's base model (name_or_path@revision)
    tasks: list[str] | None = None  # its intermediate tasks (the first k of the order)
    items: dict[str, int] = field(default_factory=dict)  # benchmark -> fewest items per language
    # benchmark -> language -> items scored (the smoke-scale rule's harmonic mean)
    language_items: dict[str, dict[str, int]] = field(default_factory=dict)

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
            "base_model": self.base_model,
            "tasks": self.tasks,
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
    p_best_beats_k0: float | None  # NOT adjusted for choosing the best k: see best_k_claim
    sd_between_runs: float | None
    sd_source: str
    detectable_slope: float | None  # slope found with 80% power at alpha 0.05 by this design
    q_value: float | None = None
    seeds_per_k: list[int] = field(default_factory=list)  # distinct seeds of each k's runs
    slope_stderr: float | None = None  # HC2 (see stderr_method)
    slope_df: float | None = None  # Bell-McCaffrey df of the CI
    stderr_method: str | None = None
    slope_stderr_classical: float | None = None  # equal variances over k assumed (the old CI)
    # every k against k = 0 at once (Dunnett-style, max-|t| permutation distribution)
    versus_k0: dict[str, Any] | None = None
    best_k_claim: bool | None = None  # best_k beats k = 0, the choice among the k accounted for
    best_k_p_adjusted: float | None = None
    # the language x k interaction (the "all" rows of benchmarks with >= 3 languages)
    language_slope_sd: float | None = None
    language_slope_sd_ci: list[float | None] = field(default_factory=lambda: [None, None])
    language_heterogeneity_p: float | None = None
    slope_ci_languages_in_general: list[float | None] = field(
        default_factory=lambda: [None, None]
    )
    smoke_scale: str | None = None  # why this benchmark's test sets are too small, or None
    # the smallest p a permutation test over these runs can give (trend.smallest_permutation_p)
    smallest_p: float | None = None

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
    order_design: str = "unknown"  # "shared" (one task order), "varies", "unknown"
    shared_order: list[str] | None = None
    task_effects: list[dict[str, Any]] = field(default_factory=list)
    xtreme_common: dict[str, Any] | None = None  # what the XTREME-score trend averages

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
            "xtreme_common": self.xtreme_common,
            "task_order": {"design": self.order_design, "shared_order": self.shared_order},
            "task_effects": self.task_effects,
            "smoke_scale": self.smoke_scale,
            "summary": summary_lines(self),
            "notes": self.notes,
            "method": METHOD | {
                "p_value": f"two-sided permutation test of k over runs of the slope's HC2 t "
                f"statistic (studentized; DiCiccio & Romano 2017), {self.permutations} "
                "permutations (p_value_t: the t-test matching the CI)",
            },
        }


METHOD: dict[str, str] = {
    "unit": "training run; the untrained base model is one run however often it was "
    "evaluated (merged by its manifest), duplicate evaluations of a checkpoint count once",
    "estimand": "the expected score on these test sets, averaged over these languages, over "
    "training randomness, as a function of the number of intermediate tasks; with one shared "
    "task order, of adding these tasks in this order (task_order.design = 'shared')",
    "slope": "least squares on k (per task) and on log2(1 + k) (per doubling); 95% CI "
    "b +- t(df) se with the HC2 standard error and Bell-McCaffrey df (Imbens & Kolesar "
    "2016), valid when the run-to-run variance differs between k",
    "q_value": "Benjamini-Hochberg over every row of 'trends' (per-language trends: within "
    "each benchmark)",
    "means_ci": "t interval with that k's own standard deviation (t on n_k - 1 df); a k with "
    "one run: the within-k standard deviation pooled over k (the scatter around the linear "
    "trend when each k has one run)",
    "ties": "no spread, no interval (null, never zero-width): the slope's CI and p_value_t "
    "when every run lies on the fitted line; a k's mean CI when its runs tie; versus_k0 when "
    "any comparison has no spread; task_effects when the runs fit exactly",
    "versus_k0": "every k against k = 0 at once: Welch-type t statistics (per-k variances; "
    "pooled for a k with one run), simultaneous 95% intervals and single-step adjusted p from "
    "the permutation distribution of the maximum |t| (Dunnett 1955; Westfall & Young 1993)",
    "best_k_claim": "the best k is said to beat k = 0 only when its adjusted p < 0.05",
    "smallest_p": "1 / the distinct arrangements of the runs' k labels (n! / prod n_k!): the "
    "smallest p a permutation test can give; above 0.05 the design cannot detect any effect, "
    "the detectable slope is not quoted and versus_k0 has no intervals",
    "p_best_beats_k0": "posterior probability, flat prior, pooled normal model, NOT adjusted "
    "for picking the best k (kept for the contract; not printed)",
    "language_slope_sd": "SD of the true per-language slopes (language x k interaction with "
    "run effects removed): method of moments; 95% CI by inverting the noncentral F; p: the "
    "interaction F test",
    "slope_ci_languages_in_general": "the all-languages slope as a claim about languages in "
    "general (languages a random sample): se^2 + between-language slope variance / L, t(L - 1)",
    "task_effects": "runs whose task orders vary: score on one 0/1 indicator per task; HC2 "
    "se, Bell-McCaffrey df; q: Benjamini-Hochberg within each benchmark",
    "scores": "fractions in [0, 1]; sentences quote points (x 100)",
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
        manifest = result.manifest or {}
        sweep = manifest.get("sweep") or {}
        order = sweep.get("order") if isinstance(sweep.get("order"), list) else None
        k = int(result.num_tasks)
        tasks = result.intermediate_tasks
        if not tasks and order and k:
            tasks = [str(t) for t in order[:k]]
        run = StudyRun(
            label=result.label,
            k=k,
            seed=result.seed,
            order=[str(t) for t in order] if order else result.intermediate_tasks,
            results_file=str(result.path),
            checkpoint=result.checkpoint,
            min_items=min(
                (t.n for name, t in result.tasks.items() if is_xfer_task(name) and t.n),
                default=None,
            ),
            limit=result.limit,
            untrained=is_untrained(manifest, k),
            base_model=base_model_identity(manifest),
            tasks=tasks if tasks or k == 0 else None,
        )
        runs.append(run)
        scores: dict[tuple[str, str, str], float] = {}
        for task, task_result in result.tasks.items():
            if not is_xfer_task(task):
                skipped_tasks.add(task)
                continue
            benchmark, language = split_task(task, result.groups)
            if task_result.n:
                run.items[benchmark] = min(run.items.get(benchmark, task_result.n), task_result.n)
                run.language_items.setdefault(benchmark, {})[language] = task_result.n
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


def is_untrained(manifest: dict[str, Any], k: int | None = None) -> bool:
    """The checkpoint is the base model itself. With phases in the manifest: every one was
    skipped (``xfer train`` records ``skipped: no tasks (k = 0)``). Without them (older or
    hand-made manifests): k = 0 and the recorded config has no target-task phase."""
    phases = manifest.get("phases")
    if phases:
        return all(isinstance(p, dict) and p.get("skipped") for p in phases)
    if k is None:
        k = manifest.get("k") if isinstance(manifest.get("k"), int) else None
    config = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    return k == 0 and not config.get("target_phase")


def base_model_identity(manifest: dict[str, Any]) -> str | None:
    """``name_or_path@revision`` of the manifest's base model (None when not recorded)."""
    base = manifest.get("base_model")
    if isinstance(base, dict) and base.get("name_or_path"):
        revision = base.get("revision")
        return str(base["name_or_path"]) + (f"@{revision}" if revision else "")
    if isinstance(base, str) and base:
        return base
    return None


def merge_base_model(runs: list[StudyRun], table: ScoreTable) -> tuple[ScoreTable, list[str]]:
    """The base model is one run, however often it was evaluated: untrained runs of the same
    base model and k (``xfer sweep`` re-saves it at k = 0 for every seed) merge into the first,
    by what they are, not by their scores. The merged run's score is the mean of the
    evaluations (they differ only by evaluation nondeterminism); the others are marked
    ``duplicate_of`` it. Returns the table with the merged scores, and notes."""
    groups: dict[tuple[int, str], list[StudyRun]] = defaultdict(list)
    for run in runs:
        if run.untrained and run.duplicate_of is None:
            groups[(run.k, run.base_model or "the base model")].append(run)
    merged = dict(table)
    notes = []
    for (_, base), members in groups.items():
        if len(members) < 2:
            continue
        first = members[0]
        for other in members[1:]:
            other.duplicate_of = first.label
        keys = set().union(*(table[m.label] for m in members))
        scores, spread = {}, 0.0
        for key in keys:
            values = [table[m.label][key] for m in members if key in table[m.label]]
            scores[key] = sum(values) / len(values)
            spread = max(spread, max(values) - min(values))
        merged[first.label] = scores
        how = (
            "identical scores" if spread == 0
            else f"scores averaged; the evaluations differ by up to {100 * spread:.2f} points"
        )
        notes.append(
            f"{', '.join(m.label for m in members[1:])}: the untrained base model ({base}) "
            f"evaluated again; merged with {first.label} into one run ({how})"
        )
    return merged, notes


def mark_duplicates(runs: list[StudyRun], table: ScoreTable) -> list[str]:
    """One trained checkpoint evaluated several times counts once: runs with the same k, the
    same checkpoint folder and identical scores everywhere are marked ``duplicate_of`` the
    first. Different trained checkpoints that happen to score identically (tiny test sets)
    stay separate runs; the base model is merged by :func:`merge_base_model`."""
    first: dict[tuple[Any, ...], str] = {}
    notes = []
    for run in runs:
        if run.duplicate_of is not None or run.untrained:
            continue
        key = (run.k, run.checkpoint or run.label, tuple(sorted(table[run.label].items())))
        if key in first:
            run.duplicate_of = first[key]
        else:
            first[key] = run.label
    dupes = defaultdict(list)
    for run in runs:
        if run.duplicate_of and not run.untrained:
            dupes[run.duplicate_of].append(run.label)
    for original, copies in dupes.items():
        notes.append(
            f"{', '.join(copies)}: identical scores to {original} from the same checkpoint "
            "(one checkpoint evaluated twice); counted once"
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
    table, merge_notes = merge_base_model(runs, table)
    notes += merge_notes + mark_duplicates(runs, table)
    distinct = [r for r in runs if r.duplicate_of is None]
    analysis = ScalingAnalysis(
        runs=runs, trends=[], transfer_gap=[], language_trends=[], xtreme_score={},
        notes=notes, permutations=permutations, seed=seed,
    )  # fmt: skip
    analysis.xtreme_score = _xtreme_scores(runs, table)
    analysis.smoke_scale = _limit_reason(distinct)
    if len({r.k for r in distinct}) < 2:
        notes.append("fewer than two distinct k values: no trend can be estimated")
        return analysis
    n_seeds = len({str(r.seed) for r in distinct})
    ks = [r.k for r in distinct]
    seeds_per_k = [
        len({str(r.seed) for r in distinct if r.k == level and not r.untrained})
        or sum(r.k == level for r in distinct)
        for level in sorted(set(ks))
    ]

    def fit(benchmark: str, metric: str, group: str, codes: list[str], y: list[float],
            full: bool = True) -> Trend:  # fmt: skip
        t = _fit_trend(benchmark, metric, group, codes, ks, y, n_seeds, permutations, seed, full)
        t.seeds_per_k = seeds_per_k
        return t

    series = _headline_series(distinct, table, notes)
    for benchmark, metric, languages in series:
        def score(run: StudyRun, codes: list[str], b: str = benchmark, m: str = metric) -> float:
            return sum(table[run.label][(b, lang, m)] for lang in codes) / len(codes)

        small = _smoke_reason(benchmark, languages, distinct, analysis.smoke_scale)
        for group, codes in _language_groups(languages):
            y = [score(run, codes) for run in distinct]
            trend = fit(benchmark, metric, group, codes, y)
            trend.smoke_scale = small
            if group == ALL:
                matrix = np.array([[table[r.label][(benchmark, c, metric)] for c in codes]
                                   for r in distinct])  # fmt: skip
                _add_language_spread(trend, ks, matrix)
            analysis.trends.append(trend)
        english = [c for c in languages if language_family(c) == ENGLISH_FAMILY]
        others = [c for c in languages if c not in english]
        if english and others:
            y = [score(run, english) - score(run, others) for run in distinct]
            analysis.transfer_gap.append(fit(benchmark, metric, GAP, english + others, y, False))
        for lang in languages:
            y = [score(run, [lang]) for run in distinct]
            analysis.language_trends.append(fit(benchmark, metric, lang, [lang], y, False))
    smoke = sorted({t.smoke_scale for t in analysis.headline() if t.smoke_scale})
    if smoke and analysis.smoke_scale is None and len(smoke) == len(analysis.headline()):
        analysis.smoke_scale = "; ".join(smoke)

    xtreme = _xtreme_common(distinct, table, series, notes)
    if xtreme is not None:
        analysis.xtreme_common, y = xtreme
        analysis.trends.append(
            fit(XTREME_BENCHMARK, XTREME_METRIC, ALL, analysis.xtreme_common["tasks"], y)
        )

    _add_q_values(analysis.trends)
    for benchmark in sorted({t.benchmark for t in analysis.language_trends}):
        _add_q_values([t for t in analysis.language_trends if t.benchmark == benchmark])
    _task_order(analysis, distinct, table, series, y_xtreme=None if xtreme is None else xtreme[1])
    if n_seeds == 1:
        notes.append(
            "one seed: training-seed variance is not estimated separately; intervals use the "
            "scatter of the runs around the linear trend, which assumes the trend is linear"
        )
    return analysis


def _add_language_spread(trend: Trend, ks: list[int], matrix: np.ndarray) -> None:
    """The language x k interaction of the all-languages row (:func:`trend.language_spread`)."""
    spread = trend_stats.language_spread(ks, matrix, trend.slope_stderr)
    if spread is None or trend.slope_per_task is None:
        return
    trend.language_slope_sd = spread.sd
    trend.language_slope_sd_ci = [spread.ci_low, spread.ci_high]
    trend.language_heterogeneity_p = spread.p_value
    t = float(sps.t.ppf(0.975, spread.general_df))
    trend.slope_ci_languages_in_general = [
        trend.slope_per_task - t * spread.general_stderr,
        trend.slope_per_task + t * spread.general_stderr,
    ]


def _task_order(
    analysis: ScalingAnalysis, distinct: list[StudyRun], table: ScoreTable,
    series: list[tuple[str, str, list[str]]], y_xtreme: list[float] | None,
) -> None:  # fmt: skip
    """One shared order (the slope is specific to it: say so) or orders that vary (each
    task's own contribution, :func:`trend.task_effects`)."""
    trained = [r for r in distinct if r.k > 0]
    if not trained or any(r.tasks is None for r in trained):
        analysis.order_design = "unknown"
        if trained:
            analysis.notes.append(
                "some manifests do not list their tasks: the task order cannot be checked"
            )
        return
    sets_per_k: dict[int, set[frozenset[str]]] = defaultdict(set)
    for run in trained:
        sets_per_k[run.k].add(frozenset(run.tasks or []))
    if all(len(v) == 1 for v in sets_per_k.values()):
        analysis.order_design = "shared"
        longest = max(trained, key=lambda r: r.k)
        analysis.shared_order = list(longest.tasks or [])
        return  # the answer says what this means (order_line)
    analysis.order_design = "varies"
    orders = {tuple(r.order) for r in trained if r.order and len(r.order) > r.k}
    what = f"{len(orders)} different task orders" if len(orders) > 1 else (
        "runs of the same k trained on different tasks"
    )
    analysis.notes.append(
        f"{what}: the trend averages over them (which tasks come first is part of the "
        "run-to-run spread); task_effects gives each task's own contribution"
    )
    sets = [r.tasks or [] for r in distinct]
    targets = [(t.benchmark, t.metric, t) for t in analysis.headline()]
    for benchmark, metric, trend in targets:
        if benchmark == XTREME_BENCHMARK:
            y = y_xtreme
        else:
            codes = trend.language_codes
            y = [sum(table[r.label][(benchmark, c, metric)] for c in codes) / len(codes)
                 for r in distinct]  # fmt: skip
        effects = None if y is None else trend_stats.task_effects(sets, y)
        if effects is None and trend_stats.tasks_separable(sets) and y is not None:
            analysis.notes.append(
                f"{benchmark}: the tasks' own contributions fit these runs exactly (no spread "
                "left to put intervals on); not reported"
            )
            continue
        if effects is None:
            analysis.notes.append(
                f"{benchmark}: the runs' task sets cannot separate the tasks' own contributions "
                "(too few runs or orders)"
            )
            continue
        qs = benjamini_hochberg([e.p_value for e in effects])
        for e, q in zip(effects, qs, strict=True):
            analysis.task_effects.append({
                "benchmark": benchmark, "metric": metric, "languages": ALL, "task": e.task,
                "effect": e.effect, "ci": [e.ci_low, e.ci_high], "stderr": e.stderr,
                "df": e.df, "p_value": e.p_value, "q_value": q, "n_runs_with": e.n_runs_with,
            })  # fmt: skip


def _limit_reason(runs: list[StudyRun]) -> str | None:
    limited = sorted({r.limit for r in runs if r.limit is not None})
    if limited:
        return f"scored with lm-eval's --limit {limited[0]:g}: a subset of every test set"
    return None


def smoke_scale_reason(runs: list[StudyRun]) -> str | None:
    """Why the whole study is too small for a conclusion (``--limit``), or None; the size of
    each benchmark's test sets is judged per benchmark (:func:`_smoke_reason`)."""
    return _limit_reason(runs)


def _smoke_reason(
    benchmark: str, languages: list[str], runs: list[StudyRun], limit: str | None
) -> str | None:
    """Smoke scale when --limit was used, or when item noise alone (binomial, p = 1/2 at worst)
    hides slopes below :data:`EXPECTED_SLOPE`: the item-only detectable slope is
    (z_0.975 + z_0.8) * 0.5 / sqrt(items x languages) / sqrt(Sxx over runs), so the verdict
    depends on items per language, languages and runs (their k) together.

    ``items`` is the harmonic mean of the languages' item counts (the fewest over runs): the
    benchmark score is the unweighted mean over L languages, whose binomial variance is
    (1/L^2) sum_l p(1-p)/n_l = p(1-p) / (L x harmonic mean of n_l). Runs read without
    per-language counts use their fewest items per language, which overstates the noise."""
    if limit is not None:
        return limit
    sizes = []
    for run in runs:
        counts = run.language_items.get(benchmark, {})
        per_language = [counts[lang] for lang in languages if counts.get(lang)]
        if per_language and len(per_language) == len(languages):
            sizes.append(statistics.harmonic_mean(per_language))
        elif benchmark in run.items:
            sizes.append(float(run.items[benchmark]))
    if not sizes:
        return None
    items = min(sizes)
    k = np.array([r.k for r in runs], dtype=float)
    sxx = float(((k - k.mean()) ** 2).sum())
    if sxx == 0:
        return None
    detectable = 2.8 * 0.5 / math.sqrt(items * len(languages)) / math.sqrt(sxx)
    if detectable <= EXPECTED_SLOPE:
        return None
    return (
        f"{benchmark}: {items:.0f} items per language x {len(languages)} languages x {len(runs)} "
        f"runs; item noise alone hides slopes under {100 * detectable:.2f} points per task"
    )


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
    n_seeds: int, permutations: int, seed: int, full: bool = True,
) -> Trend:  # fmt: skip
    """The trend of one series; ``full`` adds the simultaneous comparisons with k = 0."""
    means = trend_stats.k_means(k, y, seed=seed)
    per_task = per_doubling = None
    if len(k) >= 2:
        per_task = trend_stats.ols_slope(k, y, permutations=permutations, seed=seed)
        log_k = [math.log2(1 + v) for v in k]
        per_doubling = trend_stats.ols_slope(log_k, y, permutations=permutations, seed=seed)
    detectable = None
    smallest_p = trend_stats.smallest_permutation_p(k)
    if per_task is not None and per_task.stderr is not None and smallest_p <= ALPHA:
        df = per_task.df
        detectable = float(
            (sps.t.ppf(1 - ALPHA / 2, df) + sps.t.ppf(POWER, df)) * per_task.stderr
        )
    versus = trend_stats.versus_k0(k, y, permutations=permutations, seed=seed) if full else None
    trend = Trend(
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
        smallest_p=smallest_p,
    )
    if per_task is not None and per_task.stderr is not None:
        trend.slope_stderr = per_task.stderr
        trend.slope_df = per_task.df
        trend.stderr_method = per_task.stderr_method
        trend.slope_stderr_classical = per_task.stderr_classical
    if versus is not None:
        trend.versus_k0 = {
            "k_values": versus.k_values, "differences": versus.differences,
            "stderrs": versus.stderrs, "ci_low": versus.ci_low, "ci_high": versus.ci_high,
            "p_adjusted": versus.p_adjusted, "critical_t": versus.critical,
        }  # fmt: skip
        best = versus.k_values.index(versus.best_k)
        trend.best_k_claim = versus.best_claimed
        trend.best_k_p_adjusted = versus.p_adjusted[best]
    return trend


def _add_q_values(trends: list[Trend]) -> None:
    tested = [t for t in trends if t.p_value is not None]
    for t, q in zip(tested, benjamini_hochberg([t.p_value for t in tested]), strict=True):
        t.q_value = q


def _nested(scores: dict[tuple[str, str, str], float]) -> dict[str, dict[str, dict[str, float]]]:
    nested: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for (benchmark, language, metric), value in scores.items():
        nested[benchmark][language][metric] = value
    return nested


def _xtreme_scores(runs: list[StudyRun], table: ScoreTable) -> dict[str, dict[str, Any]]:
    """Each run's XTREME score over its own languages (what that run reports)."""
    out = {}
    for run in runs:
        score = xtreme_score(_nested(table[run.label]))
        if score is not None:
            out[run.label] = score.to_dict()
    return out


def _xtreme_common(
    runs: list[StudyRun], table: ScoreTable, series: list[tuple[str, str, list[str]]],
    notes: list[str],
) -> tuple[dict[str, Any], list[float]] | None:  # fmt: skip
    """The XTREME score of every run over the XTREME tasks and languages every run has (as
    ``xfer compare``'s AVG rows), for its trend; notes name what was dropped. None when
    fewer than two XTREME tasks are common to all runs (one task: its own trend says it)."""
    per_run = [xtreme_score(_nested(table[r.label])) for r in runs]
    present = [set() if x is None else set(x.tasks) for x in per_run]
    every = set.intersection(*present) if present else set()
    anywhere = set.union(*present) if present else set()
    if len(anywhere) < 2:
        return None
    if anywhere - every:
        notes.append(
            "XTREME score trend: over the XTREME tasks every run has ("
            + (", ".join(sorted(every)) or "none") + "); left out "
            + ", ".join(sorted(anywhere - every))
        )
    if len(every) < 2:
        if anywhere - every:
            notes.append("fewer than two XTREME tasks common to all runs: no XTREME-score trend")
        return None
    common = {b: langs for b, _, langs in series}
    scores: list[float] = []
    dropped: dict[str, list[str]] = {}
    for run, own in zip(runs, per_run, strict=True):
        nested = _nested(table[run.label])
        restricted = {
            b: {lang: nested[b][lang] for lang in common.get(b, []) if lang in nested[b]}
            for b in nested
            if XTREME_BENCHMARKS.get(b, ("",))[0] in every
        }
        score = xtreme_score(restricted)
        if score is None:
            return None
        scores.append(score.score)
        for task, langs in (own.languages if own else {}).items():
            kept = set(score.languages.get(task, []))
            extra = sorted(set(langs) - kept)
            if task in every and extra:
                dropped.setdefault(task, [])
                dropped[task] = sorted(set(dropped[task]) | set(extra))
    if dropped:
        notes.append(
            "XTREME score trend: over the languages every run has; left out "
            + "; ".join(f"{task}: {', '.join(langs)}" for task, langs in sorted(dropped.items()))
            + " (each run's own XTREME score, in xtreme_score, keeps them)"
        )
    info = {"tasks": [t for t in XTREME_TASKS if t in every], "dropped_languages": dropped}
    return info, scores


# --------------------------------------------------------------------------- the answer in words


def _points(value: float) -> str:
    return f"{100 * value:+.2f}"


def _p(value: float | None) -> str:
    if value is None:
        return "p n/a"
    return "p < 0.001" if value < 0.001 else f"p = {value:.2g}"


def design_words(t: Trend) -> str:
    """"28 runs, 3 seeds", or with unequal seeds per trained k "24 runs, 1-5 seeds per k"."""
    trained = [n for k, n in zip(t.k_values, t.seeds_per_k, strict=False) if k > 0]
    if trained and min(trained) != max(trained):
        return f"{t.n_runs} runs, {min(trained)}-{max(trained)} seeds per k"
    n = max(trained) if trained else t.n_seeds
    return f"{t.n_runs} runs, {n} seed{'s' if n != 1 else ''}"


def sentence(t: Trend) -> str:
    """One plain sentence: the slope per added task, its CI, p, and the design's size."""
    design = design_words(t)
    name = f"{t.benchmark} {t.metric}"
    if t.slope_per_task is None:
        return f"{name}: no trend (fewer than two k values; {design})"
    if t.slope_ci[0] is None and t.n_runs >= 3:  # enough runs, but they tie (trend.no_spread)
        return (
            f"{name}: {_points(t.slope_per_task)} points per added task, no interval (the runs "
            f"at each k score exactly the same, so there is no run-to-run spread to build one "
            f"from; {_p(t.p_value)}; {design})"
        )
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


def best_k_words(t: Trend, alpha: float = ALPHA) -> str | None:
    """The best k, claimed only when it beats k = 0 with the choice among all k accounted for."""
    v = t.versus_k0
    if v is None or t.best_k_p_adjusted is None:
        return None
    i = int(np.argmax(v["differences"]))
    k, diff = v["k_values"][i], v["differences"][i]
    many = len(v["k_values"])
    if v["ci_low"][i] is None:  # too few runs for a permutation interval (smallest_p)
        return f"k = {k} minus k = 0: {_points(diff)} points ({_p(t.best_k_p_adjusted)})"
    if many == 1:  # one k > 0: nothing is chosen, so nothing to adjust for
        verdict = "beats" if t.best_k_claim else "is not shown to beat"
        return (
            f"k = {k} {verdict} k = 0: {_points(diff)} points (95% CI {_points(v['ci_low'][i])} "
            f"to {_points(v['ci_high'][i])}; {_p(t.best_k_p_adjusted)})"
        )
    if t.best_k_claim:
        return (
            f"best k = {k}: {_points(diff)} points over k = 0 (95% simultaneous CI "
            f"{_points(v['ci_low'][i])} to {_points(v['ci_high'][i])}; adjusted {_p(t.best_k_p_adjusted)}"
            f", every k > 0 compared with k = 0 at once)"
        )
    return (
        f"no k is shown to beat k = 0 once choosing the best of {many} is accounted for (best "
        f"observed k = {k}, {_points(diff)} points, adjusted {_p(t.best_k_p_adjusted)})"
    )


def language_words(t: Trend, alpha: float = ALPHA) -> str | None:
    """Languages disagree: the spread of the per-language slopes, when it is significant."""
    if t.language_heterogeneity_p is None or t.language_heterogeneity_p >= alpha:
        return None
    lo, hi = t.language_slope_sd_ci
    return (
        f"languages disagree: the per-language slopes spread with SD {100 * t.language_slope_sd:.2f}"
        f" points per task (95% CI {100 * (lo or 0):.2f} to {100 * (hi or 0):.2f}; "
        f"{_p(t.language_heterogeneity_p)}), so the mean over these languages hides "
        "language-specific trends (see language_trends)"
    )


def reading(
    t: Trend, gap: Trend | None, alpha: float = ALPHA, smoke_scale: str | None = None,
    language_hits: list[Trend] | None = None,
) -> str:  # fmt: skip
    """What the numbers allow one to say, in words, after the sentence."""
    if t.slope_per_task is None or t.slope_ci[0] is None or t.p_value is None:
        return "training variance cannot be estimated from these runs; no conclusion"
    small = t.smoke_scale or smoke_scale
    parts = []
    found = t.p_value < alpha and not (t.slope_ci[0] <= 0 <= t.slope_ci[1])  # type: ignore[operator]
    if small is not None:
        width = 100 * (t.slope_ci[1] - t.slope_ci[0]) / 2  # type: ignore[operator]
        if found:
            direction = "rises" if t.slope_per_task > 0 else "falls"
            parts.append(
                f"pilot scale: the score {direction} with more tasks (the 95% CI excludes 0), "
                "but the test sets are small: confirm on full test sets"
            )
        else:
            return (
                f"smoke scale: nothing is detectable at this size (the 95% CI is ±{width:.2f} "
                "points per task; the test sets are too small for the effects expected)"
            )
    elif t.smallest_p is not None and t.smallest_p > alpha:
        parts.append(
            f"this design cannot detect an effect of any size: a permutation test over its "
            f"{t.n_runs} runs at these k cannot give p < {alpha:g} (the smallest possible p is "
            f"{t.smallest_p:.2g}); more seeds or more values of k are needed"
        )
    elif t.p_value >= alpha:
        parts.append(
            "no effect of the number of tasks is detectable"
            + (" on the mean over these languages" if language_hits else "")
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
    if small is None and (best := best_k_words(t, alpha)):
        parts.append(best)
    if words := language_words(t, alpha):
        parts.append(words)
    if language_hits:
        parts.append(
            "languages with a trend of their own (q < 0.05): "
            + ", ".join(f"{h.languages} {_points(h.slope_per_task or 0)}" for h in language_hits)
        )
    if gap is not None and gap.slope_per_task is not None and gap.slope_ci[0] is not None:
        parts.append(
            f"transfer gap (en minus others) {_points(gap.slope_per_task)} points per task "
            f"(95% CI {_points(gap.slope_ci[0])} to {_points(gap.slope_ci[1])})"
        )
    return "; ".join(parts)


def order_line(analysis: ScalingAnalysis) -> str | None:
    """What the task order means for the answer (one shared order: the slope is specific)."""
    if analysis.order_design == "shared" and analysis.shared_order and len(
        {r.k for r in analysis.runs if r.k > 0}
    ) >= 2:
        return (
            "Task order: every run adds the tasks in one order ("
            + ", ".join(analysis.shared_order)
            + "), so each slope is what adding THESE tasks in THIS order did; it does not "
            "separate the number of tasks from which tasks (train with one random order per "
            "seed: sweep 'order_per_seed: true')."
        )
    return None


def task_effect_line(analysis: ScalingAnalysis, benchmark: str, alpha: float = ALPHA) -> str | None:
    """Which tasks help (orders vary): tasks whose contribution has q < alpha, else say none."""
    effects = [e for e in analysis.task_effects if e["benchmark"] == benchmark]
    if not effects:
        return None
    hits = [e for e in effects if e["q_value"] < alpha]
    if not hits:
        return (
            f"  which tasks help (orders vary across runs): no single task's contribution is "
            f"distinguishable from zero ({len(effects)} tasks; see task_effects)"
        )
    return "  which tasks help (orders vary across runs): " + "; ".join(
        f"{e['task']} {'helps' if e['effect'] > 0 else 'hurts'} {_points(e['effect'])} points "
        f"(95% CI {_points(e['ci'][0])} to {_points(e['ci'][1])}; q = {e['q_value']:.2g})"
        for e in sorted(hits, key=lambda e: -e["effect"])
    )


def summary_lines(analysis: ScalingAnalysis) -> list[str]:
    """One sentence per benchmark (the XTREME score last), each followed by its reading."""
    gaps = {(g.benchmark, g.metric): g for g in analysis.transfer_gap}
    lines = []
    if analysis.smoke_scale is not None:
        lines.append(
            f"SMOKE SCALE ({analysis.smoke_scale}; {analysis.n_seeds} seed(s)): the test sets "
            "are too small for the effects intermediate training is expected to have. The lines "
            "below show the analysis working; only an interval that excludes 0 says anything."
        )
    headline = sorted(analysis.headline(), key=lambda t: t.benchmark == XTREME_BENCHMARK)
    for t in headline:
        lines.append(sentence(t))
        gap = gaps.get((t.benchmark, t.metric))
        # languages whose own trend is significant where the mean shows none, or goes the
        # other way: the mean over languages would hide them
        hits = [
            lt for lt in analysis.language_trends
            if lt.benchmark == t.benchmark and lt.q_value is not None and lt.q_value < ALPHA
            and lt.slope_per_task is not None and t.slope_per_task is not None
            and (t.p_value is None or t.p_value >= ALPHA
                 or (lt.slope_per_task > 0) != (t.slope_per_task > 0))
        ]  # fmt: skip
        lines.append("  " + reading(t, gap, smoke_scale=analysis.smoke_scale, language_hits=hits))
        if effect := task_effect_line(analysis, t.benchmark):
            lines.append(effect)
    if not headline:
        lines.append("No trend: the runs need manifests with at least two distinct k values.")
    elif order := order_line(analysis):
        lines.append(order)
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
        f" distinct runs, {analysis.n_seeds} seed(s)). Points = score x 100. CIs: HC2 standard "
        "errors with Bell-McCaffrey df (valid when the spread differs between k). p: "
        f"studentized permutation test of k over runs ({analysis.permutations} permutations); "
        "q: Benjamini-Hochberg over every row of the trend table. Best k: every k compared with "
        "k = 0 at once (max-|t| permutation distribution), adjusted p. Estimand: these "
        "languages and test sets"
        + (", these tasks in this order." if analysis.order_design == "shared" else "."),
        "",
        "## Trends",
        "",
        "| benchmark | metric | languages | per task (95% CI) | per doubling (95% CI) | p | q "
        "| best k (adj. p) | runs |",
        "|---|---|---|---|---|---:|---:|---:|---:|",
    ]
    for t in analysis.trends:
        out.append(_trend_row(t))
    spread = [t for t in analysis.trends if t.language_heterogeneity_p is not None]
    if spread:
        out += [
            "",
            "## Do languages agree? (spread of the per-language slopes)",
            "",
            "| benchmark | metric | languages | SD of slopes, points/task (95% CI) | p (F test) "
            "| per task, languages in general (95% CI) |",
            "|---|---|---:|---|---:|---|",
        ]
        for t in spread:
            lo, hi = t.language_slope_sd_ci
            out.append(
                f"| {t.benchmark} | {t.metric} | {len(t.language_codes)} | "
                f"{100 * (t.language_slope_sd or 0):.2f} ({100 * (lo or 0):.2f} to "
                f"{100 * (hi or 0):.2f}) | {t.language_heterogeneity_p:.3g} | "
                f"{_ci(t.slope_per_task, t.slope_ci_languages_in_general)} |"
            )
    if analysis.task_effects:
        out += [
            "",
            "## Each task's own contribution (runs with different task orders)",
            "",
            "| benchmark | metric | task | effect, points (95% CI) | p | q | runs with it |",
            "|---|---|---|---|---:|---:|---:|",
        ]
        for e in analysis.task_effects:
            out.append(
                f"| {e['benchmark']} | {e['metric']} | {e['task']} | {_ci(e['effect'], e['ci'])} "
                f"| {e['p_value']:.3g} | {e['q_value']:.3g} | {e['n_runs_with']} |"
            )
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
    best = "-"
    if t.versus_k0 is not None and t.best_k_p_adjusted is not None:
        v = t.versus_k0
        k = v["k_values"][int(np.argmax(v["differences"]))]
        best = f"{k} ({t.best_k_p_adjusted:.2g}{', claimed' if t.best_k_claim else ''})"
    return (
        f"| {t.benchmark} | {t.metric} | {t.languages} | {_ci(t.slope_per_task, t.slope_ci)} | "
        f"{_ci(t.slope_per_doubling, t.slope_per_doubling_ci)} | {p} | {q} | {best} "
        f"| {t.n_runs} |"
    )


def summary_terminal(analysis: ScalingAnalysis) -> str:
    return "\n".join(summary_lines(analysis) + [""] + [f"Note: {n}" for n in analysis.notes]) + "\n"
