"""xfer regress: the 0 / 1 / 2 exit-status contract, tolerances, --update."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from compare_lmeval_writer import Corpus, Reported, write_run

from xfer_tasks.compare import regress
from xfer_tasks.compare.cli_regress import main as regress_main

REAL = Path(__file__).parent / "fixtures" / "lmeval_0_4_13"
LANGS = ("de", "fr", "ru", "zh")


def _results(
    tmp_path: Path, name: str, *, xnli: float = 0.60, bucc: float = 0.80, **kwargs
) -> Path:
    """XNLI in 4 languages as (value, stderr 0.01, n 2000) and a BUCC F1 without stderr."""
    tasks = {f"xfer_xnli_{lang}": {"acc": Reported(xnli, 0.01, 2000)} for lang in LANGS}
    tasks["xfer_bucc_de"] = {
        "f1": Corpus(bucc, 500),
        "precision": Corpus(0.9, 500),
        "threshold": Corpus(1.05, 500),
    }
    return write_run(tmp_path / name, f"ckpt/{name}", tasks, limit=None, **kwargs)


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    path = tmp_path / "ci" / "baseline.json"
    assert regress_main(["--baseline", str(path), "--update", str(_results(tmp_path, "base"))]) == 0
    return path


def test_update_writes_our_baseline_format(baseline: Path, capsys):
    data = json.loads(baseline.read_text())
    assert data["format"] == regress.FORMAT and data["format_version"] == 1
    assert set(data["tasks"]) == {f"xfer_xnli_{lang}" for lang in LANGS} | {"xfer_bucc_de"}
    de = data["tasks"]["xfer_xnli_de"]
    assert (de["n_shot"], de["limit"], de["version"], de["n"]) == (0, None, 1.0, 2000)
    assert de["metrics"]["acc"] == {
        "value": 0.6, "stderr": 0.01, "stderr_source": "lm-eval", "higher_is_better": True,
    }  # fmt: skip
    # BUCC: only the score is tracked (not precision/threshold), and it has no stderr
    assert set(data["tasks"]["xfer_bucc_de"]["metrics"]) == {"f1"}
    assert data["tasks"]["xfer_bucc_de"]["metrics"]["f1"]["stderr"] is None
    avg = data["averages"]["xfer_xnli"]
    assert avg["tasks"] == [f"xfer_xnli_{lang}" for lang in sorted(LANGS)]
    assert avg["metrics"]["acc"]["value"] == pytest.approx(0.6)
    assert avg["metrics"]["acc"]["stderr"] == pytest.approx(math.sqrt(4 * 0.01**2) / 4)
    assert not list(baseline.parent.glob(".*tmp*"))


def test_identical_run_passes(tmp_path, baseline, capsys):
    assert regress_main(["--baseline", str(baseline), str(_results(tmp_path, "same"))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("xfer regress: OK: 0 of 6 tracked metrics regressed")


def test_drop_beyond_tolerance_fails(tmp_path, baseline, capsys):
    # XNLI tolerance: max(0.01, 3 x sqrt(0.01^2 + 0.01^2)) = 0.0424; a 0.05 drop regresses
    run = _results(tmp_path, "worse", xnli=0.55)
    assert regress_main(["--baseline", str(baseline), str(run)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    assert "REGRESSED xfer_xnli_de acc: 0.6000 -> 0.5500 (-0.0500; tolerance 0.0424" in out


def test_drop_within_tolerance_passes_and_improvement_is_reported(tmp_path, baseline, capsys):
    assert regress_main(["--baseline", str(baseline), str(_results(tmp_path, "b", xnli=0.59))]) == 0
    capsys.readouterr()
    assert regress_main(["--baseline", str(baseline), str(_results(tmp_path, "c", bucc=0.9))]) == 0
    assert "improved  xfer_bucc_de f1: 0.8000 -> 0.9000" in capsys.readouterr().out


def test_floor_only_metric_and_cli_tolerances(tmp_path, baseline, capsys):
    # BUCC F1 has no stderr: tolerance is the floor (0.01)
    run = _results(tmp_path, "bucc", bucc=0.785)
    assert regress_main(["--baseline", str(baseline), str(run)]) == 1
    assert "floor 0.0100, no stderr" in capsys.readouterr().out
    assert regress_main(["--baseline", str(baseline), str(run), "--abs-floor", "0.02"]) == 0
    # --z 0 leaves only the floor for XNLI too: a 0.02 drop then regresses
    small = _results(tmp_path, "small", xnli=0.58)
    assert regress_main(["--baseline", str(baseline), str(small)]) == 0
    assert regress_main(["--baseline", str(baseline), str(small), "--z", "0"]) == 1


def test_uniform_small_drop_is_caught_by_the_benchmark_average(tmp_path, baseline, capsys):
    # each language: 0.03 < 0.0424 (within); average: sigma = sqrt(2) x 0.005,
    # tolerance = 3 x 0.00707 = 0.0212 < 0.03 -> the XTREME-style average regressed
    run = _results(tmp_path, "uniform", xnli=0.57)
    assert regress_main(["--baseline", str(baseline), str(run)]) == 1
    out = capsys.readouterr().out
    assert "REGRESSED xfer_xnli AVG acc" in out and "REGRESSED xfer_xnli_de" not in out


def test_per_metric_override_in_the_baseline_survives_update(tmp_path, baseline):
    data = json.loads(baseline.read_text())
    data["tasks"]["xfer_bucc_de"]["metrics"]["f1"]["abs_floor"] = 0.05
    data["tolerance"]["z"] = 2.5
    baseline.write_text(json.dumps(data))
    run = _results(tmp_path, "bucc", bucc=0.77)
    assert regress_main(["--baseline", str(baseline), str(run)]) == 0  # 0.03 < 0.05
    assert regress_main(["--baseline", str(baseline), "--update", str(run)]) == 0
    updated = json.loads(baseline.read_text())
    assert updated["tasks"]["xfer_bucc_de"]["metrics"]["f1"] == {
        "value": 0.77, "stderr": None, "stderr_source": None, "higher_is_better": True,
        "abs_floor": 0.05,
    }  # fmt: skip
    assert updated["tolerance"]["z"] == 2.5


def test_lower_is_better_metric(tmp_path):
    base = write_run(tmp_path / "a", "m", {"t_x": {"loss": Reported(1.0, None, 10)}},
                     higher_is_better={"loss": False})  # fmt: skip
    path = tmp_path / "b.json"
    assert regress_main(["--baseline", str(path), "--update", "--include", "t_*", str(base)]) == 0
    worse = write_run(tmp_path / "c", "m", {"t_x": {"loss": Reported(1.5, None, 10)}},
                      higher_is_better={"loss": False})  # fmt: skip
    better = write_run(tmp_path / "d", "m", {"t_x": {"loss": Reported(0.5, None, 10)}},
                       higher_is_better={"loss": False})  # fmt: skip
    assert regress_main(["--baseline", str(path), str(worse)]) == 1
    assert regress_main(["--baseline", str(path), str(better)]) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"drop_task": "xfer_xnli_fr"},
            "task xfer_xnli_fr is in the baseline but not in the results",
        ),
        ({"n_shot": 5}, "n-shot differs (baseline 0, results 5"),
        ({"limit": 100}, "limit differs (baseline None, results 100"),
        ({"version": 2.0}, "task version differs (baseline 1.0, results 2.0"),
    ],
)
def test_invalid_comparisons_exit_2(tmp_path, baseline, capsys, change, message):
    tasks = {f"xfer_xnli_{lang}": {"acc": Reported(0.6, 0.01, 2000)} for lang in LANGS}
    tasks["xfer_bucc_de"] = {"f1": Corpus(0.8, 500)}
    tasks.pop(change.get("drop_task", ""), None)
    run = write_run(
        tmp_path / "new", "ckpt/new", tasks,
        limit=change.get("limit"), n_shot=change.get("n_shot", 0),
        version=change.get("version", 1.0),
    )  # fmt: skip
    assert regress_main(["--baseline", str(baseline), str(run)]) == 2
    out = capsys.readouterr().out
    assert out.startswith("xfer regress: INVALID") and message in out


def test_missing_metric_exits_2(tmp_path, baseline, capsys):
    tasks = {f"xfer_xnli_{lang}": {"acc": Reported(0.6, 0.01, 2000)} for lang in LANGS}
    tasks["xfer_bucc_de"] = {"precision": Corpus(0.9, 500)}
    run = write_run(tmp_path / "new", "ckpt/new", tasks)
    assert regress_main(["--baseline", str(baseline), str(run)]) == 2
    assert "task xfer_bucc_de: metric f1 missing" in capsys.readouterr().out


def test_bad_inputs_exit_2_with_one_line_naming_the_file(tmp_path, baseline, capsys):
    run = _results(tmp_path, "ok")
    broken = tmp_path / "broken.json"
    broken.write_text("{oops")
    cases = [
        (
            ["--baseline", str(tmp_path / "none.json"), str(run)],
            "none.json: baseline file not found",
        ),
        (["--baseline", str(broken), str(run)], "broken.json: not valid JSON"),
        (["--baseline", str(baseline), str(tmp_path / "gone.json")], "gone.json: file not found"),
        (["--baseline", str(baseline), str(broken)], "broken.json: not valid JSON"),
        (["--baseline", str(run), str(run)], "not an xfer regress baseline"),
    ]
    for argv, message in cases:
        assert regress_main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_update_leaves_the_old_baseline_when_it_cannot_build_a_new_one(tmp_path, baseline):
    before = baseline.read_bytes()
    other = write_run(tmp_path / "x", "m", {"arc_easy": {"acc": [1, 0]}})
    assert regress_main(["--baseline", str(baseline), "--update", str(other)]) == 2
    assert baseline.read_bytes() == before


def test_markdown_report_for_ci_summary(tmp_path, baseline):
    summary = tmp_path / "summary.md"
    run = _results(tmp_path, "worse", xnli=0.5)
    assert regress_main(["--baseline", str(baseline), str(run), "--report", str(summary)]) == 1
    text = summary.read_text()
    assert (
        text.startswith("### xfer regress: FAIL") and "| xfer_xnli_de acc | 0.6000 | 0.5000" in text
    )


def test_real_lmeval_outputs(tmp_path, capsys):
    path = tmp_path / "baseline.json"
    assert regress_main(["--baseline", str(path), "--update", str(REAL / "base")]) == 0
    assert regress_main(["--baseline", str(path), str(REAL / "base")]) == 0
    # xfer_xnli_en drops 0.1875 -> 0.0625; with the default tolerance (16 documents: stderr
    # ~0.1) that is noise, with z = 0 and a 0.05 floor it is a regression
    assert regress_main(["--baseline", str(path), str(REAL / "other")]) == 0
    capsys.readouterr()
    argv = ["--baseline", str(path), str(REAL / "other"), "--z", "0", "--abs-floor", "0.05"]
    assert regress_main(argv) == 1
    out = capsys.readouterr().out
    assert "REGRESSED xfer_xnli_en acc: 0.1875 -> 0.0625" in out


def test_track_false_keeps_an_entry_without_judging_it(tmp_path, baseline, capsys):
    data = json.loads(baseline.read_text())
    data["tasks"]["xfer_bucc_de"]["metrics"]["f1"]["track"] = False
    baseline.write_text(json.dumps(data))
    run = _results(tmp_path, "bucc", bucc=0.5)  # a big drop of an untracked metric
    assert regress_main(["--baseline", str(baseline), str(run)]) == 0
    assert "0 of 5 tracked metrics regressed" in capsys.readouterr().out


def test_help_exits_0():
    assert regress_main(["--help"]) == 0
