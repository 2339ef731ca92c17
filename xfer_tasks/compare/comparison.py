"""Compare several checkpoints' lm-eval results against a baseline run: ``compare_runs``.

The result, a :class:`Comparison`, has one :class:`Row` per benchmark x language x metric, each
with one :class:`Cell` per run (score, its standard error and where that came from, and the
difference to the baseline with its significance), plus XTREME-style average rows:

- ``<benchmark> / AVG``: the unweighted mean over languages (XTREME, Hu et al. 2020), taken over
  the languages every run has, so all runs are averaged over the same set.
- ``xfer_xtreme / AVG / score``: XTREME's overall score exactly as its ``evaluate.py`` computes
  it (:mod:`xfer_tasks.compare.xtreme`): the mean over the XTREME tasks present of their score,
  TyDiQA-GoldP = (EM + F1) / 2, Tatoeba over XTREME's 36 languages. Multilingual MMLU is not an
  XTREME task: it has its own ``AVG`` rows and never enters this score.

Where each run's standard error comes from (first that applies; labelled in every output):
``lm-eval`` (the value in the results file) -> ``bootstrap (samples)`` (bootstrap over the
per-document values of ``--log_samples`` when the score is their mean) -> ``binomial approx.``
(``acc*``/``exact_match`` fractions, sqrt(p(1-p)/n)) -> none. Significance of a delta is a
paired bootstrap when both runs logged numeric per-document values for the same documents
(same doc ids and doc hashes), else the normal approximation on the two standard errors.
Binary per-document metrics (acc, exact_match) with paired samples also get an exact McNemar
test and the flip counts (right -> wrong, wrong -> right); its p-values form their own
Benjamini-Hochberg family (``mcnemar_q``).

Multiplicity: each delta also gets a Benjamini-Hochberg q-value over a stated family
(:data:`FAMILIES`): every per-language delta of a score metric of every run against the
baseline in this comparison, or every average-row delta. Stars (``*``) use q < alpha.

Comparability: a run whose task was scored with a different n-shot, ``--limit`` or task version
than the baseline's is marked ``not comparable`` in that row: no test, no star, and a note.

Per-layer retrieval metrics (``<metric>_L<i>``, ``embed_layer: "all"``/``"dev"``) are not rows:
they are diagnostics of which hidden layer transfers best, gathered in
``Comparison.layer_profiles`` (:mod:`xfer_tasks.compare.layers`) with no test and no q-value.

These tests compare two checkpoints on the same items: they capture item noise, not
training-seed variance. Whether the number of intermediate tasks matters is answered with the
training run as the unit by :mod:`xfer_tasks.compare.scaling`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from xfer_tasks.catalog import XTREME_GROUP
from xfer_tasks.compare import stats
from xfer_tasks.compare.layers import LayerProfile, layer_profiles
from xfer_tasks.compare.naming import (
    is_layer_metric,
    score_metrics,
    split_task,
)
from xfer_tasks.compare.results import (
    ResultsError,
    RunResults,
    assign_labels,
    load_runs,
)
from xfer_tasks.compare.xtreme import XTREME_BENCHMARKS, XTREME_TASKS

AVERAGE = "AVG"
XTREME_SCORE = "score"

LMEVAL = "lm-eval"
SAMPLES_BOOTSTRAP = "bootstrap (samples)"
BINOMIAL = "binomial approx."
_MEAN_OF = "combined: "

PER_LANGUAGE_FAMILY = "per-language"
AVERAGE_FAMILY = "averages"
MCNEMAR_FAMILY = "mcnemar"
FAMILIES = {
    PER_LANGUAGE_FAMILY: "every per-language delta of a score metric (all runs vs the baseline, "
    "all benchmarks in this comparison)",
    AVERAGE_FAMILY: "every average-row delta (benchmark averages and the XTREME score)",
    MCNEMAR_FAMILY: "every McNemar test of a score metric (all runs vs the baseline, all "
    "benchmarks in this comparison): mcnemar_q",
}


@dataclass
class Cell:
    """One run's score on one row, and its difference to the baseline run."""

    value: float
    stderr: float | None
    stderr_source: str | None
    n: int | None
    test: stats.DeltaTest | None = None  # None for the baseline itself
    q_value: float | None = None  # Benjamini-Hochberg over the row's family (FAMILIES)
    mcnemar: stats.McNemar | None = None  # binary per-document metrics with paired samples
    mcnemar_q: float | None = None  # Benjamini-Hochberg over every McNemar p (MCNEMAR_FAMILY)
    incomparable: str | None = None  # why this cell cannot be compared with the baseline

    def starred(self, alpha: float) -> bool:
        """Significant after the multiplicity correction: q < alpha (never when incomparable)."""
        return self.incomparable is None and self.q_value is not None and self.q_value < alpha


@dataclass
class Row:
    benchmark: str
    language: str
    metric: str
    task: str | None  # None for average rows
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def is_average(self) -> bool:
        return self.task is None


@dataclass
class RunInfo:
    label: str
    path: Path
    checkpoint: str | None
    num_tasks: int | None  # k, from the manifest
    seed: Any
    intermediate_tasks: list[str] | None
    manifest_path: Path | None


@dataclass
class Comparison:
    runs: list[RunInfo]
    baseline: str
    rows: list[Row]
    alpha: float
    bootstrap_iters: int
    seed: int
    notes: list[str] = field(default_factory=list)
    # per-layer retrieval metrics (embed_layer all/dev), kept out of ``rows``
    layer_profiles: list[LayerProfile] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]

    def row(self, benchmark: str, language: str, metric: str) -> Row:
        for row in self.rows:
            if (row.benchmark, row.language, row.metric) == (benchmark, language, metric):
                return row
        raise KeyError(f"no row {benchmark}/{language}/{metric}")

    def records(self) -> list[dict[str, Any]]:
        """Long form: one record per row x run (what CSV and JSON hold)."""
        out = []
        for row in self.rows:
            for label, cell in row.cells.items():
                test = cell.test
                out.append(
                    {
                        "benchmark": row.benchmark,
                        "language": row.language,
                        "task": row.task or "",
                        "metric": row.metric,
                        "run": label,
                        "is_baseline": label == self.baseline,
                        "value": cell.value,
                        "stderr": cell.stderr,
                        "stderr_source": cell.stderr_source,
                        "n": cell.n,
                        "delta": None if test is None else test.delta,
                        "delta_stderr": None if test is None else test.stderr,
                        "ci_low": None if test is None else test.ci_low,
                        "ci_high": None if test is None else test.ci_high,
                        "p_value": None if test is None else test.p_value,
                        "q_value": cell.q_value,
                        "significant": None if test is None else cell.starred(self.alpha),
                        "test": None if test is None else test.method,
                        "mcnemar_p": None if cell.mcnemar is None else cell.mcnemar.p_value,
                        "mcnemar_q": cell.mcnemar_q,
                        "right_to_wrong": (
                            None if cell.mcnemar is None else cell.mcnemar.right_to_wrong
                        ),
                        "wrong_to_right": (
                            None if cell.mcnemar is None else cell.mcnemar.wrong_to_right
                        ),
                        "not_comparable": cell.incomparable,
                    }
                )
        return out


def resolve_stderr(
    run: RunResults, task: str, metric: str, iters: int, seed: int
) -> tuple[float | None, str | None]:
    """A run's standard error for one metric and where it came from (see module doc)."""
    result = run.tasks[task].metrics[metric]
    if result.stderr is not None:
        return result.stderr, LMEVAL
    values = run.per_sample_values(task, metric)
    if values is not None and len(values) > 1:
        return stats.bootstrap_stderr(list(values.values()), iters, seed), SAMPLES_BOOTSTRAP
    n = run.tasks[task].n
    if stats.is_proportion_metric(metric) and n and n > 1 and 0.0 <= result.value <= 1.0:
        return stats.binomial_stderr(result.value, n), BINOMIAL
    return None, None


def _paired_values(
    base: RunResults, other: RunResults, task: str, metric: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """Aligned per-document values of both runs when they scored the same documents."""
    a = base.per_sample_values(task, metric)
    b = other.per_sample_values(task, metric)
    if a is None or b is None or set(a) != set(b):
        return None
    filter_key = base.tasks[task].metrics[metric].filter
    hashes_a = base.doc_hashes(task, filter_key) or {}
    hashes_b = other.doc_hashes(task, other.tasks[task].metrics[metric].filter) or {}
    if hashes_a != hashes_b:
        return None
    ids = sorted(a)
    return np.array([a[i] for i in ids]), np.array([b[i] for i in ids])


def _delta_test(
    base: RunResults,
    other: RunResults,
    task: str,
    metric: str,
    base_cell: Cell,
    cell: Cell,
    iters: int,
    seed: int,
) -> None:
    """Set ``cell.test`` (and ``cell.mcnemar`` for paired binary values)."""
    paired = _paired_values(base, other, task, metric)
    if paired is not None and paired[0].size > 1:
        cell.test = stats.paired_bootstrap(paired[0], paired[1], iters, seed)
        if stats.is_binary(paired[0]) and stats.is_binary(paired[1]):
            cell.mcnemar = stats.mcnemar_exact(paired[0], paired[1])
        return
    cell.test = stats.normal_test(base_cell.value, base_cell.stderr, cell.value, cell.stderr)


def incomparable_reason(base: RunResults, other: RunResults, task: str) -> str | None:
    """Why ``other``'s score on ``task`` is not comparable with the baseline's, or None."""
    a, b = base.tasks[task], other.tasks[task]
    reasons = []
    if a.num_fewshot != b.num_fewshot:
        reasons.append(f"n-shot {b.num_fewshot} vs {a.num_fewshot}")
    if base.limit != other.limit:
        reasons.append(f"limit {other.limit} vs {base.limit}")
    if str(a.version) != str(b.version):
        reasons.append(f"task version {b.version} vs {a.version}")
    return "; ".join(reasons) + " (baseline)" if reasons else None


def _average_cell(cells: list[Cell]) -> Cell:
    value = sum(c.value for c in cells) / len(cells)
    if any(c.stderr is None for c in cells):
        return Cell(value, None, None, None)
    se = math.sqrt(sum(c.stderr**2 for c in cells)) / len(cells)  # type: ignore[operator]
    sources: set[str] = set()
    for c in cells:
        sources.update((c.stderr_source or "").removeprefix(_MEAN_OF).split(", "))
    return Cell(value, se, _MEAN_OF + ", ".join(sorted(sources)), None)


def compare_runs(
    paths: list[str | Path] | list[RunResults],
    baseline: str | int | None = None,
    labels: list[str] | None = None,
    *,
    bootstrap_iters: int = stats.DEFAULT_BOOTSTRAP_ITERS,
    seed: int = stats.DEFAULT_SEED,
    alpha: float = 0.05,
) -> Comparison:
    """Compare lm-eval results files (or folders of them, or loaded runs) against a baseline.

    ``baseline`` is a run label or index (default: the first run). ``labels`` overrides the
    run names (default: the checkpoint folder's name from ``model_args``).
    """
    runs = (
        list(paths)  # type: ignore[arg-type]
        if paths and all(isinstance(p, RunResults) for p in paths)
        else load_runs(paths)  # type: ignore[arg-type]
    )
    assign_labels(runs, labels)
    by_label = {run.label: run for run in runs}
    if baseline is None:
        base = runs[0]
    elif isinstance(baseline, int):
        if not 0 <= baseline < len(runs):
            raise ResultsError(f"baseline index {baseline} out of range for {len(runs)} runs")
        base = runs[baseline]
    elif baseline in by_label:
        base = by_label[baseline]
    else:
        raise ResultsError(f"baseline {baseline!r} is not one of the runs {list(by_label)}")

    notes: list[str] = []
    incomparable: set[str] = set()
    for run in runs:
        if run.manifest is None:
            notes.append(
                f"{run.label}: no xfer_manifest.json found (checkpoint {run.checkpoint}); "
                "number of intermediate tasks unknown, left out of the scaling curve"
            )

    # --- per-task rows, in a stable order: benchmark, language, metric
    keys: dict[tuple[str, str, str], str] = {}
    for run in runs:
        for task, result in run.tasks.items():
            benchmark, language = split_task(task, run.groups)
            for metric in result.metrics:
                if not is_layer_metric(benchmark, metric):  # layer profiles, not scores
                    keys.setdefault((benchmark, language, metric), task)
    rows: list[Row] = []
    progress = tqdm(
        sorted(keys.items()), desc="xfer compare", unit="row", disable=None, leave=False
    )  # reading --log_samples files dominates; shown on a terminal only
    for (benchmark, language, metric), task in progress:
        row = Row(benchmark, language, metric, task)
        for run in runs:
            if task not in run.tasks or metric not in run.tasks[task].metrics:
                continue
            stderr, source = resolve_stderr(run, task, metric, bootstrap_iters, seed)
            row.cells[run.label] = Cell(
                run.tasks[task].metrics[metric].value, stderr, source, run.tasks[task].n
            )
        base_cell = row.cells.get(base.label)
        if base_cell is not None:
            for run in runs:
                if run is base or run.label not in row.cells:
                    continue
                cell = row.cells[run.label]
                cell.incomparable = incomparable_reason(base, run, task)
                if cell.incomparable is None:
                    _delta_test(base, run, task, metric, base_cell, cell, bootstrap_iters, seed)
                else:
                    incomparable.add(f"{run.label} {task}: {cell.incomparable}")
        rows.append(row)
    if incomparable:
        notes.append(
            f"not comparable with the baseline (no test, no star): {len(incomparable)} task(s), "
            "e.g. " + "; ".join(sorted(incomparable)[:3])
        )

    rows += _average_rows(rows, runs, base, notes)
    _add_q_values(rows)
    # each benchmark's languages, then its averages; the overall XTREME score last
    rows.sort(key=lambda r: (r.benchmark == XTREME_GROUP, r.benchmark, r.is_average))
    return Comparison(
        runs=[
            RunInfo(
                label=r.label,
                path=r.path,
                checkpoint=r.checkpoint,
                num_tasks=r.num_tasks,
                seed=r.seed,
                intermediate_tasks=r.intermediate_tasks,
                manifest_path=r.manifest_path,
            )
            for r in runs
        ],
        baseline=base.label,
        rows=rows,
        alpha=alpha,
        bootstrap_iters=bootstrap_iters,
        seed=seed,
        notes=notes,
        layer_profiles=layer_profiles(runs),
    )


def _average_rows(
    rows: list[Row], runs: list[RunResults], base: RunResults, notes: list[str]
) -> list[Row]:
    """XTREME-style averages over languages per benchmark x score metric, then XTREME's score."""
    by_bench: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        by_bench[(row.benchmark, row.metric)].append(row)
    averages: list[Row] = []
    for benchmark in sorted({b for b, _ in by_bench}):
        reported = sorted({m for b, m in by_bench if b == benchmark})
        for metric in score_metrics(benchmark, reported):
            lang_rows = [r for r in by_bench[(benchmark, metric)] if r.language != "-"]
            common = _common_rows(lang_rows, runs)
            if len(common) < len(lang_rows):
                missing = sorted({r.language for r in lang_rows} - {r.language for r in common})
                notes.append(
                    f"{benchmark} {metric}: average over the {len(common)} languages every run "
                    f"has; left out {', '.join(missing)}"
                )
            # one language: its score is the average, no extra row
            if common and len(lang_rows) > 1:
                averages.append(_mean_row(benchmark, AVERAGE, metric, common, runs, base))
    overall = _xtreme_row(by_bench, runs, base)
    if overall is not None:
        row, present = overall
        averages.append(row)
        missing = [t for t in XTREME_TASKS if t not in present]
        notes.append(
            f"{XTREME_GROUP} score: XTREME's overall score (evaluate.py) over the XTREME tasks "
            f"present ({', '.join(present)}; missing: {', '.join(missing) or 'none'}); "
            "TyDiQA-GoldP counts (EM + F1) / 2; multilingual MMLU is not an XTREME task"
        )
    return averages


def _common_rows(rows: list[Row], runs: list[RunResults]) -> list[Row]:
    return [r for r in rows if all(run.label in r.cells for run in runs)]


def _xtreme_row(
    by_bench: dict[tuple[str, str], list[Row]], runs: list[RunResults], base: RunResults
) -> tuple[Row, list[str]] | None:
    """XTREME's overall score (see :mod:`xfer_tasks.compare.xtreme`) as one average row."""
    components: list[Row] = []
    present: list[str] = []
    for benchmark, (task, metrics, languages) in XTREME_BENCHMARKS.items():
        per_metric = []
        for metric in metrics:
            members = [
                r for r in _common_rows(by_bench.get((benchmark, metric), []), runs)
                if r.language in languages
            ]  # fmt: skip
            per_metric.append({r.language: r for r in members})
        shared = set.intersection(*(set(m) for m in per_metric)) if per_metric else set()
        if not shared:
            continue
        averages = [
            _mean_row(benchmark, AVERAGE, metric, [m[lang] for lang in sorted(shared)], runs, base)
            for metric, m in zip(metrics, per_metric, strict=True)
        ]
        components.append(averages[0] if len(averages) == 1 else _em_f1_row(averages, runs, base))
        present.append(task)
    if not components:
        return None
    order = [t for t in XTREME_TASKS if t in present]
    row = _mean_row(XTREME_GROUP, AVERAGE, XTREME_SCORE, components, runs, base)
    return row, order


def _em_f1_row(members: list[Row], runs: list[RunResults], base: RunResults) -> Row:
    """(EM + F1) / 2 of one QA benchmark: the two metrics are computed on the same questions
    and are positively correlated, so the standard error of their mean is bounded by the mean
    of their standard errors (Minkowski), which is used: conservative whatever the correlation."""
    row = Row(members[0].benchmark, AVERAGE, "(exact_match+f1)/2", None)
    for run in runs:
        cells = [m.cells[run.label] for m in members]
        value = sum(c.value for c in cells) / len(cells)
        stderr = (
            None if any(c.stderr is None for c in cells)
            else sum(c.stderr for c in cells) / len(cells)  # type: ignore[misc]
        )  # fmt: skip
        row.cells[run.label] = Cell(value, stderr, cells[0].stderr_source, None)
        tests = [c.test for c in cells]
        if run is not base and all(t is not None for t in tests):
            row.cells[run.label].test = stats.combine_correlated(tests)  # type: ignore[arg-type]
    return row


def _mean_row(
    benchmark: str, language: str, metric: str, members: list[Row], runs: list[RunResults],
    base: RunResults,
) -> Row:  # fmt: skip
    row = Row(benchmark, language, metric, None)
    for run in runs:
        row.cells[run.label] = _average_cell([m.cells[run.label] for m in members])
    for run in runs:
        if run is base:
            continue
        reasons = {m.cells[run.label].incomparable for m in members} - {None}
        if reasons:
            row.cells[run.label].incomparable = sorted(reasons)[0]  # type: ignore[type-var]
            continue
        tests = [m.cells[run.label].test for m in members]
        if all(t is not None for t in tests):
            row.cells[run.label].test = stats.combine_independent(tests)  # type: ignore[arg-type]
    return row


def _add_q_values(rows: list[Row]) -> None:
    """Benjamini-Hochberg q-values over each family of :data:`FAMILIES`."""
    families: dict[str, list[Cell]] = defaultdict(list)
    mcnemar: list[Cell] = []
    for row in rows:
        if not row.is_average and row.metric not in score_metrics(row.benchmark, [row.metric]):
            continue  # diagnostics (BUCC threshold, precision, recall) are not tested claims
        family = AVERAGE_FAMILY if row.is_average else PER_LANGUAGE_FAMILY
        for cell in row.cells.values():
            if cell.test is not None and cell.test.p_value is not None:
                families[family].append(cell)
            if cell.mcnemar is not None and cell.incomparable is None:
                mcnemar.append(cell)
    for cells in families.values():
        q_values = stats.benjamini_hochberg([c.test.p_value for c in cells])  # type: ignore[union-attr,misc]
        for cell, q in zip(cells, q_values, strict=True):
            cell.q_value = q
    q_mcnemar = stats.benjamini_hochberg([c.mcnemar.p_value for c in mcnemar])  # type: ignore[union-attr]
    for cell, q in zip(mcnemar, q_mcnemar, strict=True):
        cell.mcnemar_q = q
