"""Write a :class:`Comparison` to a folder: Markdown, CSV, JSON, PNG plots and one HTML report.

The HTML file is self-contained (plots embedded as base64 PNG), so it can be attached to a CI
run or mailed. Every file is written to a temporary name and renamed, so an interrupted run
never leaves a half-written report.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from xfer_tasks.compare import plots, table  # noqa: E402
from xfer_tasks.compare.comparison import Comparison  # noqa: E402

SCALING_PNG = "scaling_curve.png"
HEATMAP_PNG = "delta_heatmap.png"


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
            if test is not None:
                sig = test.significant(comparison.alpha)
                p = "" if test.p_value is None else f", p={test.p_value:.3g}"
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


def render_html(comparison: Comparison, images: dict[str, bytes], missing: list[str]) -> str:
    figures = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode()}"><figcaption>{html.escape(name)}</figcaption></figure>'
        for name, data in images.items()
    )
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
img {{ max-width: 100%; }}
</style></head><body>
<h1>xfer compare: baseline {html.escape(comparison.baseline)}</h1>
<h2>Runs</h2>{_runs_table(comparison)}
<h2>Plots</h2>{figures}<ul>{absent}</ul>
<h2>Scores</h2>{_html_table(comparison)}
<ul>{legend}</ul>
</body></html>
"""


def write_report(comparison: Comparison, out_dir: str | Path) -> dict[str, Path]:
    """Write comparison.{md,csv,json}, the PNG plots and report.html; return what was written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, text in (
        ("comparison.md", table.to_markdown(comparison)),
        ("comparison.csv", table.to_csv(comparison)),
        ("comparison.json", table.to_json(comparison)),
    ):
        _write_atomic(out / name, text.encode("utf-8"))
        written[name] = out / name
    images: dict[str, bytes] = {}
    missing: list[str] = []
    scaling = plots.scaling_figure(comparison)
    if scaling is None:
        missing.append("No scaling curve: no run has an xfer_manifest.json giving its number "
                       "of intermediate tasks.")  # fmt: skip
    else:
        images[SCALING_PNG] = _png(scaling)
    heatmap = plots.delta_heatmap(comparison)
    if heatmap is None:
        missing.append("No delta heatmap: it needs a second run and per-language scores.")
    else:
        images[HEATMAP_PNG] = _png(heatmap)
    for name, data in images.items():
        _write_atomic(out / name, data)
        written[name] = out / name
    _write_atomic(out / "report.html", render_html(comparison, images, missing).encode("utf-8"))
    written["report.html"] = out / "report.html"
    return written
