"""Bootstrap standard errors of the Tatoeba and BUCC scores (deterministic, vectorised).

Why: the retrieval scores are corpus-level (a property of the whole candidate pool), so
lm-eval has no closed-form standard error for them and reports ``N/A``. This module gives
each score a bootstrap standard error over its natural sampling unit, the usual practice for
corpus-level metrics (Koehn 2004, "Statistical significance tests for machine translation
evaluation": resample the test sentences, recompute the corpus metric) and for retrieval /
bitext-mining confidence intervals (resample the queries with replacement, as in MTEB-style
analyses).

Definitions (every replicate resamples ``n`` units with replacement from the ``n`` units of the
original evaluation; all other quantities are HELD FIXED):

- **Tatoeba** (:func:`tatoeba_bootstrap_stderr`): the unit is an aligned pair ``i`` (English
  query ``i`` and foreign query ``i``, drawn together). Each query keeps the neighbour it
  retrieved in the full pool (the candidate pool is fixed; nothing is searched again).
  ``acc_en2xx`` / ``acc_xx2en`` = mean correctness of the drawn queries;
  ``precision/recall/f1_xx2en`` = scikit-learn's ``average="weighted", zero_division=0``
  scores of the drawn (gold, predicted) pairs ``(i, xx2en[i])``, duplicates included. With
  ``m_l`` = how often pair ``l`` was drawn, ``hit_l`` = whether foreign query ``l`` retrieved
  English row ``l`` and ``c_l`` = how often label ``l`` was predicted among the draws
  (``sum_i m_i [xx2en[i] == l]``), scikit-learn's per-label formulas with support weights give
  precision = ``sum_l m_l^2 hit_l / c_l / n``, recall = accuracy = ``sum_l m_l hit_l / n``,
  F1 = ``sum_l 2 m_l^2 hit_l / (m_l + c_l) / n`` (tested against scikit-learn).
- **BUCC** (:func:`bucc_bootstrap_stderr`): the unit is a source (foreign) sentence of the
  test split, carrying its gold pair(s) and its extracted pair(s). The decision threshold
  tuned on the sample split is HELD FIXED (so are the mined candidates); with ``e``, ``g``,
  ``c`` = the drawn sentences' extracted, gold and correct pair counts, precision = c / e,
  recall = c / g, F1 = 2c / (e + g), all 0 when c = 0 (the definitions of
  :func:`xfer_tasks.retrieval.bucc.score_extraction`). The threshold itself gets no stderr.

The standard error is the standard deviation of the ``iters`` bootstrap replicates with
``ddof=1`` (no percentile interval; the same estimator as lm-eval's ``bootstrap_stderr``).
Draws come from ``numpy.random.default_rng(seed)`` (default seed 0), so results are
deterministic; one multiplicity vector per replicate drives all metrics of a task. The
multiplicities are drawn as one multinomial(n, uniform) vector per replicate, restricted to
the units that can change a count (the same distribution as drawing n indices), in chunks of
replicates so memory stays bounded.

``iters``: lm-eval passes ``--bootstrap_iters`` (default 100000). :func:`effective_iters` caps
it at :data:`MAX_BOOTSTRAP_ITERS` = 1000: the Monte Carlo error of a bootstrap standard error
is about ``se / sqrt(2 * iters)``, i.e. ~2% at 1000, far below the sampling error itself,
while 100000 replicates of every language would cost minutes (lm-eval caps BLEU/chrF/TER at
100 for the same reason). ``0`` disables the computation (lm-eval's semantics).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

DEFAULT_ITERS = 1000
MAX_BOOTSTRAP_ITERS = 1000
DEFAULT_SEED = 0
_CHUNK_CELLS = 2_000_000  # replicates x units per chunk (16 MB of int64 multiplicities)

TATOEBA_STDERR_KEYS = ("acc_en2xx", "acc_xx2en", "f1_xx2en", "precision_xx2en", "recall_xx2en")
BUCC_STDERR_KEYS = ("f1", "precision", "recall")


def effective_iters(requested: int) -> int:
    """The number of replicates used for lm-eval's ``--bootstrap_iters`` ``requested``:
    0 when ``requested <= 0`` (disabled), else ``requested`` clamped to
    ``[2, MAX_BOOTSTRAP_ITERS]`` (two replicates are the least a ``ddof=1`` deviation needs)."""
    if requested <= 0:
        return 0
    return max(2, min(int(requested), MAX_BOOTSTRAP_ITERS))


def multiplicity_chunks(
    n_units: int, relevant: np.ndarray, iters: int, seed: int
) -> Iterator[np.ndarray]:
    """Yield ``(chunk, len(relevant))`` int64 arrays: for each replicate, how often each
    ``relevant`` unit (indices into ``0..n_units-1``, distinct) is drawn when ``n_units``
    units are resampled uniformly with replacement; ``iters`` rows in all, deterministic in
    ``seed``."""
    if iters < 2:
        raise ValueError(f"bootstrap iters must be >= 2 (a ddof=1 deviation), got {iters}")
    if n_units < 1:
        raise ValueError("nothing to resample (0 units)")
    rng = np.random.default_rng(seed)
    r = int(relevant.shape[0])
    pvals = np.full(r + 1, 1.0 / n_units)
    pvals[-1] = max(0.0, 1.0 - r / n_units)  # the units that cannot change a count, lumped
    step = max(1, _CHUNK_CELLS // max(1, r + 1))
    for start in range(0, iters, step):
        size = min(step, iters - start)
        yield rng.multinomial(n_units, pvals, size=size)[:, :r].astype(np.int64)


def _stderr(replicates: Iterable[float] | np.ndarray) -> float:
    return float(np.std(np.asarray(replicates, np.float64), ddof=1))


# ---------------------------------------------------------------------------------- Tatoeba
def tatoeba_weighted_prf(
    multiplicity: np.ndarray, xx2en: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn weighted (precision, recall, F1), ``zero_division=0``, of the resampled
    foreign->English pairs, one value per row of ``multiplicity`` (shape ``(B, n)``: how often
    each pair ``0..n-1`` was drawn; gold of pair ``i`` is ``i``, its prediction ``xx2en[i]``).
    See the module docstring for the closed form."""
    m = np.asarray(multiplicity, np.float64)
    if m.ndim != 2 or m.shape[1] != xx2en.shape[0]:
        raise ValueError(
            f"multiplicity must have shape (B, {xx2en.shape[0]}), got {tuple(m.shape)}"
        )
    b, n = m.shape
    hit = (xx2en == np.arange(n)).astype(np.float64)
    # c[r, l] = sum_i m[r, i] * [xx2en[i] == l]: one bincount over the flattened chunk.
    flat = (np.arange(b)[:, None] * n + xx2en[None, :]).ravel()
    predicted = np.bincount(flat, weights=m.ravel(), minlength=b * n).reshape(b, n)
    total = m.sum(axis=1)
    tp = m * hit  # true positives of label l (only pair l has gold l)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision_l = np.where(predicted > 0, tp / predicted, 0.0)
        f1_l = np.where(m + predicted > 0, 2.0 * tp / (m + predicted), 0.0)
    precision = (m * precision_l).sum(axis=1) / total
    recall = tp.sum(axis=1) / total
    f1 = (m * f1_l).sum(axis=1) / total
    return precision, recall, f1


def tatoeba_replicates(
    en2xx: np.ndarray, xx2en: np.ndarray, iters: int = DEFAULT_ITERS, seed: int = DEFAULT_SEED
) -> dict[str, np.ndarray]:
    """The ``iters`` bootstrap replicates of each Tatoeba metric (keys :data:`TATOEBA_STDERR_KEYS`)."""
    en2xx = np.asarray(en2xx, np.int64)
    xx2en = np.asarray(xx2en, np.int64)
    n = en2xx.shape[0]
    if en2xx.ndim != 1 or xx2en.shape != en2xx.shape:
        raise ValueError(
            f"en2xx and xx2en must be 1-d and of equal length, got {en2xx.shape} and {xx2en.shape}"
        )
    if n and (min(en2xx.min(), xx2en.min()) < 0 or max(en2xx.max(), xx2en.max()) >= n):
        raise ValueError(f"predicted indices must lie in [0, {n})")
    gold = np.arange(n)
    hit_en = (en2xx == gold).astype(np.float64)
    hit_xx = (xx2en == gold).astype(np.float64)
    out: dict[str, list[np.ndarray]] = {key: [] for key in TATOEBA_STDERR_KEYS}
    for m in multiplicity_chunks(n, gold, iters, seed):
        out["acc_en2xx"].append(m @ hit_en / n)
        out["acc_xx2en"].append(m @ hit_xx / n)
        precision, recall, f1 = tatoeba_weighted_prf(m, xx2en)
        out["precision_xx2en"].append(precision)
        out["recall_xx2en"].append(recall)
        out["f1_xx2en"].append(f1)
    return {key: np.concatenate(parts) for key, parts in out.items()}


def tatoeba_bootstrap_stderr(
    en2xx: np.ndarray, xx2en: np.ndarray, iters: int = DEFAULT_ITERS, seed: int = DEFAULT_SEED
) -> dict[str, float]:
    """Bootstrap standard error (std of the replicates, ddof=1) of every Tatoeba metric.

    ``en2xx`` / ``xx2en`` as in :class:`xfer_tasks.retrieval.tatoeba.TatoebaPredictions`
    (``tatoeba_predictions(xx_emb, en_emb)``); aligned pairs are resampled, the retrieved
    indices held fixed (module docstring)."""
    return {
        key: _stderr(values)
        for key, values in tatoeba_replicates(en2xx, xx2en, iters, seed).items()
    }


# ------------------------------------------------------------------------------------- BUCC
def bucc_unit_counts(
    src_ids: Iterable[str], extracted: Iterable[tuple[str, str]], gold: Iterable[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per source sentence (in ``src_ids`` order): (#extracted, #gold, #correct) pairs."""
    index = {sid: i for i, sid in enumerate(src_ids)}
    n = len(index)
    gold = set(gold)
    e, g, c = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for what, pairs in (("extracted", list(extracted)), ("gold", gold)):
        for s, t in pairs:
            if s not in index:
                raise ValueError(f"bucc {what} pair ({s!r}, {t!r}): src id is not a test src sentence")
            if what == "gold":
                g[index[s]] += 1
            else:
                e[index[s]] += 1
                c[index[s]] += (s, t) in gold
    return e, g, c


def bucc_prf_of_counts(
    n_extracted: np.ndarray, n_gold: np.ndarray, n_correct: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, F1) arrays from count arrays; all three 0 where ``n_correct`` is 0
    (:func:`xfer_tasks.retrieval.bucc.score_extraction`'s definition, vectorised)."""
    e, g, c = (np.asarray(a, np.float64) for a in (n_extracted, n_gold, n_correct))
    ok = c > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(ok, c / e, 0.0)
        recall = np.where(ok, c / g, 0.0)
        f1 = np.where(ok, 2.0 * c / (e + g), 0.0)
    return precision, recall, f1


def bucc_replicates(
    src_ids: Iterable[str],
    extracted: Iterable[tuple[str, str]],
    gold: Iterable[tuple[str, str]],
    iters: int = DEFAULT_ITERS,
    seed: int = DEFAULT_SEED,
) -> dict[str, np.ndarray]:
    """The ``iters`` bootstrap replicates of BUCC ``f1``, ``precision``, ``recall`` (source
    sentences of the test split resampled; threshold and extracted pairs held fixed)."""
    e, g, c = bucc_unit_counts(src_ids, extracted, gold)
    relevant = np.flatnonzero((e > 0) | (g > 0))
    counts = np.stack([e[relevant], g[relevant], c[relevant]], axis=1)
    out: dict[str, list[np.ndarray]] = {key: [] for key in BUCC_STDERR_KEYS}
    for m in multiplicity_chunks(e.shape[0], relevant, iters, seed):
        drawn = m @ counts
        precision, recall, f1 = bucc_prf_of_counts(drawn[:, 0], drawn[:, 1], drawn[:, 2])
        out["f1"].append(f1)
        out["precision"].append(precision)
        out["recall"].append(recall)
    return {key: np.concatenate(parts) for key, parts in out.items()}


def bucc_bootstrap_stderr(
    src_ids: Iterable[str],
    extracted: Iterable[tuple[str, str]],
    gold: Iterable[tuple[str, str]],
    iters: int = DEFAULT_ITERS,
    seed: int = DEFAULT_SEED,
) -> dict[str, float]:
    """Bootstrap standard error (std of the replicates, ddof=1) of BUCC f1/precision/recall.

    Arguments as in :class:`xfer_tasks.retrieval.bucc.BuccExtraction` (``bucc_extraction``):
    the test split's src ids, the pairs extracted at the tuned threshold and the test gold."""
    return {
        key: _stderr(values)
        for key, values in bucc_replicates(src_ids, extracted, gold, iters, seed).items()
    }
