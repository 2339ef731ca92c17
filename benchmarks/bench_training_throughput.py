"""Training throughput of xfer's causal-LM SFT batching against a naive padded baseline.

What is measured: training tokens per second, counting only real (non-padding) tokens, of
``transformers.Trainer`` steps with the collators ``xfer train`` uses:

- ``padded`` (the baseline): every example padded to ``max_seq_length``, random order;
- ``group_by_length``: length-grouped batches padded to the longest example of the batch;
- ``packed``: examples packed into rows of up to ``max_seq_length`` tokens (position ids
  restart per example, block-diagonal attention); a batch is ``batch`` such rows.

All modes train the same randomly initialised Llama-style model on the same examples (real
English task data from the shared data folder when present, tokenized with the tiny test
tokenizer; synthetic lengths otherwise), same batch size and number of steps, in the same
run. The first ``--warmup`` steps are not timed. Ratios are against ``padded``.

GPU path (``--gpu``, or automatically when CUDA is available): a ~0.5B-parameter
Qwen2.5-0.5B-shaped config (random init), bf16, packed batches, reporting tokens/s and
model FLOPs utilisation, MFU = (6 N + 12 L H S) * tokens/s / peak FLOP/s (the PaLM
appendix B formula; N non-embedding parameters, L layers, H hidden size, S mean sequence
length of the attention spans), with the peak given by ``--peak-tflops`` (default 989,
the H100/H200 SXM dense bf16 figure). Without CUDA the table says it was not measured.

    python benchmarks/bench_training_throughput.py            # CPU comparison (+ GPU if present)
    python benchmarks/bench_training_throughput.py --no-append
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from _common import timed_section  # noqa: E402

MODES = ("padded", "group_by_length", "packed")


class _CountingCollator:
    """Wraps a collator; remembers how many real tokens it has handed out."""

    def __init__(self, inner):
        self.inner, self.tokens = inner, 0

    def __call__(self, features):
        self.tokens += sum(len(f["input_ids"]) for f in features)
        return self.inner([{k: v for k, v in f.items() if k != "length"} for f in features])


def _timer_callback(counter: _CountingCollator, warmup: int, marks: list):
    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            if state.global_step >= warmup:
                marks.append((time.perf_counter(), counter.tokens))
            return control

    return Timer()


def real_examples(n: int, seed: int):
    """(prompt, answer) pairs from the shared data, or None when it is absent."""
    from xfer_tasks.train.pool import load_task

    root = Path(os.environ.get("XFER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not root.is_dir():
        return None
    refs = [
        "commonsenseqa",
        "cosmosqa",
        {"name": "squad", "local": {"files": {"validation": ["xquad.en.json"]}}},
        {"name": "hellaswag", "local": {"format": "hellaswag_text", "files": {"validation": ["hellaswag_val_full.txt.bz2"]}}},
    ]
    examples = [e for ref in refs for e in load_task(ref, "validation", root).examples]
    random.Random(seed).shuffle(examples)
    return examples[:n]


def encoded_rows(tokenizer, n: int, max_len: int, vocab: int, seed: int):
    from xfer_tasks.train.sft import encode_pair

    examples = real_examples(n, seed)
    rng = random.Random(seed)
    if examples is None:  # synthetic: log-normal lengths around 150 tokens
        rows = []
        for _ in range(n):
            length = max(8, min(max_len, int(rng.lognormvariate(5.0, 0.6))))
            ids = [rng.randrange(4, vocab) for _ in range(length)]
            rows.append({"input_ids": ids, "labels": [-100] * (length - 4) + ids[-4:]})
        return rows, "synthetic lengths"
    rows = [encode_pair(tokenizer, e.prompt, e.answer, max_len) for e in examples]
    return rows, "real task data (commonsenseqa, cosmosqa, squad, hellaswag dev)"


def run_mode(model_factory, rows, mode: str, batch: int, steps: int, warmup: int, max_len: int, pad_id: int, bf16: bool):
    import datasets
    from transformers import Trainer, TrainingArguments
    from xfer_tasks.train.sft import PackedRowCollator, PadToLengthCollator, merge_rows, pack_bins

    if mode == "padded":
        inner = PadToLengthCollator(pad_id, max_len)
    elif mode == "group_by_length":
        inner = _PadLongest(pad_id)
    else:  # rows of up to max_len tokens, as `xfer train` builds them
        inner = PackedRowCollator(pad_id)
        rows = [merge_rows([rows[i] for i in b]) for b in pack_bins([len(r["input_ids"]) for r in rows], max_len)]
    counter = _CountingCollator(inner)
    columns = {"input_ids": [r["input_ids"] for r in rows], "labels": [r["labels"] for r in rows], "length": [len(r["input_ids"]) for r in rows]}
    if "position_ids" in rows[0]:
        columns["position_ids"] = [r["position_ids"] for r in rows]
    dataset = datasets.Dataset.from_dict(columns)
    marks: list = []
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, max_steps=steps, per_device_train_batch_size=batch, learning_rate=1e-4,
            save_strategy="no", logging_strategy="no", report_to="none", seed=0, data_seed=0,
            dataloader_num_workers=0, remove_unused_columns=False, bf16=bf16,
            use_cpu=not torch.cuda.is_available(), length_column_name="length",
            train_sampling_strategy="group_by_length" if mode == "group_by_length" else "random",
            disable_tqdm=True,
        )  # fmt: skip
        model = model_factory()
        trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=counter,
                          callbacks=[_timer_callback(counter, warmup, marks)])  # fmt: skip
        trainer.train()
    (t0, k0), (t1, k1) = marks[0], marks[-1]
    return (k1 - k0) / (t1 - t0), (k1 - k0)


class _PadLongest:
    """Dynamic padding to the longest example of the batch (group_by_length's collator)."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, features):
        longest = max(len(f["input_ids"]) for f in features)
        n = len(features)
        ids = torch.full((n, longest), self.pad_id, dtype=torch.long)
        labels = torch.full((n, longest), -100, dtype=torch.long)
        mask = torch.zeros((n, longest), dtype=torch.long)
        for i, f in enumerate(features):
            k = len(f["input_ids"])
            ids[i, :k], labels[i, :k], mask[i, :k] = torch.tensor(f["input_ids"]), torch.tensor(f["labels"]), 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def cpu_table(args) -> tuple[str, dict[str, float]]:
    from transformers import LlamaConfig, LlamaForCausalLM
    from xfer_tasks.train.sft import load_tokenizer
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    with tempfile.TemporaryDirectory() as tmp:
        tok = load_tokenizer(str(build_tiny_causal_lm(Path(tmp) / "tiny")))
    rows, source = encoded_rows(tok, args.examples, args.max_len, len(tok), args.seed)
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=args.hidden, intermediate_size=args.hidden * 3, num_hidden_layers=args.layers,
        num_attention_heads=args.hidden // 64, num_key_value_heads=args.hidden // 64, max_position_embeddings=args.max_len,
        pad_token_id=tok.pad_token_id, use_cache=False,
    )  # fmt: skip

    def factory():
        torch.manual_seed(0)
        return LlamaForCausalLM(config)

    lengths = [len(r["input_ids"]) for r in rows]
    runs: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_ in range(args.rounds):  # modes interleaved, order rotated: load drifts hit all alike
        order = MODES[round_ % len(MODES) :] + MODES[: round_ % len(MODES)]
        for mode in order:
            with timed_section(f"{mode} round {round_ + 1}"):
                tps, tokens = run_mode(factory, rows, mode, args.batch, args.steps, args.warmup, args.max_len, tok.pad_token_id, False)
            runs[mode].append(tps)
            print(f"  round {round_ + 1} {mode:16s} {tps:10.0f} tokens/s ({tokens} timed tokens)", file=sys.stderr)
    results = {mode: statistics.median(v) for mode, v in runs.items()}
    n_params = sum(p.numel() for p in factory().parameters())
    lines = [
        f"CPU, Llama-style {args.layers} layers x {args.hidden} hidden ({n_params / 1e6:.1f}M params), fp32, "
        f"batch {args.batch}, max_seq_length {args.max_len}, {args.steps} steps per run ({args.warmup} untimed), "
        f"{args.rounds} interleaved rounds; {source}: {len(rows)} examples, mean "
        f"{sum(lengths) / len(lengths):.0f} tokens, max {max(lengths)}. torch threads: {torch.get_num_threads()}.",
        "",
        "| batching | tokens/s, median (non-pad) | all rounds | vs padded (medians) |",
        "|---|---:|---|---:|",
    ]
    for mode in MODES:
        every = ", ".join(f"{x:.0f}" for x in runs[mode])
        lines.append(f"| {mode} | {results[mode]:.0f} | {every} | {results[mode] / results['padded']:.2f}x |")
    return "\n".join(lines), results


def gpu_table(args) -> str:
    if not torch.cuda.is_available():
        return (
            "GPU ~0.5B MFU path: NOT MEASURED (no CUDA device on this machine). Run "
            "`python benchmarks/bench_training_throughput.py --gpu` on a GPU machine."
        )
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(  # Qwen2.5-0.5B shape
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
        tie_word_embeddings=True, use_cache=False,
    )  # fmt: skip

    def factory():
        torch.manual_seed(0)
        return Qwen2ForCausalLM(config).to(torch.bfloat16)

    rng = random.Random(args.seed)
    rows = []
    for _ in range(args.gpu_examples):
        length = max(16, min(args.gpu_max_len, int(rng.lognormvariate(5.5, 0.7))))
        ids = [rng.randrange(10, config.vocab_size) for _ in range(length)]
        rows.append({"input_ids": ids, "labels": [-100] * (length // 2) + ids[length // 2 :]})
    model = factory()
    n_all = sum(p.numel() for p in model.parameters())
    n_non_embed = n_all - model.model.embed_tokens.weight.numel()
    del model
    lines = [
        f"GPU {torch.cuda.get_device_name(0)}, Qwen2.5-0.5B-shaped config ({n_all / 1e6:.0f}M params, random init), bf16, "
        f"batch {args.gpu_batch}, max_seq_length {args.gpu_max_len}, {args.gpu_steps} steps, synthetic lengths "
        f"(mean {sum(len(r['input_ids']) for r in rows) / len(rows):.0f} tokens). Peak {args.peak_tflops} TFLOP/s.",
        "",
        "| batching | training tokens/s | vs padded | MFU |",
        "|---|---:|---:|---:|",
    ]
    mean_len = sum(len(r["input_ids"]) for r in rows) / len(rows)
    flops_per_token = 6 * n_non_embed + 12 * config.num_hidden_layers * config.hidden_size * mean_len
    results = {}
    for mode in ("padded", "packed"):
        with timed_section(f"gpu {mode}"):
            tps, _ = run_mode(factory, rows, mode, args.gpu_batch, args.gpu_steps, args.warmup, args.gpu_max_len, 0, True)
        results[mode] = tps
        mfu = flops_per_token * tps / (args.peak_tflops * 1e12)
        lines.append(f"| {mode} | {tps:.0f} | {tps / results['padded']:.2f}x | {mfu:.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=256)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--max-len", type=int, default=512)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gpu", action="store_true", help="fail if the GPU path cannot run")
    parser.add_argument("--gpu-examples", type=int, default=4096)
    parser.add_argument("--gpu-batch", type=int, default=16)
    parser.add_argument("--gpu-max-len", type=int, default=2048)
    parser.add_argument("--gpu-steps", type=int, default=30)
    parser.add_argument("--peak-tflops", type=float, default=989.0)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args(argv)
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.gpu and not torch.cuda.is_available():
        print("--gpu given but no CUDA device is available", file=sys.stderr)
        return 1

    table, results = cpu_table(args)
    table += "\n\n" + gpu_table(args)
    verdicts = []
    for mode in ("group_by_length", "packed"):
        ratio = results[mode] / results["padded"]
        verdicts.append(f"{mode} {ratio:.2f}x ({'met' if ratio >= 1.5 else 'NOT met'})")
    table += "\n\nTarget >= 1.5x the padded baseline: " + "; ".join(verdicts) + "."
    print(table)
    if not args.no_append:
        from _common import append_results

        path = append_results("Training throughput: SFT batching vs padded baseline", table)
        if path is None:
            return 3  # measured under load: not appended (see _common)
        print(f"appended to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
