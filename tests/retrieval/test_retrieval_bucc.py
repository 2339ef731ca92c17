"""BUCC margin mining: hand-built cases and agreement with the numpy reference (LASER port)."""

from __future__ import annotations

import numpy as np
import pytest
from retrieval_numpy_reference import bucc_reference, mine_reference

from xfer_tasks.retrieval import BitextSide, BuccSplit, bucc_metrics
from xfer_tasks.retrieval.bucc import (
    extract,
    mine_candidates,
    score_extraction,
    tune_threshold,
    unify_side,
)


def make_split(src_texts, src_emb, trg_texts, trg_emb, gold, prefix="x"):
    src_ids = [f"{prefix}-src-{i}" for i in range(len(src_texts))]
    trg_ids = [f"{prefix}-trg-{i}" for i in range(len(trg_texts))]
    gold_ids = {(src_ids[s], trg_ids[t]) for s, t in gold}
    split = BuccSplit(
        BitextSide(src_ids, src_texts, np.asarray(src_emb, np.float32), "src"),
        BitextSide(trg_ids, trg_texts, np.asarray(trg_emb, np.float32), "trg"),
        gold_ids,
    )
    as_dict = {
        "src_ids": src_ids, "src_texts": list(src_texts), "src_emb": np.asarray(src_emb, np.float32),
        "trg_ids": trg_ids, "trg_texts": list(trg_texts), "trg_emb": np.asarray(trg_emb, np.float32),
        "gold": gold_ids,
    }  # fmt: skip
    return split, as_dict


def planted_split(seed, n_src=60, n_trg=70, n_pairs=30, dim=16, noise=0.6, prefix="x"):
    rng = np.random.default_rng(seed)
    src = rng.normal(size=(n_src, dim))
    trg = rng.normal(size=(n_trg, dim))
    trg[:n_pairs] = src[:n_pairs] + noise * rng.normal(size=(n_pairs, dim))
    perm = rng.permutation(n_trg)  # shuffle the English side
    trg = trg[perm]
    inverse = np.argsort(perm)
    gold = {(i, int(inverse[i])) for i in range(n_pairs)}
    src_texts = [f"{prefix} src sentence {i}" for i in range(n_src)]
    trg_texts = [f"{prefix} trg sentence {i}" for i in range(n_trg)]
    return make_split(src_texts, src, trg_texts, trg, gold, prefix)


def test_hand_built_ratio_margin_and_max_retrieval():
    # Two orthogonal pairs plus one hub trg row close to both src rows.
    src = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    trg = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.6, 0.0]]
    split, _ = make_split(["a", "b"], src, ["A", "B", "H"], trg, {(0, 0), (1, 1)})
    cands = mine_candidates(split, k=2)
    h = 0.6 / np.sqrt(0.72)  # cos(src, hub) = 0.7071
    # src0: kNN = [A (1), H (h)] mean (1+h)/2; trg A: kNN = [a (1), b (0)] mean 1/2
    m_src = (1 + h) / 2
    ratio_a_A = 1 / ((m_src + 0.5) / 2)
    assert list(cands) == [("x-src-0", "x-trg-0"), ("x-src-1", "x-trg-1")]
    assert cands[("x-src-0", "x-trg-0")] == pytest.approx(ratio_a_A, rel=1e-6)
    # the hub's best pair (its score is lower) is rejected because src0/src1 are used
    m = bucc_metrics(split, split, k=2)
    assert m["f1"] == m["precision"] == m["recall"] == 1.0


@pytest.mark.parametrize("margin", ["ratio", "distance", "absolute"])
@pytest.mark.parametrize("k", [2, 4, 9])
def test_matches_numpy_reference(margin, k):
    # (k=1 is degenerate: every mutual nearest pair scores exactly 1 (ratio) or 0 (distance),
    # so float32 vs float64 rounding alone reorders them.)
    sample, sample_d = planted_split(1, prefix="s", noise=0.8)
    test, test_d = planted_split(2, prefix="t", noise=0.8)
    ours = bucc_metrics(sample, test, k=k, margin=margin)
    ref = bucc_reference(sample_d, test_d, k=k, margin=margin)
    assert ours["threshold"] == pytest.approx(ref["threshold"], rel=1e-6, abs=1e-6)
    for key in ("f1", "precision", "recall"):
        assert ours[key] == ref[key]
    assert 0.0 < ours["f1"] < 1.0  # a non-trivial case


def test_candidates_match_reference_lines():
    split, d = planted_split(3, noise=0.9)
    cands = mine_candidates(split, k=4)
    lines = mine_reference(d["src_texts"], d["src_emb"], d["trg_texts"], d["trg_emb"], k=4)
    text_to_src = dict(zip(d["src_texts"], d["src_ids"], strict=True))
    text_to_trg = dict(zip(d["trg_texts"], d["trg_ids"], strict=True))
    ref = {(text_to_src[s], text_to_trg[t]): score for score, s, t in lines}
    assert list(cands) == list(ref)
    assert np.allclose(list(cands.values()), list(ref.values()), rtol=1e-6)


def test_k_larger_than_side_is_clipped():
    split, d = planted_split(4, n_src=3, n_trg=5, n_pairs=3)
    assert bucc_metrics(split, split, k=50) == pytest.approx(bucc_reference(d, d, k=50))


def test_duplicated_texts_are_mined_once_and_dropped_from_id_map():
    rng = np.random.default_rng(7)
    src = rng.normal(size=(4, 8))
    trg = src + 0.05 * rng.normal(size=(4, 8))
    src[3] = src[1]  # src text 3 duplicates text 1 (same sentence, same embedding)
    src_texts = ["one", "two", "three", "two "]  # equal after strip(): dropped from the id map
    split, d = make_split(src_texts, src, ["ONE", "TWO", "THREE", "TWO-B"], trg, {(0, 0), (1, 1), (2, 2), (3, 3)})
    side = unify_side(split.src)
    assert side.texts == ["one", "two", "three", "two "]  # exact-string unify keeps both
    assert "two" not in side.text_to_id and side.text_to_id["one"] == "x-src-0"
    split2, d2 = make_split(["one", "two", "three", "two"], src, ["ONE", "TWO", "THREE", "TWO-B"], trg,
                            {(0, 0), (1, 1), (2, 2), (3, 3)})  # fmt: skip
    assert unify_side(split2.src).texts == ["one", "two", "three"]
    for s, dd in ((split, d), (split2, d2)):
        cands = mine_candidates(s, k=2)
        assert all(src_id not in ("x-src-1", "x-src-3") for src_id, _ in cands)
        ours = bucc_metrics(s, s, k=2)
        assert ours == pytest.approx(bucc_reference(dd, dd, k=2))
        assert ours["recall"] == pytest.approx(0.5)  # gold pairs of the dropped text are misses


def test_unify_keeps_last_occurrence_embedding():
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 3.0]])
    side = BitextSide(["a", "b", "c"], ["x", "y", "x"], emb)
    u = unify_side(side)
    assert u.texts == ["x", "y"]
    assert np.allclose(u.emb, [[0.0, 1.0], [0.0, 1.0]])


def test_threshold_midpoint_first_strict_maximum_and_last_candidate_guard():
    gold = {("s1", "t1"), ("s2", "t2")}
    cands = {("s1", "t1"): 0.9, ("s9", "t9"): 0.8, ("s2", "t2"): 0.7, ("s8", "t8"): 0.6}
    # F1 after each: 2/3, 1/2, 4/5 (max), 2/3 -> midpoint of 0.7 and 0.6
    assert tune_threshold(cands, gold) == pytest.approx(0.65)
    last = {("s1", "t1"): 0.9, ("s9", "t9"): 0.8, ("s2", "t2"): 0.7}
    assert tune_threshold(last, gold) == pytest.approx(0.7)  # guard: the last score itself
    assert extract(last, 0.7) == list(last)
    equal = {("s1", "t1"): 0.9, ("s2", "t2"): 0.5, ("s9", "t9"): 0.5}
    # first strict maximum: after s2 (F1 1.0); the tie with s9 gives midpoint 0.5 -> both kept
    assert tune_threshold(equal, gold) == 0.5
    assert score_extraction(extract(equal, 0.5), gold)["precision"] == pytest.approx(2 / 3)
    assert tune_threshold({("s9", "t9"): 0.9}, gold) == 0.0  # nothing correct: stays 0


def test_empty_gold_and_no_hits_give_zero_scores():
    split, _ = planted_split(5, prefix="s")
    nogold = BuccSplit(split.src, split.trg, set())
    m = bucc_metrics(nogold, nogold)
    assert m == {"f1": 0.0, "precision": 0.0, "recall": 0.0, "threshold": 0.0}


def test_candidate_floor_drops_non_positive_scores():
    split, d = planted_split(6, noise=1.5)
    with_floor = mine_candidates(split, margin="distance")
    without = mine_candidates(split, margin="distance", candidate_floor=None)
    assert all(v > 0 for v in with_floor.values())
    assert any(v <= 0 for v in without.values()) and len(without) > len(with_floor)
    ref = bucc_reference(d, d, margin="distance", floor=None)
    assert bucc_metrics(split, split, margin="distance", candidate_floor=None) == pytest.approx(ref)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: BitextSide([], [], np.zeros((0, 4)), "src"), "src: empty side"),
        (lambda: BitextSide(["a"], ["x", "y"], np.zeros((2, 4))), "1 ids but 2 texts"),
        (lambda: BitextSide(["a", "b"], ["x", "y"], np.zeros((3, 4))), "3 embedding rows"),
        (lambda: BitextSide(["a", "a"], ["x", "y"], np.zeros((2, 4))), "'a' occurs more than once"),
        (lambda: BitextSide(["a", "b"], ["x", "y"], np.array([[0, 1.0], [np.nan, 1]]), "trg"),
         "trg embeddings: embedding row 1 contains NaN"),
        (lambda: BuccSplit(BitextSide(["a"], ["x"], np.ones((1, 2))), BitextSide(["b"], ["y"], np.ones((1, 3)))),
         "dimensions differ"),
        (lambda: BuccSplit(BitextSide(["a"], ["x"], np.ones((1, 2))), BitextSide(["b"], ["y"], np.ones((1, 2))),
                           {("a", "zz")}), "trg id 'zz' is not a sentence id"),
    ],
)  # fmt: skip
def test_bad_input_gives_clear_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_unknown_margin_rejected():
    split, _ = planted_split(8)
    with pytest.raises(ValueError, match="margin must be one of"):
        bucc_metrics(split, split, margin="cosine")


@pytest.mark.parametrize(
    "opts",
    [
        {"index": "torch", "device": "cpu"},
        {"query_block": 7},
        {"index": "hnsw", "ef_search": 256},
        {"index": "ivf", "nlist": 4, "nprobe": 4},
        {"storage": "float16"},
        {"index": "ivfgemm", "nlist": 4, "nprobe": 4},
    ],
)
def test_backends_reproduce_exact_metrics_on_small_data(opts):
    sample, _ = planted_split(9, n_src=200, n_trg=220, n_pairs=100, prefix="s")
    test, _ = planted_split(10, n_src=200, n_trg=220, n_pairs=100, prefix="t")
    exact = bucc_metrics(sample, test)
    other = bucc_metrics(sample, test, **opts)
    if opts.get("storage") == "float16":
        assert other["f1"] == pytest.approx(exact["f1"], abs=0.01)
    else:  # exhaustive settings on tiny data: the same neighbours, the same numbers
        assert other == pytest.approx(exact, rel=1e-6)


def test_float16_embeddings_are_kept_and_mined():
    split, _ = planted_split(12, prefix="s")
    half = BuccSplit(
        BitextSide(split.src.ids, split.src.texts, split.src.emb.astype(np.float16), "src"),
        BitextSide(split.trg.ids, split.trg.texts, split.trg.emb.astype(np.float16), "trg"),
        split.gold,
    )
    assert half.src.emb.dtype == np.float16
    exact, from_half = bucc_metrics(split, split), bucc_metrics(half, half)
    assert from_half["f1"] == pytest.approx(exact["f1"], abs=0.02)
