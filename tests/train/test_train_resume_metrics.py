"""The whole run's train_loss after a resume, from the checkpoint's logged window means."""

from __future__ import annotations

import pytest
from xfer_tasks.train.resume_metrics import loss_sum_until, whole_run_train_loss

PER_STEP = [6.0, 5.0, 4.0, 3.5, 3.0, 2.0, 2.5, 1.5]  # losses of steps 1..8


def _logs(every: int, until: int) -> list[dict]:
    """log_history as the Trainer writes it: the mean over each window since the last log."""
    out, last = [], 0
    for step in range(every, until + 1, every):
        window = PER_STEP[last:step]
        out.append({"step": step, "loss": sum(window) / len(window), "learning_rate": 1e-3})
        last = step
    return out


def test_resumed_loss_equals_the_uninterrupted_mean():
    uninterrupted = sum(PER_STEP) / len(PER_STEP)
    checkpoint = {"global_step": 4, "log_history": _logs(2, 4)}
    resumed_call = sum(PER_STEP[4:]) / 4  # what Trainer.train reports for steps 5..8
    assert resumed_call != pytest.approx(uninterrupted)  # the bug: the manifest showed this
    assert whole_run_train_loss(resumed_call, 8, checkpoint) == pytest.approx(uninterrupted, rel=1e-12)
    assert whole_run_train_loss(uninterrupted, 8, None) == uninterrupted  # a fresh run: as reported


def test_a_gap_between_the_last_log_and_the_checkpoint_is_not_guessed():
    assert loss_sum_until(_logs(3, 4), 4) is None  # logged at 3, saved at 4: step 4 unknown
    assert whole_run_train_loss(1.0, 8, {"global_step": 4, "log_history": _logs(3, 4)}) is None
    assert loss_sum_until(_logs(2, 4), 4) == pytest.approx(sum(PER_STEP[:4]))
