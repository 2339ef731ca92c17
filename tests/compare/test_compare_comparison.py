"""compare_runs on hand-made results: known deltas, averages, significance, estimator choice."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from compare_lmeval_writer import Corpus, Reported, write_run

from xfer_tasks.compare import compare_runs, stats
from xfer_tasks.compare.comparison import BINOMIAL, LMEVAL, SAMPLES_BOOTSTRAP
from xfer_tasks.compare.results import ResultsError

REAL = Path(__file__).parent / "fixtures" / "lmeval_0_4_13"


def _two_runs(tmp_path: Path) -> tuple[Path, Path]:
    # XNLI de: 100 docs, the candidate fixes 30 of the baseline's errors and breaks none.
    base_de = [1.0] * 50 + [0.0] * 50
    cand_de = [1.0] * 80 + [0.0] * 20
    # XNLI fr: identical predictions. Tatoeba: corpus metric (opaque samples).
    fr = [1.0, 0.0] * 40
    base = write_run(
        tmp_path,
        "ckpt/base",
        {
            "xfer_xnli_de": {"acc": base_de},
            "xfer_xnli_fr": {"acc": fr},
            "xfer_tatoeba_deu": {"acc_en2xx": Corpus(0.60, 1000)},
            "xfer_tydiqa_fi": {"f1": [0.5, 0.7, 0.9, 0.3], "exact_match": [0, 1, 1, 0]},
        },
    )
    cand = write_run(
        tmp_path,
        "ckpt/cand",
        {
            "xfer_xnli_de": {"acc": cand_de},
            "xfer_xnli_fr": {"acc": fr},
            "xfer_tatoeba_deu": {"acc_en2xx": Corpus(0.66, 1000)},
            "xfer_tydiqa_fi": {"f1": [0.6, 0.7, 0.9, 0.4], "exact_match": [0, 1, 1, 1]},
        },
    )
    return base, cand


def test_known_deltas_and_xtreme_averages(tmp_path):
    comparison = compare_runs(list(_two_runs(tmp_path)), bootstrap_iters=500)
    assert comparison.baseline == "base" and comparison.labels == ["base", "cand"]
    de = comparison.row("xfer_xnli", "de", "acc")
    assert de.cells["base"].value == pytest.approx(0.5)
    assert de.cells["cand"].test.delta == pytest.approx(0.3)
    assert de.cells["base"].test is None  # the baseline is not compared with itself
    avg = comparison.row("xfer_xnli", "AVG", "acc")
    assert avg.cells["base"].value == pytest.approx((0.5 + 0.5) / 2)
    assert avg.cells["cand"].value == pytest.approx((0.8 + 0.5) / 2)
    assert avg.cells["cand"].test.delta == pytest.approx(0.15)
    tydiqa = comparison.row("xfer_tydiqa", "fi", "f1")
    assert tydiqa.cells["cand"].test.delta == pytest.approx(0.05)
    tatoeba = comparison.row("xfer_tatoeba", "deu", "acc_en2xx")
    assert tatoeba.cells["cand"].test.delta == pytest.approx(0.06)
    # XTREME score as XTREME's evaluate.py: mean over its tasks present of avg_metric
    # (XNLI acc over de, fr; Tatoeba acc_en2xx over deu; TyDiQA-GoldP (EM + F1) / 2 over fi).
    # base:  XNLI 0.5,  Tatoeba 0.60, TyDiQA (EM 2/4 + F1 2.4/4) / 2 = (0.50 + 0.60) / 2 = 0.55
    # cand:  XNLI 0.65, Tatoeba 0.66, TyDiQA (EM 3/4 + F1 2.6/4) / 2 = (0.75 + 0.65) / 2 = 0.70
    overall = comparison.row("xfer_xtreme", "AVG", "score")
    assert overall.cells["base"].value == pytest.approx((0.5 + 0.60 + 0.55) / 3)
    assert overall.cells["cand"].value == pytest.approx((0.65 + 0.66 + 0.70) / 3)
    assert overall.cells["cand"].test.delta == pytest.approx((0.15 + 0.06 + 0.15) / 3)
    assert any("present (xnli, tydiqa, tatoeba; missing: pawsx" in n for n in comparison.notes)


def test_significance_on_a_known_case(tmp_path):
    comparison = compare_runs(list(_two_runs(tmp_path)), bootstrap_iters=999, seed=7)
    de = comparison.row("xfer_xnli", "de", "acc").cells["cand"].test
    # every bootstrap resample of d (30 ones, 70 zeros) has mean > 0: none is as far from
    # 0.3 as 0.3 is from 0, except with probability ~0.7^100 -> p = 1 / (B + 1)
    assert de.method == stats.PAIRED_BOOTSTRAP
    assert de.p_value == pytest.approx(1 / 1000)
    assert de.significant(0.05)
    assert de.ci_low > 0.15 and de.ci_high < 0.45
    fr = comparison.row("xfer_xnli", "fr", "acc").cells["cand"].test
    assert fr.method == stats.PAIRED_BOOTSTRAP
    assert (fr.delta, fr.p_value) == (0.0, 1.0) and not fr.significant(0.05)


def test_stderr_sources_and_fallback_to_the_normal_test(tmp_path):
    comparison = compare_runs(list(_two_runs(tmp_path)), bootstrap_iters=200)
    de = comparison.row("xfer_xnli", "de", "acc").cells["base"]
    assert de.stderr_source == LMEVAL
    tatoeba = comparison.row("xfer_tatoeba", "deu", "acc_en2xx")
    base, cand = tatoeba.cells["base"], tatoeba.cells["cand"]
    # corpus-level retrieval accuracy: lm-eval says N/A, samples are opaque -> binomial
    assert base.stderr_source == BINOMIAL
    assert base.stderr == pytest.approx(math.sqrt(0.6 * 0.4 / 1000))
    test = cand.test
    assert test.method == stats.NORMAL_APPROX
    se = math.sqrt(0.6 * 0.4 / 1000 + 0.66 * 0.34 / 1000)
    assert test.stderr == pytest.approx(se)
    assert test.p_value == pytest.approx(math.erfc(0.06 / se / math.sqrt(2)))


def test_bootstrap_stderr_from_samples_when_lmeval_has_none(tmp_path):
    path = write_run(tmp_path, "m", {"xfer_tydiqa_fi": {"f1": [0.2, 0.4, 0.9, 1.0]}})
    text = path.read_text().replace('"f1_stderr,none": 0.', '"f1_stderr,none": "N/A", "x": 0.')
    path.write_text(text)
    comparison = compare_runs([path], bootstrap_iters=4000)
    cell = comparison.row("xfer_tydiqa", "fi", "f1").cells["m"]
    assert cell.stderr_source == SAMPLES_BOOTSTRAP
    values = [0.2, 0.4, 0.9, 1.0]
    mean = sum(values) / 4
    closed = math.sqrt(sum((v - mean) ** 2 for v in values) / 4 / 4)
    assert cell.stderr == pytest.approx(closed, rel=0.06)


def test_without_samples_the_normal_test_is_used(tmp_path):
    base = write_run(tmp_path, "a", {"xfer_xnli_de": {"acc": Reported(0.50, 0.03, 300)}})
    cand = write_run(tmp_path, "b", {"xfer_xnli_de": {"acc": Reported(0.56, 0.04, 300)}})
    test = compare_runs([base, cand]).row("xfer_xnli", "de", "acc").cells["b"].test
    assert test.method == stats.NORMAL_APPROX
    assert test.p_value == pytest.approx(math.erfc(1.2 / math.sqrt(2)))


def test_different_documents_are_not_paired(tmp_path):
    base = write_run(tmp_path, "a", {"xfer_xnli_de": {"acc": [1, 0, 1, 0]}}, doc_text="v1")
    cand = write_run(tmp_path, "b", {"xfer_xnli_de": {"acc": [1, 1, 1, 0]}}, doc_text="v2")
    test = compare_runs([base, cand]).row("xfer_xnli", "de", "acc").cells["b"].test
    assert test.method == stats.NORMAL_APPROX  # doc hashes differ: same ids, other documents


def test_baseline_choice_labels_and_missing_languages(tmp_path):
    a = write_run(tmp_path, "a", {"xfer_xnli_de": {"acc": [1, 0]}, "xfer_xnli_fr": {"acc": [1, 1]}})
    b = write_run(tmp_path, "b", {"xfer_xnli_de": {"acc": [1, 1]}})
    comparison = compare_runs([a, b], baseline="second", labels=["first", "second"])
    assert comparison.baseline == "second"
    assert comparison.row("xfer_xnli", "de", "acc").cells["first"].test.delta == pytest.approx(-0.5)
    # XTREME-style average over the languages every run has (de only), and a note says so
    avg = comparison.row("xfer_xnli", "AVG", "acc")
    assert avg.cells["first"].value == pytest.approx(0.5)
    assert any("left out fr" in note for note in comparison.notes)
    assert compare_runs([a, b], baseline=1).baseline == "b"
    with pytest.raises(ResultsError, match="baseline 'zzz'"):
        compare_runs([a, b], baseline="zzz")
    with pytest.raises(ResultsError, match="2 results files"):
        compare_runs([a, b], labels=["only-one"])


def test_real_lmeval_outputs_compare_with_paired_bootstrap():
    comparison = compare_runs([REAL / "base", REAL / "other"], bootstrap_iters=300)
    de = comparison.row("xfer_xnli", "de", "acc").cells["other"].test
    assert de.delta == pytest.approx(0.4375 - 0.3125)
    assert de.method == stats.PAIRED_BOOTSTRAP and de.n == 16
    tatoeba = comparison.row("xfer_tatoeba", "deu", "acc_en2xx").cells["other"]
    assert tatoeba.test.method == stats.NORMAL_APPROX and tatoeba.stderr_source == BINOMIAL
    assert any("no xfer_manifest.json" in note for note in comparison.notes)


def test_q_values_stars_and_mcnemar_flips(tmp_path):
    from scipy.stats import binomtest, false_discovery_control

    comparison = compare_runs(list(_two_runs(tmp_path)), bootstrap_iters=999, seed=7)
    cells = [
        row.cells["cand"] for row in comparison.rows
        if not row.is_average and row.cells.get("cand") and row.cells["cand"].test
    ]  # fmt: skip
    expected = false_discovery_control([c.test.p_value for c in cells], method="bh")
    assert [c.q_value for c in cells] == pytest.approx(expected.tolist())
    de = comparison.row("xfer_xnli", "de", "acc").cells["cand"]
    # the candidate fixes 30 of the baseline's errors and breaks none
    assert (de.mcnemar.right_to_wrong, de.mcnemar.wrong_to_right) == (0, 30)
    assert de.mcnemar.p_value == pytest.approx(binomtest(30, 30, 0.5).pvalue)
    assert de.starred(0.05)
    f1 = comparison.row("xfer_tydiqa", "fi", "f1").cells["cand"]
    assert f1.mcnemar is None  # F1 is not binary per question
    record = next(r for r in comparison.records() if r["run"] == "cand" and r["language"] == "de")
    assert record["q_value"] == de.q_value and record["wrong_to_right"] == 30


def test_runs_with_other_n_shot_are_flagged_not_comparable(tmp_path):
    a = write_run(tmp_path, "m/a", {"xfer_xnli_de": {"acc": [0.0] * 50 + [1.0] * 50},
                                    "xfer_xnli_fr": {"acc": [0.0] * 50 + [1.0] * 50}})  # fmt: skip
    b = write_run(tmp_path, "m/b", {"xfer_xnli_de": {"acc": [1.0] * 100},
                                    "xfer_xnli_fr": {"acc": [1.0] * 100}},
                  n_shot={"xfer_xnli_de": 5, "xfer_xnli_fr": 0})  # fmt: skip
    comparison = compare_runs([a, b], bootstrap_iters=200)
    de = comparison.row("xfer_xnli", "de", "acc").cells["b"]
    assert de.test is None and not de.starred(0.05)
    assert de.incomparable == "n-shot 5 vs 0 (baseline)"
    fr = comparison.row("xfer_xnli", "fr", "acc").cells["b"]
    assert fr.incomparable is None and fr.starred(0.05)
    avg = comparison.row("xfer_xnli", "AVG", "acc").cells["b"]
    assert avg.test is None and avg.incomparable is not None
    assert any("not comparable with the baseline" in n for n in comparison.notes)
    from xfer_tasks.compare import table

    assert "(not comparable: n-shot 5 vs 0 (baseline))" in table.to_terminal(comparison)
    c = write_run(tmp_path, "m/c", {"xfer_xnli_de": {"acc": [1.0] * 100}}, limit=0.5)
    limited = compare_runs([a, c], bootstrap_iters=200).row("xfer_xnli", "de", "acc").cells["c"]
    assert limited.incomparable == "limit 0.5 vs None (baseline)"
