"""kNN search backends: exactness, tie order, repairs, backend choice, recall measurement."""

from __future__ import annotations

import numpy as np
import pytest
from retrieval_numpy_reference import knn_reference

from xfer_tasks.retrieval import search
from xfer_tasks.retrieval.search import (
    KnnIndex,
    KnnResult,
    SearchConfig,
    as_embedding_matrix,
    knn,
    knn_recall,
    l2_normalize,
    resolve_backend,
)


def clustered(n, dim, seed, centres=20):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim))
    x = c[rng.integers(0, centres, n)] + 0.5 * rng.normal(size=(n, dim))
    return l2_normalize(x.astype(np.float32))


@pytest.mark.parametrize(
    "config",
    [
        SearchConfig(),
        SearchConfig(query_block=13),
        SearchConfig(index="torch", device="cpu", database_block=50),
        SearchConfig(index="ivf", nlist=8, nprobe=8),  # all lists probed: exhaustive
        SearchConfig(index="ivfgemm", nlist=8, nprobe=8, query_block=17),
        SearchConfig(index="hnsw", ef_search=400),
    ],
)
def test_exact_configurations_match_reference(config):
    db, q = clustered(300, 24, 0), clustered(70, 24, 1)
    ours = knn(q, db, 5, config)
    ref_sims, ref_ids = knn_reference(q, db, 5)
    assert np.array_equal(ours.ids, ref_ids)
    assert np.allclose(ours.sims, ref_sims, atol=1e-5)
    assert ours.sims.dtype == np.float32 and ours.ids.dtype == np.int64


def test_ties_are_ordered_by_lowest_index_for_every_backend():
    db = np.zeros((6, 4), np.float32)
    db[:, 0] = 1.0  # six identical rows
    q = np.array([[1, 0, 0, 0]], np.float32)
    configs = (
        SearchConfig(),
        SearchConfig(index="torch", device="cpu"),
        SearchConfig(index="hnsw"),
        SearchConfig(storage="float16"),
        SearchConfig(index="ivfgemm", nlist=1, nprobe=1),
    )
    for config in configs:
        assert knn(q, db, 3, config).ids.tolist() == [[0, 1, 2]], config
        assert knn(q, db, 1, config).ids.tolist() == [[0]], config
        assert knn(q, db, 6, config).ids.tolist() == [[0, 1, 2, 3, 4, 5]], config


def test_lossy_storage_returns_exact_similarities():
    db, q = clustered(500, 32, 2), clustered(40, 32, 3)
    for config in (
        SearchConfig(storage="float16"),
        SearchConfig(index="ivfpq", nlist=4, nprobe=4, pq_m=8, refine=4),
        SearchConfig(index="ivf", storage="float16", nlist=4, nprobe=4),
    ):
        res = knn(q, db, 4, config)
        recomputed = np.einsum("nd,nkd->nk", q, db[res.ids])
        assert np.allclose(res.sims, recomputed, atol=1e-6), config
        assert np.all(np.diff(res.sims, axis=1) <= 0)
        assert knn_recall(res, knn(q, db, 4)) > 0.9


def test_rows_an_index_cannot_fill_are_searched_exactly():
    db, q = clustered(400, 16, 4, centres=8), clustered(30, 16, 5, centres=8)
    # 40 tiny lists, one probed: many queries see fewer than k=20 results from the index
    res = knn(q, db, 20, SearchConfig(index="ivf", nlist=40, nprobe=1, train_size=400))
    assert (res.ids >= 0).all()
    assert np.allclose(res.sims, np.einsum("nd,nkd->nk", q, db[res.ids]), atol=1e-5)


def test_k_is_clipped_to_database_size():
    res = knn(np.eye(3, dtype=np.float32), np.eye(3, dtype=np.float32)[:2], 10)
    assert res.ids.shape == (3, 2)


def test_knn_recall():
    exact = KnnResult(np.zeros((2, 2)), np.array([[0, 1], [2, 3]]))
    approx = KnnResult(np.zeros((2, 2)), np.array([[1, 5], [2, 3]]))
    assert knn_recall(approx, exact) == 0.75


def test_backend_choice(monkeypatch):
    monkeypatch.setattr(search, "faiss_gpu_count", lambda: 0)
    monkeypatch.setattr(search, "torch_cuda_available", lambda: False)
    assert resolve_backend(SearchConfig()) == ("faiss", "cpu")
    assert resolve_backend(SearchConfig(index="torch")) == ("torch", "cpu")
    with pytest.raises(RuntimeError, match="device='cuda' requested"):
        resolve_backend(SearchConfig(device="cuda"))
    monkeypatch.setattr(search, "torch_cuda_available", lambda: True)
    assert resolve_backend(SearchConfig()) == ("torch", "cuda")  # exact search -> torch on GPU
    assert resolve_backend(SearchConfig(index="ivf")) == ("faiss", "cpu")  # no faiss GPU
    assert resolve_backend(SearchConfig(device="cpu")) == ("faiss", "cpu")
    monkeypatch.setattr(search, "faiss_gpu_count", lambda: 1)
    assert resolve_backend(SearchConfig(index="ivf")) == ("faiss", "cuda")
    assert resolve_backend(SearchConfig()) == ("faiss", "cuda")


def test_gpu_selection_routes_search_through_torch_path(monkeypatch):
    """With CUDA reported, the exact search goes through the torch path (run here on CPU)."""
    monkeypatch.setattr(search, "faiss_gpu_count", lambda: 0)
    monkeypatch.setattr(search, "torch_cuda_available", lambda: True)
    seen = {}
    real_torch_search = search._search_torch

    def fake_torch_search(queries, database, k, config, device):
        seen["device"] = device
        return real_torch_search(queries, database, k, config, "cpu")

    monkeypatch.setattr(search, "_search_torch", fake_torch_search)
    db, q = clustered(100, 8, 6), clustered(10, 8, 7)
    res = KnnIndex(db).search(q, 3)
    assert seen["device"] == "cuda"
    assert np.array_equal(res.ids, knn_reference(q, db, 3)[1])


def test_validation_messages():
    with pytest.raises(ValueError, match=r"q: embedding row 1 contains NaN or inf \(1 bad row"):
        as_embedding_matrix(np.array([[1.0, 2.0], [np.inf, 0.0]]), "q")
    with pytest.raises(ValueError, match="must be numeric"):
        as_embedding_matrix(np.array([["a"]]), "q")
    with pytest.raises(ValueError, match="index must be one of"):
        SearchConfig(index="lsh")
    with pytest.raises(ValueError, match="query_block must be >= 1"):
        SearchConfig(query_block=0)
    with pytest.raises(ValueError, match="dimensions differ"):
        knn(np.ones((2, 3)), np.ones((2, 4)), 1)


def test_zero_vectors_stay_zero_after_normalisation():
    out = l2_normalize(np.array([[0.0, 0.0], [3.0, 4.0]]))
    assert out.tolist() == [[0.0, 0.0], [0.6000000238418579, 0.800000011920929]]


def test_ivfgemm_scans_exactly_the_probed_lists():
    """Same candidates as a brute-force search restricted to the probed lists' rows."""
    db, q = clustered(600, 16, 8, centres=12), clustered(50, 16, 9, centres=12)
    index = search.IvfGemmIndex(db, SearchConfig(index="ivfgemm", nlist=12, nprobe=3))
    res = KnnIndex(db, SearchConfig(index="ivfgemm", nlist=12, nprobe=3)).search(q, 4)
    probes = index.centroids.search(q, 3)[1]
    for i in range(len(q)):
        allowed = np.concatenate([index.lists[c] for c in probes[i]])
        if len(allowed) < 4:
            continue
        sims = db[allowed] @ q[i]
        best = allowed[np.lexsort((allowed, -sims.astype(np.float64)))[:4]]
        assert res.ids[i].tolist() == best.tolist()
    assert knn_recall(res, knn(q, db, 4)) > 0.8


def test_small_topk_matches_argsort():
    rng = np.random.default_rng(11)
    sims = rng.normal(size=(40, 30)).astype(np.float32)
    before = sims.copy()
    for m in (1, 3, 5, 20):
        top = search._small_topk(sims, m)
        assert np.array_equal(sims, before)  # restored
        for row, cols in zip(sims, top, strict=True):
            assert sorted(row[cols].tolist()) == sorted(np.sort(row)[-m:].tolist())
