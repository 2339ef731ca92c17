"""Missing data: one clear error naming dataset, Hub id and local path, before any inference."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from xfer_tasks.data import DataMissingError
from xfer_tasks.paths import tasks_path

lm_eval = pytest.importorskip("lm_eval")
from lm_eval.api.model import LM  # noqa: E402


def _offline_hub(monkeypatch):
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach the Hub (offline test)")

    monkeypatch.setattr(datasets, "load_dataset", offline)


class NoInferenceLM(LM):
    """Fails the test if lm-eval ever asks it for a score."""

    def loglikelihood(self, requests):
        raise AssertionError("inference started before the data error")

    loglikelihood_rolling = generate_until = loglikelihood


@pytest.mark.parametrize(
    ("task", "dataset", "hub_id", "subdir"),
    [
        ("xfer_xnli_de", "XNLI", "facebook/xnli", "xnli"),
        ("xfer_tydiqa_fi", "TyDiQA-GoldP", "google-research-datasets/tydiqa", "tydiqa_goldp"),
        ("xfer_global_mmlu_yo", "Global-MMLU", "CohereForAI/Global-MMLU", "global_mmlu"),
    ],
)
def test_missing_data_raises_before_inference(monkeypatch, tmp_path, task, dataset, hub_id, subdir):
    from lm_eval.tasks import TaskManager

    _offline_hub(monkeypatch)
    manager = TaskManager(
        include_path=str(tasks_path()), include_defaults=False, metadata={"data_dir": str(tmp_path)}
    )
    with pytest.raises(DataMissingError) as info:
        lm_eval.simple_evaluate(model=NoInferenceLM(), tasks=[task], task_manager=manager, limit=2)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{dataset}: data not found")
    assert repr(hub_id) in message and str(tmp_path / subdir) in message


@pytest.mark.slow
def test_cli_writes_nothing_when_data_is_missing(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        XFER_DATA_DIR=str(tmp_path / "no_data"),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "lm_eval", "--model", "dummy", "--include_path", str(tasks_path()),
         "--tasks", "xfer_xnli_de", "--limit", "2", "--output_path", str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0
    last_line = proc.stderr.strip().splitlines()[-1]
    assert last_line.startswith("xfer: XNLI: data not found")  # one line (xfer_tasks.errors)
    assert "Traceback" not in proc.stderr
    assert "'facebook/xnli'" in last_line and str(tmp_path / "no_data" / "xnli") in last_line
    assert list(out.iterdir()) == []
