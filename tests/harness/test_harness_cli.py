"""The documented command line: ``lm_eval --model hf ... --include_path "$(xfer tasks-path)"``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import subprocess_env

from xfer_tasks.paths import tasks_path

pytest.importorskip("lm_eval")


def _lm_eval(args, env):
    return subprocess.run(
        [sys.executable, "-m", "lm_eval", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _long_number_lists(value) -> list:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _long_number_lists(v)]
    if isinstance(value, list):
        if len(value) > 3 and all(isinstance(v, (int, float)) for v in value):
            return [value]
        return [x for v in value for x in _long_number_lists(v)]
    return []


@pytest.mark.slow  # one lm_eval process start (model load included)
def test_cli_tatoeba_and_bucc_with_metadata_and_sample_log(
    tmp_path, tiny_model, shared_data, bucc_root
):
    include = subprocess.run(
        [sys.executable, "-m", "xfer_tasks.cli", "tasks-path"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert include == str(tasks_path())
    data = tmp_path / "data"
    data.mkdir()
    (data / "tatoeba").symlink_to(shared_data / "tatoeba")
    (data / "bucc2018").symlink_to(bucc_root / "bucc2018")
    out = tmp_path / "out"
    proc = _lm_eval(
        [
            "--model",
            "hf",
            "--model_args",
            f"pretrained={tiny_model},dtype=float32",
            "--include_path",
            include,
            "--tasks",
            "xfer_tatoeba_deu,xfer_bucc_de",
            "--metadata",
            json.dumps({"embed_layer": -2, "embed_pooling": "mean", "embed_max_length": 64}),
            "--device",
            "cpu",
            "--batch_size",
            "auto",
            "--limit",
            "40",
            "--log_samples",
            "--output_path",
            str(out),
        ],
        subprocess_env(XFER_DATA_DIR=str(data)),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NOT comparable" in proc.stderr
    (results_file,) = out.glob("*/results_*.json")
    results = json.loads(results_file.read_text())
    for task, metrics in (
        ("xfer_tatoeba_deu", ("acc_en2xx", "acc_xx2en", "f1_xx2en")),
        ("xfer_bucc_de", ("f1", "precision", "recall", "threshold")),
    ):
        config = results["configs"][task]
        assert (config["embed_layer"], config["embed_pooling"], config["embed_max_length"]) == (
            -2,
            "mean",
            64,
        )
        for metric in metrics:
            assert isinstance(results["results"][task][f"{metric},none"], float)
    samples = [
        json.loads(line)
        for f in out.glob("*/samples_*.jsonl")
        for line in f.read_text().splitlines()
    ]
    assert len(samples) == 80
    assert _long_number_lists(samples) == []
    assert samples[0]["resps"][0] == ["<embedding dim=64 layer=1 pooling=mean>"]


@pytest.mark.slow  # one lm_eval process start (model load included)
def test_cli_missing_data_is_one_clear_error_and_writes_nothing(tmp_path, tiny_model):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    proc = _lm_eval(
        [
            "--model",
            "hf",
            "--model_args",
            f"pretrained={tiny_model}",
            "--include_path",
            str(tasks_path()),
            "--tasks",
            "xfer_tatoeba_deu",
            "--device",
            "cpu",
            "--output_path",
            str(out),
        ],
        subprocess_env(XFER_DATA_DIR=str(empty)),
    )
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    expected = (
        "tatoeba deu-eng: data not found; Hub id 'mteb/tatoeba-bitext-mining' could not be used"
    )
    assert last.startswith(f"xfer: {expected}"), last  # one line (xfer_tasks.errors), no traceback
    assert f"local path tried: {empty / 'tatoeba'}" in last
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_missing_bucc_files_fail_when_the_task_loads(tmp_path):
    """BUCC never falls back to the Hub copy (no sample/training ids there): one clear error."""
    from lm_eval.tasks import TaskManager

    from xfer_tasks.data import DataMissingError

    manager = TaskManager(
        include_path=str(tasks_path()), include_defaults=False, metadata={"data_dir": str(tmp_path)}
    )
    with pytest.raises(DataMissingError) as err:
        manager.load(["xfer_bucc_fr"])
    message = str(err.value)
    assert message.startswith("bucc2018 fr-en: data not found; Hub id 'mteb/bucc-bitext-mining'")
    assert "the Hub copy has neither" in message and str(tmp_path / "bucc2018") in message
    assert "\n" not in message

    (tmp_path / "bucc2018").mkdir()  # folder present, files absent: the missing file is named
    with pytest.raises(DataMissingError, match=r"fr-en\.sample\.fr"):
        manager.load(["xfer_bucc_fr"])
