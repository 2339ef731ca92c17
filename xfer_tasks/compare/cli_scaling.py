"""``xfer scaling RESULTS...``: the study's answer, how scores change as intermediate tasks are
added, with the training run as the unit (see :mod:`xfer_tasks.compare.scaling`).

Reads the same lm-eval results (and checkpoint manifests) as ``xfer compare``; prints one
sentence per benchmark, and with ``--out DIR`` writes ``summary.md``, ``scaling.json``, the
scaling curve with CI bands and the per-language slope forest plot.
"""

from __future__ import annotations

import argparse
import sys

from xfer_tasks.compare import trend
from xfer_tasks.compare.cli_common import add_results_arguments, int_at_least, out_is_a_file

FORMATS = ("terminal", "markdown", "json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xfer scaling",
        description="How each benchmark's score changes with the number of intermediate tasks k: "
        "slope per added task and per doubling with heteroscedasticity-robust 95%% CIs over "
        "training runs, studentized permutation p-values, which k beats k = 0 (every k compared "
        "at once), how much languages disagree, each task's contribution when orders vary, the "
        "cross-lingual transfer gap, XTREME's score per run.",
    )
    add_results_arguments(parser, "also write summary.md, scaling.json and the two figures to DIR")
    parser.add_argument(
        "--format", choices=FORMATS, default="terminal", help="what to print (default: terminal)"
    )
    parser.add_argument(
        "--permutations", type=int_at_least(99), default=trend.DEFAULT_PERMUTATIONS,
        help=f"permutations of the k labels per test (default {trend.DEFAULT_PERMUTATIONS})",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int_at_least(0), default=trend.DEFAULT_SEED,
        help=f"random seed of the permutations (default {trend.DEFAULT_SEED})",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if complaint := out_is_a_file(args.out):
        print(f"xfer scaling: {complaint}", file=sys.stderr)
        return 2
    import json

    from xfer_tasks.compare.results import ResultsError, assign_labels, load_runs
    from xfer_tasks.compare.scaling import (
        analyze,
        has_trend,
        summary_markdown,
        summary_terminal,
    )

    try:
        runs = load_runs(args.results)
        assign_labels(runs, args.label)
    except ResultsError as err:
        print(f"xfer scaling: {err}", file=sys.stderr)
        return 2
    if not has_trend(runs):
        with_k = sorted({r.num_tasks for r in runs if r.num_tasks is not None})
        print(
            f"xfer scaling: need runs with at least two distinct k; found k = {with_k or 'none'} "
            f"among {len(runs)} results file(s) (k comes from each checkpoint's "
            "xfer_manifest.json, written by xfer train / xfer sweep)",
            file=sys.stderr,
        )
        return 2
    analysis = analyze(runs, permutations=args.permutations, seed=args.seed)
    if args.format == "json":
        sys.stdout.write(json.dumps(analysis.to_json_dict(), indent=2, ensure_ascii=False) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(summary_markdown(analysis))
    else:
        sys.stdout.write(summary_terminal(analysis))
    if args.out:
        from xfer_tasks.compare.report import write_scaling

        written = write_scaling(analysis, args.out)
        print(f"wrote {', '.join(sorted(written))} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
