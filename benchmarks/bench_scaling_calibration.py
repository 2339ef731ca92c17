"""Calibration of the scaling analysis on simulated studies where the truth is known.

Each study is a sweep k = 0..9 with S training seeds (S = 1, 3, 5), simulated by
``xfer_tasks.compare.simulate`` (the module doc states the model): two benchmarks of 5
languages x 400 items; per-run item answers are Bernoulli draws around a shared item difficulty
(item noise); each training run shifts all languages by N(0, 1 point) and each language by a
further N(0, 0.5 points) (seed noise); k = 0 is the base model, one checkpoint evaluated once per
seed, as ``xfer sweep`` produces. Benchmark ``planted`` gains 0.5 points per added task,
benchmark ``null`` gains nothing. Every study goes through the real analysis
(``xfer_tasks.compare.scaling.analyze_table``: the all-languages trend, permutation p-values).

Reported per number of seeds, over N studies:
- coverage: how often the 95% CI of the slope per task contains the planted slope (target >= 93%);
- false positives: how often the no-effect benchmark has p < 0.05 (target <= 7%);
- power: how often the planted slope is found (p < 0.05);
- for contrast, the false-positive rate of a naive test that treats the items as the only noise
  (the slope's standard error from the runs' binomial item variance, seed variance ignored) --
  what a per-checkpoint significance test amounts to.

Binomial uncertainty of a rate r over N studies: sqrt(r (1 - r) / N), 1.5 points at N = 200.
Not a timing benchmark: the machine's load does not change the figures.

    python benchmarks/bench_scaling_calibration.py --studies 200
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats as sps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, markdown_table  # noqa: E402

from xfer_tasks.compare.scaling import analyze_table  # noqa: E402
from xfer_tasks.compare.simulate import (  # noqa: E402
    BenchmarkTruth,
    StudyDesign,
    score_table,
    simulate_study,
)

PLANTED = 0.005  # 0.5 points per added task
LANGUAGES = ("en", "de", "fr", "sw", "zh")


def naive_item_only_p(k: np.ndarray, y: np.ndarray, items: int) -> float:
    """p-value of the slope with item noise only: se^2 = mean_r[y_r (1 - y_r) / items] / Sxx."""
    xc = k - k.mean()
    sxx = float(xc @ xc)
    slope = float(xc @ (y - y.mean())) / sxx
    se = math.sqrt(float(np.mean(y * (1 - y))) / items / sxx)
    return float(2 * sps.norm.sf(abs(slope) / se))


def run(seeds: int, studies: int, permutations: int, rng: np.random.Generator) -> dict:
    items = 400
    design = StudyDesign(
        benchmarks=(
            BenchmarkTruth("planted", PLANTED, LANGUAGES, items),
            BenchmarkTruth("null", 0.0, LANGUAGES, items),
        ),
        k_values=tuple(range(10)),
        seeds=seeds,
    )
    covered = found = false_pos = naive_false_pos = 0
    widths = []
    for _ in range(studies):
        runs, table = score_table(simulate_study(design, rng))
        analysis = analyze_table(runs, table, permutations=permutations)
        trends = {t.benchmark: t for t in analysis.headline()}
        planted, null = trends["planted"], trends["null"]
        lo, hi = planted.slope_ci
        covered += lo <= PLANTED <= hi
        widths.append(hi - lo)
        found += planted.p_value < 0.05
        false_pos += null.p_value < 0.05
        distinct = [r for r in runs if r.duplicate_of is None]
        k = np.array([r.k for r in distinct], dtype=float)
        y = np.array(
            [np.mean([table[r.label][("null", lang, "acc")] for lang in LANGUAGES]) for r in distinct]
        )
        naive_false_pos += naive_item_only_p(k, y, items * len(LANGUAGES)) < 0.05
    return {
        "seeds": seeds,
        "runs": len([r for r in runs if r.duplicate_of is None]),
        "coverage": covered / studies,
        "false_pos": false_pos / studies,
        "power": found / studies,
        "width": float(np.mean(widths)),
        "naive_false_pos": naive_false_pos / studies,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=200, help="simulated studies per row")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--permutations", type=int, default=999, help="per permutation test")
    parser.add_argument("--rng-seed", type=int, default=20261201)
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.studies < 10 or args.permutations < 99:
        parser.error("--studies must be >= 10 and --permutations >= 99")
    rng = np.random.default_rng(args.rng_seed)
    rows = []
    started = time.perf_counter()
    for seeds in args.seeds:
        r = run(seeds, args.studies, args.permutations, rng)
        verdict = "met" if r["coverage"] >= 0.93 and r["false_pos"] <= 0.07 else "NOT met"
        rows.append([
            r["seeds"], r["runs"], f"{100 * r['coverage']:.1f}%", f"{100 * r['false_pos']:.1f}%",
            f"{100 * r['power']:.1f}%", f"{100 * r['width']:.2f}", f"{100 * r['naive_false_pos']:.1f}%",
            verdict,
        ])  # fmt: skip
        print(rows[-1], file=sys.stderr)
    table = markdown_table(
        ["seeds", "distinct runs", "95% CI covers planted slope", "no-effect p < 0.05",
         "power (planted found)", "mean CI width (points/task)", "naive item-only test p < 0.05",
         "targets (>= 93%, <= 7%)"],
        rows,
    )  # fmt: skip
    text = (
        f"{args.studies} simulated studies per row; k = 0..9; 2 benchmarks x 5 languages x 400 "
        f"items; seed noise N(0, 1 pt) per run + N(0, 0.5 pt) per language; planted slope "
        f"{100 * PLANTED:.1f} pts/task on one benchmark, 0 on the other; {args.permutations} "
        f"permutations per test; rng seed {args.rng_seed}; {time.perf_counter() - started:.0f} s.\n\n"
        + table
    )
    print(text)
    if not args.no_append:
        print("appended to", append_results("Scaling analysis calibration (simulated studies)", text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
