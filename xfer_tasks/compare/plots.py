"""The two figures of ``xfer compare``: the task-count scaling curve and the delta heatmap.

Scaling curve: for each benchmark, the headline metric (XNLI acc, TyDiQA F1, ...) against k, the
number of intermediate tasks the checkpoint was trained on (the manifest's ``k``). One line
per language family (the unweighted mean over the family's languages) plus all languages; the
point at k is the mean over the runs (seeds) with that k, the error bar their sample standard
deviation (divisor n - 1; no bar with one seed), and each seed is drawn as a faint dot.
Languages enter only when every run with a known k has them, so all points average the same set.

Heatmap: for each benchmark, rows are the non-baseline runs, columns the languages, colour the
headline-metric difference to the baseline (diverging scale centred on 0), ``*`` where p < alpha.

matplotlib runs with the Agg backend (no display needed).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from xfer_tasks.compare.comparison import Comparison, Row  # noqa: E402
from xfer_tasks.compare.naming import headline_metric, language_family  # noqa: E402

ALL_LANGUAGES = "all languages"


@dataclass(frozen=True)
class ScalingPoint:
    benchmark: str
    metric: str
    family: str
    k: int
    mean: float
    std: float | None  # sample std over seeds; None with one seed
    values: tuple[float, ...]  # one per run (seed) with this k
    languages: tuple[str, ...]


def _headline_rows(comparison: Comparison) -> dict[str, list[Row]]:
    """benchmark -> its per-language rows of the headline metric."""
    metrics_by_bench: dict[str, set[str]] = defaultdict(set)
    for row in comparison.rows:
        if not row.is_average:
            metrics_by_bench[row.benchmark].add(row.metric)
    out: dict[str, list[Row]] = {}
    for benchmark, metrics in sorted(metrics_by_bench.items()):
        metric = headline_metric(benchmark, sorted(metrics))
        if metric is None:
            continue
        out[benchmark] = [
            r for r in comparison.rows
            if r.benchmark == benchmark and r.metric == metric and not r.is_average
        ]  # fmt: skip
    return out


def scaling_points(comparison: Comparison) -> list[ScalingPoint]:
    """The numbers behind the scaling curve (see module doc); empty when no run has a k."""
    runs = [r for r in comparison.runs if r.num_tasks is not None]
    if not runs:
        return []
    points: list[ScalingPoint] = []
    for benchmark, rows in _headline_rows(comparison).items():
        rows = [r for r in rows if all(run.label in r.cells for run in runs)]
        if not rows:
            continue
        families: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            families[language_family(row.language)].append(row)
        if len(families) == 1:  # one family: its line would be the all-languages line
            families.clear()
        families[ALL_LANGUAGES] = rows
        for family, members in sorted(families.items()):
            by_k: dict[int, list[float]] = defaultdict(list)
            for run in runs:
                score = sum(m.cells[run.label].value for m in members) / len(members)
                by_k[run.num_tasks].append(score)  # type: ignore[index]
            for k, values in sorted(by_k.items()):
                points.append(
                    ScalingPoint(
                        benchmark=benchmark,
                        metric=rows[0].metric,
                        family=family,
                        k=k,
                        mean=statistics.fmean(values),
                        std=statistics.stdev(values) if len(values) > 1 else None,
                        values=tuple(values),
                        languages=tuple(m.language for m in members),
                    )
                )
    return points


def scaling_figure(comparison: Comparison) -> Figure | None:
    """Score vs number of intermediate tasks, one panel per benchmark; None without any k."""
    points = scaling_points(comparison)
    if not points:
        return None
    benchmarks = sorted({p.benchmark for p in points})
    fig, axes = plt.subplots(
        len(benchmarks), 1, figsize=(7.5, 3.6 * len(benchmarks)), squeeze=False
    )
    for ax, benchmark in zip(axes[:, 0], benchmarks, strict=True):
        mine = [p for p in points if p.benchmark == benchmark]
        families = sorted({p.family for p in mine}, key=lambda f: (f == ALL_LANGUAGES, f))
        for family in families:
            series = sorted((p for p in mine if p.family == family), key=lambda p: p.k)
            ks = [p.k for p in series]
            bold = family == ALL_LANGUAGES
            line = ax.errorbar(
                ks,
                [p.mean for p in series],
                yerr=[p.std or 0.0 for p in series],
                marker="o",
                capsize=3,
                linewidth=2.5 if bold else 1.2,
                color="black" if bold else None,
                label=f"{family} ({len(series[0].languages)})",
            )
            colour = line[0].get_color()
            for p in series:
                ax.scatter([p.k] * len(p.values), p.values, s=10, alpha=0.35, color=colour)
        ax.set_title(f"{benchmark}: {mine[0].metric} vs number of intermediate tasks")
        ax.set_xlabel("intermediate tasks (k)")
        ax.set_ylabel(mine[0].metric)
        ax.set_xticks(sorted({p.k for p in mine}))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig


def delta_heatmap(comparison: Comparison) -> Figure | None:
    """Per-language difference to the baseline, one panel per benchmark; None if nothing to show."""
    others = [label for label in comparison.labels if label != comparison.baseline]
    panels = []
    for benchmark, rows in _headline_rows(comparison).items():
        rows = [r for r in rows if r.language != "-"]
        if others and rows:
            panels.append((benchmark, rows))
    if not panels:
        return None
    width = max(6.0, 0.45 * max(len(rows) for _, rows in panels) + 2.5)
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(width, 0.5 * len(others) * len(panels) + 1.6 * len(panels)),
        squeeze=False,
    )  # fmt: skip
    for ax, (benchmark, rows) in zip(axes[:, 0], panels, strict=True):
        grid = [[float("nan")] * len(rows) for _ in others]
        for i, label in enumerate(others):
            for j, row in enumerate(rows):
                cell = row.cells.get(label)
                if cell is not None and cell.test is not None:
                    grid[i][j] = cell.test.delta
        finite = [abs(v) for line in grid for v in line if v == v]
        limit = max(finite) if finite and max(finite) > 0 else 0.01
        image = ax.imshow(grid, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
        for i, label in enumerate(others):
            for j, row in enumerate(rows):
                cell = row.cells.get(label)
                if cell is None or cell.test is None:
                    continue
                star = "*" if cell.test.significant(comparison.alpha) else ""
                text = f"{cell.test.delta:+.3f}{star}" if len(rows) <= 20 else star
                dark = abs(cell.test.delta) > 0.6 * limit
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")  # fmt: skip
        ax.set_xticks(range(len(rows)), [r.language for r in rows], rotation=90, fontsize=8)
        ax.set_yticks(range(len(others)), others, fontsize=8)
        ax.set_title(f"{benchmark}: {rows[0].metric} minus {comparison.baseline} (* p < "
                     f"{comparison.alpha})", fontsize=9)  # fmt: skip
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    fig.tight_layout()
    return fig
