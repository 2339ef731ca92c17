"""The figures of ``xfer compare`` / ``xfer scaling``: the answer first, then the detail.

Scaling curve (:func:`scaling_figure`): for each benchmark, the headline metric (XNLI acc,
TyDiQA F1, ...) against k, the number of intermediate tasks. One line per language family plus
all languages (bold): the mean over the training runs with that k and its 95% confidence band
(:mod:`xfer_tasks.compare.trend`: the t interval with the within-k spread pooled over k), and
the fitted least-squares line of the all-languages score, dashed.

Slope forest (:func:`slope_forest`): per benchmark, each language's slope per added task with
its 95% CI, the all-languages slope on top; a vertical line at 0.

Layer profiles (:func:`layer_profile_figure`, runs with ``embed_layer: "all"``/``"dev"``): per
benchmark, the headline retrieval metric (mean over languages) against the hidden_states index,
one line per run; a filled marker at the layer the run's headline metric used.

Heatmap (:func:`delta_heatmap`): for each benchmark, rows are the non-baseline runs, columns the
languages, colour the headline-metric difference to the baseline (diverging scale centred on
0), ``*`` where the Benjamini-Hochberg q < alpha.

matplotlib runs with the Agg backend (no display needed).
"""

from __future__ import annotations

from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from xfer_tasks.compare.comparison import Comparison, Row  # noqa: E402
from xfer_tasks.compare.naming import headline_metric  # noqa: E402
from xfer_tasks.compare.scaling import (  # noqa: E402
    ALL,
    ENGLISH,
    NON_ENGLISH,
    ScalingAnalysis,
    Trend,
)


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


def _band_trends(analysis: ScalingAnalysis) -> dict[str, list[Trend]]:
    """benchmark -> its family lines and the all-languages line (en/non-en are in the table)."""
    out: dict[str, list[Trend]] = defaultdict(list)
    for t in analysis.trends:
        if t.languages not in (ENGLISH, NON_ENGLISH):
            out[t.benchmark].append(t)
    return dict(out)


def scaling_figure(analysis: ScalingAnalysis) -> Figure | None:
    """Score vs k with 95% CI bands, one panel per benchmark; None without a trend."""
    panels = _band_trends(analysis)
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.5, 3.8 * len(panels)), squeeze=False)
    for ax, (benchmark, trends) in zip(axes[:, 0], sorted(panels.items()), strict=True):
        for t in sorted(trends, key=lambda t: (t.languages == ALL, t.languages)):
            bold = t.languages == ALL
            label = "all languages" if bold else t.languages
            (line,) = ax.plot(
                t.k_values, t.means, marker="o", linewidth=2.5 if bold else 1.2,
                color="black" if bold else None,
                label=f"{label} ({len(t.language_codes)})",
            )  # fmt: skip
            if any(v is not None for v in t.ci_low):  # a k without an interval is a gap
                nan = float("nan")
                ax.fill_between(
                    t.k_values, [nan if v is None else v for v in t.ci_low],
                    [nan if v is None else v for v in t.ci_high],
                    color=line.get_color(), alpha=0.18 if bold else 0.08, linewidth=0,
                )  # fmt: skip
            if bold and t.slope_per_task is not None and t.intercept is not None:
                ax.plot(
                    t.k_values,
                    [t.intercept + t.slope_per_task * k for k in t.k_values],
                    linestyle="--", color="black", linewidth=1, alpha=0.7,
                    label=f"trend {100 * t.slope_per_task:+.2f} pts/task",
                )  # fmt: skip
        metric = trends[0].metric
        ax.set_title(f"{benchmark}: {metric} vs number of intermediate tasks (95% CI over runs)")
        ax.set_xlabel("intermediate tasks (k)")
        ax.set_ylabel(metric)
        ax.set_xticks(sorted({k for t in trends for k in t.k_values}))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig


def slope_forest(analysis: ScalingAnalysis) -> Figure | None:
    """Per-language slope per added task with 95% CIs, one panel per benchmark."""
    by_bench: dict[str, list[Trend]] = defaultdict(list)
    for t in analysis.language_trends:
        if t.slope_per_task is not None and t.slope_ci[0] is not None:
            by_bench[t.benchmark].append(t)
    if not by_bench:
        return None
    overall = {t.benchmark: t for t in analysis.trends if t.languages == ALL}
    heights = [0.22 * (len(v) + 1) + 1.2 for v in by_bench.values()]
    fig, axes = plt.subplots(
        len(by_bench), 1, figsize=(7.0, sum(heights)), squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )  # fmt: skip
    for ax, (benchmark, trends) in zip(axes[:, 0], sorted(by_bench.items()), strict=True):
        items = sorted(trends, key=lambda t: t.slope_per_task or 0.0)
        if benchmark in overall and overall[benchmark].slope_ci[0] is not None:
            items.append(overall[benchmark])
        for y, t in enumerate(items):
            bold = t.languages == ALL
            ax.errorbar(
                [100 * t.slope_per_task],  # type: ignore[operator]
                [y],
                xerr=[[100 * (t.slope_per_task - t.slope_ci[0])],  # type: ignore[operator]
                      [100 * (t.slope_ci[1] - t.slope_per_task)]],  # type: ignore[operator]
                fmt="D" if bold else "o", color="black" if bold else "tab:blue",
                capsize=2, markersize=5 if bold else 3,
            )  # fmt: skip
        ax.axvline(0.0, color="grey", linewidth=1)
        ax.set_yticks(range(len(items)), [
            "all languages" if t.languages == ALL else t.languages for t in items
        ], fontsize=7)  # fmt: skip
        ax.set_title(f"{benchmark}: {items[0].metric} slope per added task (points, 95% CI)",
                     fontsize=9)  # fmt: skip
        ax.grid(axis="x", alpha=0.3)
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
                star = "*" if cell.starred(comparison.alpha) else ""
                text = f"{cell.test.delta:+.3f}{star}" if len(rows) <= 20 else star
                dark = abs(cell.test.delta) > 0.6 * limit
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")  # fmt: skip
        ax.set_xticks(range(len(rows)), [r.language for r in rows], rotation=90, fontsize=8)
        ax.set_yticks(range(len(others)), others, fontsize=8)
        ax.set_title(f"{benchmark}: {rows[0].metric} minus {comparison.baseline} (* q < "
                     f"{comparison.alpha})", fontsize=9)  # fmt: skip
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    fig.tight_layout()
    return fig


def layer_profile_figure(comparison: Comparison) -> Figure | None:
    """Headline metric vs hidden layer per run, one panel per benchmark; None without
    per-layer metrics."""
    profiles = [p for p in comparison.layer_profiles if p.is_headline]
    if not profiles:
        return None
    fig, axes = plt.subplots(len(profiles), 1, figsize=(7.5, 3.4 * len(profiles)), squeeze=False)
    for ax, profile in zip(axes[:, 0], profiles, strict=True):
        for label, series in profile.values.items():
            points = [(x, y) for x, y in zip(profile.layers, series, strict=True) if y is not None]
            if not points:
                continue
            (line,) = ax.plot(*zip(*points, strict=True), marker=".", label=label)
            used = profile.layer_used[label]
            if used is not None and used in profile.layers:
                value = series[profile.layers.index(used)]
                if value is not None:
                    ax.plot([used], [value], marker="o", markersize=9, color=line.get_color())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("hidden_states index (0 = embedding output)")
        ax.set_ylabel(profile.metric)
        ax.set_title(
            f"{profile.benchmark}: {profile.metric} by layer, mean over "
            f"{len(profile.languages)} language(s) (large dot: headline layer)",
            fontsize=9,
        )
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
