"""The benchmarks a study depends on run their code paths here: ``gpu_check.py --dry-run`` on
CPU (toy sizes), and the real-size benchmark's harness data folder in the releases' layouts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


def test_gpu_check_refuses_without_cuda(capsys):
    import gpu_check
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the refusal path does not apply")
    assert gpu_check.main(["--only", "bucc"]) == 1
    assert "no CUDA device" in capsys.readouterr().err


@pytest.mark.slow
def test_gpu_check_dry_run_runs_every_check_and_appends_nothing(tmp_path, monkeypatch, capsys):
    import gpu_check

    results = tmp_path / "RESULTS.md"
    monkeypatch.setenv("XFER_BENCH_RESULTS", str(results))
    assert gpu_check.main(["--dry-run"]) == 0
    table = capsys.readouterr().out
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0] for row in rows[1:]] == [
        "| training, packed, fp32 toy", "| embedding, all-MiniLM-L6-v2", "| BUCC mining, exact"
    ]
    assert all(row.count("|") == 5 for row in rows)  # no stray pipes inside cells
    assert "tokens/s" in rows[1] and "sentences/s" in rows[2] and "F1 " in rows[3]
    assert "DRY RUN" in table and not results.exists()


def test_real_size_harness_data_is_in_release_layouts(tmp_path, shared_data, monkeypatch):
    import bench_real_size

    from xfer_tasks.catalog import BUCC, MMMLU
    from xfer_tasks.data.bucc import load_bucc_split

    monkeypatch.setenv("XFER_SHARED_DATA", str(shared_data))
    root = bench_real_size.harness_data(tmp_path / "data")
    assert (root / "xnli").resolve() == (shared_data / "xnli").resolve()
    for lang in BUCC.languages:
        for split in ("sample", "training"):
            src_ids, src_texts, trg_ids, _, gold = load_bucc_split(root / "bucc2018", lang, split)
            assert len(gold) == 10 and len(src_ids) == 20 and len(trg_ids) == 30 and all(src_texts)
    assert len(list((root / "mmmlu" / "test").glob("mmlu_*.csv"))) == len(MMMLU.languages)
