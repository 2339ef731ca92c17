"""BUCC 2018 bitext mining with the LASER margin criterion, threshold tuning and F1.

Follows LASER (Artetxe & Schwenk 2019; facebookresearch/LASER ``source/mine_bitexts.py``,
``tasks/bucc/bucc.py``) as reused by XTREME (google-research/xtreme
``third_party/utils_retrieve.py``: ``mine_bitext``, ``bucc_optimize``, ``bucc_extract``,
``read_sent2id``, ``read_candidate2score``). One split (``sample`` or ``training``) is mined
as follows; ``src`` is the foreign language, ``trg`` is English.

1. **Unify** (``TextLoadUnify`` / ``unique_embeddings``): each side is reduced to its unique
   texts (exact string match), in order of first occurrence; the embedding kept for a text is
   that of its LAST occurrence (``{j: i for i, j in enumerate(ind)}``).
2. **Normalise** rows to unit L2 norm (``faiss.normalize_L2``).
3. **kNN both ways**: the ``k`` (default 4; at most the other side's size) nearest neighbours
   of every src row among trg rows and of every trg row among src rows, by inner product.
   A point's own translation stays in its neighbourhood (no self-exclusion).
4. **Margin** of a candidate pair (x, y), with ``m_x`` the mean similarity of x's k-NN list and
   ``m_y`` that of y's: ``a = cos(x, y)``, ``b = (m_x + m_y) / 2``;
   ``ratio`` (default): a / b, ``distance``: a - b, ``absolute``: a. The cosine is recomputed
   in float32 from the vectors (as ``score_candidates`` does); the means come from the search.
5. **Candidates** only from the kNN lists: every src row's best-scoring candidate among its
   k trg neighbours (``argmax``: the first listed on ties) and every trg row's best among its
   k src neighbours.
6. **max retrieval**: the forward and backward best pairs are pooled and sorted by decreasing
   score; a pair is accepted greedily when neither its src nor its trg text has been used
   (a rejected pair does not mark anything used). Both references keep only accepted pairs
   with score > 0 (``mine_bitexts.py --threshold`` default 0, strict ``>``): that is
   ``candidate_floor=0.0`` here; ``None`` keeps them all. The references sort with numpy's
   default (unstable) ``argsort``; here the sort is stable (ties keep pool order:
   forward pairs by src row, then backward pairs by trg row).
7. **Id map** (``read_sent2id``): a text (compared after ``str.strip()``) that occurs more than
   once on its side is DROPPED from that side's text -> id map; other texts map to their id.
   A mined pair whose src or trg text is not in the map is discarded. Gold pairs involving
   dropped texts stay in the gold (they count as misses).
8. **Threshold** (``bucc_optimize``): on the tuning split (``sample``) candidates are sorted by
   decreasing score (stable); walking down the list, precision/recall/F1 against the gold are
   computed after each candidate; at the first strict F1 maximum the threshold is the midpoint
   between that candidate's score and the next one's. Guard: when the best F1 is reached at
   the last candidate (where the references would index past the list), the threshold is that
   candidate's score. When no candidate is correct the threshold stays 0.0 (as in the
   references).
9. **Extraction and F1** (``bucc_extract`` + ``bucc_eval``): on the test split (``training``)
   the extracted pairs are the candidates with score >= threshold; with ``c`` = extracted pairs
   in the gold, precision = c / #extracted, recall = c / #gold, F1 = 2PR / (P + R); all three
   are 0 when ``c`` is 0. Scores are fractions (the references print percentages).

The threshold is tuned on ``sample`` and applied to ``training`` (XTREME's dev/test protocol as
described in the XTREME paper; note XTREME's ``evaluate_retrieval.py`` re-optimises on any split
that has a gold file, which would tune on the test gold; this library does not).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xfer_tasks.retrieval.search import (
    KnnIndex,
    KnnResult,
    SearchConfig,
    as_embedding_matrix,
    check_same_dim,
    exact_inner_products,
    l2_normalize,
)

MARGINS = ("ratio", "distance", "absolute")
METRIC_KEYS = ("f1", "precision", "recall", "threshold")


@dataclass(frozen=True, eq=False)
class BitextSide:
    """One language side of a BUCC split: sentence ids, texts and their embeddings (row i).

    ``emb`` is kept as float32, or as float16 when given float16 (half the memory at BUCC
    scale; mining normalises a float32 copy of it).
    """

    ids: Sequence[str]
    texts: Sequence[str]
    emb: np.ndarray
    name: str = "side"

    def __post_init__(self) -> None:
        ids, texts = list(self.ids), list(self.texts)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "texts", texts)
        if not ids:
            raise ValueError(f"{self.name}: empty side (no sentences)")
        if len(ids) != len(texts):
            raise ValueError(f"{self.name}: {len(ids)} ids but {len(texts)} texts")
        emb = as_embedding_matrix(self.emb, f"{self.name} embeddings", keep_float16=True)
        if emb.shape[0] != len(ids):
            raise ValueError(f"{self.name}: {len(ids)} sentences but {emb.shape[0]} embedding rows")
        object.__setattr__(self, "emb", emb)
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            dup = next(i for i in ids if i in seen or seen.add(i))
            raise ValueError(f"{self.name}: sentence id {dup!r} occurs more than once")


@dataclass(frozen=True, eq=False)
class BuccSplit:
    """A BUCC split: foreign ``src`` side, English ``trg`` side, gold (src_id, trg_id) pairs."""

    src: BitextSide
    trg: BitextSide
    gold: set[tuple[str, str]] = field(default_factory=set)
    name: str = "split"

    def __post_init__(self) -> None:
        check_same_dim(self.src.emb, self.trg.emb, f"{self.name} src", f"{self.name} trg")
        gold = {(str(s), str(t)) for s, t in self.gold}
        object.__setattr__(self, "gold", gold)
        src_ids, trg_ids = set(self.src.ids), set(self.trg.ids)
        for s, t in sorted(gold):
            if s not in src_ids:
                raise ValueError(f"{self.name} gold: src id {s!r} is not a sentence id of the src side")
            if t not in trg_ids:
                raise ValueError(f"{self.name} gold: trg id {t!r} is not a sentence id of the trg side")


@dataclass(frozen=True)
class UnifiedSide:
    texts: list[str]  # unique texts, first-occurrence order
    emb: np.ndarray  # normalised embedding of each unique text (its last occurrence's row)
    text_to_id: dict[str, str]  # stripped text -> id, texts repeated on the side dropped


def unify_side(side: BitextSide) -> UnifiedSide:
    """Steps 1, 2 and 7 of the module docstring for one side."""
    first: dict[str, int] = {}
    last_row: list[int] = []
    for row, text in enumerate(side.texts):
        u = first.setdefault(text, len(first))
        if u == len(last_row):
            last_row.append(row)
        else:
            last_row[u] = row
    texts = list(first)
    rows = np.asarray(last_row)
    no_duplicates = len(rows) == side.emb.shape[0]  # then rows == arange(n): skip a copy
    emb = l2_normalize(side.emb if no_duplicates else side.emb[rows])
    text_to_id: dict[str, str] = {}
    repeated: set[str] = set()
    for sid, text in zip(side.ids, side.texts, strict=True):
        key = text.strip()
        if key in text_to_id:
            repeated.add(key)
        else:
            text_to_id[key] = sid
    for key in repeated:
        del text_to_id[key]
    return UnifiedSide(texts, emb, text_to_id)


def apply_margin(a: np.ndarray, b: np.ndarray, margin: str) -> np.ndarray:
    if margin == "ratio":
        return a / b
    if margin == "distance":
        return a - b
    if margin == "absolute":
        return a
    raise ValueError(f"margin must be one of {MARGINS}, got {margin!r}")


def _best_candidates(
    x: np.ndarray, y: np.ndarray, ids: np.ndarray, x_mean: np.ndarray, y_mean: np.ndarray, margin: str
) -> tuple[np.ndarray, np.ndarray]:
    """(best candidate index in y, its score) for every row of x (``score_candidates``)."""
    best = np.empty(x.shape[0], np.int64)
    score = np.empty(x.shape[0], np.float64)
    block = 16384
    for s in range(0, x.shape[0], block):
        b_ids = ids[s : s + block]
        cos = exact_inner_products(x[s : s + block], y, b_ids)
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = apply_margin(
                cos, (x_mean[s : s + block, None] + y_mean[b_ids]) / np.float32(2), margin
            ).astype(np.float32)
        arg = np.argmax(scores, axis=1)
        best[s : s + block] = b_ids[np.arange(len(b_ids)), arg]
        score[s : s + block] = scores[np.arange(len(b_ids)), arg]
    return best, score


@dataclass(frozen=True)
class MiningResult:
    """What :func:`mine` found: the scored candidates and the two kNN lists behind them."""

    candidates: dict[tuple[str, str], float]  # (src_id, trg_id) -> score, acceptance order
    forward: KnnResult  # each unique src text's k nearest unique trg texts
    backward: KnnResult  # each unique trg text's k nearest unique src texts


def mine(
    split: BuccSplit,
    k: int = 4,
    margin: str = "ratio",
    config: SearchConfig | None = None,
    candidate_floor: float | None = 0.0,
) -> MiningResult:
    """Steps 1-7 of the module docstring for one split."""
    if margin not in MARGINS:
        raise ValueError(f"margin must be one of {MARGINS}, got {margin!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    config = config or SearchConfig()
    src, trg = unify_side(split.src), unify_side(split.trg)
    x, y = src.emb, trg.emb
    fwd = KnnIndex(y, config).search(x, min(k, y.shape[0]))
    bwd = KnnIndex(x, config).search(y, min(k, x.shape[0]))
    x_mean = fwd.sims.mean(axis=1, dtype=np.float32)
    y_mean = bwd.sims.mean(axis=1, dtype=np.float32)
    fwd_best, fwd_score = _best_candidates(x, y, fwd.ids, x_mean, y_mean, margin)
    bwd_best, bwd_score = _best_candidates(y, x, bwd.ids, y_mean, x_mean, margin)

    pool_src = np.concatenate([np.arange(x.shape[0]), bwd_best])
    pool_trg = np.concatenate([fwd_best, np.arange(y.shape[0])])
    pool_score = np.concatenate([fwd_score, bwd_score])
    if not np.isfinite(pool_score).all():
        raise ValueError(
            f"{split.name}: non-finite margin scores (a zero neighbourhood mean with "
            f"margin={margin!r}; are some embeddings all-zero?)"
        )
    order = np.argsort(-pool_score, kind="stable")
    used_src = np.zeros(x.shape[0], bool)
    used_trg = np.zeros(y.shape[0], bool)
    candidates: dict[tuple[str, str], float] = {}
    for i in order.tolist():
        s, t = int(pool_src[i]), int(pool_trg[i])
        if used_src[s] or used_trg[t]:
            continue
        used_src[s] = used_trg[t] = True
        value = float(pool_score[i])
        if candidate_floor is not None and not value > candidate_floor:
            continue
        s_id = src.text_to_id.get(src.texts[s].strip())
        t_id = trg.text_to_id.get(trg.texts[t].strip())
        if s_id is None or t_id is None:
            continue
        key = (s_id, t_id)
        candidates[key] = max(value, candidates.get(key, value))
    return MiningResult(candidates, fwd, bwd)


def mine_candidates(
    split: BuccSplit,
    k: int = 4,
    margin: str = "ratio",
    config: SearchConfig | None = None,
    candidate_floor: float | None = 0.0,
) -> dict[tuple[str, str], float]:
    """Steps 1-7: ``{(src_id, trg_id): margin score}`` in acceptance order (decreasing score)."""
    return mine(split, k, margin, config, candidate_floor).candidates


def _prf(n_correct: int, n_extracted: int, n_gold: int) -> tuple[float, float, float]:
    if n_correct == 0:
        return 0.0, 0.0, 0.0
    precision = n_correct / n_extracted
    recall = n_correct / n_gold
    return precision, recall, 2 * precision * recall / (precision + recall)


def tune_threshold(candidates: dict[tuple[str, str], float], gold: Iterable[tuple[str, str]]) -> float:
    """Step 8: the F1-optimal threshold on ``gold`` (``bucc_optimize``, last-candidate guard)."""
    gold = set(gold)
    items = sorted(candidates.items(), key=lambda item: -item[1])
    threshold, best_f1, n_correct = 0.0, 0.0, 0
    for i, (pair, score) in enumerate(items):
        n_correct += pair in gold
        if n_correct > 0:
            f1 = _prf(n_correct, i + 1, len(gold))[2]
            if f1 > best_f1:
                best_f1 = f1
                threshold = (score + items[i + 1][1]) / 2 if i + 1 < len(items) else score
    return threshold


def extract(candidates: dict[tuple[str, str], float], threshold: float) -> list[tuple[str, str]]:
    """Step 9: the candidate pairs with score >= threshold (``bucc_extract``)."""
    return [pair for pair, score in candidates.items() if score >= threshold]


def score_extraction(extracted: Iterable[tuple[str, str]], gold: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Precision, recall, F1 of extracted (src_id, trg_id) pairs against the gold pairs."""
    extracted, gold = list(extracted), set(gold)
    n_correct = len(gold.intersection(extracted))
    precision, recall, f1 = _prf(n_correct, len(extracted), len(gold))
    return {"f1": f1, "precision": precision, "recall": recall}


def bucc_metrics(
    sample: BuccSplit,
    test: BuccSplit,
    k: int = 4,
    margin: str = "ratio",
    candidate_floor: float | None = 0.0,
    **search_opts: Any,
) -> dict[str, float]:
    """Mine both splits, tune the threshold on ``sample``'s gold, score ``test`` (keys:
    ``f1``, ``precision``, ``recall``, ``threshold``). ``search_opts`` are
    :class:`~xfer_tasks.retrieval.search.SearchConfig` fields (default exact ``IndexFlatIP``)."""
    return bucc_extraction(sample, test, k, margin, candidate_floor, **search_opts).metrics()


@dataclass(frozen=True)
class BuccExtraction:
    """What :func:`bucc_metrics` scores: the pairs extracted from the test split at the
    threshold tuned on the sample split, the test gold and the test split's src ids.
    :mod:`xfer_tasks.retrieval.bootstrap` resamples the src sentences of this."""

    extracted: list[tuple[str, str]]
    gold: set[tuple[str, str]]
    src_ids: list[str]
    threshold: float

    def metrics(self) -> dict[str, float]:
        """``f1``, ``precision``, ``recall`` (step 9) and ``threshold`` (step 8)."""
        return {**score_extraction(self.extracted, self.gold), "threshold": float(self.threshold)}


def bucc_extraction(
    sample: BuccSplit,
    test: BuccSplit,
    k: int = 4,
    margin: str = "ratio",
    candidate_floor: float | None = 0.0,
    **search_opts: Any,
) -> BuccExtraction:
    """Steps 1-9 for both splits (same options as :func:`bucc_metrics`, which is
    ``bucc_extraction(...).metrics()``)."""
    config = SearchConfig.from_options(search_opts)
    sample_candidates = mine_candidates(sample, k, margin, config, candidate_floor)
    threshold = tune_threshold(sample_candidates, sample.gold)
    test_candidates = mine_candidates(test, k, margin, config, candidate_floor)
    return BuccExtraction(
        extract(test_candidates, threshold), set(test.gold), list(test.src.ids), float(threshold)
    )
