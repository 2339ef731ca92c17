"""``xfer regress --baseline FILE RESULTS...``: fail CI when tracked scores drop.

Exit status (a contract CI scripts rely on):
  0  nothing regressed beyond its tolerance (or ``--update`` wrote the baseline)
  1  at least one tracked metric dropped by more than max(abs floor, z x stderr)
  2  the comparison is invalid (task or metric missing; n-shot, limit, task version or
     document count differs) or the input is unusable (missing file, malformed JSON)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xfer_tasks.compare import stats
from xfer_tasks.compare.cli_common import finite_float, int_at_least


def build_parser() -> argparse.ArgumentParser:
    from xfer_tasks.compare.regress import DEFAULT_ABS_FLOOR, DEFAULT_INCLUDE, DEFAULT_Z

    parser = argparse.ArgumentParser(
        prog="xfer regress",
        description="Compare lm-eval results with a stored baseline. Exit 0: no regression; "
        "1: a tracked metric dropped by more than its tolerance; 2: invalid comparison or input.",
    )
    parser.add_argument("--baseline", required=True, metavar="FILE", help="baseline JSON file")
    parser.add_argument(
        "results", nargs="+",
        help="lm-eval results_*.json files or folders (each task in one file only)",
    )  # fmt: skip
    parser.add_argument(
        "--update", action="store_true",
        help="write a new baseline from RESULTS (atomically; keeps the old file's overrides) "
        "instead of checking",
    )  # fmt: skip
    parser.add_argument(
        "--abs-floor", type=finite_float(0.0), default=None,
        help=f"smallest tolerated drop, in score units (default: the baseline file's, else "
        f"{DEFAULT_ABS_FLOOR})",
    )  # fmt: skip
    parser.add_argument(
        "--z", type=finite_float(0.0), default=None,
        help=f"tolerance in standard errors of the difference (default: the baseline file's, "
        f"else {DEFAULT_Z})",
    )  # fmt: skip
    parser.add_argument(
        "--include", action="append", default=None, metavar="GLOB",
        help=f"with --update: task names to track (default {' '.join(DEFAULT_INCLUDE)})",
    )  # fmt: skip
    parser.add_argument(
        "--report", metavar="FILE",
        help="also append a Markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY)",
    )  # fmt: skip
    parser.add_argument(
        "--bootstrap-iters", type=int_at_least(1), default=stats.DEFAULT_BOOTSTRAP_ITERS,
        help="resamples for bootstrap stderrs from per-sample files",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int_at_least(0), default=stats.DEFAULT_SEED, help="bootstrap seed"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    from xfer_tasks.compare import regress
    from xfer_tasks.compare.results import ResultsError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        runs = regress.load_runs(args.results)
        if args.update:
            previous = None
            if Path(args.baseline).exists():
                previous = regress.load_baseline(args.baseline)
            baseline = regress.build_baseline(
                runs,
                include=tuple(args.include or regress.DEFAULT_INCLUDE),
                previous=previous,
                bootstrap_iters=args.bootstrap_iters,
                seed=args.seed,
                abs_floor=args.abs_floor,
                z=args.z,
            )
            regress.write_baseline_atomic(baseline, args.baseline)
            tracked = sum(len(t["metrics"]) for t in baseline["tasks"].values())
            print(
                f"xfer regress: wrote {args.baseline}: {len(baseline['tasks'])} tasks, "
                f"{tracked} metrics, {len(baseline['averages'])} benchmark averages"
            )
            return regress.EXIT_OK
        baseline = regress.load_baseline(args.baseline)
        report = regress.check_against_baseline(
            baseline,
            runs,
            baseline_path=args.baseline,
            abs_floor=args.abs_floor,
            z=args.z,
            bootstrap_iters=args.bootstrap_iters,
            seed=args.seed,
        )
    except (ResultsError, regress.BaselineError) as err:
        print(f"xfer regress: {err}", file=sys.stderr)
        return regress.EXIT_INVALID
    sys.stdout.write(report.text())
    if args.report:
        with open(args.report, "a", encoding="utf-8") as handle:
            handle.write(report.markdown())
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
