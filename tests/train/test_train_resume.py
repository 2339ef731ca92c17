"""Robustness: a run SIGKILLed mid-training resumes to the same weights as an uninterrupted run.

CPU, deterministic (fixed seed, no dataloader workers, one thread). The killed run is stopped
as soon as its first Trainer checkpoint is marked complete; the restart must pick it up,
finish, and end with weights equal (torch.equal) to a run that was never interrupted.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from train_helpers import load_weights, run_cli, subprocess_env, tiny_config, write_config
from train_official_files import write_multinli_jsonl
from xfer_tasks.train.checkpoint_io import CHECKPOINT_MARKER, is_complete


def _config(tmp_path: Path, tiny_lm: Path, batching: str) -> Path:
    # about 12 steps, a checkpoint every 3; the batch sampler must resume exactly too
    batch = 4 if batching == "group_by_length" else 1  # packed: a batch is one row of ~3 examples
    data = tiny_config(tiny_lm, ["mnli"], total=48, batch=batch, save_steps=3, batching=batching)
    data["data_dir"] = str(tmp_path / "data")
    return write_config(tmp_path / "run.yaml", data)


@pytest.mark.slow
@pytest.mark.parametrize("batching", ["group_by_length", "packed"])
def test_sigkill_then_restart_matches_uninterrupted_run(tmp_path, tiny_lm, batching):
    write_multinli_jsonl(tmp_path / "data", n=60)
    config = _config(tmp_path, tiny_lm, batching)
    env = subprocess_env()

    reference = tmp_path / "reference"
    done = run_cli(["train", "--config", str(config), "--output-dir", str(reference)], env)
    assert done.returncode == 0, done.stderr[-3000:]

    out = tmp_path / "resumed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "xfer_tasks.cli", "train", "--config", str(config), "--output-dir", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    trainer_dir = tmp_path / "resumed.work" / "phase-0-intermediate" / "trainer"
    deadline = time.time() + 150
    try:
        while time.time() < deadline and proc.poll() is None:
            if list(trainer_dir.glob(f"checkpoint-*/{CHECKPOINT_MARKER}")):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed; make it longer"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not out.exists(), "a killed run must not leave a folder that looks like a checkpoint"
    assert list(trainer_dir.glob("checkpoint-*")), "the killed run saved no Trainer checkpoint"

    again = run_cli(["train", "--config", str(config), "--output-dir", str(out)], env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert is_complete(out) and not (tmp_path / "resumed.work").exists()

    import json

    metrics = json.loads((out / "xfer_manifest.json").read_text())["phases"][0]["metrics"]
    assert metrics["resumed_from"] and metrics["resumed_from"].startswith("checkpoint-")
    # the manifest's training metrics are the whole run's, not the resumed steps' only
    uninterrupted = json.loads((reference / "xfer_manifest.json").read_text())["phases"][0]["metrics"]
    assert metrics["train_loss"] == pytest.approx(uninterrupted["train_loss"], rel=1e-9)
    for key in ("global_step", "num_input_tokens_seen"):
        assert metrics[key] == uninterrupted[key], key

    def losses(m):  # the logged losses (timings differ between runs, of course)
        return [(h["step"], h["loss"], h.get("grad_norm")) for h in m["log_history"]]

    assert losses(metrics) == losses(uninterrupted)
    expected, got = load_weights(reference), load_weights(out)
    assert expected.keys() == got.keys()
    different = [name for name in expected if not torch.equal(expected[name], got[name])]
    assert not different, f"weights differ after resume: {different[:5]}"
