"""Bootstrap standard errors of the retrieval metrics (xfer_tasks.retrieval.bootstrap)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from xfer_tasks.retrieval.bootstrap import (
    MAX_BOOTSTRAP_ITERS,
    bucc_bootstrap_stderr,
    bucc_prf_of_counts,
    bucc_replicates,
    bucc_unit_counts,
    effective_iters,
    multiplicity_chunks,
    tatoeba_bootstrap_stderr,
    tatoeba_replicates,
    tatoeba_weighted_prf,
)
from xfer_tasks.retrieval.bucc import score_extraction
from xfer_tasks.retrieval.tatoeba import TatoebaPredictions, weighted_prf_of_index_predictions


def _predictions(n: int, p_hit: float, seed: int) -> np.ndarray:
    """Row i retrieves i with probability p_hit, else a random row (collisions included)."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < p_hit, np.arange(n), rng.integers(0, n, n))


def _sklearn_weighted(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    p, r, f, _ = precision_recall_fscore_support(
        gold, predicted, average="weighted", zero_division=0
    )
    return float(p), float(r), float(f)


def test_accuracy_stderr_matches_the_binomial_closed_form():
    n = 1000
    en2xx = _predictions(n, 0.6, seed=1)
    xx2en = _predictions(n, 0.85, seed=2)
    se = tatoeba_bootstrap_stderr(en2xx, xx2en, iters=4000)
    for key, pred in (("acc_en2xx", en2xx), ("acc_xx2en", xx2en)):
        p = float(np.mean(pred == np.arange(n)))
        closed = math.sqrt(p * (1 - p) / n)
        # Monte Carlo error of a 4000-replicate stderr is ~1.1%; 5% is > 4 sigma
        assert se[key] == pytest.approx(closed, rel=0.05), (key, se[key], closed)
    assert se["recall_xx2en"] == se["acc_xx2en"]  # weighted recall is accuracy


def test_replicates_are_deterministic_and_seeded():
    en2xx, xx2en = _predictions(300, 0.5, 3), _predictions(300, 0.7, 4)
    first = tatoeba_bootstrap_stderr(en2xx, xx2en, iters=200)
    assert tatoeba_bootstrap_stderr(en2xx, xx2en, iters=200) == first
    other_seed = tatoeba_bootstrap_stderr(en2xx, xx2en, iters=200, seed=1)
    assert other_seed != first
    assert all(v > 0 for v in first.values())


def test_replicates_do_not_depend_on_chunking(monkeypatch):
    import xfer_tasks.retrieval.bootstrap as bootstrap

    en2xx, xx2en = _predictions(50, 0.5, 5), _predictions(50, 0.7, 6)
    whole = tatoeba_replicates(en2xx, xx2en, iters=40)
    monkeypatch.setattr(bootstrap, "_CHUNK_CELLS", 51 * 7)  # 7 replicates per chunk
    chunked = tatoeba_replicates(en2xx, xx2en, iters=40)
    for key in whole:
        assert chunked[key].shape == (40,)
        np.testing.assert_array_equal(chunked[key], whole[key])


def test_weighted_prf_equals_sklearn_on_the_original_and_on_resamples():
    n = 400
    xx2en = _predictions(n, 0.6, seed=7)
    gold = np.arange(n)
    original = tatoeba_weighted_prf(np.ones((1, n), np.int64), xx2en)
    expected = _sklearn_weighted(gold, xx2en)
    assert [float(a[0]) for a in original] == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(weighted_prf_of_index_predictions(xx2en), abs=1e-12)
    rng = np.random.default_rng(8)
    draws = rng.integers(0, n, size=(5, n))
    multiplicity = np.stack([np.bincount(d, minlength=n) for d in draws])
    precision, recall, f1 = tatoeba_weighted_prf(multiplicity, xx2en)
    for row, d in enumerate(draws):  # the resampled (gold, predicted) pairs, duplicates kept
        assert (precision[row], recall[row], f1[row]) == pytest.approx(
            _sklearn_weighted(d, xx2en[d]), abs=1e-12
        )


def test_multiplicities_resample_n_units():
    chunks = list(multiplicity_chunks(20, np.arange(20), iters=500, seed=0))
    m = np.concatenate(chunks)
    assert m.shape == (500, 20) and (m.sum(axis=1) == 20).all()
    assert m.mean() == pytest.approx(1.0, abs=0.05)
    part = np.concatenate(list(multiplicity_chunks(1000, np.array([3, 7]), iters=300, seed=0)))
    assert part.shape == (300, 2) and part.mean() == pytest.approx(1.0, abs=0.15)


def test_effective_iters_caps_and_disables():
    assert effective_iters(0) == 0 and effective_iters(-5) == 0
    assert effective_iters(100000) == MAX_BOOTSTRAP_ITERS == 1000
    assert effective_iters(250) == 250
    assert effective_iters(1) == 2
    with pytest.raises(ValueError, match="iters must be >= 2"):
        tatoeba_bootstrap_stderr(np.arange(5), np.arange(5), iters=1)


def test_tatoeba_rejects_misaligned_predictions():
    with pytest.raises(ValueError, match="equal length"):
        tatoeba_bootstrap_stderr(np.arange(5), np.arange(4))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        tatoeba_bootstrap_stderr(np.array([0, 1, 3]), np.arange(3))


def test_predictions_object_feeds_the_bootstrap():
    preds = TatoebaPredictions(_predictions(200, 0.5, 9), _predictions(200, 0.8, 10))
    metrics = preds.metrics()
    replicates = tatoeba_replicates(preds.en2xx, preds.xx2en, iters=500)
    assert set(replicates) == set(metrics)
    for key in ("acc_en2xx", "acc_xx2en", "recall_xx2en"):
        # accuracies are means of the drawn units: their bootstrap distribution is centred on
        # the observed value (within 4 Monte Carlo standard errors). Weighted precision/F1 are
        # not linear in the draws (a duplicated query counts with weight m^2), so their
        # replicates are biased upwards; only their spread is used.
        values = replicates[key]
        assert abs(values.mean() - metrics[key]) < 4 * values.std(ddof=1) / math.sqrt(500)


# ------------------------------------------------------------------------------------ BUCC
def _bucc_case():
    """10 source sentences: s0-s5 have gold pairs (s5 two of them); s0-s3 correctly extracted,
    s4 wrongly extracted, s6 extracted without gold (false positive), s7-s9 nothing."""
    src_ids = [f"s{i}" for i in range(10)]
    gold = {("s0", "t0"), ("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("s4", "t4"),
            ("s5", "t5"), ("s5", "t6")}
    extracted = [("s0", "t0"), ("s1", "t1"), ("s2", "t2"), ("s3", "t3"), ("s4", "t9"),
                 ("s6", "t7")]
    return src_ids, extracted, gold


def test_bucc_counts_per_source_sentence():
    src_ids, extracted, gold = _bucc_case()
    e, g, c = bucc_unit_counts(src_ids, extracted, gold)
    assert e.tolist() == [1, 1, 1, 1, 1, 0, 1, 0, 0, 0]
    assert g.tolist() == [1, 1, 1, 1, 1, 2, 0, 0, 0, 0]
    assert c.tolist() == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    # all ones reproduce score_extraction on the original sample: c=4, e=6, g=7
    p, r, f = bucc_prf_of_counts(np.array([e.sum()]), np.array([g.sum()]), np.array([c.sum()]))
    expected = score_extraction(extracted, gold)
    assert (p[0], r[0], f[0]) == pytest.approx(
        (expected["precision"], expected["recall"], expected["f1"]), abs=1e-15
    )
    assert (p[0], r[0]) == pytest.approx((4 / 6, 4 / 7))
    zero = bucc_prf_of_counts(np.array([3]), np.array([5]), np.array([0]))
    assert [a[0] for a in zero] == [0.0, 0.0, 0.0]


def test_bucc_replicates_recompute_scores_from_the_drawn_sentences():
    src_ids, extracted, gold = _bucc_case()
    replicates = bucc_replicates(src_ids, extracted, gold, iters=50, seed=3)
    m = np.concatenate(
        list(multiplicity_chunks(10, np.arange(7), iters=50, seed=3))
    )  # units with a count: s0..s6 (in order), as bucc_replicates selects them
    for row in range(50):
        drawn = [sid for sid, k in zip(src_ids[:7], m[row], strict=True) for _ in range(k)]
        c = sum(sum(1 for p in extracted if p[0] == s and p in gold) for s in drawn)
        e = sum(sum(1 for p in extracted if p[0] == s) for s in drawn)
        g = sum(sum(1 for p in gold if p[0] == s) for s in drawn)
        f1 = 0.0 if c == 0 else 2 * c / (e + g)
        assert replicates["f1"][row] == pytest.approx(f1, abs=1e-15)
        assert replicates["precision"][row] == pytest.approx(0.0 if c == 0 else c / e, abs=1e-15)
        assert replicates["recall"][row] == pytest.approx(0.0 if c == 0 else c / g, abs=1e-15)
    se = bucc_bootstrap_stderr(src_ids, extracted, gold, iters=50, seed=3)
    assert se["f1"] == pytest.approx(float(np.std(replicates["f1"], ddof=1)), abs=1e-15)


def test_bucc_stderr_shrinks_with_corpus_size_and_is_deterministic():
    def corpus(copies: int):
        src_ids, extracted, gold = [], [], set()
        for k in range(copies):
            ids, ex, gd = _bucc_case()
            rename = {s: f"{s}-{k}" for s in ids}
            src_ids += [rename[s] for s in ids]
            extracted += [(rename[s], f"{t}-{k}") for s, t in ex]
            gold |= {(rename[s], f"{t}-{k}") for s, t in gd}
        return src_ids, extracted, gold

    small = bucc_bootstrap_stderr(*corpus(10), iters=1000)
    large = bucc_bootstrap_stderr(*corpus(40), iters=1000)
    assert bucc_bootstrap_stderr(*corpus(10), iters=1000) == small
    for key in ("f1", "precision", "recall"):
        assert 0 < large[key] < small[key]
        # 4x the sentences: about half the stderr
        assert large[key] / small[key] == pytest.approx(0.5, rel=0.15)


def test_bucc_rejects_pairs_outside_the_test_source_side():
    with pytest.raises(ValueError, match="'x9'"):
        bucc_bootstrap_stderr(["s0"], [("x9", "t0")], set())
