"""Outputs of xfer compare: table formats, the HTML report with its plots, the scaling curve."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

import pytest
from compare_lmeval_writer import write_manifest, write_run

from xfer_tasks.compare import compare_runs, table
from xfer_tasks.compare.cli_compare import main as compare_main
from xfer_tasks.compare.report import FOREST_PNG, HEATMAP_PNG, SCALING_PNG, write_report
from xfer_tasks.compare.results import assign_labels, load_runs
from xfer_tasks.compare.scaling import analyze

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# (k, seed) -> per-document XNLI accuracy for de (Germanic), fr (Romance), zh (Sino-Tibetan)
SWEEP = {
    (0, 1): {"de": 10, "fr": 12, "zh": 6},
    (0, 2): {"de": 12, "fr": 12, "zh": 8},
    (1, 1): {"de": 13, "fr": 14, "zh": 8},
    (1, 2): {"de": 15, "fr": 13, "zh": 9},
    (3, 1): {"de": 16, "fr": 17, "zh": 10},
    (3, 2): {"de": 18, "fr": 15, "zh": 10},
    (3, 3): {"de": 17, "fr": 16, "zh": 13},
}
N_DOCS = 20
POOL = ["mnli", "squad", "hellaswag"]


def _sweep(tmp_path: Path) -> list[Path]:
    paths = []
    for (k, seed), correct in SWEEP.items():
        checkpoint = tmp_path / "ckpts" / f"k{k}_s{seed}"
        write_manifest(checkpoint, POOL[:k], seed=seed)
        tasks = {
            f"xfer_xnli_{lang}": {"acc": [1.0] * hits + [0.0] * (N_DOCS - hits)}
            for lang, hits in correct.items()
        }
        paths.append(write_run(tmp_path / "out", checkpoint, tasks))
    return paths


def test_scaling_analysis_from_multi_seed_manifests(tmp_path):
    runs = load_runs(_sweep(tmp_path))
    assign_labels(runs)
    analysis = analyze(runs, permutations=999)
    trends = {t.languages: t for t in analysis.trends if t.benchmark == "xfer_xnli"}
    assert set(trends) == {"all", "Germanic", "Romance", "Sino-Tibetan"}
    germanic = trends["Germanic"]
    # k = 0 is the untrained base model: its two evaluations merge into one run (their mean)
    assert germanic.k_values == [0, 1, 3] and germanic.runs_per_k == [1, 2, 3]
    assert germanic.means[0] == pytest.approx((10 + 12) / 2 / N_DOCS)
    assert germanic.means[2] == pytest.approx(statistics.fmean([16, 18, 17]) / N_DOCS)
    everything = trends["all"]
    seed_means = [(13 + 14 + 8) / 60, (15 + 13 + 9) / 60]
    assert everything.means[1] == pytest.approx(statistics.fmean(seed_means))
    assert everything.language_codes == ["de", "fr", "zh"]
    assert everything.n_runs == 6 and everything.n_seeds == 3


def test_html_report_leads_with_the_answer_and_has_all_plots(tmp_path):
    runs = load_runs(_sweep(tmp_path))
    comparison = compare_runs(runs, bootstrap_iters=100)
    written = write_report(comparison, tmp_path / "report", analyze(runs, permutations=999))
    for name in (SCALING_PNG, FOREST_PNG, HEATMAP_PNG):
        assert written[name].read_bytes().startswith(PNG_MAGIC)
        assert written[name].stat().st_size > 5000
    html = written["report.html"].read_text()
    assert html.count("data:image/png;base64,") == 3
    assert f'alt="{SCALING_PNG}"' in html and f'alt="{HEATMAP_PNG}"' in html
    answer = html.index("xfer_xnli acc: ")
    assert "points per added task" in html[answer : answer + 200]
    assert answer < html.index(f'alt="{SCALING_PNG}"') < html.index("<h2>Scores</h2>")
    assert json.loads(written["scaling.json"].read_text())["trends"]
    assert written["summary.md"].read_text().startswith("# How scores change")
    assert "k0_s1" in html and "xfer_xnli" in html
    assert not list((tmp_path / "report").glob(".*tmp*"))  # no leftover temporary files


def test_report_without_manifests_says_there_is_no_scaling_curve(tmp_path):
    a = write_run(tmp_path, "m/a", {"xfer_xnli_de": {"acc": [1, 0, 1]}})
    b = write_run(tmp_path, "m/b", {"xfer_xnli_de": {"acc": [1, 1, 1]}})
    comparison = compare_runs([a, b], bootstrap_iters=100)
    written = write_report(comparison, tmp_path / "report")
    assert SCALING_PNG not in written and HEATMAP_PNG in written
    html = written["report.html"].read_text()
    assert "No scaling curve" in html and html.count("data:image/png;base64,") == 1


def test_table_formats(tmp_path):
    a = write_run(tmp_path, "m/a", {"xfer_xnli_de": {"acc": [1, 0, 1, 0]}})
    b = write_run(tmp_path, "m/b", {"xfer_xnli_de": {"acc": [1, 1, 1, 0]}})
    comparison = compare_runs([a, b], bootstrap_iters=100)
    terminal = table.to_terminal(comparison)
    assert "a (baseline)" in terminal and "0.7500" in terminal and "(+0.2500" in terminal
    markdown = table.to_markdown(comparison)
    assert "| xfer_xnli | de | acc | 0.5000" in markdown and "## Runs" in markdown
    rows = list(csv.DictReader(io.StringIO(table.to_csv(comparison))))
    cand = next(r for r in rows if r["run"] == "b" and r["language"] == "de")
    assert float(cand["delta"]) == pytest.approx(0.25) and cand["test"] == "paired bootstrap"
    data = json.loads(table.to_json(comparison))
    assert data["baseline"] == "a" and len(data["runs"]) == 2
    assert {r["run"] for r in data["rows"]} == {"a", "b"}


def test_cli_compare(tmp_path, capsys):
    a = write_run(tmp_path, "m/a", {"xfer_xnli_de": {"acc": [1, 0, 1, 0]}})
    b = write_run(tmp_path, "m/b", {"xfer_xnli_de": {"acc": [1, 1, 1, 0]}})
    out = tmp_path / "rep"
    assert compare_main([str(a), str(b), "--format", "csv", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("benchmark,language,task,metric,run")
    assert (out / "report.html").is_file() and (out / "comparison.json").is_file()
    assert compare_main([str(a), str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert "missing.json: file not found" in err and err.count("\n") == 1
