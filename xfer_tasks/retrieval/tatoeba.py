"""Tatoeba bitext retrieval scores from sentence embeddings (XTREME and MTEB definitions).

Input: ``xx_emb`` (row i embeds line i of ``tatoeba.<xxx>-eng.<xxx>``) and ``en_emb`` (row i
embeds line i of ``tatoeba.<xxx>-eng.eng``); line i of one side is the translation of line i
of the other, so the gold match of row i is row i. Duplicated sentences stay in: the gold is
the index, not the text, exactly as in both references. Similarity is cosine: both sides
are L2-normalised and searched by inner product: by default exactly, in float32, with both
directions read off one blockwise matrix product (:func:`fused_top1_both_ways`, the sgemm
that ``faiss.IndexFlatIP`` runs, without its per-call threading overhead); other search
options go through :mod:`xfer_tasks.retrieval.search` (FAISS indexes, torch/GPU).

Metrics (fractions in [0, 1]):

``acc_en2xx`` — XTREME (Hu et al. 2020), ``third_party/evaluate_retrieval.py`` task
    ``tatoeba`` + ``utils_retrieve.similarity_search``: the FOREIGN side is indexed and every
    ENGLISH sentence queries it for its nearest neighbour; accuracy = fraction of English rows
    i whose neighbour is foreign row i.
``acc_xx2en``, ``precision_xx2en``, ``recall_xx2en``, ``f1_xx2en`` — MTEB BitextMining
    (``mteb/evaluation/evaluators/BitextMiningEvaluator.py``; ``sentence1`` = foreign,
    ``sentence2`` = English): every FOREIGN sentence queries the English side (top-1);
    with ``labels = [0..n-1]`` and ``predictions`` = the retrieved English indices:
    ``accuracy_score``, and ``precision_score`` / ``recall_score`` / ``f1_score`` with
    ``average="weighted", zero_division=0`` (scikit-learn). Because every gold label occurs
    once, these have a closed form that this module computes directly (and the tests check
    against scikit-learn): with ``c_j`` = how often English row j was predicted and
    ``hit_j`` = 1 if foreign row j retrieved English row j,
    precision = mean_j(hit_j / c_j, 0 when c_j = 0), recall = accuracy,
    f1 = mean_j(2 * hit_j / (1 + c_j)).

Ties (equal cosine similarity, e.g. a sentence duplicated on the searched side) go to the
lowest index, as ``faiss.IndexFlatIP`` / ``IndexFlatL2`` with ``k=1`` (XTREME) and
``numpy.argmax`` do; ``torch.topk`` (MTEB) does the same on CPU in practice but does not
document it. So a query whose translation is the later copy of a duplicated sentence counts as
an error in every implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from xfer_tasks.retrieval.search import (
    KnnIndex,
    SearchConfig,
    as_embedding_matrix,
    check_same_dim,
    l2_normalize,
    resolve_backend,
)

METRIC_KEYS = ("acc_en2xx", "acc_xx2en", "f1_xx2en", "precision_xx2en", "recall_xx2en")


def weighted_prf_of_index_predictions(predictions: np.ndarray) -> tuple[float, float, float]:
    """scikit-learn's weighted precision, recall and F1 (zero_division=0) for gold labels
    ``0..n-1`` (each once) and ``predictions`` in ``0..n-1``, computed in closed form with
    scikit-learn's per-label formulas (P = tp/pred, R = tp/true, F = 2tp/(true + pred)) and its
    support-weighted average."""
    n = predictions.shape[0]
    if n == 0:
        raise ValueError("no predictions to score")
    if predictions.min() < 0 or predictions.max() >= n:
        raise ValueError(f"predictions must lie in [0, {n}), got range "
                         f"[{predictions.min()}, {predictions.max()}]")
    hits = (predictions == np.arange(n)).astype(np.float64)
    pred_count = np.bincount(predictions, minlength=n).astype(np.float64)
    true_count = np.ones(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_count > 0, hits / pred_count, 0.0)
    recall = hits / true_count
    f1 = 2.0 * hits / (true_count + pred_count)
    return (
        float(np.average(precision, weights=true_count)),
        float(np.average(recall, weights=true_count)),
        float(np.average(f1, weights=true_count)),
    )


def fused_top1_both_ways(
    xx: np.ndarray, en: np.ndarray, block: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact float32 top-1 in both directions from ONE blockwise matrix product.

    ``S = xx @ en.T`` (BLAS sgemm, the computation ``IndexFlatIP`` performs) is formed
    ``block`` foreign rows at a time: row maxima give xx->en; a running column maximum,
    updated only on a strictly larger value, gives en->xx. Both keep the lowest index on ties.
    """
    n_xx = xx.shape[0]
    xx2en = np.empty(n_xx, np.int64)
    col_best = np.full(en.shape[0], -np.inf, np.float32)
    en2xx = np.zeros(en.shape[0], np.int64)
    for start in range(0, n_xx, block):
        sims = xx[start : start + block] @ en.T
        xx2en[start : start + block] = sims.argmax(axis=1)
        rows = sims.argmax(axis=0)
        best = sims[rows, np.arange(sims.shape[1])]
        better = best > col_best
        col_best[better] = best[better]
        en2xx[better] = rows[better] + start
    return en2xx, xx2en


def nearest_neighbours(
    xx_emb: Any, en_emb: Any, config: SearchConfig
) -> tuple[np.ndarray, np.ndarray]:
    """``(en2xx, xx2en)``: the top-1 index of each English row in the foreign side and of
    each foreign row in the English side (cosine similarity, lowest index on ties).

    Exact float32 search on CPU (the default) uses :func:`fused_top1_both_ways`; any other
    configuration (approximate indexes, float16 storage, GPU) searches each direction with
    :class:`~xfer_tasks.retrieval.search.KnnIndex`.
    """
    xx = as_embedding_matrix(xx_emb, "tatoeba foreign side (xx_emb)")
    en = as_embedding_matrix(en_emb, "tatoeba English side (en_emb)")
    check_same_dim(xx, en, "xx_emb", "en_emb")
    if xx.shape[0] != en.shape[0]:
        raise ValueError(
            f"tatoeba sides must be aligned line by line: xx_emb has {xx.shape[0]} rows, "
            f"en_emb has {en.shape[0]}"
        )
    xx, en = l2_normalize(xx), l2_normalize(en)
    exact_cpu = config.index == "flat" and config.storage == "float32"
    if exact_cpu and resolve_backend(config) == ("faiss", "cpu"):
        return fused_top1_both_ways(xx, en, config.query_block)
    en2xx = KnnIndex(xx, config).search(en, 1).ids[:, 0]
    xx2en = KnnIndex(en, config).search(xx, 1).ids[:, 0]
    return en2xx, xx2en


@dataclass(frozen=True)
class TatoebaPredictions:
    """The per-query top-1 results behind :func:`tatoeba_metrics` (row i's gold is row i).

    ``en2xx[i]``: the foreign row English row i retrieved; ``xx2en[i]``: the English row
    foreign row i retrieved. :mod:`xfer_tasks.retrieval.bootstrap` resamples these.
    """

    en2xx: np.ndarray
    xx2en: np.ndarray

    def metrics(self) -> dict[str, float]:
        """The five metrics of the module docstring from these predictions."""
        gold = np.arange(self.en2xx.shape[0])
        precision, recall, f1 = weighted_prf_of_index_predictions(self.xx2en)
        return {
            "acc_en2xx": float(np.mean(self.en2xx == gold)),
            "acc_xx2en": float(np.mean(self.xx2en == gold)),
            "f1_xx2en": f1,
            "precision_xx2en": precision,
            "recall_xx2en": recall,
        }


def tatoeba_predictions(xx_emb: Any, en_emb: Any, **search_opts: Any) -> TatoebaPredictions:
    """The top-1 neighbour of every query in both directions (same options as
    :func:`tatoeba_metrics`, which is ``tatoeba_predictions(...).metrics()``)."""
    config = SearchConfig.from_options(search_opts)
    en2xx, xx2en = nearest_neighbours(xx_emb, en_emb, config)
    return TatoebaPredictions(np.asarray(en2xx, np.int64), np.asarray(xx2en, np.int64))


def tatoeba_metrics(xx_emb: Any, en_emb: Any, **search_opts: Any) -> dict[str, float]:
    """XTREME ``acc_en2xx`` and MTEB ``acc/precision/recall/f1_xx2en`` (see module docstring).

    ``search_opts`` are :class:`~xfer_tasks.retrieval.search.SearchConfig` fields (default:
    exact float32 ``IndexFlatIP``), or ``search=SearchConfig(...)``.
    """
    return tatoeba_predictions(xx_emb, en_emb, **search_opts).metrics()
