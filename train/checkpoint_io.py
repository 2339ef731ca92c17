"""Crash-safe checkpoint folders: atomic publication, completeness, resumable work folders.

A finished checkpoint ``<out>`` is published in one ``rename`` of a fully written
``<out>.tmp-<pid>`` folder, whose last files are ``xfer_manifest.json`` and the ``COMPLETE``
marker (both fsynced, as is the folder). So a folder called ``<out>`` is either absent or
complete; a killed save leaves only a ``.tmp-*`` folder that is removed on the next start.

While training, the state that a restart resumes from lives in ``<out>.work/``:
``run.json`` (the resolved config's fingerprint, so a changed config is not silently
resumed), and one folder per phase (:func:`phase_dir`: ``phase-N-<name>/``) with the Trainer's
``checkpoint-N`` folders under ``trainer/`` and, once the phase is done, its model in
``final/`` (:func:`has_progress`: whether there is anything to resume). The Trainer
writes ``trainer_state.json`` last; :class:`CompletionMarker` adds ``XFER_CHECKPOINT_COMPLETE``
after the whole save returned, and only checkpoints with that marker are resumed from.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .manifest import MANIFEST_FILE

COMPLETE = "COMPLETE"
RUN_FILE = "run.json"  # in the work folder: the config and its fingerprint
CHECKPOINT_MARKER = "XFER_CHECKPOINT_COMPLETE"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


class OutputExistsError(FileExistsError):
    """The output folder exists and --overwrite was not given."""


def is_complete(folder: Path) -> bool:
    """A published xfer checkpoint: the marker and a readable manifest."""
    folder = Path(folder)
    if not (folder / COMPLETE).is_file() or not (folder / MANIFEST_FILE).is_file():
        return False
    try:
        json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return True


def fsync_path(path: Path) -> None:
    """fsync a file, or a folder's entry table (so renames inside it are durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_durable(path: Path, data: Any) -> None:
    """Write JSON through a temporary file, fsync, rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=False, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def fsync_tree(folder: Path) -> None:
    for path in sorted(Path(folder).rglob("*"), reverse=True):
        if path.is_file():
            fsync_path(path)
    fsync_path(folder)


def staging_dir(out: Path) -> Path:
    return out.with_name(f"{out.name}.tmp-{os.getpid()}")


def remove_stale_staging(out: Path) -> None:
    """Remove ``<out>.tmp-*`` folders left by killed saves."""
    for stale in out.parent.glob(f"{out.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in out.parent.glob(f"{out.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)


def publish(staged: Path, out: Path, overwrite: bool) -> None:
    """Mark ``staged`` complete and move it to ``out`` in one rename."""
    (staged / COMPLETE).write_text("complete\n", encoding="utf-8")
    fsync_tree(staged)
    if out.exists():
        if not overwrite:
            raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
        old = out.with_name(f"{out.name}.old-{os.getpid()}")
        os.rename(out, old)
        os.rename(staged, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staged, out)
    fsync_path(out.parent)


def check_output(out: Path, overwrite: bool) -> None:
    """Refuse an existing output folder unless ``overwrite`` (and never a file)."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a folder")
    if out.exists() and not overwrite:
        what = "a complete xfer checkpoint" if is_complete(out) else "a folder that is not an xfer checkpoint"
        raise OutputExistsError(f"{out} exists ({what}); pass --overwrite to replace it")


def work_dir(out: Path) -> Path:
    """Where the training of checkpoint ``out`` keeps what a restart resumes from."""
    return out.with_name(out.name + ".work")


def phase_dir(work: Path, index: int, name: str) -> Path:
    """The work folder of phase ``index`` (``name``: ``intermediate``, ``target``)."""
    return Path(work) / f"phase-{index}-{name}"


def has_progress(work: Path) -> bool:
    """Whether an interrupted run saved anything worth resuming (a Trainer checkpoint or a phase)."""
    work = Path(work)
    return any(work.glob("phase-*/trainer/checkpoint-*")) or any(work.glob("phase-*/final"))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest Trainer checkpoint whose save finished (has the marker)."""
    found = []
    for child in Path(run_dir).glob("checkpoint-*"):
        match = _CHECKPOINT.match(child.name)
        if match and (child / CHECKPOINT_MARKER).is_file() and (child / "trainer_state.json").is_file():
            found.append((int(match.group(1)), child))
    return max(found)[1] if found else None


def remove_incomplete_checkpoints(run_dir: Path) -> list[Path]:
    """Delete Trainer checkpoints without the marker (a save that was killed)."""
    removed = []
    for child in Path(run_dir).glob("checkpoint-*"):
        if _CHECKPOINT.match(child.name) and not (child / CHECKPOINT_MARKER).is_file():
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def start_phase(
    run_dir: Path, state: Any, is_main: bool, before_file: Path, measure_before: Callable[[], Any]
) -> Path | None:
    """Prepare ``run_dir`` for a (re)started training phase; returns the checkpoint to resume from.

    The main process drops Trainer checkpoints whose save was killed and records the probe
    loss before any training once (a restarted run keeps the first measurement, so the
    before/after comparison spans the whole phase); every rank then waits for it.
    """
    if is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        remove_incomplete_checkpoints(run_dir)
        if not before_file.is_file():
            write_json_durable(before_file, measure_before())
    state.wait_for_everyone()
    return latest_checkpoint(run_dir)


def completion_marker_callback():
    """A TrainerCallback that marks each checkpoint once the Trainer finished saving it."""
    from transformers import TrainerCallback

    class CompletionMarker(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
                if folder.is_dir():
                    fsync_tree(folder)
                    marker = folder / CHECKPOINT_MARKER
                    marker.write_text(f"step {state.global_step}\n", encoding="utf-8")
                    fsync_path(marker)
                    fsync_path(folder)
            return control

    return CompletionMarker()
