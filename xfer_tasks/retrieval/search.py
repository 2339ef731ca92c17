"""k-nearest-neighbour search by inner product: exact, chunked, approximate and GPU backends.

Every evaluator in this package asks one question: for each query row, which ``k`` database
rows have the largest inner product (cosine similarity, once rows are L2-normalised), and what
are those similarities? :func:`knn` answers it with one of these backends:

``flat`` (default)
    ``faiss.IndexFlatIP`` over float32 vectors: exact, the search LASER's ``mine_bitexts.py``
    and XTREME's ``utils_retrieve.py`` run. Queries are searched in blocks of
    ``query_block`` rows, so memory beyond the two matrices is bounded by one block's results.
    With ``storage="float16"`` the database is kept as ``faiss.IndexScalarQuantizer(QT_fp16)``
    (half the memory, exact over fp16-rounded vectors).
``ivf`` / ``ivfpq`` / ``hnsw``
    approximate FAISS indexes (``IndexIVFFlat`` or ``IndexIVFScalarQuantizer(QT_fp16)``,
    ``IndexIVFPQ``, ``IndexHNSWFlat`` or ``IndexHNSWSQ(QT_fp16)``). Their kNN lists can miss
    true neighbours; measure that with :func:`knn_recall` against ``flat``.
``ivfgemm``
    IVF (FAISS k-means + FAISS coarse assignment) searched with one sgemm per inverted list
    (:class:`IvfGemmIndex`): the candidate set of ``IndexIVFFlat`` at BLAS speed and without
    a copy of the vectors. The fast choice for BUCC-scale mining on CPU.
``torch``
    blockwise ``query @ database.T`` + ``torch.topk`` (the way MTEB searches), on CUDA when
    available, else on CPU. This is the GPU path used when FAISS has no GPU build.

``device="auto"`` (default) picks FAISS GPU when ``faiss.get_num_gpus() > 0``, else the
``torch`` backend on CUDA when ``torch.cuda.is_available()`` and the index is ``flat``, else
the CPU. torch is imported only inside that path, never at module import.

Results are post-processed to be deterministic whatever the backend:

* every row's ``k`` results are sorted by decreasing similarity and, among equal similarities,
  by increasing database index (so a tie goes to the lowest index, as ``numpy.argmax`` and
  FAISS's ``k=1`` search do; FAISS itself lists tied results highest-index-first for ``k>1``);
* lossy storage (fp16, PQ) never leaks into the returned similarities: the ids come from the
  index, the similarities are recomputed exactly in float32 from the caller's vectors and the
  list is re-sorted (``refine`` > 1 fetches ``refine * k`` candidates first, as
  ``faiss.IndexRefineFlat`` does);
* a row for which an approximate index returned fewer than ``k`` results (``-1`` ids, e.g. an
  IVF list too small for ``nprobe``) is searched again exactly.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass, fields, replace
from typing import Any

import faiss
import numpy as np

INDEX_KINDS = ("flat", "ivf", "ivfpq", "hnsw", "ivfgemm", "torch")
STORAGE_KINDS = ("float32", "float16")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class SearchConfig:
    """How :func:`knn` searches; every field is also a keyword of the public evaluators."""

    index: str = "flat"  # one of INDEX_KINDS
    storage: str = "float32"  # "float16": half-precision vectors inside the index
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    query_block: int = 16384  # queries searched per call (bounds memory of results/scores)
    database_block: int = 262144  # database rows per matmul block (torch backend)
    nlist: int | None = None  # IVF lists; default ~4*sqrt(n), clipped to [1, n // 39]
    nprobe: int = 16  # IVF lists visited per query
    train_size: int | None = None  # IVF/PQ training sample; default min(n, 64 * nlist)
    pq_m: int | None = None  # PQ sub-quantizers; default largest divisor of d <= d // 8
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 128
    refine: int = 1  # fetch refine*k candidates from a lossy index, re-rank exactly
    seed: int = 1234  # training-sample and k-means seed (approximate indexes)
    threads: int | None = None  # faiss.omp_set_num_threads for the call; None = faiss default
    progress: bool = False  # tqdm bar over query blocks

    def __post_init__(self) -> None:
        if self.index not in INDEX_KINDS:
            raise ValueError(f"search index must be one of {INDEX_KINDS}, got {self.index!r}")
        if self.storage not in STORAGE_KINDS:
            raise ValueError(f"search storage must be one of {STORAGE_KINDS}, got {self.storage!r}")
        if self.device not in DEVICES:
            raise ValueError(f"search device must be one of {DEVICES}, got {self.device!r}")
        for name in ("query_block", "database_block", "nprobe", "hnsw_m", "refine"):
            if getattr(self, name) < 1:
                raise ValueError(f"search {name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def from_options(cls, options: dict[str, Any] | None = None, **more: Any) -> SearchConfig:
        """Build from keyword options (``search=SearchConfig(...)`` is accepted as a base)."""
        merged = dict(options or {}, **more)
        base = merged.pop("search", None) or cls()
        if not isinstance(base, SearchConfig):
            raise TypeError(f"search= must be a SearchConfig, got {type(base).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(merged) - known)
        if unknown:
            raise TypeError(f"unknown search option(s) {unknown}; known: {sorted(known)}")
        return replace(base, **merged)

    @property
    def lossy(self) -> bool:
        """Whether the index stores vectors inexactly (similarities must be recomputed)."""
        return self.storage == "float16" or self.index == "ivfpq"


@dataclass(frozen=True)
class KnnResult:
    sims: np.ndarray  # (n_queries, k) float32, decreasing per row
    ids: np.ndarray  # (n_queries, k) int64 database row indices


# ----------------------------------------------------------------------------- validation


def as_embedding_matrix(emb: Any, side: str, keep_float16: bool = False) -> np.ndarray:
    """A C-contiguous float32 2-D array (a view when ``emb`` already is one); clear errors.

    ``keep_float16``: a float16 array stays float16 (half the memory; computations convert
    blocks to float32). Raises ValueError (naming ``side``) for a non-2-D array, an empty side,
    a non-numeric dtype, or a NaN/inf value (naming the first bad row).
    """
    arr = np.asarray(emb)
    if arr.ndim != 2:
        raise ValueError(f"{side}: embeddings must be a 2-D array (rows x dims), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{side}: no embeddings (empty side)")
    if arr.shape[1] == 0:
        raise ValueError(f"{side}: embeddings have 0 dimensions")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{side}: embeddings must be numeric, got dtype {arr.dtype}")
    dtype = np.float16 if (keep_float16 and arr.dtype == np.float16) else np.float32
    arr = np.ascontiguousarray(arr, dtype=dtype)
    for start in range(0, arr.shape[0], 65536):  # bounded temporary memory
        finite_rows = np.isfinite(arr[start : start + 65536]).all(axis=1)
        if not finite_rows.all():
            all_bad = ~np.isfinite(arr).all(axis=1)
            raise ValueError(
                f"{side}: embedding row {start + int(np.flatnonzero(~finite_rows)[0])} contains "
                f"NaN or inf ({int(all_bad.sum())} bad row(s) in total)"
            )
    return arr


def check_same_dim(a: np.ndarray, b: np.ndarray, a_side: str, b_side: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"embedding dimensions differ: {a_side} has {a.shape[1]}, {b_side} has {b.shape[1]}"
        )


def l2_normalize(emb: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (a new float32 array); all-zero rows stay zero, as in
    ``faiss.normalize_L2`` (LASER) and ``torch.nn.functional.normalize`` (MTEB)."""
    out = np.array(emb, dtype=np.float32, copy=True, order="C")
    faiss.normalize_L2(out)
    return out


# ----------------------------------------------------------------------------- device choice


@functools.lru_cache(maxsize=1)
def faiss_gpu_count() -> int:
    get = getattr(faiss, "get_num_gpus", None)
    try:
        return int(get()) if get else 0
    except Exception:  # a CPU build without GPU symbols  # noqa: BLE001
        return 0


@functools.lru_cache(maxsize=1)
def torch_cuda_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch  # the torch path only

    return bool(torch.cuda.is_available())


def resolve_backend(config: SearchConfig) -> tuple[str, str]:
    """``(backend, device)``: backend in {"faiss", "torch"}, device in {"cpu", "cuda"}.

    ``auto``: FAISS GPU when FAISS sees a GPU; else torch on CUDA for exact search when CUDA is
    available; else FAISS (or torch, for ``index="torch"``) on CPU.
    """
    if config.index == "ivfgemm":
        return "ivfgemm", "cpu"
    if config.device == "cpu":
        return ("torch" if config.index == "torch" else "faiss", "cpu")
    if config.index != "torch" and faiss_gpu_count() > 0:
        return "faiss", "cuda"
    if config.index in ("flat", "torch") and torch_cuda_available():
        return "torch", "cuda"
    if config.device == "cuda":
        raise RuntimeError(
            f"device='cuda' requested but neither faiss GPU nor torch CUDA is available "
            f"for index={config.index!r}"
        )
    return ("torch" if config.index == "torch" else "faiss", "cpu")


# ----------------------------------------------------------------------------- faiss indexes


def default_nlist(n: int) -> int:
    """~4*sqrt(n) lists (FAISS guideline), at least 39 training points per list."""
    return int(max(1, min(round(4 * math.sqrt(n)), n // 39)))


def default_pq_m(dim: int) -> int:
    """Largest divisor of ``dim`` that is <= dim // 8 (8-bit codes, 8 dims per sub-vector)."""
    for m in range(max(1, dim // 8), 0, -1):
        if dim % m == 0:
            return m
    return 1


def _training_sample(database: np.ndarray, size: int, seed: int) -> np.ndarray:
    if size >= database.shape[0]:
        return database
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(database.shape[0], size=size, replace=False))
    return np.ascontiguousarray(database[rows])


def build_faiss_index(database: np.ndarray, config: SearchConfig) -> faiss.Index:
    """A CPU FAISS inner-product index over ``database`` (trained when needed), not yet on GPU."""
    n, dim = database.shape
    ip = faiss.METRIC_INNER_PRODUCT
    fp16 = faiss.ScalarQuantizer.QT_fp16
    if config.index == "flat":
        index = (
            faiss.IndexFlatIP(dim)
            if config.storage == "float32"
            else faiss.IndexScalarQuantizer(dim, fp16, ip)
        )
    elif config.index == "hnsw":
        index = (
            faiss.IndexHNSWFlat(dim, config.hnsw_m, ip)
            if config.storage == "float32"
            else faiss.IndexHNSWSQ(dim, fp16, config.hnsw_m, ip)
        )
        index.hnsw.efConstruction = config.ef_construction
        index.hnsw.efSearch = config.ef_search
    elif config.index in ("ivf", "ivfpq"):
        nlist = min(config.nlist or default_nlist(n), n)
        quantizer = faiss.IndexFlatIP(dim)
        if config.index == "ivfpq":
            m = config.pq_m or default_pq_m(dim)
            if dim % m:
                raise ValueError(f"search pq_m={m} must divide the embedding dimension {dim}")
            index = faiss.IndexIVFPQ(quantizer, dim, nlist, m, 8, ip)
        elif config.storage == "float16":
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, fp16, ip)
        else:
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, ip)
        index.cp.seed = config.seed
        train_size = config.train_size or min(n, 64 * nlist)
        if config.index == "ivfpq":
            train_size = max(train_size, min(n, 256 * 39))  # PQ needs >= 256 points per code
        index.train(_training_sample(database, train_size, config.seed))
        index.nprobe = min(config.nprobe, nlist)
    else:  # pragma: no cover - "torch" never reaches here
        raise ValueError(f"no FAISS index for {config.index!r}")
    index.add(database)
    return index


def _to_gpu(index: faiss.Index) -> faiss.Index:  # pragma: no cover - needs a GPU build
    return faiss.index_cpu_to_all_gpus(index)


# ----------------------------------------------------------------------------- search


def _sort_rows(sims: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row by decreasing similarity, ties by increasing id; -1 ids last."""
    key_ids = np.where(ids < 0, np.iinfo(np.int64).max, ids)
    key_sims = np.where(ids < 0, np.inf, -sims.astype(np.float64))
    order = np.lexsort((key_ids, key_sims), axis=1)
    return np.take_along_axis(sims, order, 1), np.take_along_axis(ids, order, 1)


def exact_inner_products(queries: np.ndarray, database: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``queries[i] . database[ids[i, j]]`` in float32 (-inf where ``ids`` is -1), computed in
    blocks of rows so the gathered candidate vectors stay small."""
    out = np.empty(ids.shape, np.float32)
    step = max(1, 2**24 // max(1, ids.shape[1] * queries.shape[1]))  # <= 64 MB gathered
    for s in range(0, ids.shape[0], step):
        b_ids = ids[s : s + step]
        gathered = database[np.where(b_ids < 0, 0, b_ids)].astype(np.float32, copy=False)
        q = queries[s : s + step].astype(np.float32, copy=False)
        sims = np.einsum("nd,nkd->nk", q, gathered, dtype=np.float32, optimize=False)
        out[s : s + step] = np.where(b_ids < 0, -np.inf, sims)
    return out


def _exact_block_topk(queries: np.ndarray, database: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force top-k by numpy matmul (used to repair rows an index could not fill)."""
    sims = queries @ database.T
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < sims.shape[1] else np.tile(
        np.arange(sims.shape[1]), (sims.shape[0], 1)
    )
    # include every id tied with the k-th value so the lowest-index rule holds
    kth = np.take_along_axis(sims, part, 1).min(axis=1, keepdims=True)
    out_s = np.empty((queries.shape[0], k), np.float32)
    out_i = np.empty((queries.shape[0], k), np.int64)
    for r in range(queries.shape[0]):
        cand = np.flatnonzero(sims[r] >= kth[r, 0])
        order = np.lexsort((cand, -sims[r, cand].astype(np.float64)))[:k]
        out_s[r], out_i[r] = sims[r, cand[order]], cand[order]
    return out_s, out_i


def _finish_block(
    block: np.ndarray, database: np.ndarray, sims: np.ndarray, ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sort fetched results, keep ``k``; rows with missing results or a tie across the k-th
    place (FAISS keeps the highest-index tied rows) are recomputed by brute force."""
    sims, ids = _sort_rows(sims, ids)
    repair = (ids[:, :k] < 0).any(axis=1)
    if ids.shape[1] > k:
        repair |= (ids[:, k] >= 0) & (sims[:, k - 1] == sims[:, k])
    sims, ids = np.ascontiguousarray(sims[:, :k]), np.ascontiguousarray(ids[:, :k])
    if repair.any():
        rows = np.flatnonzero(repair)
        sims[rows], ids[rows] = _exact_block_topk(block[rows], database, k)
    return sims, ids


def _query_blocks(n: int, config: SearchConfig, k: int):
    starts = range(0, n, config.query_block)
    if config.progress:
        from tqdm.auto import tqdm

        return tqdm(starts, desc=f"knn {config.index} k={k}", unit="block")
    return starts


def _fetch_width(n_database: int, k: int, config: SearchConfig) -> int:
    """How many results to ask for: k (times ``refine`` for lossy indexes), +1 to see ties."""
    return min(n_database, (k * config.refine if config.lossy else k) + 1)


def _search_faiss(
    index: faiss.Index, queries: np.ndarray, database: np.ndarray, k: int, config: SearchConfig
) -> KnnResult:
    fetch = _fetch_width(database.shape[0], k, config)
    n = queries.shape[0]
    sims = np.empty((n, k), np.float32)
    ids = np.empty((n, k), np.int64)
    for start in _query_blocks(n, config, k):
        block = queries[start : start + config.query_block]
        b_sims, b_ids = index.search(block, fetch)
        if config.lossy:
            b_sims = exact_inner_products(block, database, b_ids)
        end = start + len(block)
        sims[start:end], ids[start:end] = _finish_block(block, database, b_sims, b_ids, k)
    return KnnResult(sims, ids)


def _search_torch(
    queries: np.ndarray, database: np.ndarray, k: int, config: SearchConfig, device: str
) -> KnnResult:
    """Blockwise matmul + topk (MTEB's search) on ``device``; merged across database blocks."""
    import torch  # the GPU/torch path only

    dtype = torch.float16 if (config.storage == "float16" and device == "cuda") else torch.float32
    fetch = min(database.shape[0], k + 1)
    n = queries.shape[0]
    sims = np.empty((n, k), np.float32)
    ids = np.empty((n, k), np.int64)
    db_blocks = [
        (s, torch.from_numpy(database[s : s + config.database_block]).to(device, dtype))
        for s in range(0, database.shape[0], config.database_block)
    ]
    with torch.no_grad():
        for start in _query_blocks(n, config, k):
            block = queries[start : start + config.query_block]
            q = torch.from_numpy(block).to(device, dtype)
            part_s, part_i = [], []
            for db_start, db in db_blocks:
                top_s, top_i = torch.topk(q @ db.T, min(fetch, db.shape[0]), dim=1, sorted=False)
                part_s.append(top_s.float().cpu().numpy())
                part_i.append(top_i.cpu().numpy().astype(np.int64) + db_start)
            b_ids = np.concatenate(part_i, axis=1)
            b_sims = (
                exact_inner_products(block, database, b_ids)
                if dtype == torch.float16
                else np.concatenate(part_s, axis=1)
            )
            end = start + len(block)
            sims[start:end], ids[start:end] = _finish_block(block, database, b_sims, b_ids, k)
    return KnnResult(sims, ids)


def _small_topk(sims: np.ndarray, m: int) -> np.ndarray:
    """Column positions of the ``m`` largest values per row (any order among them).

    For small ``m`` (kNN lists of a few neighbours), ``m`` passes of ``argmax`` are much
    faster than ``argpartition`` on many short rows; the array is modified in place.
    """
    if m > 16:
        return np.argpartition(-sims, m - 1, axis=1)[:, :m]
    rows = np.arange(sims.shape[0])
    top = np.empty((sims.shape[0], m), np.int64)
    saved = np.empty((sims.shape[0], m), sims.dtype)
    for j in range(m):
        top[:, j] = sims.argmax(axis=1)
        saved[:, j] = sims[rows, top[:, j]]
        sims[rows, top[:, j]] = -np.inf
    sims[rows[:, None], top] = saved  # restore
    return top


class IvfGemmIndex:
    """IVF search with one matrix product per inverted list (``index="ivfgemm"``).

    The coarse quantizer is FAISS's: spherical ``faiss.Kmeans`` on a sample of the database and
    ``IndexFlatIP`` assignment (each database row to its best centroid, each query to its
    ``nprobe`` best). Instead of scanning lists query by query as ``IndexIVFFlat`` does, all
    queries that probe a list are multiplied with that list's rows in one sgemm, so the work
    runs at BLAS speed. Similarities are exact float32 inner products of the rows inside the
    probed lists (the same candidate set ``IndexIVFFlat`` with these centroids would scan),
    and no vector copy is stored: the lists are row indices into the caller's database.
    """

    def __init__(self, database: np.ndarray, config: SearchConfig):
        n, dim = database.shape
        self.database, self.config = database, config
        self.nlist = min(config.nlist or default_nlist(n), n)
        sample = _training_sample(database, config.train_size or min(n, 64 * self.nlist), config.seed)
        kmeans = faiss.Kmeans(dim, self.nlist, niter=10, spherical=True, seed=config.seed,
                              verbose=False, min_points_per_centroid=1)  # fmt: skip
        kmeans.train(np.ascontiguousarray(sample, dtype=np.float32))
        self.centroids = faiss.IndexFlatIP(dim)
        self.centroids.add(kmeans.centroids)
        assign = np.empty(n, np.int64)
        for s in range(0, n, config.query_block):
            assign[s : s + config.query_block] = self.centroids.search(
                database[s : s + config.query_block], 1
            )[1][:, 0]
        order = np.argsort(assign, kind="stable")
        bounds = np.searchsorted(assign[order], np.arange(self.nlist + 1))
        self.lists = [order[bounds[c] : bounds[c + 1]] for c in range(self.nlist)]

    def search_block(self, queries: np.ndarray, fetch: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``fetch`` best (sims, ids) per query from each probed list, concatenated."""
        nprobe = min(self.config.nprobe, self.nlist)
        probes = self.centroids.search(queries, nprobe)[1]  # (nq, nprobe)
        nq = queries.shape[0]
        sims = np.full((nq * nprobe, fetch), -np.inf, np.float32)
        ids = np.full((nq * nprobe, fetch), -1, np.int64)
        flat = probes.ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(self.nlist + 1))
        for c in range(self.nlist):
            slots = order[bounds[c] : bounds[c + 1]]  # (query, probe) slots probing list c
            members = self.lists[c]
            if len(slots) == 0 or len(members) == 0:
                continue
            block_sims = queries[slots // nprobe] @ self.database[members].T
            m = min(fetch, len(members))
            if m < len(members):
                top = _small_topk(block_sims, m)
                block_sims = np.take_along_axis(block_sims, top, 1)
                block_ids = members[top]
            else:
                block_ids = np.broadcast_to(members, block_sims.shape)
            sims[slots, :m] = block_sims
            ids[slots, :m] = block_ids
        return sims.reshape(nq, nprobe * fetch), ids.reshape(nq, nprobe * fetch)


def _search_ivfgemm(
    index: IvfGemmIndex, queries: np.ndarray, database: np.ndarray, k: int, config: SearchConfig
) -> KnnResult:
    fetch = min(database.shape[0], k + 1)
    n = queries.shape[0]
    sims = np.empty((n, k), np.float32)
    ids = np.empty((n, k), np.int64)
    # Every block re-reads each list's rows and pays a python step per list, so blocks are
    # made large: ~1024 queries per list on average, at most 262144 queries (the results
    # stay small: nprobe * (k+1) per query).
    per_list = 1024 * index.nlist // max(1, min(config.nprobe, index.nlist))
    config = replace(config, query_block=max(config.query_block, min(per_list, 262144)))
    for start in _query_blocks(n, config, k):
        block = queries[start : start + config.query_block]
        b_sims, b_ids = index.search_block(block, fetch)
        end = start + len(block)
        sims[start:end], ids[start:end] = _finish_block(block, database, b_sims, b_ids, k)
    return KnnResult(sims, ids)


class KnnIndex:
    """A database prepared once for several :meth:`search` calls (e.g. recall measurements)."""

    def __init__(self, database: np.ndarray, config: SearchConfig | None = None):
        self.config = config or SearchConfig()
        self.database = as_embedding_matrix(database, "database")
        self.backend, self.device = resolve_backend(self.config)
        self._index = None
        if self.backend == "ivfgemm":
            with _threads(self.config.threads):
                self._index = IvfGemmIndex(self.database, self.config)
        if self.backend == "faiss":
            with _threads(self.config.threads):
                index = build_faiss_index(self.database, self.config)
            self._index = _to_gpu(index) if self.device == "cuda" else index

    def search(self, queries: np.ndarray, k: int) -> KnnResult:
        queries = as_embedding_matrix(queries, "queries")
        check_same_dim(queries, self.database, "queries", "database")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        k = min(k, self.database.shape[0])
        with _threads(self.config.threads):
            if self.backend == "ivfgemm":
                return _search_ivfgemm(self._index, queries, self.database, k, self.config)
            if self.backend == "torch":
                return _search_torch(queries, self.database, k, self.config, self.device)
            return _search_faiss(self._index, queries, self.database, k, self.config)


class _threads:
    """Temporarily set FAISS's OpenMP thread count."""

    def __init__(self, n: int | None):
        self.n, self.before = n, None

    def __enter__(self) -> None:
        if self.n:
            self.before = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(self.n)

    def __exit__(self, *exc: object) -> None:
        if self.before:
            faiss.omp_set_num_threads(self.before)


def knn(
    queries: np.ndarray, database: np.ndarray, k: int, config: SearchConfig | None = None
) -> KnnResult:
    """The ``k`` (at most ``len(database)``) largest inner products of each query row.

    Inputs are used as given (normalise them first for cosine similarity).
    """
    return KnnIndex(database, config).search(queries, k)


def knn_recall(approx: KnnResult, exact: KnnResult) -> float:
    """Mean over queries of |approx ids ∩ exact ids| / k (recall of the kNN lists, in [0, 1])."""
    if approx.ids.shape != exact.ids.shape:
        raise ValueError(f"kNN result shapes differ: {approx.ids.shape} vs {exact.ids.shape}")
    hits = sum(len(set(a) & set(e)) for a, e in zip(approx.ids.tolist(), exact.ids.tolist(), strict=True))
    return hits / exact.ids.size
