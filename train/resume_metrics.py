"""Training metrics of a resumed phase that equal those of an uninterrupted run.

``Trainer.train(resume_from_checkpoint=...)`` reports ``training_loss`` as the mean over the
steps run in THIS call only (transformers 5.x: ``_total_loss_scalar / (global_step -
_initial_global_step)``; 4.x divided the resumed sum by all steps, which is worse). After a
kill and restart the manifest then showed e.g. 3.21 where the uninterrupted run gave 3.46,
while ``log_history`` (restored from the checkpoint) was right.

The definition kept here is the Trainer's own for an uninterrupted run: the mean of the
per-step training losses over all ``global_step`` steps. After a resume from step ``c``:

    train_loss = (sum of per-step losses over steps 1..c + training_loss * (G - c)) / G

The second term is exact (what the Trainer accumulated since the restart). The first is
exact when the checkpoint's ``log_history`` has a log at step ``c``: each log's ``loss`` is
the mean over its window since the previous log, so ``sum(loss_i * (step_i - step_{i-1}))``
is the sum of the per-step losses up to the last log. :func:`log_at_every_save_callback`
makes the Trainer log whenever it saves, so that holds for every checkpoint xfer writes.
Throughput over a resumed run counts only the tokens seen since the restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FILE = "trainer_state.json"


def log_at_every_save_callback():
    """A TrainerCallback that asks for a log on every step that saves a checkpoint, so a
    checkpoint's ``log_history`` covers every step before it (see the module docstring)."""
    from transformers import TrainerCallback

    class LogAtSave(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if control.should_save:
                control.should_log = True
            return control

    return LogAtSave()


def checkpoint_state(resume: Path | None) -> dict[str, Any] | None:
    """The ``trainer_state.json`` of the checkpoint a phase resumed from (None: fresh run)."""
    if resume is None:
        return None
    return json.loads((Path(resume) / STATE_FILE).read_text(encoding="utf-8"))


def loss_sum_until(log_history: list[dict[str, Any]], step: int) -> float | None:
    """Sum of the per-step training losses over steps 1..``step`` from the logged window means,
    or None when the last log at or before ``step`` is not AT ``step`` (a gap is unknown)."""
    total, last = 0.0, 0
    for entry in sorted((h for h in log_history if "loss" in h and h["step"] <= step), key=lambda h: h["step"]):
        total += float(entry["loss"]) * (int(entry["step"]) - last)
        last = int(entry["step"])
    return total if last == step else None


def whole_run_train_loss(training_loss: float, global_step: int, resumed_state: dict[str, Any] | None) -> float | None:
    """``train_loss`` over all steps of the phase, as an uninterrupted run reports it."""
    if resumed_state is None:
        return training_loss
    start = int(resumed_state["global_step"])
    if start >= global_step:  # nothing trained in this call
        before = loss_sum_until(resumed_state.get("log_history", []), start)
        return None if before is None else before / max(start, 1)
    before = loss_sum_until(resumed_state.get("log_history", []), start)
    if before is None:
        return None
    return (before + training_loss * (global_step - start)) / global_step


def tokens_seen_at_start(resumed_state: dict[str, Any] | None) -> int:
    """Input tokens the Trainer had counted before this call (0 for a fresh run)."""
    return int((resumed_state or {}).get("num_input_tokens_seen", 0) or 0)
