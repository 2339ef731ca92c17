"""Write a :class:`Comparison` (and, for a study, its :class:`ScalingAnalysis`) to a folder.

Files: ``summary.md`` and ``scaling.json`` (the study's answer, when runs carry k),
``comparison.{md,csv,json}``, the PNG plots and ``report.html``, which leads with the answer
(one sentence per benchmark, the scaling curve with CI bands, the per-language slope forest)
before the per-checkpoint tables. The HTML file is self-contained (plots embedded as base64
PNG), so it can be attached to a CI run or mailed. Every file is written to a temporary name and
renamed, so an interrupted run never leaves a half-written report.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from xfer_tasks.compare import plots, table  # noqa: E402
from xfer_tasks.compare.comparison import Comparison  # noqa: E402
from xfer_tasks.compare.layers import profile_lines, profile_title  # noqa: E402
from xfer_tasks.compare.scaling import (  # noqa: E402
    ScalingAnalysis,
    summary_lines,
    summary_markdown,
)

SCALING_PNG = "scaling_curve.png"
FOREST_PNG = "slope_forest.png"
HEATMAP_PNG = "delta_heatmap.png"
LAYERS_PNG = "layer_profiles.png"
SUMMARY_MD = "summary.md"
SCALING_JSON = "scaling.json"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _html_table(comparison: Comparison) -> str:
    head = "".join(
        f"<th>{html.escape(label)}{' (baseline)' if label == comparison.baseline else ''}</th>"
        for label in comparison.labels
    )
    body = []
    for row in comparison.rows:
        cells = []
        for label in comparison.labels:
            cell = row.cells.get(label)
            if cell is None:
                cells.append("<td>-</td>")
                continue
            text = f"{cell.value:.4f}"
            if cell.stderr is not None:
                text += f" <small>±{cell.stderr:.4f}</small>"
            css = ""
            test = cell.test
            if cell.incomparable is not None:
                text += f"<br><small>not comparable: {html.escape(cell.incomparable)}</small>"
            elif test is not None:
                sig = cell.starred(comparison.alpha)
                p = "" if test.p_value is None else f", p={test.p_value:.3g}"
                p += "" if cell.q_value is None else f", q={cell.q_value:.3g}"
                text += f"<br><small>{test.delta:+.4f}{'*' if sig else ''}{p}</small>"
                if sig:
                    css = ' class="up"' if test.delta > 0 else ' class="down"'
            cells.append(f'<td{css} title="{html.escape(test.method if test else "")}">{text}</td>')
        avg = ' class="avg"' if row.is_average else ""
        body.append(
            f"<tr{avg}><td>{html.escape(row.benchmark)}</td><td>{html.escape(row.language)}</td>"
            f"<td>{html.escape(row.metric)}</td>{''.join(cells)}</tr>"
        )
    return (
        f"<table><tr><th>benchmark</th><th>lang</th><th>metric</th>{head}</tr>"
        + "\n".join(body) + "</table>"
    )  # fmt: skip


def _runs_table(comparison: Comparison) -> str:
    rows = []
    for run in comparison.runs:
        tasks = table.task_list(run.intermediate_tasks)
        rows.append(
            "<tr>" + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (run.label, run.checkpoint or run.path,
                          "?" if run.num_tasks is None else run.num_tasks,
                          "?" if run.seed is None else run.seed, tasks)
            ) + "</tr>"
        )  # fmt: skip
    return (
        "<table><tr><th>run</th><th>checkpoint</th><th>k</th><th>seed</th>"
        "<th>intermediate tasks</th></tr>" + "".join(rows) + "</table>"
    )


def _layers_html(comparison: Comparison, images: dict[str, bytes]) -> str:
    """The layer profiles (embed_layer all/dev): the figure, then one table per profile."""
    if not comparison.layer_profiles:
        return ""
    tables = []
    for profile in comparison.layer_profiles:
        head = "".join(f"<th>{html.escape(label)}</th>" for label in profile.values)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in profile_lines(profile)
        )
        tables.append(
            f"<h3>{html.escape(profile_title(profile))}</h3>"
            f"<table><tr><th>layer</th>{head}</tr>{body}</table>"
        )
    figure = _figures({LAYERS_PNG: images[LAYERS_PNG]}) if LAYERS_PNG in images else ""
    return (
        "<h2>Per-layer retrieval scores (embed_layer all/dev)</h2><p>Diagnostics of which "
        "hidden layer transfers best: no test, no q-value, not tracked by xfer regress.</p>"
        + figure + "".join(tables)
    )  # fmt: skip


def _figures(images: dict[str, bytes]) -> str:
    return "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode()}"><figcaption>{html.escape(name)}</figcaption></figure>'
        for name, data in images.items()
    )


def _answer_html(analysis: ScalingAnalysis | None) -> str:
    if analysis is None:
        return ""
    items = []
    for line in summary_lines(analysis):
        if line.startswith("  "):
            items.append(f"<div class='reading'>{html.escape(line.strip())}</div>")
        else:
            items.append(f"<p class='answer'>{html.escape(line)}</p>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in analysis.notes)
    return (
        "<h2>The answer: score vs number of intermediate tasks</h2>" + "".join(items)
        + f"<ul class='notes'>{notes}</ul>"
    )  # fmt: skip


def render_html(
    comparison: Comparison,
    images: dict[str, bytes],
    missing: list[str],
    analysis: ScalingAnalysis | None = None,
) -> str:
    answer_images = {k: v for k, v in images.items() if k in (SCALING_PNG, FOREST_PNG)}
    other_images = {k: v for k, v in images.items() if k not in answer_images and k != LAYERS_PNG}
    legend = "".join(f"<li>{html.escape(line)}</li>" for line in table.legend(comparison))
    absent = "".join(f"<li>{html.escape(line)}</li>" for line in missing)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>xfer compare</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 13px; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; }}
td:nth-child(-n+3), th {{ text-align: left; }}
tr.avg {{ font-weight: bold; background: #f4f4f4; }}
td.up {{ background: #d9f2d9; }} td.down {{ background: #f7d4d4; }}
p.answer {{ font-size: 16px; font-weight: bold; margin: 0.8em 0 0.1em 0; }}
div.reading {{ margin-left: 1.5em; color: #333; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>xfer compare: baseline {html.escape(comparison.baseline)}</h1>
{_answer_html(analysis)}
{_figures(answer_images)}
<ul>{absent}</ul>
<h2>Runs</h2>{_runs_table(comparison)}
<h2>Per-checkpoint deltas against {html.escape(comparison.baseline)}</h2>{_figures(other_images)}
<h2>Scores</h2>{_html_table(comparison)}
<ul>{legend}</ul>
{_layers_html(comparison, images)}
</body></html>
"""


def write_scaling(analysis: ScalingAnalysis, out_dir: str | Path) -> dict[str, Path]:
    """``summary.md``, ``scaling.json`` and the two scaling figures; return what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    payload = json.dumps(analysis.to_json_dict(), indent=2, ensure_ascii=False) + "\n"
    for name, text in ((SUMMARY_MD, summary_markdown(analysis)), (SCALING_JSON, payload)):
        _write_atomic(out / name, text.encode("utf-8"))
        written[name] = out / name
    for name, data in scaling_images(analysis).items():
        _write_atomic(out / name, data)
        written[name] = out / name
    return written


def scaling_images(analysis: ScalingAnalysis) -> dict[str, bytes]:
    images = {}
    for name, fig in ((SCALING_PNG, plots.scaling_figure(analysis)),
                      (FOREST_PNG, plots.slope_forest(analysis))):  # fmt: skip
        if fig is not None:
            images[name] = _png(fig)
    return images


def write_report(
    comparison: Comparison, out_dir: str | Path, analysis: ScalingAnalysis | None = None
) -> dict[str, Path]:
    """Write comparison.{md,csv,json}, the PNG plots and report.html (and, with ``analysis``,
    summary.md and scaling.json); return what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, text in (
        ("comparison.md", table.to_markdown(comparison, analysis)),
        ("comparison.csv", table.to_csv(comparison)),
        ("comparison.json", table.to_json(comparison)),
    ):
        _write_atomic(out / name, text.encode("utf-8"))
        written[name] = out / name
    images: dict[str, bytes] = {}
    missing: list[str] = []
    if analysis is not None:
        written.update(write_scaling(analysis, out))
        images.update(
            {n: (out / n).read_bytes() for n in (SCALING_PNG, FOREST_PNG) if n in written}
        )
    if SCALING_PNG not in images:
        missing.append("No scaling curve: it needs runs whose xfer_manifest.json gives at least "
                       "two distinct numbers of intermediate tasks (k).")  # fmt: skip
    heatmap = plots.delta_heatmap(comparison)
    if heatmap is None:
        missing.append("No delta heatmap: it needs a second run and per-language scores.")
    else:
        images[HEATMAP_PNG] = _png(heatmap)
        _write_atomic(out / HEATMAP_PNG, images[HEATMAP_PNG])
        written[HEATMAP_PNG] = out / HEATMAP_PNG
    layers = plots.layer_profile_figure(comparison)
    if layers is not None:
        images[LAYERS_PNG] = _png(layers)
        _write_atomic(out / LAYERS_PNG, images[LAYERS_PNG])
        written[LAYERS_PNG] = out / LAYERS_PNG
    for name in (HEATMAP_PNG, LAYERS_PNG):  # a figure of an earlier report into this folder
        if name not in written:
            (out / name).unlink(missing_ok=True)
    page = render_html(comparison, images, missing, analysis)
    _write_atomic(out / "report.html", page.encode("utf-8"))
    written["report.html"] = out / "report.html"
    return written
