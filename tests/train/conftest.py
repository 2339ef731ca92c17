"""Fixtures for the training tests: a tiny causal LM built once per session, offline env."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import OFFLINE


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models on a shared CPU: one intra-op thread is several times faster (no
    oversubscription); set before module fixtures train anything, restored after the module."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory) -> Path:
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-lm") / "model")

