"""Fixtures of the study tests: one tiny causal LM per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("study_tiny") / "tiny-lm")
