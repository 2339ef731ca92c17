"""Bitext retrieval and mining scores from sentence embeddings, without lm-eval.

Embeddings (and ids/texts) in, a dict of named metrics out; all metrics are fractions in
[0, 1]. The package reads no files and imports nothing from ``xfer_tasks.data`` or
``xfer_tasks.catalog`` (the Tatoeba and BUCC file readers live with the data:
``xfer_tasks.data.tatoeba.load_tatoeba_pair``, ``xfer_tasks.data.bucc.load_bucc_split``;
``tests/retrieval/test_retrieval_imports.py`` checks the rule). One evaluator per module, each with its definition and the source it follows:

- ``search``        exact / chunked / approximate / GPU k-nearest-neighbour search (FAISS, torch)
- ``tatoeba``       XTREME Tatoeba accuracy (English queries) + MTEB BitextMining (foreign queries)
- ``bucc``          LASER/XTREME margin-based bitext mining, threshold tuning, F1
- ``bootstrap``     bootstrap standard errors of the Tatoeba and BUCC metrics (resampled queries /
                    source sentences)

Public API (stable; the harness tasks depend on it):

    tatoeba_metrics(xx_emb, en_emb, **search_opts) -> dict[str, float]
        keys: acc_en2xx, acc_xx2en, f1_xx2en, precision_xx2en, recall_xx2en
    bucc_metrics(sample: BuccSplit, test: BuccSplit, k=4, margin="ratio", **search_opts)
        -> dict[str, float]; keys: f1, precision, recall, threshold
    BitextSide(ids: list[str], texts: list[str], emb: np.ndarray)
    BuccSplit(src: BitextSide, trg: BitextSide, gold: set[tuple[str, str]])
"""

from __future__ import annotations

from xfer_tasks.retrieval.bucc import BitextSide, BuccSplit, bucc_metrics
from xfer_tasks.retrieval.tatoeba import tatoeba_metrics

__all__ = ["BitextSide", "BuccSplit", "bucc_metrics", "tatoeba_metrics"]
