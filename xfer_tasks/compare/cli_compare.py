"""``xfer compare RESULTS...``: a table per benchmark x language x checkpoint, deltas against a
baseline with their significance, and an HTML report with the delta heatmap. When the runs carry
k (``xfer_manifest.json``), the scaling analysis (``xfer scaling``) leads the output and
``--out`` also writes its ``summary.md``, ``scaling.json`` and figures."""

from __future__ import annotations

import argparse
import sys

from xfer_tasks.compare import stats
from xfer_tasks.compare.cli_common import (
    add_results_arguments,
    finite_float,
    int_at_least,
    out_is_a_file,
)

FORMATS = ("terminal", "markdown", "csv", "json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xfer compare",
        description="Compare checkpoints' lm-eval results (results_*.json, plus samples_*.jsonl "
        "when lm_eval ran with --log_samples) against a baseline run.",
    )
    add_results_arguments(
        parser,
        "also write comparison.{md,csv,json}, the PNG plots and report.html to DIR (and "
        "summary.md + scaling.json when the runs carry k)",
    )
    parser.add_argument(
        "--baseline",
        help="label of the baseline run (default: the first results file)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="terminal", help="what to print (default: terminal)"
    )
    parser.add_argument(
        "--bootstrap-iters", type=int_at_least(1), default=stats.DEFAULT_BOOTSTRAP_ITERS,
        help=f"paired-bootstrap resamples (default {stats.DEFAULT_BOOTSTRAP_ITERS})",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int_at_least(0), default=stats.DEFAULT_SEED,
        help=f"bootstrap random seed (default {stats.DEFAULT_SEED})",
    )  # fmt: skip
    parser.add_argument(
        "--alpha", type=finite_float(0.0, 1.0, open_interval=True), default=0.05,
        help="significance level for * (default 0.05)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if complaint := out_is_a_file(args.out):
        print(f"xfer compare: {complaint}", file=sys.stderr)
        return 2
    from xfer_tasks.compare import table
    from xfer_tasks.compare.comparison import compare_runs
    from xfer_tasks.compare.results import ResultsError, assign_labels, load_runs
    from xfer_tasks.compare.scaling import analyze, has_trend

    try:
        runs = load_runs(args.results)
        assign_labels(runs, args.label)
        comparison = compare_runs(
            runs,
            baseline=args.baseline,
            labels=args.label,
            bootstrap_iters=args.bootstrap_iters,
            seed=args.seed,
            alpha=args.alpha,
        )
    except ResultsError as err:
        print(f"xfer compare: {err}", file=sys.stderr)
        return 2
    analysis = analyze(runs) if has_trend(runs) else None
    if args.format == "terminal":
        sys.stdout.write(table.to_terminal(comparison, analysis))
    elif args.format == "markdown":
        sys.stdout.write(table.to_markdown(comparison, analysis))
    else:
        sys.stdout.write(table.to_csv(comparison) if args.format == "csv" else table.to_json(comparison))
    if args.out:
        from xfer_tasks.compare.report import write_report

        written = write_report(comparison, args.out, analysis)
        print(f"wrote {', '.join(sorted(written))} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
