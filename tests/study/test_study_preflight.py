"""Issue 16: `xfer study --dry-run` / `--check` / a run refuse a study that cannot succeed,
before anything is written: exit 2, one line naming the file and the key, no output folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from study_helpers import write_tiny_study

from xfer_tasks.study import preflight
from xfer_tasks.study.cli import main


def _edit(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _tiny(d):
    return d["models"]["tiny"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _tiny(d)["sweep"].update(tasks=["mlni", "squad"]),
         "models.tiny.sweep.tasks[0]: unknown training task 'mlni' (did you mean 'mnli'?)"),
        (lambda d: d["evaluation"].update(tasks=["xfer_xnli_xx"]), "models.tiny.evaluation.tasks: xfer_xnli_xx: not an xfer task"),
        (lambda d: d["evaluation"].update(metadata={"xnli_splt": "validation"}),
         "metadata key 'xnli_splt' is not an xfer option (did you mean 'xnli_split'?)"),
        (lambda d: d.update(analysis={"baseline": "k99-seed0"}), "analysis.baseline: 'k99-seed0' is not a point of models.tiny's sweep"),
        (lambda d: _tiny(d)["base"]["model"].update(name_or_path="/nonexistent/base-model"),
         "models.tiny.base.model.name_or_path: folder /nonexistent/base-model does not exist"),
        (lambda d: _tiny(d)["base"]["model"].update(name_or_path="xfer-test-org/no-such-model-xyz"),
         "models.tiny.base.model.name_or_path: cannot load model 'xfer-test-org/no-such-model-xyz'"),
        (lambda d: d["evaluation"].update(tasks=["xfer_tatoeba_deu"], metadata={"embed_layer": 99}),
         "models.tiny.evaluation.metadata.embed_layer: embed_layer 99 is out of range for a model with"),
        (lambda d: d["evaluation"].update(tasks=["xfer_tatoeba_deu"], metadata={"embed_layer": "dev"}),
         "models.tiny.evaluation.metadata: embed_layer 'dev' chooses the layer on BUCC's sample split"),
        (lambda d: d["evaluation"].update(tasks=["xfer_xnli_en", "no_such_lm_eval_task"]),
         "'no_such_lm_eval_task' is neither an xfer task nor an lm-eval task"),
    ],
)
def test_bad_study_fails_the_dry_run_and_writes_nothing(tmp_path, tiny_lm, capsys, monkeypatch, change, message):
    # lm-eval's own task index takes ~10 s to build: a stand-in for it here (the real one: below)
    monkeypatch.setattr(preflight, "_LM_EVAL_TASKS", {"arc_easy", "hellaswag"})
    path = _edit(write_tiny_study(tmp_path, tiny_lm, [0, 1]), change)
    out = tmp_path / "out"
    for flag in ("--dry-run", "--check"):
        assert main(["--config", str(path), "--output-dir", str(out), flag]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith(f"xfer study: {path}: ") and message in line, line
        assert not out.exists()
    assert main(["--config", str(path), "--output-dir", str(out)]) == 2  # a run: nothing written either
    assert not out.exists()


def test_missing_data_fails_before_any_work(tmp_path, tiny_lm, capsys):
    empty = tmp_path / "empty"
    (empty / "mnli").mkdir(parents=True)
    (empty / "xnli").mkdir(parents=True)
    out = tmp_path / "out"
    train = _edit(write_tiny_study(tmp_path / "a", tiny_lm, [0, 1]), lambda d: _tiny(d)["base"].update(data_dir=str(empty)))
    assert main(["--config", str(train), "--output-dir", str(out), "--check"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "models.tiny.sweep.tasks[0]: training data:" in line and "mnli" in line
    evaluation = _edit(write_tiny_study(tmp_path / "b", tiny_lm, [0, 1]), lambda d: d["evaluation"].update(data_dir=str(empty)))
    assert main(["--config", str(evaluation), "--output-dir", str(out), "--check"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "models.tiny.evaluation:" in line and "xnli" in line.lower()
    assert not out.exists()


def test_check_passes_a_good_study_and_writes_nothing(tmp_path, tiny_lm, capsys):
    path = write_tiny_study(tmp_path, tiny_lm, [0, 1])
    out = tmp_path / "out"
    assert main(["--config", str(path), "--output-dir", str(out), "--check"]) == 0
    assert "every check passed" in capsys.readouterr().out and not out.exists()


def test_sbatch_rejection_is_one_line(tmp_path, tiny_lm, capsys, monkeypatch):
    """With `sbatch` on PATH, the arrays are tried with `sbatch --test-only` first."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(
        "#!/bin/sh\ncp \"$2\" \"$0.script\"\n"
        "grep -q 'partition=nope' \"$0.script\" && { echo 'sbatch: error: invalid partition specified: nope' >&2; "
        "echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2; exit 1; }\n"
        "echo 'sbatch: Job 1 to start at now'\n"
    )
    sbatch.chmod(sbatch.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    path = write_tiny_study(tmp_path, tiny_lm, [0, 1])
    out = tmp_path / "out"
    args = ["--config", str(path), "--output-dir", str(out), "--launcher", "slurm", "--check"]
    assert main(args) == 0
    assert "#SBATCH --array=0-1" in (bin_dir / "sbatch.script").read_text()
    _edit(path, lambda d: d["launcher"].update(slurm={"partition": "nope"}))
    assert main(args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"xfer study: {path}: launcher.slurm: sbatch --test-only rejects the train array: "
        "sbatch: error: Batch job submission failed: Invalid partition name specified"
    )
    assert not out.exists()


@pytest.mark.slow
def test_evaluation_task_names_resolve_as_lm_eval_does():
    """Names that are not xfer's go through lm-eval's TaskManager with xfer's include path."""
    names = preflight.lm_eval_task_names()
    assert "arc_easy" in names and "xfer_xnli_en" in names
    with pytest.raises(preflight.StudyConfigError, match=r"'arc_easyy' is neither .* \(did you mean 'arc_easy'"):
        preflight.check_eval_task_names(["arc_easyy"], "study.yaml", "evaluation.tasks")


# ---- issue 16: a bad config fails within seconds ---------------------------------------------
HEAVY = ("torch", "transformers", "submitit", "lm_eval", "datasets")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _tiny(d)["sweep"].update(seeds=[-1]), "models.tiny.sweep.seeds[0]: expected an integer >= 0, got -1"),
        (lambda d: _tiny(d)["base"]["mixture"].update(temperature=2.0), "mixture.temperature: only read by strategy: temperature"),
        (lambda d: _tiny(d)["sweep"].update(tasks=["mlni", "squad"]), "models.tiny.sweep.tasks[0]: unknown training task 'mlni'"),
    ],
)
def test_a_config_error_fails_before_the_heavy_imports(tmp_path, change, message):
    """`xfer study --dry-run` on a schema error or an unknown training task exits within
    seconds: in a fresh interpreter it has imported none of torch, transformers, submitit,
    lm_eval, datasets when it exits 2 (they cost seconds each on a busy machine)."""
    path = _edit(write_tiny_study(tmp_path, Path("some-org/some-model"), [0, 1]), change)
    out = tmp_path / "out"
    argv = ["study", "--config", str(path), "--output-dir", str(out), "--dry-run"]
    probe = (
        "import sys; from xfer_tasks.cli import main; "
        f"code = main({argv!r}); "
        f"print('exit', code, 'imported', sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")  # no Hub retries if it got that far
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert "exit 2 imported []" in done.stdout, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"xfer study: {path}: ") and message in line, line
    assert not out.exists()
