"""The product's promise: ONE offline ``lm_eval`` call scores every XTREME family plus English MMLU.

Real data from ``../shared/data`` where it exists (XNLI dev, TyDiQA-GoldP dev, Tatoeba, the
hendrycks MMLU CSVs); small files in the official schemas for the rest (BUCC 2018, MMMLU).
``--limit 8`` keeps it quick (BUCC interleaves its four sides, so it needs at least 4); the check is that every task and language of ``xfer_xtreme`` and
``xfer_mmlu`` ends up in a single results JSON with its metrics.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import subprocess_env, write_bucc

from xfer_tasks.catalog import BUCC, MMMLU, TATOEBA, TYDIQA, XNLI
from xfer_tasks.data.release_files import write_mmmlu_csv
from xfer_tasks.paths import tasks_path

REAL = ("xnli", "tydiqa_goldp", "tatoeba", "mmlu")
EXPECTED_METRICS = [
    (XNLI, {"acc,none"}),
    (TYDIQA, {"f1,none", "exact_match,none", "f1_mlqa,none", "exact_match_mlqa,none"}),
    (BUCC, {"f1,none", "precision,none", "recall,none", "threshold,none"}),
    (TATOEBA, {"acc_en2xx,none", "acc_xx2en,none", "f1_xx2en,none"}),
    (MMMLU, {"acc,none"}),
]


@pytest.fixture(scope="module")
def data_root(shared_data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("xtreme_data")
    for name in REAL:
        (root / name).symlink_to(shared_data / name, target_is_directory=True)
    for lang in BUCC.languages:
        write_bucc(root / "bucc2018", lang, n_src=12, n_trg=14, n_gold=5)
    for i, locale in enumerate(MMMLU.languages):
        rows = [
            {"Question": f"Question {i}.{q}?", "A": "one", "B": "two", "C": "three", "D": "four",
             "Answer": "ABCD"[(i + q) % 4], "Subject": "virology"}
            for q in range(3)
        ]  # fmt: skip
        write_mmmlu_csv(root / "mmmlu", locale, rows)
    return root


@pytest.mark.slow
def test_xtreme_and_english_mmlu_in_one_call(data_root, tmp_path):
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    model = build_tiny_causal_lm(tmp_path / "tiny")
    out = tmp_path / "results"
    command = [
        "lm_eval", "--model", "hf", "--model_args", f"pretrained={model}", "--device", "cpu",
        "--include_path", str(tasks_path()), "--tasks", "xfer_xtreme,xfer_mmlu",
        "--metadata", json.dumps({"xnli_split": "validation"}),
        "--limit", "8", "--batch_size", "16", "--output_path", str(out),
        # the tiny LM's context is 512 tokens; TyDiQA's default max_gen_toks is 809
        "--gen_kwargs", "max_gen_toks=16",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=subprocess_env(XFER_DATA_DIR=str(data_root)), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (results_file,) = out.glob("**/results_*.json")
    results = json.loads(results_file.read_text())["results"]

    for benchmark, metrics in EXPECTED_METRICS:
        for task in benchmark.task_names():
            assert task in results, f"{task} missing from the single results file"
            missing = metrics - set(results[task])
            assert not missing, f"{task}: metrics {missing} missing"
            for metric in metrics:
                assert isinstance(results[task][metric], float), (task, metric)
        group = results[benchmark.name]
        # the group's score is the unweighted mean over its languages (XTREME convention)
        metric = sorted(metrics)[0]
        mean = sum(results[t][metric] for t in benchmark.task_names()) / len(benchmark.languages)
        assert group[metric] == pytest.approx(mean), benchmark.name
    assert "xfer_mmlu_en" in results and isinstance(results["xfer_mmlu_en"]["acc,none"], float)
    assert "xfer_xtreme" in results
