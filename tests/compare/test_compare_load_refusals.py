"""Impossible numbers are refused where results are loaded (issue 16, item 3): NaN, infinity,
negative stderrs, fractions outside [0, 1]; ``xfer regress`` never passes or writes a NaN; numeric
options refuse NaN, infinity and negatives."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from compare_lmeval_writer import Corpus, Reported, write_manifest, write_run

from xfer_tasks.compare import regress
from xfer_tasks.compare.cli_compare import main as compare_main
from xfer_tasks.compare.cli_regress import main as regress_main
from xfer_tasks.compare.cli_scaling import main as scaling_main
from xfer_tasks.compare.naming import metric_range
from xfer_tasks.compare.results import ResultsError, load_results

LANGS = ("de", "fr")


def _edit(path: Path, change) -> Path:
    """Apply ``change`` to the parsed results JSON and write it back (NaN as lm-eval's
    json.dump would write it: a bare ``NaN`` token)."""
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def _xnli_run(tmp_path: Path, name: str = "run", value: float = 0.6) -> Path:
    tasks = {f"xfer_xnli_{lang}": {"acc": Reported(value, 0.01, 2000)} for lang in LANGS}
    return write_run(tmp_path / name, f"ckpt/{name}", tasks)


def _set(task: str, key: str, value):
    def change(data):
        data["results"][task][key] = value

    return change


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("acc,none", 31.25, "score 31.25 is outside [0, 1] (a percentage?"),
        ("acc,none", math.nan, "score is nan; expected a finite number"),
        ("acc,none", math.inf, "score is inf; expected a finite number"),
        ("acc,none", -0.1, "score -0.1 is outside [0, 1]"),
        ("acc_stderr,none", -0.01, "stderr is -0.01; expected a finite number >= 0"),
        ("acc_stderr,none", math.nan, "stderr is nan"),
        ("acc_stderr,none", math.inf, "stderr is inf"),
        ("acc_stderr,none", 0.8, "stderr 0.8 is above 0.5"),
    ],
)
def test_impossible_score_or_stderr_is_one_line_naming_file_task_and_metric(
    tmp_path, key, value, message
):
    path = _edit(_xnli_run(tmp_path), _set("xfer_xnli_de", key, value))
    with pytest.raises(ResultsError) as info:
        load_results(path)
    text = str(info.value)
    assert text.startswith(f"{path}: task xfer_xnli_de metric acc: ") and message in text, text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["n-samples"]["xfer_xnli_de"].update(effective=-5), "effective is -5"),
        (lambda d: d["n-samples"]["xfer_xnli_de"].update(original=2.5), "original is 2.5"),
        (lambda d: d["n-shot"].update(xfer_xnli_de=-1), "n-shot.xfer_xnli_de is -1"),
        (lambda d: d["n-samples"]["xfer_xnli_de"].update(effective=5000, original=2490),
         "effective 5000 is more than original 2490"),
        (lambda d: d["config"].update(limit=math.nan), "config.limit is nan"),
        (lambda d: d["config"].update(limit=-3), "config.limit is -3.0"),
    ],
)
def test_impossible_counts_are_refused(tmp_path, change, message):
    path = _edit(_xnli_run(tmp_path), change)
    with pytest.raises(ResultsError) as info:
        load_results(path)
    assert str(path) in str(info.value) and message in str(info.value), str(info.value)


def test_metrics_without_a_fraction_range_keep_their_own_scale(tmp_path):
    """Other suites' perplexity, BLEU and squadv2's 0-100 F1, BUCC's margin threshold and a
    negative MCC are possible; only NaN/inf and negative stderrs are refused for them."""
    path = write_run(
        tmp_path,
        "m",
        {
            "wikitext": {"word_perplexity": Reported(23.4, None, 60)},
            "squadv2": {"f1": Reported(85.2, None, 100), "exact": Reported(80.0, None, 100)},
            "wmt16": {"bleu": Reported(31.25, 1.2, 100)},
            "cola": {"mcc": Reported(-0.3, 0.05, 100)},
            "scrolls_quality": {"em": Reported(35.0, 1.0, 100)},  # lm-eval's SCROLLS: em x 100
            "xfer_bucc_de": {"f1": Corpus(0.8, 50), "threshold": Corpus(1.05, 50)},
        },
    )
    run = load_results(path)
    assert run.tasks["squadv2"].metrics["f1"].value == 85.2
    assert run.tasks["xfer_bucc_de"].metrics["threshold"].value == 1.05
    assert run.tasks["wmt16"].metrics["bleu"].stderr == 1.2
    assert run.tasks["scrolls_quality"].metrics["em"].value == 35.0
    bad = _edit(path, _set("wikitext", "word_perplexity,none", math.inf))
    with pytest.raises(ResultsError, match="task wikitext metric word_perplexity: score is inf"):
        load_results(bad)
    _edit(path, _set("wikitext", "word_perplexity,none", 23.4))
    _edit(path, _set("cola", "mcc,none", -1.5))
    with pytest.raises(ResultsError, match=r"metric mcc: score -1.5 is outside \[-1, 1\]"):
        load_results(path)


def test_metric_ranges_come_from_the_catalog():
    assert metric_range("xfer_xnli", "acc") == (0.0, 1.0)
    assert metric_range("xfer_tatoeba", "acc_en2xx_L7") == (0.0, 1.0)  # a per-layer value
    assert metric_range("xfer_bucc", "precision") == (0.0, 1.0)
    assert metric_range("xfer_bucc", "threshold") is None
    assert metric_range("squadv2", "f1") is None
    assert metric_range("arc_easy", "acc_norm") == (0.0, 1.0)


def test_samples_file_with_an_impossible_per_document_value_is_refused(tmp_path):
    path = write_run(tmp_path, "m", {"xfer_xnli_de": {"acc": [1, 0, 1, 1]}})
    samples = next(path.parent.glob("samples_xfer_xnli_de_*.jsonl"))
    lines = samples.read_text().splitlines()
    record = json.loads(lines[2])
    record["acc"] = 100.0
    lines[2] = json.dumps(record)
    samples.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsError, match="doc_id 2 has value 100.0; expected a number in"):
        load_results(path).per_sample_values("xfer_xnli_de", "acc")
    record["acc"], record["doc_id"] = 1.0, "two"
    lines[2] = json.dumps(record)
    samples.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsError, match=r":3: doc_id is 'two'; expected an integer"):
        load_results(path).per_sample_values("xfer_xnli_de", "acc")


def test_manifest_k_that_is_not_the_number_of_tasks_is_refused(tmp_path):
    ckpt = tmp_path / "ckpt"
    write_manifest(ckpt, ["mnli", "squad"], seed=0)
    manifest = ckpt / "xfer_manifest.json"
    data = json.loads(manifest.read_text())
    data["k"] = 5
    manifest.write_text(json.dumps(data))
    path = write_run(tmp_path / "out", ckpt, {"xfer_xnli_de": {"acc": Reported(0.6, 0.01, 10)}})
    with pytest.raises(ResultsError, match="k is 5 but the manifest lists 2 intermediate task"):
        load_results(path)


# --------------------------------------------------------------------------- the commands


def test_compare_and_scaling_refuse_a_percentage_with_one_line(tmp_path, capsys):
    good = _xnli_run(tmp_path, "a")
    bad = _edit(_xnli_run(tmp_path, "b"), _set("xfer_xnli_fr", "acc,none", 31.25))
    for main, name in ((compare_main, "compare"), (scaling_main, "scaling")):
        assert main([str(good), str(bad)]) == 2
        out = capsys.readouterr()
        assert out.out == ""
        assert out.err == (
            f"xfer {name}: {bad}: task xfer_xnli_fr metric acc: score 31.25 is outside [0, 1] "
            "(a percentage? xfer's scores are fractions)\n"
        )


def test_regress_refuses_a_nan_result_instead_of_passing_it(tmp_path, capsys):
    baseline = tmp_path / "baseline.json"
    assert regress_main(["--baseline", str(baseline), "--update", str(_xnli_run(tmp_path))]) == 0
    nan_run = _edit(_xnli_run(tmp_path, "nan"), _set("xfer_xnli_de", "acc,none", math.nan))
    capsys.readouterr()
    assert regress_main(["--baseline", str(baseline), str(nan_run)]) == 2
    err = capsys.readouterr().err
    assert "task xfer_xnli_de metric acc: score is nan" in err and err.count("\n") == 1
    # --update from it writes nothing: the old baseline is kept byte for byte
    before = baseline.read_bytes()
    assert regress_main(["--baseline", str(baseline), "--update", str(nan_run)]) == 2
    assert baseline.read_bytes() == before


def test_regress_never_judges_a_non_finite_check(tmp_path):
    """The last guard, for numbers that reach the check without being loaded from a file."""
    path = _xnli_run(tmp_path)
    runs = regress.load_runs([path])
    baseline = regress.build_baseline(runs)
    runs["xfer_xnli_de"].tasks["xfer_xnli_de"].metrics["acc"].value = math.nan
    report = regress.check_against_baseline(baseline, runs)
    assert report.exit_code == regress.EXIT_INVALID
    assert any("xfer_xnli_de acc: a non-finite number" in p for p in report.invalid)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("tasks", "xfer_xnli_de", "metrics", "acc", "value"), math.nan, "score is nan"),
        (("tasks", "xfer_xnli_de", "metrics", "acc", "value"), 60.0, "score 60.0 is outside"),
        (("tasks", "xfer_xnli_de", "metrics", "acc", "stderr"), -0.01, "stderr is -0.01"),
        (("tasks", "xfer_xnli_de", "metrics", "acc", "abs_floor"), math.nan, "abs_floor is nan"),
        (("tasks", "xfer_xnli_de", "metrics", "acc", "track"), "no", "track is 'no'"),
        (("tasks", "xfer_xnli_de", "n"), -1, "tasks.xfer_xnli_de.n is -1"),
        (("tolerance", "z"), math.inf, "tolerance.z is inf"),
        (("averages", "xfer_xnli", "metrics", "acc", "value"), math.inf, "score is inf"),
    ],
)
def test_regress_refuses_an_impossible_baseline(tmp_path, capsys, where, value, message):
    baseline = tmp_path / "baseline.json"
    run = _xnli_run(tmp_path)
    assert regress_main(["--baseline", str(baseline), "--update", str(run)]) == 0
    data = json.loads(baseline.read_text())
    node = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    baseline.write_text(json.dumps(data))
    capsys.readouterr()
    assert regress_main(["--baseline", str(baseline), str(run)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"xfer regress: {baseline}: ") and message in err, err
    assert err.count("\n") == 1


def test_a_baseline_with_nan_is_never_written(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text("old\n")
    baseline = {"format": regress.FORMAT, "tasks": {"t": {"metrics": {"acc": {"value": math.nan}}}}}
    with pytest.raises(regress.BaselineError, match="NaN or infinite number"):
        regress.write_baseline_atomic(baseline, path)
    assert path.read_text() == "old\n" and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    "option",
    [
        ["--abs-floor", "nan"], ["--abs-floor", "-0.01"], ["--abs-floor", "inf"],
        ["--z", "inf"], ["--z", "nan"], ["--z", "-1"],
        ["--bootstrap-iters", "0"], ["--seed", "-1"],
    ],
)  # fmt: skip
def test_regress_numeric_options_refuse_nan_inf_and_negatives(tmp_path, capsys, option):
    run = _xnli_run(tmp_path)
    assert regress_main(["--baseline", str(tmp_path / "b.json"), str(run), *option]) == 2
    err = capsys.readouterr().err
    assert f"argument {option[0]}" in err and "expected" in err, err


@pytest.mark.parametrize(
    ("main", "option"),
    [
        (compare_main, ["--alpha", "nan"]), (compare_main, ["--alpha", "1"]),
        (compare_main, ["--bootstrap-iters", "0"]), (compare_main, ["--seed", "-3"]),
        (scaling_main, ["--permutations", "10"]), (scaling_main, ["--seed", "-1"]),
    ],
)  # fmt: skip
def test_compare_and_scaling_numeric_options_are_argparse_errors(tmp_path, capsys, main, option):
    """An exit status, not SystemExit: ``xfer study`` calls these mains as functions."""
    run = _xnli_run(tmp_path)
    assert main([str(run), *option]) == 2
    assert f"argument {option[0]}" in capsys.readouterr().err
