"""benchmarks/gpu_check.py: it refuses to run without CUDA, and ``--dry-run`` runs every check's
code path on CPU (toy sizes) without appending to RESULTS.md."""

from __future__ import annotations

import pytest


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
