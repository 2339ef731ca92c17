"""The scaling analysis: contract of scaling.json, the sentences, hand-checked numbers, and a
small calibration on simulated studies where the planted slope is known."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from compare_lmeval_writer import write_manifest, write_run

from xfer_tasks.cli import main as xfer_main
from xfer_tasks.compare import scaling
from xfer_tasks.compare.simulate import BenchmarkTruth, StudyDesign, score_table, simulate_study

TREND_KEYS = {
    "benchmark", "metric", "languages", "k_values", "means", "ci_low", "ci_high",
    "slope_per_task", "slope_ci", "slope_per_doubling", "slope_per_doubling_ci", "p_value",
    "n_runs", "n_seeds", "best_k", "p_best_beats_k0",
}  # fmt: skip
SENTENCE = re.compile(
    r"^xfer_xnli acc: [+-]\d+\.\d\d points per added task \(95% CI [+-]\d+\.\d\d to "
    r"[+-]\d+\.\d\d; p (=|<) [0-9.e-]+; \d+ runs, \d+ seeds?\)$"
)


def _write_study(root: Path, design: StudyDesign, seed: int = 0) -> Path:
    """A simulated study in lm-eval's output layout with xfer manifests; returns the folder."""
    for run in simulate_study(design, np.random.default_rng(seed)):
        checkpoint = root / "ckpts" / run.label
        write_manifest(checkpoint, [f"task{i}" for i in range(run.k)], run.seed)
        tasks = {f"{b}_{lang}": {"acc": list(v)} for (b, lang), v in run.items.items()}
        write_run(root / "results" / run.label, checkpoint, tasks)
    return root / "results"


DESIGN = StudyDesign(
    benchmarks=(
        BenchmarkTruth("xfer_xnli", 0.01, languages=("en", "de", "sw"), items=100),
        BenchmarkTruth("xfer_mmmlu", 0.0, languages=("de_de", "sw_ke"), items=100),
    ),
    k_values=(0, 1, 2, 3),
    seeds=2,
)


def test_cli_writes_the_contract_and_leads_with_one_sentence_per_benchmark(tmp_path, capsys):
    results = _write_study(tmp_path, DESIGN)
    out = tmp_path / "scaling"
    assert xfer_main(["scaling", str(results), "--out", str(out), "--permutations", "999"]) == 0
    printed = capsys.readouterr().out.splitlines()
    # 100 items x 2-3 languages x 7 runs cannot show 0.6-point slopes: smoke scale, said first
    assert printed[0].startswith("SMOKE SCALE (xfer_mmmlu: 100 items per language x 2 languages")
    assert printed[1].startswith("xfer_mmmlu acc: ") and SENTENCE.match(printed[3]), printed[:4]
    data = json.loads((out / "scaling.json").read_text())
    assert {"runs", "trends", "transfer_gap", "xtreme_score"} <= set(data)
    assert len(data["runs"]) == 8 and {r["label"] for r in data["runs"]} >= {"k00-seed0"}
    for entry in data["trends"]:
        assert TREND_KEYS <= set(entry)
    groups = {(t["benchmark"], t["languages"]) for t in data["trends"]}
    assert {("xfer_xnli", "all"), ("xfer_xnli", "en"), ("xfer_xnli", "non-en")} <= groups
    assert ("xfer_xnli", "Niger-Congo") in groups and ("xfer_mmmlu", "all") in groups
    # k = 0 is the base model, evaluated once per seed: one run, not two
    xnli = next(t for t in data["trends"] if t["benchmark"] == "xfer_xnli" and t["languages"] == "all")
    assert xnli["n_runs"] == 7 and xnli["runs_per_k"] == [1, 2, 2, 2] and xnli["n_seeds"] == 2
    assert [r["duplicate_of"] for r in data["runs"] if r["label"] == "k00-seed1"] == ["k00-seed0"]
    assert data["xtreme_score"]["k00-seed0"]["tasks"] == ["xnli"]
    assert "mmmlu" not in json.dumps(data["xtreme_score"])
    for name in ("summary.md", "scaling_curve.png", "slope_forest.png"):
        assert (out / name).stat().st_size > 0


def test_transfer_gap_and_group_means_by_hand(tmp_path):
    runs = [
        scaling.StudyRun(f"r{i}", k, s, None, "", None)
        for i, (k, s) in enumerate([(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)])
    ]
    en = [0.80, 0.82, 0.84, 0.86, 0.85]
    de = [0.60, 0.63, 0.62, 0.66, 0.65]
    sw = [0.40, 0.42, 0.41, 0.45, 0.46]
    table = {
        r.label: {("xfer_xnli", "en", "acc"): a, ("xfer_xnli", "de", "acc"): b,
                  ("xfer_xnli", "sw", "acc"): c}
        for r, a, b, c in zip(runs, en, de, sw, strict=True)
    }  # fmt: skip
    analysis = scaling.analyze_table(runs, table, permutations=999)
    gap = analysis.transfer_gap[0]
    by_run = [a - (b + c) / 2 for a, b, c in zip(en, de, sw, strict=True)]
    assert gap.means == pytest.approx([by_run[0], np.mean(by_run[1:3]), np.mean(by_run[3:])])
    slope = np.polyfit([0, 1, 1, 2, 2], by_run, 1)[0]
    assert gap.slope_per_task == pytest.approx(slope)
    non_en = next(t for t in analysis.trends if t.languages == "non-en")
    assert non_en.means[0] == pytest.approx((0.60 + 0.40) / 2)


def _two_runs_with_tydiqa(tmp_path: Path) -> Path:
    checkpoint = tmp_path / "ck" / "k1"
    write_manifest(checkpoint, ["mnli"], seed=0)
    base = tmp_path / "ck" / "k0"
    write_manifest(base, [], seed=0)
    for ck, f1, em in ((base, [0.5, 0.7], [0, 1]), (checkpoint, [0.9, 0.7], [1, 1])):
        write_run(tmp_path / "res" / ck.name, ck, {
            "xfer_tydiqa_fi": {"f1": f1, "exact_match": em},
            "xfer_xnli_de": {"acc": [1, 0, 1, 1]},
            "xfer_mmmlu_de_de": {"acc": [0, 0, 0, 1]},
        })  # fmt: skip
    return tmp_path / "res"


def test_xtreme_score_equals_hand_computation(tmp_path, capsys):
    results = _two_runs_with_tydiqa(tmp_path)
    assert xfer_main(["scaling", str(results), "--format", "json", "--permutations", "99"]) == 0
    data = json.loads(capsys.readouterr().out)
    # k0: XNLI 0.75; TyDiQA (EM 0.5 + F1 0.6) / 2 = 0.55 -> (0.75 + 0.55) / 2 = 0.65
    # k1: XNLI 0.75; TyDiQA (EM 1.0 + F1 0.8) / 2 = 0.90 -> (0.75 + 0.90) / 2 = 0.825
    assert data["xtreme_score"]["k0"]["score"] == pytest.approx(0.65)
    assert data["xtreme_score"]["k1"]["score"] == pytest.approx(0.825)
    assert data["xtreme_score"]["k1"]["tasks"] == ["xnli", "tydiqa"]
    assert "pawsx" in data["xtreme_score"]["k1"]["missing"]


def test_one_seed_says_training_variance_is_not_estimated(tmp_path, capsys):
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, items=50),), seeds=1,
                         k_values=(0, 1, 2, 3))  # fmt: skip
    assert xfer_main(["scaling", str(_write_study(tmp_path, design)), "--permutations", "99"]) == 0
    out = capsys.readouterr().out
    assert "1 seed)" in out and "training-seed variance is not estimated separately" in out


def test_refuses_runs_without_two_k_values(tmp_path, capsys):
    a = write_run(tmp_path, "m/a", {"xfer_xnli_de": {"acc": [1, 0, 1]}})
    assert xfer_main(["scaling", str(a)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xfer scaling: need runs with at least two distinct k") and err.count("\n") == 1


def test_small_calibration_on_simulated_studies():
    """40 simulated studies (k = 0..9, 3 seeds): the 95% slope CI covers the planted slope and
    the no-effect benchmark is rarely significant. The full 200-study table is the benchmark
    benchmarks/bench_scaling_calibration.py. Bounds sit ~3.5 binomial standard deviations from
    the nominal 95% / 5% (sd 3.4 points at 40 studies)."""
    design = StudyDesign(
        benchmarks=(BenchmarkTruth("xfer_xnli", 0.005, languages=("de", "sw"), items=300),
                    BenchmarkTruth("xfer_mmmlu", 0.0, languages=("de_de", "sw_ke"), items=300)),
    )  # fmt: skip
    rng = np.random.default_rng(2026)
    covered = false_positive = 0
    studies = 40
    for _ in range(studies):
        runs, table = score_table(simulate_study(design, rng))
        analysis = scaling.analyze_table(runs, table, permutations=199)
        trends = {t.benchmark: t for t in analysis.headline()}
        lo, hi = trends["xfer_xnli"].slope_ci
        covered += lo <= 0.005 <= hi
        false_positive += trends["xfer_mmmlu"].p_value < 0.05
    assert covered / studies >= 0.82
    assert false_positive / studies <= 0.175


def test_out_onto_a_file_is_one_line_before_any_output(tmp_path, capsys):
    results = _write_study(tmp_path, StudyDesign(
        benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, items=20),), k_values=(0, 1, 2), seeds=1))
    target = tmp_path / "taken.txt"
    target.write_text("x")
    assert xfer_main(["scaling", str(results), "--out", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "is a file" in captured.err


def test_smoke_scale_reports_a_large_planted_effect_as_a_pilot_result(tmp_path, capsys):
    # 40 items per language and a planted slope of 5 points per task: the study is smoke scale
    # (item noise hides 0.6-point slopes) but the CI excludes 0, so the effect is not denied
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.05, items=40),),
                         k_values=(0, 1, 2, 3), seeds=2, difficulty=(0.1, 0.2))  # fmt: skip
    assert xfer_main(["scaling", str(_write_study(tmp_path, design)), "--permutations", "999"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("SMOKE SCALE (xfer_xnli: 40 items per language x 5 languages x 7 runs")
    assert "no effect" not in lines[0]
    assert lines[2].startswith("  pilot scale: the score rises with more tasks (the 95% CI excludes 0)")


def test_smoke_scale_without_an_effect_says_nothing_is_detectable(tmp_path, capsys):
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, items=40),),
                         k_values=(0, 1, 2, 3), seeds=2)  # fmt: skip
    assert xfer_main(["scaling", str(_write_study(tmp_path, design)), "--permutations", "999"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("SMOKE SCALE") and "rises" not in "\n".join(lines)
    assert lines[2].startswith("  smoke scale: nothing is detectable at this size (the 95% CI is ±")


def test_a_large_study_is_not_smoke_scale_the_rule_counts_items_languages_and_runs():
    runs = [scaling.StudyRun(f"r{k}-{s}", k, s, None, "", None, items={"xfer_xnli": 200})
            for k in range(10) for s in range(3)]  # fmt: skip
    # 200 items x 15 languages x 30 runs: item noise hides only slopes under ~0.2 points
    assert scaling._smoke_reason("xfer_xnli", [f"l{i}" for i in range(15)], runs, None) is None
    reason = scaling._smoke_reason("xfer_xnli", ["de"], runs[:6], None)
    assert reason.startswith("xfer_xnli: 200 items per language x 1 languages x 6 runs")


def test_limit_makes_a_study_smoke_scale(tmp_path):
    runs = []
    for k in (0, 1, 2):
        checkpoint = tmp_path / "ck" / f"k{k}"
        write_manifest(checkpoint, [f"t{i}" for i in range(k)], seed=0)
        write_run(tmp_path / "res" / f"k{k}", checkpoint,
                  {"xfer_xnli_de": {"acc": [1.0] * (100 + k) + [0.0] * 100}}, limit=200)  # fmt: skip
    from xfer_tasks.compare.results import assign_labels, load_runs

    runs = load_runs([tmp_path / "res"])
    assign_labels(runs)
    analysis = scaling.analyze(runs, permutations=99)
    assert analysis.smoke_scale == "scored with lm-eval's --limit 200: a subset of every test set"
    assert scaling.summary_lines(analysis)[0].startswith("SMOKE SCALE (scored with lm-eval's --limit")


def test_trained_checkpoints_with_identical_scores_stay_separate_runs(tmp_path):
    """Only one checkpoint evaluated twice counts once (the untrained base model at k = 0);
    two trained seeds that happen to score the same on a tiny test set are two runs."""
    from xfer_tasks.compare.results import assign_labels, load_runs

    for k in (0, 1):
        for seed in (0, 1):
            checkpoint = tmp_path / "ck" / f"k{k}-s{seed}"
            write_manifest(checkpoint, ["mnli"][:k], seed=seed)
            write_run(tmp_path / "res" / checkpoint.name, checkpoint,
                      {"xfer_xnli_de": {"acc": [1.0, 0.0, 1.0 if k else 0.0]}})  # fmt: skip
    runs = load_runs([tmp_path / "res"])
    assign_labels(runs)
    analysis = scaling.analyze(runs, permutations=99)
    duplicates = {r.label: r.duplicate_of for r in analysis.runs}
    assert duplicates == {"k0-s0": None, "k0-s1": "k0-s0", "k1-s0": None, "k1-s1": None}
    assert analysis.headline()[0].n_runs == 3 and analysis.headline()[0].n_seeds == 2


def test_smoke_scale_uses_the_harmonic_mean_of_the_languages_item_counts():
    """Tatoeba's 36 XTREME languages: 1000 pairs for most, 205 for the smallest. The score is the
    unweighted mean over languages, whose item noise is set by the harmonic mean of the counts
    (here ~730), not by the smallest language: with k = 0 once and k = 3 for three seeds the
    item-only detectable slope is ~0.33 points per task, under the expected 0.6."""
    languages = [f"l{i:02d}" for i in range(36)]
    counts = {lang: 1000 for lang in languages} | {"l00": 205, "l01": 234, "l02": 307, "l03": 390}
    runs = [scaling.StudyRun(f"k{k}-{s}", k, s, None, "", None, items={"xfer_tatoeba": 205},
                             language_items={"xfer_tatoeba": dict(counts)})
            for k, s in ((0, 0), (3, 0), (3, 1), (3, 2))]  # fmt: skip
    assert scaling._smoke_reason("xfer_tatoeba", languages, runs, None) is None
    for run in runs:  # without per-language counts only the fewest is known: conservative
        run.language_items = {}
    reason = scaling._smoke_reason("xfer_tatoeba", languages, runs, None)
    assert reason.startswith("xfer_tatoeba: 205 items per language x 36 languages x 4 runs")
