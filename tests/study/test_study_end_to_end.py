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
    # the answer is printed once (compare's own table with the same sentences used to precede it)
    summary = (out / "report/tiny/summary.md").read_text(encoding="utf-8").splitlines()
    first_sentence = next(line[2:] for line in summary if line.startswith("- "))
    assert log.out.count(first_sentence) == 1, log.out
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
    data["evaluation"]["extra_args"] = ["--no_such_lm_eval_option"]  # passes the preflight, lm_eval refuses it
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["--config", str(config), "--output-dir", str(out), "--launcher", "submitit-local"]) == 1
    err = capsys.readouterr().err
    assert "evaluate tiny k00-seed0: job failed" in err and "resubmitting" in err
    assert err.strip().splitlines()[-1].startswith("xfer study: 1 evaluate job(s) failed after retries: tiny k00-seed0")
    assert (out / "checkpoints/tiny/k00-seed0/COMPLETE").is_file()
    assert not (out / "results/tiny/k00-seed0").exists() and not (out / "report").exists()


def _lm_eval_pid(lock, process, timeout=300):
    """The lm_eval pid the driver wrote into the unit's lock file once it started it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the study ended before lm_eval started: {process.stderr.read()[-2000:]}"
        text = lock.read_text() if lock.is_file() else ""
        if "lm_eval pid" in text:
            return int(text.split("lm_eval pid")[1].strip(" )\n"))
        time.sleep(0.1)
    raise AssertionError(f"no lm_eval started ({lock})")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = open(f"/proc/{pid}/status").read() if os.path.exists(f"/proc/{pid}/status") else ""
    return "State:\tZ" not in status


@pytest.mark.slow
def test_driver_sigkilled_during_evaluation_takes_lm_eval_with_it(tmp_path, tiny_lm, capsys):
    """Issue 16: SIGKILL of the study driver (only the driver, not its process group) while
    lm_eval runs: the lm_eval child dies with it, the rerun clears the partial folder and the
    point ends with exactly one results file."""
    config = write_tiny_study(tmp_path, tiny_lm, [0])
    out = tmp_path / "out"
    driver = _start(config, out)
    try:
        child = _lm_eval_pid(out / "work/locks/evaluate-tiny-k00-seed0.lock", driver)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 30
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(child), "lm_eval outlived the study driver that started it"
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # what a killed run may leave: a results file in the partial folder (lm_eval writes it
    # before its samples); it must not end up beside the new run's
    stale = out / "results/tiny/k00-seed0.partial/model/results_2026-01-01T00-00-00.json"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("{}")
    assert main(["--config", str(config), "--output-dir", str(out)]) == 0
    err = capsys.readouterr().err
    assert "clearing" in err and "interrupted evaluation" in err
    results = list((out / "results/tiny/k00-seed0").glob("**/results_*.json"))
    assert len(results) == 1, results
    assert not (out / "results/tiny/k00-seed0.partial").exists()


def test_a_running_evaluation_keeps_the_lock_after_its_driver_dies(tmp_path):
    """The lm_eval child inherits the unit's locked file: a rerun sees the point as taken
    while either process lives (here the child ignores the death signal, as a child on a
    system without PR_SET_PDEATHSIG would), and learns the child's pid."""
    lock = tmp_path / "evaluate-m-k00-seed0.lock"
    ready = tmp_path / "child-ignores-sigterm"  # the child is past its SIG_IGN: killing the driver is safe
    child_code = (
        "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    script = (
        "import sys, signal\n"
        "from pathlib import Path\n"
        "from xfer_tasks.study.stages import run_owned, unit_lock\n"
        f"with unit_lock(Path({str(lock)!r})) as handle:\n"
        f"    run_owned([sys.executable, '-c', {child_code!r}], {{}}, handle)\n"
    )
    driver = subprocess.Popen([sys.executable, "-c", script], env=subprocess_env(), start_new_session=True)
    try:
        # wait until the child has installed SIG_IGN: killed earlier, the driver's death signal
        # would end the child before it ignores it (seen on a loaded CI machine)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            ready.exists() and "lm_eval pid" in (lock.read_text() if lock.is_file() else "")
        ):  # the driver writes the child's pid after Popen returns; the child may be first
            time.sleep(0.05)
        assert ready.exists() and "lm_eval pid" in lock.read_text(), "the child never started"
        child = int(lock.read_text().split("lm_eval pid")[1].strip(" )\n"))
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        from xfer_tasks.study.stages import lock_holder

        assert _alive(child)
        assert f"lm_eval pid {child}" in (lock_holder(lock) or "")
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while lock_holder(lock) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock_holder(lock) is None
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _probe_lock(path, stop):
    from xfer_tasks.study.stages import lock_holder

    while not stop.is_set():
        lock_holder(path)


def test_a_lock_probe_never_makes_a_unit_fail_as_busy(tmp_path):
    """lock_holder (the driver's polling, a --dry-run elsewhere) takes the lock for an instant;
    a unit starting in that instant waited for it instead of failing as 'running in another
    process' (74 of 2000 before)."""
    import multiprocessing

    from xfer_tasks.study.stages import UnitBusy, unit_lock

    path = tmp_path / "evaluate-m-k00-seed0.lock"
    path.write_text("")
    stop = multiprocessing.Event()
    prober = multiprocessing.Process(target=_probe_lock, args=(path, stop))
    prober.start()
    busy = 0
    try:
        for _ in range(500):
            try:
                with unit_lock(path):
                    pass
            except UnitBusy:
                busy += 1
    finally:
        stop.set()
        prober.join(10)
    assert busy == 0
