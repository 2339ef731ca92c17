"""The slurm launcher without a cluster: fake ``sbatch``/``sacct``/``srun`` on PATH record what
submitit generates; job records make a rerun wait for live jobs instead of submitting twice."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest
import yaml
from study_helpers import write_tiny_study

from xfer_tasks.study.cli import main

SBATCH = """
import os, pathlib, sys
if "--test-only" in sys.argv:  # the study's preflight: accepted, nothing submitted
    sys.exit(print("sbatch: Job 1 to start at 2026-01-01T00:00:00", file=sys.stderr))
if os.environ.get("FAKE_SBATCH_REJECT"):  # what sbatch says for a partition that does not exist
    print("sbatch: error: invalid partition specified: nope", file=sys.stderr)
    sys.exit(print("sbatch: error: Batch job submission failed: Invalid partition name specified", file=sys.stderr) or 1)
folder = pathlib.Path(os.environ["FAKE_SLURM_DIR"])
n = len(list(folder.glob("sbatch_*.sh")))
(folder / f"sbatch_{n}.sh").write_text(pathlib.Path(sys.argv[-1]).read_text())
print(f"Submitted batch job {4242 + n}")
"""
SACCT = """
import os, pathlib, sys
state = (pathlib.Path(os.environ["FAKE_SLURM_DIR"]) / "state").read_text().strip()
ids = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "-j"]
print("JobID|State|NodeList")
for job in ids:
    print(f"{job}_[0-99]|{state}|node1")
"""


@pytest.fixture()
def fake_slurm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("sbatch", SBATCH), ("sacct", SACCT), ("srun", "import sys; sys.exit('srun is not run here')")):
        path = bin_dir / name
        path.write_text(f"#!{sys.executable}\n{textwrap.dedent(body)}")
        path.chmod(0o755)
    record = tmp_path / "slurm"
    record.mkdir()
    (record / "state").write_text("PENDING\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_DIR", str(record))
    return record


def _slurm_study(tmp_path, tiny_lm):
    slurm = {
        "partition": "gpu", "account": "proj", "time_min": 30, "gpus_per_node": 2,
        "multi_gpu": "torchrun", "cpus_per_task": 8, "mem_gb": 32, "array_parallelism": 2,
        "setup": ["echo xfer-setup-line"], "evaluate": {"gpus_per_node": 1, "time_min": 10},
    }  # fmt: skip
    return write_tiny_study(tmp_path, tiny_lm, [0, 1, 2], max_retries=1, slurm=slurm)


def test_slurm_array_script_records_and_no_double_submission(tmp_path, tiny_lm, fake_slurm, capsys):
    study = _slurm_study(tmp_path, tiny_lm)
    out = tmp_path / "out"
    args = ["--config", str(study), "--output-dir", str(out), "--launcher", "slurm", "--no-wait"]
    assert main(args) == 0
    (script,) = fake_slurm.glob("sbatch_*.sh")
    text = script.read_text()
    for line in ("#SBATCH --partition=gpu", "#SBATCH --account=proj", "#SBATCH --time=30",
                 "#SBATCH --gpus-per-node=2", "#SBATCH --cpus-per-task=8", "#SBATCH --mem=32GB",
                 "#SBATCH --array=0-2%2", "#SBATCH --job-name=xfer-train", "#SBATCH --ntasks-per-node=1",
                 "echo xfer-setup-line", "-m submitit.core._submit"):  # fmt: skip
        assert line in text, line
    # one job record and one submitted pickle per point: the array tasks 4242_0..2
    for index, point in enumerate(["k00-seed0", "k01-seed0", "k02-seed0"]):
        record = json.loads((out / "work/jobs" / f"train-tiny-{point}.json").read_text())
        assert record["job_id"] == f"4242_{index}" and record["launcher"] == "slurm"
        assert (out / "logs/train" / f"4242_{index}_submitted.pkl").is_file()
    assert "jobs submitted or still running" in capsys.readouterr().err

    # the jobs are pending or running: a rerun (or a second driver) waits, it does not resubmit
    (fake_slurm / "state").write_text("RUNNING\n")
    assert main(args) == 0
    assert len(list(fake_slurm.glob("sbatch_*.sh"))) == 1
    assert "still running as job 4242_0" in capsys.readouterr().err
    assert main([*args, "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert "running   job 4242_1 (slurm, attempt 1" in plan and "train: 3 running" in plan

    # the array failed (a node died): the rerun resubmits the points, which resume their work
    (fake_slurm / "state").write_text("NODE_FAIL\n")
    assert main(args) == 0
    scripts = sorted(fake_slurm.glob("sbatch_*.sh"))
    assert len(scripts) == 2
    record = json.loads((out / "work/jobs/train-tiny-k01-seed0.json").read_text())
    assert record["job_id"] == "4243_1" and record["attempt"] == 2


def test_slurm_evaluation_jobs_use_their_overrides(tmp_path, tiny_lm, fake_slurm):
    from xfer_tasks.study.config import load_study_config
    from xfer_tasks.study.launchers import make_launcher

    config = load_study_config(_slurm_study(tmp_path, tiny_lm))
    launcher = make_launcher("slurm", config.launcher)
    train, evaluate = launcher.parameters("train"), launcher.parameters("evaluate")
    assert train["gpus_per_node"] == 2 and train["timeout_min"] == 30 and train["slurm_partition"] == "gpu"
    assert evaluate["gpus_per_node"] == 1 and evaluate["timeout_min"] == 10 and evaluate["slurm_partition"] == "gpu"
    assert launcher.gpus("train") == 2 and launcher.gpus("evaluate") == 1


def test_unknown_slurm_option_is_refused(tmp_path, tiny_lm):
    path = _slurm_study(tmp_path, tiny_lm)
    data = yaml.safe_load(path.read_text())
    data["launcher"]["slurm"]["evaluate"]["multi_gpu"] = "torchrun"
    path.write_text(yaml.safe_dump(data))
    assert main(["--config", str(path), "--output-dir", str(tmp_path / "o"), "--dry-run"]) == 2


def test_sbatch_rejection_at_submission_is_one_line(tmp_path, tiny_lm, fake_slurm, capsys, monkeypatch):
    """submitit's FailedJobError (a chain of three exceptions) becomes one line."""
    monkeypatch.setenv("FAKE_SBATCH_REJECT", "1")
    out = tmp_path / "out"
    args = ["--config", str(_slurm_study(tmp_path, tiny_lm)), "--output-dir", str(out), "--launcher", "slurm", "--no-wait"]
    assert main(args) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line == (
        "xfer study: sbatch refused the train array: "
        "sbatch: error: Batch job submission failed: Invalid partition name specified"
    )
    assert not list(fake_slurm.glob("sbatch_*.sh"))


def test_max_num_timeout_reaches_submitit(tmp_path, tiny_lm, fake_slurm):
    from xfer_tasks.study.config import load_study_config
    from xfer_tasks.study.launchers import make_launcher
    from xfer_tasks.study.stages import Study

    path = _slurm_study(tmp_path, tiny_lm)
    data = yaml.safe_load(path.read_text())
    data["launcher"]["slurm"]["max_num_timeout"] = 7
    path.write_text(yaml.safe_dump(data))
    config = load_study_config(path)
    launcher = make_launcher("slurm", config.launcher)
    assert "max_num_timeout" not in launcher.parameters("train")
    executor = launcher.executor(Study(config, tmp_path / "out"), "train")
    assert executor._executor.max_num_timeout == 7
