"""Unit states and --dry-run, on study folders laid out by hand (no training, no lm_eval)."""

from __future__ import annotations

import json

from study_helpers import write_tiny_study

from xfer_tasks.study.cli import main, plan_rows
from xfer_tasks.study.config import load_study_config
from xfer_tasks.study.stages import (
    Study,
    Unit,
    eval_fingerprint,
    lm_eval_command,
    train_command,
    unit_lock,
)


def _complete_checkpoint(folder, manifest=None):
    folder.mkdir(parents=True)
    (folder / "xfer_manifest.json").write_text(json.dumps(manifest or {}))
    (folder / "COMPLETE").write_text("complete\n")


def _study(tmp_path, tiny_lm, k):
    config = load_study_config(write_tiny_study(tmp_path, tiny_lm, k))
    return Study(config, tmp_path / "out")


def test_dry_run_reports_every_state_and_writes_nothing(tmp_path, tiny_lm, capsys):
    study = _study(tmp_path, tiny_lm, [0, 1, 2, 3])
    root = study.root
    _complete_checkpoint(root / "checkpoints/tiny/k00-seed0")
    saved = root / "work/train/tiny/k01-seed0/k01-seed0.work/phase-0-intermediate/trainer/checkpoint-2"
    saved.mkdir(parents=True)
    (saved / "XFER_CHECKPOINT_COMPLETE").write_text("step 2\n")
    (saved / "trainer_state.json").write_text("{}")
    (root / "work/train/tiny/k02-seed0").mkdir(parents=True)  # started, nothing saved
    results = root / "results/tiny/k00-seed0/model"
    results.mkdir(parents=True)
    (results / "results_2026-12-01T00-00-00.json").write_text("{}")
    (root / "results/tiny/k01-seed0.partial").mkdir(parents=True)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    with unit_lock(study.lock_file(Unit("train", "tiny", "k03-seed0", 3, 0))):
        rows = {(stage, point): (state, detail) for stage, _, point, state, detail in plan_rows(study)}
        assert main(["--config", str(tmp_path / "study.yaml"), "--output-dir", str(root), "--dry-run"]) == 0
    assert rows[("train", "k00-seed0")][0] == "done"
    assert rows[("train", "k01-seed0")] == ("partial", "resumes from phase-0-intermediate/checkpoint-2")
    assert rows[("train", "k02-seed0")] == ("partial", "started, nothing saved yet: starts again")
    assert rows[("train", "k03-seed0")][0] == "running" and "pid" in rows[("train", "k03-seed0")][1]
    assert rows[("evaluate", "k00-seed0")][0] == "done"
    assert rows[("evaluate", "k01-seed0")] == ("partial", "interrupted lm_eval: starts again")
    assert rows[("evaluate", "k02-seed0")] == ("todo", "waits for its checkpoint")
    assert rows[("analysis", "-")] == ("todo", "waits for 3 evaluation(s)")
    printed = capsys.readouterr().out
    assert "train: 1 done, 2 partial, 1 running" in printed
    assert "evaluate: 1 done, 1 partial, 2 todo" in printed and "analysis: 1 todo" in printed
    after = sorted(p.relative_to(root) for p in root.rglob("*") if "locks" not in p.parts)
    assert after == before  # a dry run writes nothing (beyond the lock this test took)


def test_points_from_another_config_are_refused(tmp_path, tiny_lm, capsys):
    study = _study(tmp_path, tiny_lm, [0, 1])
    _complete_checkpoint(study.root / "checkpoints/tiny/k01-seed0", {"sweep": {"config_fingerprint": "not-this-config"}})
    args = ["--config", str(tmp_path / "study.yaml"), "--output-dir", str(study.root)]
    assert main([*args, "--dry-run"]) == 2
    assert "trained from a different config" in capsys.readouterr().err
    assert main(args) == 2  # refused before any work
    assert not (study.root / "study.yaml").exists()


def test_results_from_another_evaluation_are_refused(tmp_path, tiny_lm, capsys):
    study = _study(tmp_path, tiny_lm, [0])
    results = study.root / "results/tiny/k00-seed0"
    (results / "model").mkdir(parents=True)
    (results / "model/results_x.json").write_text("{}")
    (results / "xfer_eval.json").write_text(json.dumps({"fingerprint": "other"}))
    assert main(["--config", str(tmp_path / "study.yaml"), "--output-dir", str(study.root), "--dry-run"]) == 2
    assert "evaluated with a different evaluation section" in capsys.readouterr().err
    (results / "xfer_eval.json").write_text(json.dumps({"fingerprint": eval_fingerprint(study.config.model("tiny").evaluation)}))
    assert study.state(Unit("evaluate", "tiny", "k00-seed0", 0, 0))[0] == "done"


def test_commands_are_the_documented_ones(tmp_path, tiny_lm):
    study = _study(tmp_path, tiny_lm, [0, 1])
    spec = study.config.model("tiny").evaluation
    call = lm_eval_command(spec, tmp_path / "CKPT", tmp_path / "OUT")
    assert call[:5] == ["lm_eval", "--model", "hf", "--model_args", f"pretrained={tmp_path / 'CKPT'}"]
    assert call[call.index("--tasks") + 1] == "xfer_xnli_en" and "--log_samples" in call
    assert call[call.index("--output_path") + 1] == str(tmp_path / "OUT")
    assert call[call.index("--limit") + 1] == "2"
    unit = Unit("train", "tiny", "k01-seed0", 1, 0)
    one = train_command(study, unit)
    assert one[1:3] == ["-m", "xfer_tasks.train.cli_sweep"] and one[-4:] == ["--k", "1", "--seeds", "0"]
    torchrun = train_command(study, unit, gpus=4, multi_gpu="torchrun")
    assert torchrun[1:6] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "4"]
    accelerate = train_command(study, unit, gpus=2, multi_gpu="accelerate")
    assert "accelerate.commands.launch" in accelerate and accelerate[accelerate.index("--num_processes") + 1] == "2"
    assert accelerate[-8:] == one[-8:]


def test_a_retrained_point_moves_the_old_checkpoints_results_aside(tmp_path, tiny_lm, capsys, monkeypatch):
    """The user moved a stale checkpoint away as told and reran: the new checkpoint must not
    inherit the old one's scores (they were reported as its own before)."""
    import xfer_tasks.train.sweep as sweep

    from xfer_tasks.study.stages import has_results, train_point

    study = _study(tmp_path, tiny_lm, [0, 1])
    unit = Unit("train", "tiny", "k01-seed0", 1, 0)
    old = study.results("tiny", "k01-seed0")
    (old / "model").mkdir(parents=True)
    (old / "model/results_2026-01-01T00-00-00.json").write_text("{}")

    def fake_sweep(cfg, out, **kwargs):
        _complete_checkpoint(out / "k01-seed0")
        return 1, 0

    monkeypatch.setattr(sweep, "run_sweep", fake_sweep)
    assert train_point(study, unit) == "train-tiny-k01-seed0: trained"
    assert not has_results(old)
    (stale,) = old.parent.glob("k01-seed0.stale-*")
    assert has_results(stale) and "results of the replaced checkpoint" in capsys.readouterr().err
    assert study.state(Unit("evaluate", "tiny", "k01-seed0", 1, 0))[0] == "todo"
