"""Tatoeba metrics: hand-built cases, the numpy/sklearn reference, and real Tatoeba lines."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from retrieval_numpy_reference import tatoeba_reference
from sklearn.metrics import f1_score, precision_score, recall_score

from xfer_tasks.data.tatoeba import load_tatoeba_pair
from xfer_tasks.retrieval import tatoeba_metrics
from xfer_tasks.retrieval.tatoeba import METRIC_KEYS, weighted_prf_of_index_predictions


def test_perfect_alignment_scores_one():
    emb = np.eye(5, dtype=np.float32) * 3
    assert tatoeba_metrics(emb, emb) == {key: 1.0 for key in METRIC_KEYS}


def test_directions_differ_by_definition():
    xx = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    en = np.array([[1.0, 0.0], [0.8, 0.2], [0.0, 1.0]])
    # en2xx (English queries): en1 -> xx1 (cos .991 vs .970): all right => 1.0
    # xx2en (foreign queries): xx1 -> en0 (cos .994 vs .991): wrong => 2/3
    m = tatoeba_metrics(xx, en)
    assert m["acc_en2xx"] == 1.0
    assert m["acc_xx2en"] == pytest.approx(2 / 3)
    en = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # en1 duplicates en0
    m = tatoeba_metrics(xx, en)
    # en2xx: en1 -> xx0 (tie between en rows irrelevant; query en1 = (1,0) -> xx0) => 2/3
    assert m["acc_en2xx"] == pytest.approx(2 / 3)
    # xx2en: xx1 -> tie between en0 and en1 -> lowest index en0 => wrong => 2/3
    assert m["acc_xx2en"] == pytest.approx(2 / 3)
    # predictions [0, 0, 2]: label0 P=1/2 F=2/3, label1 P=0 F=0, label2 P=1 F=1
    assert m["precision_xx2en"] == pytest.approx((0.5 + 0 + 1) / 3)
    assert m["f1_xx2en"] == pytest.approx((2 / 3 + 0 + 1) / 3)
    assert m["recall_xx2en"] == pytest.approx(2 / 3)


def test_duplicate_on_searched_side_lowest_index_wins():
    rng = np.random.default_rng(3)
    xx = rng.normal(size=(6, 8)).astype(np.float32)
    xx[4] = xx[1]  # foreign sentence 4 duplicates sentence 1
    en = xx + 0.01 * rng.normal(size=xx.shape).astype(np.float32)
    en[4] = xx[1]  # the English query for row 4 hits rows 1 and 4 with equal similarity
    en[1] = xx[1]
    m = tatoeba_metrics(xx, en)
    assert m["acc_en2xx"] == pytest.approx(5 / 6)  # query 4 retrieves row 1 (lowest index)
    assert m == pytest.approx(tatoeba_reference(xx, en), abs=0, rel=0)


@pytest.mark.parametrize("index", ["flat", "torch"])
def test_exact_ties_across_many_positions_go_to_lowest_index(index):
    base = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    dup_rows = [7, 64, 65, 200, 299]
    for r in dup_rows:
        base[r] = base[5]
    m = tatoeba_metrics(base, base, index=index, device="cpu")
    # every copy's query retrieves row 5: the 5 later copies are misses in both directions
    assert m["acc_en2xx"] == m["acc_xx2en"] == pytest.approx(1 - len(dup_rows) / 300)


@pytest.mark.parametrize("seed", range(4))
def test_matches_numpy_sklearn_reference(seed):
    rng = np.random.default_rng(seed)
    xx = rng.normal(size=(120, 24))
    en = xx + rng.normal(scale=1.2, size=xx.shape)
    ours = tatoeba_metrics(xx, en)
    ref = tatoeba_reference(xx, en)
    assert ours == ref  # identical floats
    assert 0.2 < ours["acc_xx2en"] < 0.95  # not a trivial case


def test_closed_form_weighted_prf_equals_sklearn():
    rng = np.random.default_rng(1)
    for n in (1, 2, 7, 50, 300):
        preds = rng.integers(0, n, size=n)
        preds[: n // 3] = np.arange(n // 3)
        labels = np.arange(n)
        p, r, f = weighted_prf_of_index_predictions(preds)
        assert p == precision_score(labels, preds, average="weighted", zero_division=0)
        assert r == recall_score(labels, preds, average="weighted", zero_division=0)
        assert f == f1_score(labels, preds, average="weighted", zero_division=0)


def test_search_backends_agree():
    rng = np.random.default_rng(5)
    xx = rng.normal(size=(400, 32))
    en = xx + rng.normal(scale=0.9, size=xx.shape)
    exact = tatoeba_metrics(xx, en)
    assert tatoeba_metrics(xx, en, index="torch", device="cpu") == exact
    assert tatoeba_metrics(xx, en, query_block=37) == exact
    fp16 = tatoeba_metrics(xx, en, storage="float16")
    assert fp16["acc_en2xx"] == pytest.approx(exact["acc_en2xx"], abs=0.01)


@pytest.mark.parametrize(
    ("xx", "en", "message"),
    [
        (np.full((3, 4), np.nan), np.ones((3, 4)), "foreign side .* row 0 contains NaN"),
        (np.ones((3, 4)), np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, np.inf, 0]]), "English side .* row 2"),
        (np.ones((3, 4)), np.ones((3, 5)), "dimensions differ"),
        (np.ones((3, 4)), np.ones((2, 4)), "aligned line by line"),
        (np.ones((0, 4)), np.ones((0, 4)), "empty side"),
        (np.ones(4), np.ones(4), "2-D"),
    ],
)
def test_bad_input_gives_clear_error(xx, en, message):
    with pytest.raises(ValueError, match=message):
        tatoeba_metrics(xx, en)


def test_unknown_search_option_is_rejected():
    with pytest.raises(TypeError, match="unknown search option"):
        tatoeba_metrics(np.eye(3), np.eye(3), nprobes=3)


def char_ngram_embeddings(lines: list[str], dim: int = 512) -> np.ndarray:
    """A cheap deterministic embedding: hashed character 1-3-gram counts."""
    out = np.zeros((len(lines), dim), dtype=np.float32)
    for row, line in enumerate(lines):
        text = f" {line.lower()} "
        for n in (1, 2, 3):
            for i in range(len(text) - n + 1):
                out[row, zlib.crc32(text[i : i + n].encode()) % dim] += 1.0
    return out


@pytest.mark.parametrize("code", ["deu", "fra", "nld", "cmn"])
def test_real_tatoeba_pairs_match_reference(shared_data, code):
    xx_lines, en_lines = load_tatoeba_pair(shared_data / "tatoeba", code)
    assert len(xx_lines) == len(en_lines) == 1000
    xx, en = char_ngram_embeddings(xx_lines), char_ngram_embeddings(en_lines)
    ours, ref = tatoeba_metrics(xx, en), tatoeba_reference(xx, en)
    assert ours == pytest.approx(ref, abs=1e-12)
    if code != "cmn":  # shared names and numbers: far above chance (0.001)
        assert ours["acc_en2xx"] > 0.02
