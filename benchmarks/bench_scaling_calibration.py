"""Calibration of the scaling analysis on simulated studies where the truth is known.

Each study is a sweep k = 0..9 with S training seeds, simulated by
``xfer_tasks.compare.simulate`` (the module doc states the model): two benchmarks of 5
languages x 400 items, ``xfer_xnli`` with a planted slope of 0.5 points per added task and
``xfer_mmmlu`` with none; per-run item answers are Bernoulli draws around a shared item
difficulty (item noise); each training run shifts all languages by N(0, 1 point) and each
language by a further N(0, 0.5 points) (seed noise); k = 0 is the base model. Every study is
written as lm-eval results files plus ``xfer_manifest.json`` files
(``simulate.write_lmeval_study``) and read back through ``results.load_runs`` and
``scaling.analyze``: the real code path of ``xfer scaling``.

Scenarios (what real studies do that the textbook does not):
- ``equal variance, S seeds``: the reference design (S = 1, 3, 5);
- ``seed noise sd ~ k^2``: run-to-run sd (k/9)^2 x (3 points + 1.5 per language);
- ``base model per seed``: k = 0 evaluated once per seed, each re-evaluation re-drawing 1% of
  the items (non-identical scores); also with manifests that lack the phase flags;
- ``shared order + task effects``: tasks with effects N(0, 0.5 points), centred, added in one
  order for every seed: the truth is the order-specific slope; "adding tasks in general" is not
  what the slope answers, and the output must say so (the order note);
- ``order per seed + task effects``: the same effects, one random order per seed: the general
  slope (0.5 / 0) is the truth; per-task contributions are estimated;
- ``language slopes``: each language's slope differs by N(0, 0.5 points per task) (mean zero in
  general): the truth of the all-languages slope is the mean over these 5 languages; the spread
  of the per-language slopes is estimated with a CI;
- ``jump at k = 1``: xfer_xnli jumps by 4 points at k = 1, then flat; no jump on xfer_mmmlu.

Reported per scenario over N studies (binomial sd of a rate r: sqrt(r (1 - r) / N), 1.5 points
at r = 5%, N = 200):
- coverage: the 95% CI of the slope per task contains the truth of xfer_xnli (the slope of the
  runs' expected scores on k: the planted slope, or what the scenario makes it; target >= 93%);
- false positives: xfer_mmmlu (no effect) has p < 0.05 (target <= 7%);
- best-k false claims: the printed claim "best k = K ... over k = 0" on xfer_mmmlu (<= 7%);
- power: xfer_xnli has p < 0.05; best-k claims on xfer_xnli;
- scenario-specific figures in the last column.
Not a timing benchmark: the machine's load does not change the figures (it is recorded).

    python benchmarks/bench_scaling_calibration.py --studies 200
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, load_1min, machine_facts, markdown_table  # noqa: E402

from xfer_tasks.compare.results import assign_labels, load_runs  # noqa: E402
from xfer_tasks.compare.scaling import ScalingAnalysis, analyze, summary_lines  # noqa: E402
from xfer_tasks.compare.simulate import (  # noqa: E402
    BenchmarkTruth,
    SimulatedRun,
    StudyDesign,
    simulate_study,
    write_lmeval_study,
)

PLANTED = 0.005  # 0.5 points per added task
XNLI_LANGUAGES = ("en", "de", "fr", "sw", "zh")
MMMLU_LANGUAGES = ("de_de", "fr_fr", "sw_ke", "zh_cn", "ja_jp")
ITEMS = 400


def design(seeds: int = 3, planted: float = PLANTED, **changes) -> StudyDesign:
    return StudyDesign(
        benchmarks=(
            BenchmarkTruth("xfer_xnli", planted, XNLI_LANGUAGES, ITEMS),
            BenchmarkTruth("xfer_mmmlu", 0.0, MMMLU_LANGUAGES, ITEMS),
        ),
        k_values=tuple(range(10)),
        seeds=seeds,
        **changes,
    )


@dataclass
class Scenario:
    name: str
    design: StudyDesign
    phases: bool = True  # manifests carry the phase list
    # the xfer_mmmlu false-positive rate is a claim of the method in this scenario
    null_claimed: bool = True
    # the truth of the slope is the planted one (random orders: what adding tasks does in
    # general), not the slope of these runs' expected scores
    general_truth: bool = False
    extra: Callable[[ScalingAnalysis, list[SimulatedRun], dict], None] | None = None


def _ols_slope(k: np.ndarray, y: np.ndarray) -> float:
    kc = k - k.mean()
    return float(kc @ (y - y.mean()) / (kc @ kc))


def truth(analysis: ScalingAnalysis, runs: list[SimulatedRun], benchmark: str,
          languages: tuple[str, ...]) -> tuple[float, np.ndarray]:  # fmt: skip
    """The slope of the distinct runs' expected all-language score on k, and the expected
    per-language slopes (the estimands of this study)."""
    by_label = {r.label: r for r in runs}
    distinct = [by_label[r.label] for r in analysis.runs if r.duplicate_of is None]
    k = np.array([r.k for r in distinct], dtype=float)
    per_lang = np.array([[r.expected[(benchmark, lang)] for lang in languages] for r in distinct])
    slopes = np.array([_ols_slope(k, per_lang[:, j]) for j in range(len(languages))])
    return _ols_slope(k, per_lang.mean(axis=1)), slopes


def order_extra(analysis: ScalingAnalysis, runs: list[SimulatedRun], tally: dict) -> None:
    tally["order note shown"] = tally.get("order note shown", 0) + any(
        line.startswith("Task order: every run adds the tasks in one order")
        for line in summary_lines(analysis)
    )
    null = next(t for t in analysis.headline() if t.benchmark == "xfer_mmmlu")
    specific, _ = truth(analysis, runs, "xfer_mmmlu", MMMLU_LANGUAGES)
    tally["no-effect bench: CI covers its order-specific slope"] = tally.get(
        "no-effect bench: CI covers its order-specific slope", 0
    ) + (null.slope_ci[0] <= specific <= null.slope_ci[1])


def task_effect_extra(analysis: ScalingAnalysis, runs: list[SimulatedRun], tally: dict) -> None:
    """Coverage of each task's own effect: the truth is the change in expected score when the
    task is added, the same for every run (no interaction in the simulator)."""
    by_label = {r.label: r for r in runs}
    distinct = [by_label[r.label] for r in analysis.runs if r.duplicate_of is None]
    for benchmark, languages in (("xfer_xnli", XNLI_LANGUAGES), ("xfer_mmmlu", MMMLU_LANGUAGES)):
        effects = [e for e in analysis.task_effects if e["benchmark"] == benchmark]
        if not effects:
            tally["task effects missing"] = tally.get("task effects missing", 0) + 1
            continue
        # recover the true per-task effects by least squares on the expected scores (exact)
        tasks = [e["task"] for e in effects]
        x = np.array([[1.0, r.k] + [float(t in r.tasks) for t in tasks] for r in distinct])
        y = np.array([np.mean([r.expected[(benchmark, lang)] for lang in languages]) for r in distinct])
        coef = np.linalg.lstsq(x[:, [0] + list(range(2, x.shape[1]))], y, rcond=None)[0][1:]
        for e, true in zip(effects, coef, strict=True):
            tally["task CIs"] = tally.get("task CIs", 0) + 1
            tally["task CI covers"] = tally.get("task CI covers", 0) + (e["ci"][0] <= true <= e["ci"][1])


def language_extra(analysis: ScalingAnalysis, runs: list[SimulatedRun], tally: dict) -> None:
    lines = summary_lines(analysis)
    for benchmark, languages in (("xfer_xnli", XNLI_LANGUAGES), ("xfer_mmmlu", MMMLU_LANGUAGES)):
        t = next(t for t in analysis.headline() if t.benchmark == benchmark)
        _, slopes = truth(analysis, runs, benchmark, languages)
        sd = float(np.std(slopes, ddof=1))
        lo, hi = t.language_slope_sd_ci
        tally["spread CI covers"] = tally.get("spread CI covers", 0) + (lo <= sd <= hi)
        tally["spread found"] = tally.get("spread found", 0) + (t.language_heterogeneity_p < 0.05)
        general = benchmark == "xfer_mmmlu"  # mean over languages in general: 0 (planted 0)
        if general:
            g_lo, g_hi = t.slope_ci_languages_in_general
            tally["general CI covers 0 (mmmlu)"] = tally.get("general CI covers 0 (mmmlu)", 0) + (
                g_lo <= 0.0 <= g_hi
            )
        reading = lines[lines.index(next(x for x in lines if x.startswith(benchmark))) + 1]
        hits = [lt for lt in analysis.language_trends
                if lt.benchmark == benchmark and lt.q_value is not None and lt.q_value < 0.05]  # fmt: skip
        silent = "no effect" in reading and hits and "language" not in reading
        tally["'no effect' hiding a language"] = tally.get("'no effect' hiding a language", 0) + bool(silent)


def jump_extra(analysis: ScalingAnalysis, runs: list[SimulatedRun], tally: dict) -> None:
    t = next(t for t in analysis.headline() if t.benchmark == "xfer_xnli")
    v = t.versus_k0
    if t.best_k_claim:
        i = int(np.argmax(v["differences"]))
        tally["claimed diff CI covers 4 pts"] = tally.get("claimed diff CI covers 4 pts", 0) + (
            v["ci_low"][i] <= 0.04 <= v["ci_high"][i]
        )


def scenarios() -> list[Scenario]:
    growing = dict(seed_sd=0.03, seed_lang_sd=0.015, noise_growth=2.0, difficulty=(0.35, 0.65))
    return [
        Scenario("equal variance, 1 seed", design(seeds=1)),
        Scenario("equal variance, 3 seeds", design()),
        Scenario("equal variance, 5 seeds", design(seeds=5)),
        Scenario("seed noise sd ~ k^2, 3 seeds", design(**growing)),
        Scenario("base model per seed (1% items differ)", design(base_eval_jitter=0.01)),
        Scenario("base model per seed, no phase flags", design(base_eval_jitter=0.01), phases=False),
        Scenario("shared order + task effects (sd 0.5 pt)",
                 design(task_effect_sd=0.005, order_per_seed=False),
                 null_claimed=False, extra=order_extra),  # fmt: skip
        Scenario("order per seed + task effects (sd 0.5 pt)",
                 design(task_effect_sd=0.005, order_per_seed=True), general_truth=True,
                 extra=task_effect_extra),  # fmt: skip
        Scenario("language slopes (sd 0.5 pt/task, mean 0)", design(language_slope_sd=0.005, difficulty=(0.3, 0.6)),
                 null_claimed=False, extra=language_extra),  # fmt: skip
        Scenario("jump of 4 pts at k = 1, then flat", design(planted=0.0, jump=0.0),
                 extra=jump_extra),  # fmt: skip
    ]


@dataclass
class Tally:
    studies: int = 0
    runs: int = 0
    covered: int = 0
    found: int = 0
    null_fp: int = 0
    null_best: int = 0
    planted_best: int = 0
    widths: list[float] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def _jump_design(base: StudyDesign) -> StudyDesign:
    """A 4-point jump at k = 1 on xfer_xnli only: simulated as xfer_xnli with the jump and
    xfer_mmmlu drawn from a design without it (same seeds' noise model)."""
    return replace(base, jump=0.04)


def simulate(scenario: Scenario, rng: np.random.Generator) -> list[SimulatedRun]:
    if scenario.name.startswith("jump"):
        jumped = simulate_study(_jump_design(scenario.design), rng)
        flat = simulate_study(scenario.design, rng)
        for a, b in zip(jumped, flat, strict=True):  # xfer_mmmlu from the flat study
            for key in [key for key in a.items if key[0] == "xfer_mmmlu"]:
                a.items[key], a.expected[key] = b.items[key], b.expected[key]
        return jumped
    return simulate_study(scenario.design, rng)


def run(scenario: Scenario, studies: int, permutations: int, rng: np.random.Generator) -> Tally:
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(studies):
            sim = simulate(scenario, rng)
            folder = write_lmeval_study(sim, Path(tmp) / f"s{i}", phases=scenario.phases)
            results = load_runs([folder])
            assign_labels(results)
            analysis = analyze(results, permutations=permutations)
            trends = {t.benchmark: t for t in analysis.headline()}
            planted, null = trends["xfer_xnli"], trends["xfer_mmmlu"]
            true_slope, _ = truth(analysis, sim, "xfer_xnli", XNLI_LANGUAGES)
            if scenario.general_truth:
                true_slope = scenario.design.benchmarks[0].slope
            lo, hi = planted.slope_ci
            tally.studies += 1
            tally.runs = planted.n_runs
            tally.covered += lo <= true_slope <= hi
            tally.widths.append(hi - lo)
            tally.found += planted.p_value < 0.05
            tally.null_fp += null.p_value < 0.05
            tally.null_best += bool(null.best_k_claim)
            tally.planted_best += bool(planted.best_k_claim)
            if scenario.extra is not None:
                scenario.extra(analysis, sim, tally.extra)
    return tally


def _pct(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=200, help="simulated studies per row")
    parser.add_argument("--permutations", type=int, default=999, help="per permutation test")
    parser.add_argument("--rng-seed", type=int, default=20261204)
    parser.add_argument("--only", nargs="*", help="run only scenarios whose name starts so")
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.studies < 10 or args.permutations < 99:
        parser.error("--studies must be >= 10 and --permutations >= 99")
    rng = np.random.default_rng(args.rng_seed)
    chosen = [s for s in scenarios() if not args.only or any(s.name.startswith(o) for o in args.only)]
    rows = []
    started = time.perf_counter()
    load_before = load_1min()
    loads = []
    for scenario in chosen:
        t0 = time.perf_counter()
        r = run(scenario, args.studies, args.permutations, rng)
        loads.append(load_1min())
        n = r.studies
        coverage, fp = r.covered / n, r.null_fp / n
        met = coverage >= 0.93 and r.null_best / n <= 0.07 and (
            fp <= 0.07 or not scenario.null_claimed
        )
        extra = r.extra.copy()
        detail = []
        if "task CIs" in extra:
            detail.append(f"per-task CIs cover the task's effect {_pct(extra['task CI covers'], extra['task CIs'])}")
        for key, value in extra.items():
            if key in ("task CIs", "task CI covers"):
                continue
            denominator = 2 * n if key in ("spread CI covers", "spread found") else n
            if key == "claimed diff CI covers 4 pts":
                denominator = r.planted_best
            detail.append(f"{key} {_pct(value, denominator)}")
        rows.append([
            scenario.name, r.runs, _pct(r.covered, n),
            _pct(r.null_fp, n) + ("" if scenario.null_claimed else " (not claimed)"),
            _pct(r.null_best, n), _pct(r.found, n), _pct(r.planted_best, n),
            f"{100 * float(np.mean(r.widths)):.2f}", "; ".join(detail) or "-",
            "met" if met else "NOT met",
        ])  # fmt: skip
        print(rows[-1], f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    table = markdown_table(
        ["scenario", "distinct runs", "95% CI covers true slope", "no-effect p < 0.05",
         "no-effect 'best k beats k = 0'", "power (planted p < 0.05)", "planted best-k claims",
         "mean CI width (points/task)", "scenario checks", "targets (>= 93%, <= 7%)"],
        rows,
    )  # fmt: skip
    text = (
        f"{args.studies} simulated studies per row, each written as lm-eval results + "
        f"xfer manifests and read through results.load_runs + scaling.analyze; k = 0..9; "
        f"xfer_xnli (planted {100 * PLANTED:.1f} pts/task unless the scenario says) and "
        f"xfer_mmmlu (no effect), 5 languages x {ITEMS} items each; seed noise N(0, 1 pt) per run "
        f"+ N(0, 0.5 pt) per language unless the scenario says; {args.permutations} permutations "
        f"per test; rng seed {args.rng_seed}; {time.perf_counter() - started:.0f} s. Statistics, "
        f"not a timing: load average (1 min) {load_before:.1f} at the start, "
        f"{', '.join(f'{x:.1f}' for x in loads)} after each row (the figures do not depend on "
        "it). 'not claimed': with one shared order the slope answers what adding these tasks in "
        "this order did (the output says so), and with language-specific slopes the truth of "
        "the all-languages slope is the mean over these languages (covered in column 3).\n\n"
        + table
    )
    print(text)
    if not args.no_append:
        os.environ.setdefault("XFER_BENCH_ALLOW_LOAD", "0")
        title = "Scaling analysis calibration, robust methods (simulated studies through load_runs + analyze)"
        print("appended to", append_results(title, text, sections=[]), file=sys.stderr)
    print(machine_facts(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
