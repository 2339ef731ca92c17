"""Per-layer retrieval metrics (``embed_layer: "all"``): layer profiles, not score rows."""

from __future__ import annotations

import json

import pytest
from compare_lmeval_writer import Corpus, write_run

from xfer_tasks.catalog import layer_metric, split_layer_metric
from xfer_tasks.compare import regress, table
from xfer_tasks.compare.cli_compare import main as compare_main
from xfer_tasks.compare.comparison import compare_runs

TATOEBA_METRICS = ("acc_en2xx", "acc_xx2en", "f1_xx2en")
LAYERS = range(12)  # two-digit indexes: L10 must sort after L9


def _value(run: int, language: int, metric: int, layer: int) -> float:
    return round(0.01 * layer + 0.1 * language + 0.001 * metric + 0.2 * run, 6)


def _tatoeba_run(out, name, run, languages, layer_used, per_layer=True):
    tasks, configs = {}, {}
    for li, language in enumerate(languages):
        metrics = {}
        for mi, metric in enumerate(TATOEBA_METRICS):
            metrics[metric] = Corpus(_value(run, li, mi, layer_used), 1000)
            if per_layer:
                for layer in LAYERS:
                    metrics[layer_metric(metric, layer)] = Corpus(_value(run, li, mi, layer), 1000)
        tasks[f"xfer_tatoeba_{language}"] = metrics
        configs[f"xfer_tatoeba_{language}"] = {"embed_layer_used": layer_used}
    return write_run(out / name, f"/models/{name}", tasks, task_configs=configs)


@pytest.fixture()
def results(tmp_path):
    base = _tatoeba_run(tmp_path, "base", 0, ["deu", "fra"], layer_used=11)
    tuned = _tatoeba_run(tmp_path, "tuned", 1, ["deu", "fra", "spa"], layer_used=8)
    single = _tatoeba_run(tmp_path, "single", 2, ["deu", "fra"], 11, per_layer=False)
    return [base, tuned, single]


def test_layer_metric_names_round_trip():
    assert split_layer_metric(layer_metric("acc_en2xx", 14), TATOEBA_METRICS) == ("acc_en2xx", 14)
    assert split_layer_metric("acc_en2xx", TATOEBA_METRICS) == ("acc_en2xx", None)
    assert split_layer_metric("f1_L3", TATOEBA_METRICS) == ("f1_L3", None)  # f1 is not listed
    assert split_layer_metric("acc_en2xx_L1x", TATOEBA_METRICS) == ("acc_en2xx_L1x", None)
    assert split_layer_metric("acc_en2xx_L", TATOEBA_METRICS) == ("acc_en2xx_L", None)


def test_per_layer_metrics_become_profiles_not_rows(results):
    comparison = compare_runs(results, labels=["base", "tuned", "single"])
    assert all("_L" not in row.metric for row in comparison.rows)
    assert {row.metric for row in comparison.rows} >= set(TATOEBA_METRICS)

    profiles = {p.metric: p for p in comparison.layer_profiles}
    assert sorted(profiles) == sorted(TATOEBA_METRICS)
    profile = profiles["acc_en2xx"]
    assert profile.is_headline and not profiles["f1_xx2en"].is_headline
    assert profile.layers == list(LAYERS)
    assert list(profile.values) == ["base", "tuned"]  # the single-layer run has no column
    assert profile.languages == ["deu", "fra"]  # spa: only one run has it, left out of the mean
    for run, label in ((0, "base"), (1, "tuned")):
        expected = [(_value(run, 0, 0, layer) + _value(run, 1, 0, layer)) / 2 for layer in LAYERS]
        assert profile.values[label] == pytest.approx(expected, abs=1e-12)
    assert profile.per_language["tuned"]["spa"][3] == _value(1, 2, 0, 3)
    assert profile.layer_used == {"base": 11, "tuned": 8}
    assert profile.best_layer("base") == 11  # values rise with the layer


def test_terminal_markdown_json_show_the_profiles(results, tmp_path, capsys):
    comparison = compare_runs(results, labels=["base", "tuned", "single"])
    text = table.to_terminal(comparison)
    score_table = text.split("xfer_tatoeba acc_en2xx by hidden layer")[0]
    assert "_L" not in score_table
    section = text.split("xfer_tatoeba acc_en2xx by hidden layer")[1]
    lines = [line.split() for line in section.splitlines()]
    layer_rows = [line for line in lines if line and line[0].isdigit()]
    assert [int(line[0]) for line in layer_rows] == list(LAYERS)  # numeric order
    base_11 = f"{(_value(0, 0, 0, 11) + _value(0, 1, 0, 11)) / 2:.4f}"
    tuned_11 = f"{(_value(1, 0, 0, 11) + _value(1, 1, 0, 11)) / 2:.4f}"
    assert layer_rows[11][1:] == [base_11, "h^", tuned_11, "^"]  # base: used 11 and best
    assert layer_rows[8][-1] == "h" and len(layer_rows[8]) == 4  # tuned used layer 8
    assert "acc_xx2en by hidden layer" not in text  # terminal: headline metric only

    markdown = table.to_markdown(comparison)
    assert "## Per-layer retrieval scores" in markdown and "f1_xx2en by hidden layer" in markdown

    out = tmp_path / "report"
    labels = ["--label", "base", "--label", "tuned", "--label", "single"]
    assert compare_main([*map(str, results), *labels, "--out", str(out)]) == 0
    capsys.readouterr()
    data = json.loads((out / "comparison.json").read_text())
    assert not any("_L" in record["metric"] for record in data["rows"])
    headline = next(p for p in data["layer_profiles"] if p["metric"] == "acc_en2xx")
    assert headline["best_layer"] == {"base": 11, "tuned": 11}
    assert headline["layer_used"] == {"base": 11, "tuned": 8}
    assert "_L" not in (out / "comparison.csv").read_text()
    assert (out / "layer_profiles.png").stat().st_size > 0
    page = (out / "report.html").read_text()
    assert "Per-layer retrieval scores" in page and "layer_profiles.png" in page


def test_regress_never_tracks_per_layer_metrics(results):
    baseline = regress.build_baseline(regress.load_runs([results[0]]), include=("xfer_*",))
    tracked = {m for entry in baseline["tasks"].values() for m in entry["metrics"]}
    assert tracked and not any("_L" in metric for metric in tracked)


def _profiles(tmp_path, runs):
    """``runs``: label -> {task: {metric: value}}, with optional ``configs`` per task."""
    paths = []
    for label, (tasks, configs) in runs.items():
        spec = {t: {m: Corpus(v, 100) for m, v in metrics.items()} for t, metrics in tasks.items()}
        paths.append(write_run(tmp_path / label, f"/models/{label}", spec, task_configs=configs))
    comparison = compare_runs(paths, labels=list(runs))
    return comparison, {(p.benchmark, p.metric): p for p in comparison.layer_profiles}


def _layers(metric, values, headline_layer):
    return {metric: values[headline_layer]} | {
        layer_metric(metric, i): v for i, v in enumerate(values)
    }


def test_models_of_different_depth_share_their_languages(tmp_path):
    small = {f"xfer_tatoeba_{c}": _layers("acc_en2xx", [0.1, 0.2, 0.3], 2) for c in ("deu", "fra")}
    large = {f"xfer_tatoeba_{c}": _layers("acc_en2xx", [0.1, 0.2, 0.3, 0.5, 0.4], 3)
             for c in ("deu", "fra")}  # fmt: skip
    _, profiles = _profiles(tmp_path, {"small": (small, {}), "large": (large, {})})
    profile = profiles[("xfer_tatoeba", "acc_en2xx")]
    assert profile.languages == ["deu", "fra"] and profile.layers == [0, 1, 2, 3, 4]
    assert profile.values["small"][3:] == [None, None]  # no value past its last layer
    assert profile.values["small"][:3] == pytest.approx([0.1, 0.2, 0.3])
    assert profile.values["large"] == pytest.approx([0.1, 0.2, 0.3, 0.5, 0.4])
    assert (profile.best_layer("small"), profile.best_layer("large")) == (2, 3)


def test_ties_go_to_the_lowest_layer_and_a_disagreeing_layer_used_is_unknown(tmp_path):
    tasks = {f"xfer_tatoeba_{c}": _layers("acc_en2xx", [0.2, 0.7, 0.1, 0.7], 1)
             for c in ("deu", "fra")}  # fmt: skip
    configs = {
        "xfer_tatoeba_deu": {"embed_layer_used": 1},
        "xfer_tatoeba_fra": {"embed_layer_used": 3},
    }
    comparison, profiles = _profiles(tmp_path, {"a": (tasks, configs)})
    profile = profiles[("xfer_tatoeba", "acc_en2xx")]
    assert profile.best_layer("a") == 1
    assert profile.layer_used == {"a": None}
    rows = [line.split() for line in table.to_terminal(comparison).splitlines()]
    marks = {r[0]: r[2:] for r in rows if len(r) >= 2 and r[0] in "0123" and len(r[0]) == 1}
    assert marks == {"0": [], "1": ["^"], "2": [], "3": []}  # no "h": the layer is not known


def test_bucc_profiles_only_its_score_metric_and_other_suites_keep_their_rows(tmp_path):
    bucc = {}
    for metric, values in (("f1", [0.5, 0.6]), ("precision", [0.4, 0.9]),
                           ("recall", [0.6, 0.5]), ("threshold", [1.01, 1.05])):  # fmt: skip
        bucc |= _layers(metric, values, 1)
    other = {"acc": 0.5, "acc_L3": 0.75}  # not an xfer task: "_L3" is just a metric name
    comparison, profiles = _profiles(
        tmp_path, {"a": ({"xfer_bucc_de": bucc, "xfer_bucc_fr": bucc, "other_task": other}, {})}
    )
    assert list(profiles) == [("xfer_bucc", "f1")]
    assert profiles[("xfer_bucc", "f1")].values["a"] == pytest.approx([0.5, 0.6])
    metrics = {(row.benchmark, row.metric) for row in comparison.rows}
    assert not any(m.startswith(("f1_L", "precision_L", "threshold_L")) for _, m in metrics)
    assert ("other_task", "acc_L3") in metrics


def test_scaling_never_sees_per_layer_metrics(results):
    from xfer_tasks.compare.results import load_runs
    from xfer_tasks.compare.scaling import study_runs

    runs = load_runs(results[:1])
    runs[0].label, runs[0].manifest = "base", {"k": 0, "seed": 0}
    _, scores, _ = study_runs(runs)
    assert scores["base"] and not any("_L" in metric for _, _, metric in scores["base"])
