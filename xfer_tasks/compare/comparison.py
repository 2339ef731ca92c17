"""Compare several checkpoints' lm-eval results against a baseline run: ``compare_runs``.

The result, a :class:`Comparison`, has one :class:`Row` per benchmark x language x metric, each
with one :class:`Cell` per run (score, its standard error and where that came from, and the
difference to the baseline with its significance), plus XTREME-style average rows:

- ``<benchmark> / AVG``: the unweighted mean over languages (XTREME, Hu et al. 2020), taken over
  the languages every run has, so all runs are averaged over the same set.
- ``xfer_xtreme / AVG / score``: the mean over the XTREME benchmarks present of their headline
  metric's average (XNLI acc, TyDiQA F1, BUCC F1, Tatoeba acc, MMMLU acc), as XTREME's overall
  score is the mean over its tasks.

Where each run's standard error comes from (first that applies; labelled in every output):
``lm-eval`` (the value in the results file) -> ``bootstrap (samples)`` (bootstrap over the
per-document values of ``--log_samples`` when the score is their mean) -> ``binomial approx.``
(``acc*``/``exact_match`` fractions, sqrt(p(1-p)/n)) -> none. Significance of a delta is a
paired bootstrap when both runs logged numeric per-document values for the same documents
(same doc ids and doc hashes), else the normal approximation on the two standard errors.
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
from xfer_tasks.compare.naming import (
    headline_metric,
    is_xtreme_benchmark,
    score_metrics,
    split_task,
)
from xfer_tasks.compare.results import (
    ResultsError,
    RunResults,
    expand_results_paths,
    load_results,
)

AVERAGE = "AVG"
XTREME_SCORE = "score"

LMEVAL = "lm-eval"
SAMPLES_BOOTSTRAP = "bootstrap (samples)"
BINOMIAL = "binomial approx."
_MEAN_OF = "combined: "


@dataclass
class Cell:
    """One run's score on one row, and its difference to the baseline run."""

    value: float
    stderr: float | None
    stderr_source: str | None
    n: int | None
    test: stats.DeltaTest | None = None  # None for the baseline itself


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
                        "significant": None if test is None else test.significant(self.alpha),
                        "test": None if test is None else test.method,
                    }
                )
        return out


def _default_labels(runs: list[RunResults]) -> list[str]:
    names = []
    for run in runs:
        checkpoint = run.checkpoint
        names.append(Path(checkpoint).name if checkpoint else run.path.parent.name)
    seen: dict[str, int] = defaultdict(int)
    labels = []
    for name in names:
        seen[name] += 1
        labels.append(name if names.count(name) == 1 else f"{name}#{seen[name]}")
    return labels


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
) -> stats.DeltaTest:
    paired = _paired_values(base, other, task, metric)
    if paired is not None and paired[0].size > 1:
        return stats.paired_bootstrap(paired[0], paired[1], iters, seed)
    return stats.normal_test(base_cell.value, base_cell.stderr, cell.value, cell.stderr)


def _average_cell(cells: list[Cell]) -> Cell:
    value = sum(c.value for c in cells) / len(cells)
    if any(c.stderr is None for c in cells):
        return Cell(value, None, None, None)
    se = math.sqrt(sum(c.stderr**2 for c in cells)) / len(cells)  # type: ignore[operator]
    sources: set[str] = set()
    for c in cells:
        sources.update((c.stderr_source or "").removeprefix(_MEAN_OF).split(", "))
    return Cell(value, se, _MEAN_OF + ", ".join(sorted(sources)), None)


def _load_runs(paths: list[str | Path]) -> list[RunResults]:
    runs = [load_results(path) for path in expand_results_paths(paths)]
    if not runs:
        raise ResultsError("no results files given")
    return runs


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
        else _load_runs(paths)  # type: ignore[arg-type]
    )
    if labels:
        if len(labels) != len(runs):
            raise ResultsError(f"got {len(labels)} labels for {len(runs)} results files")
        if len(set(labels)) != len(labels):
            raise ResultsError(f"labels must be distinct, got {labels}")
        names = list(labels)
    else:
        names = _default_labels(runs)
    for run, name in zip(runs, names, strict=True):
        run.label = name
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
                if run is not base and run.label in row.cells:
                    row.cells[run.label].test = _delta_test(
                        base, run, task, metric, base_cell, row.cells[run.label],
                        bootstrap_iters, seed,
                    )  # fmt: skip
        rows.append(row)

    rows += _average_rows(rows, runs, base, notes)
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
    )


def _average_rows(
    rows: list[Row], runs: list[RunResults], base: RunResults, notes: list[str]
) -> list[Row]:
    """XTREME-style averages over languages per benchmark x score metric, then the overall."""
    by_bench: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        by_bench[(row.benchmark, row.metric)].append(row)
    averages: list[Row] = []
    headline_rows: dict[str, Row] = {}
    benchmarks = sorted({b for b, _ in by_bench})
    for benchmark in benchmarks:
        reported = sorted({m for b, m in by_bench if b == benchmark})
        for metric in score_metrics(benchmark, reported):
            lang_rows = [r for r in by_bench[(benchmark, metric)] if r.language != "-"]
            if not lang_rows:
                continue
            common = [r for r in lang_rows if all(run.label in r.cells for run in runs)]
            if len(common) < len(lang_rows):
                missing = sorted({r.language for r in lang_rows} - {r.language for r in common})
                notes.append(
                    f"{benchmark} {metric}: average over the {len(common)} languages every run "
                    f"has; left out {', '.join(missing)}"
                )
            if not common:
                continue
            if len(lang_rows) == 1:
                row = common[0]  # one language: its score is the average, no extra row
            else:
                row = _mean_row(benchmark, AVERAGE, metric, common, runs, base)
                averages.append(row)
            if metric == headline_metric(benchmark, reported) and is_xtreme_benchmark(benchmark):
                headline_rows[benchmark] = row
    if headline_rows:
        overall = _mean_row(
            XTREME_GROUP, AVERAGE, XTREME_SCORE, list(headline_rows.values()), runs, base
        )
        averages.append(overall)
        notes.append(
            f"{XTREME_GROUP} score: mean over {', '.join(sorted(headline_rows))} of their "
            "headline metric's language average"
        )
    return averages


def _mean_row(
    benchmark: str, language: str, metric: str, members: list[Row], runs: list[RunResults],
    base: RunResults,
) -> Row:  # fmt: skip
    row = Row(benchmark, language, metric, None)
    for run in runs:
        row.cells[run.label] = _average_cell([m.cells[run.label] for m in members])
    for run in runs:
        if run is not base:
            tests = [m.cells[run.label].test for m in members]
            if all(t is not None for t in tests):
                row.cells[run.label].test = stats.combine_independent(tests)  # type: ignore[arg-type]
    return row
