"""Crash-safety of checkpoint folders: what a killed save leaves behind never looks complete."""

from __future__ import annotations

import json

import pytest
from xfer_tasks.train.checkpoint_io import (
    CHECKPOINT_MARKER,
    COMPLETE,
    OutputExistsError,
    check_output,
    has_progress,
    is_complete,
    latest_checkpoint,
    phase_dir,
    publish,
    remove_incomplete_checkpoints,
    remove_stale_staging,
    staging_dir,
    work_dir,
)
from xfer_tasks.train.manifest import MANIFEST_FILE as MANIFEST


def _staged(out):
    staged = staging_dir(out)
    staged.mkdir(parents=True)
    (staged / "model.safetensors").write_bytes(b"weights")
    (staged / MANIFEST).write_text(json.dumps({"k": 1}))
    return staged


def test_only_a_published_folder_is_complete(tmp_path):
    out = tmp_path / "ckpt"
    staged = _staged(out)
    assert not is_complete(staged)  # no COMPLETE marker yet: a save killed here is not complete
    assert not out.exists()
    publish(staged, out, overwrite=False)
    assert is_complete(out) and not staged.exists()
    assert (out / COMPLETE).is_file()


def test_truncated_manifest_is_not_complete(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / COMPLETE).write_text("complete\n")
    (folder / MANIFEST).write_text('{"k": 1, "phases": [')
    assert not is_complete(folder)


def test_stale_staging_folders_are_removed(tmp_path):
    out = tmp_path / "ckpt"
    _staged(out)
    (tmp_path / "ckpt.old-123").mkdir()
    remove_stale_staging(out)
    assert not list(tmp_path.iterdir())


def test_publish_and_check_output_refuse_to_overwrite(tmp_path):
    out = tmp_path / "ckpt"
    publish(_staged(out), out, overwrite=False)
    with pytest.raises(OutputExistsError, match="complete xfer checkpoint.*--overwrite"):
        check_output(out, overwrite=False)
    staged = _staged(out)
    with pytest.raises(OutputExistsError):
        publish(staged, out, overwrite=False)
    (staged / "model.safetensors").write_bytes(b"new weights")
    publish(staged, out, overwrite=True)
    assert (out / "model.safetensors").read_bytes() == b"new weights" and is_complete(out)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]  # no .old-* left behind
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputExistsError, match="not a folder"):
        check_output(tmp_path / "a-file", overwrite=True)


def test_resume_uses_the_newest_fully_saved_trainer_checkpoint(tmp_path):
    def checkpoint(step, marker=True, state=True):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if state:
            (folder / "trainer_state.json").write_text("{}")
        if marker:
            (folder / CHECKPOINT_MARKER).write_text(f"step {step}\n")
        return folder

    checkpoint(3)
    good = checkpoint(6)
    checkpoint(9, marker=False)  # killed while saving: Trainer files may be partial
    checkpoint(12, marker=False, state=False)
    assert latest_checkpoint(tmp_path) == good
    removed = remove_incomplete_checkpoints(tmp_path)
    assert sorted(p.name for p in removed) == ["checkpoint-12", "checkpoint-9"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-3", "checkpoint-6"]
    assert latest_checkpoint(tmp_path / "nothing-here") is None


def test_progress_is_a_trainer_checkpoint_or_a_finished_phase(tmp_path):
    work = work_dir(tmp_path / "k1-seed0")
    assert work.name == "k1-seed0.work"
    phase = phase_dir(work, 0, "intermediate")
    (phase / "trainer").mkdir(parents=True)
    (work / "run.json").write_text("{}")
    assert not has_progress(work)  # a run that saved nothing has nothing to resume
    (phase / "trainer" / "checkpoint-2").mkdir()
    assert has_progress(work)
    (phase / "trainer" / "checkpoint-2").rmdir()
    (phase_dir(work, 1, "target") / "final").mkdir(parents=True)
    assert has_progress(work)
