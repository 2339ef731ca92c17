"""A :class:`Comparison` as text: a terminal table, Markdown, CSV and JSON.

Terminal and Markdown are wide (one column per run; each non-baseline cell shows the score,
its difference to the baseline and ``*`` when p < alpha). CSV and JSON are long form, one
record per benchmark x language x metric x run, with every number (stderr and its source,
delta, its CI, p-value and the test used).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from xfer_tasks.compare.comparison import Cell, Comparison
from xfer_tasks.compare.layers import profile_lines, profile_title
from xfer_tasks.compare.scaling import ScalingAnalysis, summary_markdown, summary_terminal

CSV_FIELDS = [
    "benchmark", "language", "task", "metric", "run", "is_baseline", "value", "stderr",
    "stderr_source", "n", "delta", "delta_stderr", "ci_low", "ci_high", "p_value", "q_value",
    "significant", "test", "mcnemar_p", "mcnemar_q", "right_to_wrong", "wrong_to_right", "not_comparable",
]  # fmt: skip


def task_list(tasks: list[str] | None) -> str:
    """A run's intermediate tasks: "?" without a manifest, "(none)" for the base model."""
    if tasks is None:
        return "?"
    return ", ".join(tasks) if tasks else "(none)"


def _cell_text(cell: Cell | None, comparison: Comparison, with_p: bool) -> str:
    if cell is None:
        return "-"
    text = f"{cell.value:.4f}"
    if cell.stderr is not None:
        text += f" ±{cell.stderr:.4f}"
    test = cell.test
    if cell.incomparable is not None:
        return text + f" (not comparable: {cell.incomparable})"
    if test is not None:
        star = "*" if cell.starred(comparison.alpha) else ""
        text += f" ({test.delta:+.4f}{star}"
        if with_p and test.p_value is not None:
            text += f", p={test.p_value:.3g}"
            if cell.q_value is not None:
                text += f", q={cell.q_value:.3g}"
        if with_p and cell.mcnemar is not None:
            text += f", flips {cell.mcnemar.right_to_wrong}↓{cell.mcnemar.wrong_to_right}↑"
        text += ")"
    return text


def _grid(comparison: Comparison, with_p: bool) -> tuple[list[str], list[list[str]]]:
    header = ["benchmark", "lang", "metric"] + [
        f"{label} (baseline)" if label == comparison.baseline else label
        for label in comparison.labels
    ]
    body = []
    for row in comparison.rows:
        cells = [
            _cell_text(row.cells.get(label), comparison, with_p) for label in comparison.labels
        ]
        body.append([row.benchmark, row.language, row.metric, *cells])
    return header, body


def legend(comparison: Comparison) -> list[str]:
    """What the symbols mean and which estimators produced the numbers."""
    tests = Counter(
        c.test.method for r in comparison.rows for c in r.cells.values() if c.test is not None
    )
    sources = Counter(
        c.stderr_source or "none" for r in comparison.rows if not r.is_average
        for c in r.cells.values()
    )  # fmt: skip
    from xfer_tasks.compare.comparison import FAMILIES

    lines = [
        f"Scores are fractions in [0, 1]: value ±stderr (delta vs {comparison.baseline}; "
        f"* = Benjamini-Hochberg q < {comparison.alpha}). AVG = unweighted mean over languages "
        "(XTREME).",
        "q-value families: " + "; ".join(f"{k}: {v}" for k, v in FAMILIES.items()) + ".",
        "flips a↓b↑: binary per-item metrics, a items right in the baseline and wrong here, b the "
        "reverse (exact McNemar test in the CSV/JSON).",
        "Deltas compare two checkpoints on the same items (item noise only), not training seeds: "
        "whether the number of intermediate tasks matters is the scaling analysis "
        "(xfer scaling).",
        "Tests used: "
        + ", ".join(f"{m} x{n}" for m, n in sorted(tests.items()))
        + f" (bootstrap: B={comparison.bootstrap_iters}, seed={comparison.seed}).",
        "Stderr sources: " + ", ".join(f"{s} x{n}" for s, n in sorted(sources.items())) + ".",
    ]
    return lines + [f"Note: {note}" for note in comparison.notes]


def _answer(analysis: ScalingAnalysis | None, markdown: bool) -> str:
    """The scaling summary that leads the output when runs carry k (empty otherwise)."""
    if analysis is None:
        return ""
    if markdown:
        return summary_markdown(analysis) + "\n"
    return "The answer (xfer scaling):\n" + summary_terminal(analysis) + "\n"


def _aligned(header: list[str], body: list[list[str]]) -> list[str]:
    """A plain-text table: the header, a rule, then one line per row, columns left-aligned."""
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in body)]


def to_terminal(comparison: Comparison, analysis: ScalingAnalysis | None = None) -> str:
    header, body = _grid(comparison, with_p=False)
    table = _aligned(header, body)
    lines = table[:2]
    previous = None
    for cells, text in zip(body, table[2:], strict=True):
        if previous is not None and cells[0] != previous:
            lines.append("")  # a blank line between benchmarks
        previous = cells[0]
        lines.append(text)
    return (
        _answer(analysis, False)
        + "\n".join(lines + [""] + legend(comparison))
        + "\n"
        + _layers_terminal(comparison)
    )


def _layers_terminal(comparison: Comparison) -> str:
    """The headline metric's layer profile per benchmark (all profiles: --out / markdown)."""
    out = []
    for profile in comparison.layer_profiles:
        if not profile.is_headline:
            continue
        out += ["", profile_title(profile) + ":"]
        out += _aligned(["layer", *profile.values], profile_lines(profile))
    if out:
        out.append(
            "Per-layer values are diagnostics (no test, no q-value, not tracked by regress); "
            "every metric's profile, per language, is in comparison.json (--out)."
        )
    return "\n".join(out) + ("\n" if out else "")


def layers_markdown(comparison: Comparison) -> str:
    """Every layer profile as a Markdown table (empty without per-layer metrics)."""
    parts = []
    for profile in comparison.layer_profiles:
        labels = list(profile.values)
        lines = [
            f"**{profile_title(profile)}**",
            "",
            "| layer | " + " | ".join(label.replace("|", "\\|") for label in labels) + " |",
            "|---:|" + "---:|" * len(labels),
        ]
        lines += ["| " + " | ".join(row) + " |" for row in profile_lines(profile)]
        parts.append("\n".join(lines))
    if not parts:
        return ""
    return (
        "\n## Per-layer retrieval scores (embed_layer all/dev)\n\n"
        + "\n\n".join(parts)
        + "\n\nDiagnostics: no test, no q-value, not tracked by `xfer regress`.\n"
    )


def runs_markdown(comparison: Comparison) -> str:
    lines = [
        "| run | checkpoint | k (intermediate tasks) | seed | tasks |",
        "|---|---|---:|---:|---|",
    ]
    for run in comparison.runs:
        tasks = task_list(run.intermediate_tasks)
        k = "?" if run.num_tasks is None else str(run.num_tasks)
        seed = "?" if run.seed is None else str(run.seed)
        name = f"**{run.label}** (baseline)" if run.label == comparison.baseline else run.label
        lines.append(f"| {name} | `{run.checkpoint or run.path}` | {k} | {seed} | {tasks} |")
    return "\n".join(lines) + "\n"


def to_markdown(comparison: Comparison, analysis: ScalingAnalysis | None = None) -> str:
    header, body = _grid(comparison, with_p=True)
    escape = [[c.replace("|", "\\|") for c in r] for r in [header, *body]]
    lines = ["| " + " | ".join(escape[0]) + " |", "|" + "---|" * 3 + "---:|" * (len(header) - 3)]
    lines += ["| " + " | ".join(r) + " |" for r in escape[1:]]
    return (
        _answer(analysis, True)
        + "## Runs\n\n" + runs_markdown(comparison)
        + "\n## Scores\n\n" + "\n".join(lines) + "\n\n"
        + "\n".join(f"- {line}" for line in legend(comparison)) + "\n"
        + layers_markdown(comparison)
    )  # fmt: skip


def to_csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in comparison.records():
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return buffer.getvalue()


def to_json_dict(comparison: Comparison) -> dict[str, Any]:
    return {
        "baseline": comparison.baseline,
        "alpha": comparison.alpha,
        "bootstrap_iters": comparison.bootstrap_iters,
        "seed": comparison.seed,
        "runs": [
            {
                "label": r.label,
                "results_file": str(r.path),
                "checkpoint": r.checkpoint,
                "num_intermediate_tasks": r.num_tasks,
                "intermediate_tasks": r.intermediate_tasks,
                "seed": r.seed,
                "manifest": None if r.manifest_path is None else str(r.manifest_path),
            }
            for r in comparison.runs
        ],
        "notes": comparison.notes,
        "rows": comparison.records(),
        "layer_profiles": [profile.to_json_dict() for profile in comparison.layer_profiles],
    }


def to_json(comparison: Comparison) -> str:
    return json.dumps(to_json_dict(comparison), indent=2, ensure_ascii=False) + "\n"
