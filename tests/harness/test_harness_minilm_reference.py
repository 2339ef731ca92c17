"""all-MiniLM-L6-v2 through lm_eval == sentence-transformers + the retrieval library.

The reference side uses nothing of the harness: ``SentenceTransformer.encode`` (mean pooling
over the last layer, normalised) on the same Tatoeba lines, scored by
``xfer_tasks.retrieval.tatoeba_metrics``.
"""

from __future__ import annotations

import pytest
from harness_helpers import task_manager

from xfer_tasks.catalog import TATOEBA
from xfer_tasks.data.tatoeba import load_tatoeba_pair
from xfer_tasks.retrieval import tatoeba_metrics

lm_eval = pytest.importorskip("lm_eval")
LIMIT = 60
LANGUAGES = ("deu", "ell")  # Latin and Greek script


@pytest.mark.slow  # ~400 MiniLM embeddings on CPU
def test_minilm_tatoeba_equals_sentence_transformers(minilm_hflm, minilm_path, shared_data):
    from sentence_transformers import SentenceTransformer

    out = lm_eval.simple_evaluate(
        model=minilm_hflm,
        tasks=[f"xfer_tatoeba_{code}" for code in LANGUAGES],
        task_manager=task_manager(data_dir=str(shared_data)),
        limit=LIMIT,
        bootstrap_iters=0,
    )
    st = SentenceTransformer(str(minilm_path), device="cpu")
    for code in LANGUAGES:
        xx, en = load_tatoeba_pair(shared_data / "tatoeba", code)
        expected = tatoeba_metrics(
            st.encode(xx[:LIMIT], batch_size=32), st.encode(en[:LIMIT], batch_size=32)
        )
        got = out["results"][f"xfer_tatoeba_{code}"]
        for metric in TATOEBA.metrics:
            assert got[f"{metric},none"] == pytest.approx(expected[metric], abs=1e-12), (
                code,
                metric,
            )
    # a real (English) model: German shares enough vocabulary to beat chance (1/60) by far
    assert out["results"]["xfer_tatoeba_deu"]["acc_en2xx,none"] > 10 / LIMIT


@pytest.mark.slow
def test_minilm_mines_planted_bucc_pairs(minilm_hflm, bucc_root):
    out = lm_eval.simple_evaluate(
        model=minilm_hflm,
        tasks=["xfer_bucc_de"],
        task_manager=task_manager(data_dir=str(bucc_root)),
        bootstrap_iters=0,
    )
    result = out["results"]["xfer_bucc_de"]
    assert result["recall,none"] == pytest.approx(1.0)  # every planted copy is found
    assert result["f1,none"] >= 0.9
    assert result["threshold,none"] > 1.0  # ratio margin of an exact copy beats its neighbours
