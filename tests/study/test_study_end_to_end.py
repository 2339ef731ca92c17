"""`xfer study` end to end on a tiny study: inline, killed mid-way and rerun; submitit-local;
a failing job retried then reported. Real training (tiny LM) and real `lm_eval` subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from helpers import subprocess_env
from study_helpers import write_tiny_study

from xfer_tasks.study.cli import main

POINTS = ["k00-seed0", "k01-seed0", "k02-seed0"]


def _start(config, out):
    command = [sys.executable, "-m", "xfer_tasks.cli", "study", "--config", str(config), "--output-dir", str(out)]
    return subprocess.Popen(
        command, env=subprocess_env(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _kill_when(process, path, timeout=600):
    """SIGKILL the study (its whole process group) as soon as ``path`` exists."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"the study ended before {path} appeared: {process.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _identity(path):
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


@pytest.mark.slow
def test_inline_study_killed_twice_finishes_without_redoing_points(tmp_path, tiny_lm, capsys):
    config = write_tiny_study(tmp_path, tiny_lm, [0, 1, 2])
    out = tmp_path / "out"
    assert main(["--config", str(config), "--output-dir", str(out), "--dry-run"]) == 0
    assert "train: 3 todo" in capsys.readouterr().out

    # 1. killed during training, once k01 is published
    _kill_when(_start(config, out), out / "checkpoints/tiny/k01-seed0/COMPLETE")
    trained = {p: _identity(out / "checkpoints/tiny" / p / "COMPLETE") for p in POINTS[:2]}
    assert main(["--config", str(config), "--output-dir", str(out), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "train     tiny  k00-seed0  done" in plan and "train     tiny  k01-seed0  done" in plan

    # 2. killed during evaluation, once k00's results are published
    _kill_when(_start(config, out), out / "results/tiny/k00-seed0/xfer_eval.json")
    evaluated = _identity(out / "results/tiny/k00-seed0/xfer_eval.json")
    assert main(["--config", str(config), "--output-dir", str(out), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "train: 3 done" in plan and "evaluate  tiny  k00-seed0  done" in plan

    # 3. runs to the end, redoing nothing that was finished
    assert main(["--config", str(config), "--output-dir", str(out)]) == 0
    log = capsys.readouterr()
    assert "train: 3 of 3 done, 0 to run" in log.err
    assert "evaluate tiny k00-seed0" not in log.err and "train tiny" not in log.err
    assert {p: _identity(out / "checkpoints/tiny" / p / "COMPLETE") for p in POINTS[:2]} == trained
    assert _identity(out / "results/tiny/k00-seed0/xfer_eval.json") == evaluated
    for point in POINTS:
        assert list((out / "results/tiny" / point).glob("*/results_*.json"))
        assert list((out / "results/tiny" / point).glob("*/samples_xfer_xnli_en_*.jsonl"))
    assert not list((out / "results/tiny").glob("*.partial")) and not (out / "work/train/tiny/k02-seed0").exists()
    assert (out / "report/tiny/report.html").is_file() and (out / "report/index.html").is_file()
    assert "Report:" in log.out
    sweep = json.loads((out / "checkpoints/tiny/sweep.json").read_text())
    assert [p["name"] for p in sweep["points"]] == POINTS
    assert main(["--config", str(config), "--output-dir", str(out), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "train: 3 done" in plan and "evaluate: 3 done" in plan and "analysis: 1 done" in plan


@pytest.mark.slow
def test_submitit_local_study_then_rerun_submits_nothing(tmp_path, tiny_lm, capsys):
    config = write_tiny_study(tmp_path, tiny_lm, [0, 1], local={"max_parallel": 2, "timeout_min": 20})
    out = tmp_path / "out"
    args = ["--config", str(config), "--output-dir", str(out), "--launcher", "submitit-local"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err.count("submitted as submitit-local job") == 4  # 2 trainings + 2 evaluations
    for point in ("k00-seed0", "k01-seed0"):
        for stage in ("train", "evaluate"):
            record = json.loads((out / "work/jobs" / f"{stage}-tiny-{point}.json").read_text())
            assert (out / "logs" / stage / f"{record['job_id']}_0_result.pkl").is_file()
        assert list((out / "results/tiny" / point).glob("*/results_*.json"))
    assert (out / "report/tiny/report.html").is_file()
    logs = sorted((out / "logs").rglob("*"))
    assert main(args) == 0
    assert "submitted" not in capsys.readouterr().err and sorted((out / "logs").rglob("*")) == logs


@pytest.mark.slow
def test_failing_job_is_retried_then_reported(tmp_path, tiny_lm, capsys):
    config = write_tiny_study(tmp_path, tiny_lm, [0], max_retries=1)
    data = yaml.safe_load(config.read_text())
    data["evaluation"]["tasks"] = ["xfer_no_such_task"]
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["--config", str(config), "--output-dir", str(out), "--launcher", "submitit-local"]) == 1
    err = capsys.readouterr().err
    assert "evaluate tiny k00-seed0: job failed" in err and "resubmitting" in err
    assert err.strip().splitlines()[-1].startswith("xfer study: 1 evaluate job(s) failed after retries: tiny k00-seed0")
    assert (out / "checkpoints/tiny/k00-seed0/COMPLETE").is_file()
    assert not (out / "results/tiny/k00-seed0").exists() and not (out / "report").exists()
