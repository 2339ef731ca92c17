"""Benchmark 2: BUCC-scale margin mining on synthetic embeddings with planted pairs.

For each size (sentences per side) and dimension, one split is generated and mined with
``xfer_tasks.retrieval.bucc.mine`` (k=4, ratio margin, max retrieval) under several search
configurations: exact (``IndexFlatIP``) and approximate (IVF, IVF+fp16, HNSW, IVF-PQ). Each
row runs in its own subprocess, so "peak memory" is that process's maximum RSS (data
generation + mining). Reported per row: mining seconds, peak RSS, recall of the kNN lists
against exact search (over ALL queries when the exact row of the same size ran in this
invocation, else over a random sample of ``--recall-sample`` queries per direction searched
exactly), the F1 against the planted gold at the F1-optimal threshold of that split
(``tune_threshold`` on its own gold), and the F1 difference to the exact row when there is one.

Synthetic data (``synthetic_split``): unit vectors with a shared mean direction
(anisotropy), 512 topic clusters and isotropic noise; 2.5% of the sentences (BUCC's rate) are
planted pairs: the English vector is the foreign one plus noise of a per-pair random strength,
so some pairs are easy and some drown among same-topic neighbours (F1 is not trivially 1).

    python benchmarks/bench_bucc_mining.py --sizes 50000 100000 --dims 384 1024
    python benchmarks/bench_bucc_mining.py --sizes 400000 --dims 1024 --configs ivf16 --input-dtype float16
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, markdown_table, timed_section  # noqa: E402

from xfer_tasks.retrieval.bucc import (  # noqa: E402
    BitextSide,
    BuccSplit,
    extract,
    mine,
    score_extraction,
    tune_threshold,
)
from xfer_tasks.retrieval.search import SearchConfig, l2_normalize  # noqa: E402


def ivf_lists(n: int) -> int:
    """IVF list count used by the benchmark: ~3*sqrt(n), rounded to a power of two."""
    return int(2 ** round(np.log2(3 * np.sqrt(n))))


def config_for(name: str, n: int, nprobe: int = 12) -> SearchConfig:
    """A named configuration; ``name:P`` overrides the IVF ``nprobe`` (e.g. ``ivfgemm:48``)."""
    name, _, probe = name.partition(":")
    nprobe = int(probe) if probe else nprobe
    nlist = ivf_lists(n)
    train = min(n, 24 * nlist)
    configs = {
        "exact": SearchConfig(),
        "ivfgemm": SearchConfig(index="ivfgemm", nlist=nlist, nprobe=nprobe, train_size=train),
        "ivf": SearchConfig(index="ivf", nlist=nlist, nprobe=nprobe, train_size=train),
        "ivf16": SearchConfig(index="ivf", storage="float16", nlist=nlist, nprobe=nprobe, train_size=train),
        "hnsw": SearchConfig(index="hnsw", hnsw_m=16, ef_construction=40, ef_search=64),
        "ivfpq": SearchConfig(index="ivfpq", nlist=nlist, nprobe=nprobe, train_size=max(train, 10000), refine=4),
    }
    if name not in configs:
        raise SystemExit(f"unknown config {name!r}; choose from {sorted(configs)}")
    return configs[name]


def describe(config: SearchConfig) -> str:
    if config.index == "flat":
        return "exact IndexFlatIP" if config.storage == "float32" else "flat fp16"
    if config.index == "hnsw":
        return f"HNSW M={config.hnsw_m} efC={config.ef_construction} efS={config.ef_search}"
    kind = {
        "ivf": "IVF-Flat",
        "ivfgemm": "ivfgemm (IVF, sgemm per list)",
        "ivfpq": f"IVF-PQ (refine x{config.refine})",
    }[config.index]
    fp16 = " fp16" if config.storage == "float16" else ""
    return f"{kind}{fp16} nlist={config.nlist} nprobe={config.nprobe}"


def synthetic_split(n: int, dim: int, seed: int, dtype=np.float32, gold_rate: float = 0.025):
    """(src, trg, gold row pairs): see the module docstring."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((512, dim), dtype=np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    mean_dir = rng.standard_normal(dim).astype(np.float32)
    mean_dir /= np.linalg.norm(mean_dir)

    def sentences(m: int) -> np.ndarray:
        out = np.empty((m, dim), dtype=dtype)
        for s in range(0, m, 65536):
            b = min(65536, m - s)
            v = rng.standard_normal((b, dim), dtype=np.float32) * np.float32(0.85 / np.sqrt(dim))
            v += 0.45 * topics[rng.integers(0, len(topics), b)] + 0.3 * mean_dir
            out[s : s + b] = v
        return out

    src, trg = sentences(n), sentences(n)
    n_gold = int(gold_rate * n)
    src_rows = rng.choice(n, n_gold, replace=False)
    trg_rows = rng.choice(n, n_gold, replace=False)
    strength = rng.uniform(0.6, 3.6, size=(n_gold, 1)).astype(np.float32) / np.float32(np.sqrt(dim))
    noise = rng.standard_normal((n_gold, dim), dtype=np.float32) * strength
    trg[trg_rows] = (src[src_rows].astype(np.float32) + noise).astype(dtype)
    return src, trg, list(zip(src_rows.tolist(), trg_rows.tolist(), strict=True))


def synthetic_bucc_split(src: np.ndarray, trg: np.ndarray, gold_rows: list[tuple[int, int]]) -> BuccSplit:
    """The :func:`synthetic_split` arrays as a BuccSplit (ids ``s<i>``/``t<i>``, planted gold)."""
    n_src, n_trg = len(src), len(trg)
    return BuccSplit(
        BitextSide([f"s{i}" for i in range(n_src)], [f"src {i}" for i in range(n_src)], src, "src"),
        BitextSide([f"t{i}" for i in range(n_trg)], [f"trg {i}" for i in range(n_trg)], trg, "trg"),
        {(f"s{s}", f"t{t}") for s, t in gold_rows},
        name="synthetic",
    )


def exact_topk_sample(queries: np.ndarray, database: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Exact top-k ids (lowest index on ties) of ``queries[rows]`` by blockwise matmul."""
    out = np.empty((len(rows), k), np.int64)
    for s in range(0, len(rows), 64):
        sims = queries[rows[s : s + 64]] @ database.T
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, part, 1), axis=1, kind="stable")
        out[s : s + 64] = np.take_along_axis(part, order, 1)
    return out


def worker(spec: dict) -> dict:
    n, dim, name = spec["n"], spec["dim"], spec["config"]
    config = config_for(name, n, spec.get("nprobe", 12))
    dtype = np.float16 if spec["input_dtype"] == "float16" else np.float32
    src, trg, gold_rows = synthetic_split(n, dim, spec["seed"], dtype)
    split = synthetic_bucc_split(src, trg, gold_rows)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = mine(split, k=4, config=config)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    threshold = tune_threshold(result.candidates, split.gold)
    scores = score_extraction(extract(result.candidates, threshold), split.gold)

    exact_file = Path(spec["exact_dir"]) / f"knn_{n}_{dim}_{spec['seed']}.npz"
    if name == "exact":
        np.savez(exact_file, fwd=result.forward.ids, bwd=result.backward.ids)
        recall, recall_how = 1.0, "reference"
    elif exact_file.exists():
        ref = np.load(exact_file)
        hits = sum(
            len(set(a) & set(b))
            for approx, exact in ((result.forward.ids, ref["fwd"]), (result.backward.ids, ref["bwd"]))
            for a, b in zip(approx.tolist(), exact.tolist(), strict=True)
        )
        recall, recall_how = hits / (ref["fwd"].size + ref["bwd"].size), "all queries"
    else:
        x, y = l2_normalize(src), l2_normalize(trg)
        rng = np.random.default_rng(0)
        rows = np.sort(rng.choice(n, min(n, spec["recall_sample"]), replace=False))
        hits = 0
        for q, db, approx in ((x, y, result.forward.ids), (y, x, result.backward.ids)):
            exact = exact_topk_sample(q, db, rows, 4)
            hits += sum(len(set(a) & set(b)) for a, b in zip(approx[rows].tolist(), exact.tolist(), strict=True))
        recall, recall_how = hits / (2 * len(rows) * 4), f"{len(rows)}-query sample"
    return {
        **spec,
        "search": describe(config),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_gb": peak_gb,
        "recall": recall,
        "recall_how": recall_how,
        "f1": scores["f1"],
        "candidates": len(result.candidates),
        "gold": len(split.gold),
    }


def run_row(spec: dict, timeout_s: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {**spec, "error": f"timed out after {timeout_s}s"}
    if proc.returncode != 0:
        return {**spec, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50000, 100000, 400000])
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 1024])
    parser.add_argument("--configs", nargs="+", default=["exact", "ivfgemm", "ivf", "ivf16", "hnsw"])
    parser.add_argument("--exact-max", type=int, default=100000, help="skip exact above this size")
    parser.add_argument("--input-dtype", choices=("float32", "float16"), default="float32")
    parser.add_argument("--recall-sample", type=int, default=2000)
    parser.add_argument("--nprobe", type=int, default=12, help="IVF lists probed per query")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--row-timeout", type=int, default=1200)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    rows, exact_f1 = [], {}
    with tempfile.TemporaryDirectory() as exact_dir:
        for n in args.sizes:
            for dim in args.dims:
                for name in args.configs:
                    if name == "exact" and n > args.exact_max:
                        continue
                    spec = {"n": n, "dim": dim, "config": name, "seed": args.seed, "exact_dir": exact_dir,
                            "input_dtype": args.input_dtype, "recall_sample": args.recall_sample,
                            "nprobe": args.nprobe}  # fmt: skip
                    with timed_section(f"{n}x{dim} {name}"):
                        res = run_row(spec, args.row_timeout)
                    print(json.dumps(res), flush=True)
                    if name == "exact" and "error" not in res:
                        exact_f1[(n, dim)] = res["f1"]
                    rows.append(res)
    table_rows = []
    for r in rows:
        if "error" in r:
            table_rows.append([r["n"], r["dim"], r["config"], r["error"], "", "", "", "", "", ""])
            continue
        ref = exact_f1.get((r["n"], r["dim"]))
        diff = f"{100 * (r['f1'] - ref):+.2f}" if ref is not None else "exact not run"
        table_rows.append([
            f"{r['n']:,}", r["dim"], r["search"], f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}",
            f"{r['peak_gb']:.2f}",
            f"{r['recall']:.4f} ({r['recall_how']})", f"{100 * r['f1']:.2f}", diff, f"{r['candidates']:,}",
        ])  # fmt: skip
    table = markdown_table(
        ["n per side", "dim", "search", "mining wall s", "mining CPU s", "peak RSS GB", "kNN recall@4 vs exact",
         "F1 (pts)", "F1 - exact (pts)", "candidates"],
        table_rows,
    )  # fmt: skip
    table += (
        f"\n\nInput embeddings {args.input_dtype}; k=4, ratio margin, max retrieval; F1 at the "
        "F1-optimal threshold of the mined split against its planted gold (2.5% of n). "
        "Mining time covers unify + normalise + both kNN searches (index build included) + "
        "margin scoring + max retrieval, for one split. The machine is shared with other jobs: "
        "wall time depends on their load, CPU seconds (both cores) do not. "
        "GPU rows: not measured (no GPU on this machine)."
    )
    print(table)
    if not args.no_append:
        path = append_results("BUCC-scale mining, synthetic planted pairs", table)
        if path is None:
            return 3  # measured under load: not appended (see _common)
        print("appended to", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
