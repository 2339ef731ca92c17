"""Supervised fine-tuning of a causal LM on (prompt, answer) pairs, with the loss on the answer.

What lm-eval scores is a causal LM, so the intermediate tasks are taught as text: the prompt
conditions, the answer is predicted. Each example is ``prompt tokens + answer tokens + EOS``
with ``labels = -100`` on the prompt, so only answer (and EOS) tokens enter the loss. Prompt
and answer are tokenized separately, so the answer's tokens are exactly those labelled; a
too-long example loses prompt tokens from the left, never answer tokens
(``common.encode_pair``; a ``tokens`` budget counts the same tokens).

Training is ``transformers.Trainer`` (no loop of our own): multi-GPU DDP/FSDP comes from
launching the same command with ``accelerate launch`` or ``torchrun``; bf16 is on when CUDA
supports it; ``gradient_accumulation_steps`` and every other TrainingArguments option pass
through the config. Batching (``training.batching``):

- ``packed``: examples are packed into rows of at most ``max_seq_length`` tokens (best-fit
  decreasing bin packing, deterministic), with ``position_ids`` restarting at 0 for every
  example and no attention mask; transformers turns restarting positions into a
  block-diagonal causal mask, so packed examples do not attend to each other (tested: the
  loss equals the padded loss). A batch is then ``per_device_train_batch_size`` ROWS, each
  nearly full; attention cost stays that of ``max_seq_length`` rows, and almost no compute
  goes to padding.
- ``group_by_length``: examples of similar length share a batch (``LengthGroupedSampler``),
  padded to the longest in the batch.
- ``padded``: pad every example to ``max_seq_length`` in random order (the naive baseline
  the benchmark compares against).

LoRA (``model.lora``) wraps the model with peft; at the end the adapter is merged into the
weights, so the saved folder is a plain checkpoint that ``lm_eval --model hf`` loads, and the
adapter itself is saved under ``adapter/`` for those who want it.
"""

from __future__ import annotations

import bisect
import json
from typing import Any

import torch

from .checkpoint_io import start_phase
from .common import (
    IGNORE_INDEX,
    PhaseJob,
    check_finite_loss,
    encode_pair,
    load_tokenizer,
    logged_losses,
    resumable_callbacks,
    train_resumably,
    training_arguments,
)
from .formatting import Example
from .resume_metrics import tokens_seen_at_start


def encode_examples(tokenizer, examples: list[Example], max_length: int, packed: bool = False):
    """A ``datasets.Dataset`` with input_ids, labels and length (packed: one row per bin)."""
    import datasets

    rows = [encode_pair(tokenizer, e.prompt, e.answer, max_length) for e in examples]
    if packed:
        rows = [merge_rows([rows[i] for i in b]) for b in pack_bins([len(r["input_ids"]) for r in rows], max_length)]
    columns = {
        "input_ids": [r["input_ids"] for r in rows],
        "labels": [r["labels"] for r in rows],
        "length": [len(r["input_ids"]) for r in rows],
    }
    if packed:
        columns["position_ids"] = [r["position_ids"] for r in rows]
    return datasets.Dataset.from_dict(columns)


def pack_bins(lengths: list[int], capacity: int) -> list[list[int]]:
    """Best-fit decreasing bin packing: lists of indices whose lengths sum to <= capacity.

    Deterministic (ties by index); bins come out in creation order, examples inside a bin
    in the order they were placed.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (remaining capacity, bin id), sorted
    for i in order:
        need = lengths[i]
        pos = bisect.bisect_left(free, (need, -1))
        if pos < len(free):
            room, b = free.pop(pos)
        else:
            room, b = capacity, len(bins)
            bins.append([])
        bins[b].append(i)
        if room - need > 0:
            bisect.insort(free, (room - need, b))
    return bins


def merge_rows(rows: list[dict[str, list[int]]]) -> dict[str, list[int]]:
    """Concatenate examples into one packed row; positions restart, boundaries never predicted."""
    input_ids: list[int] = []
    labels: list[int] = []
    positions: list[int] = []
    for r in rows:
        input_ids += r["input_ids"]
        labels += [IGNORE_INDEX] + r["labels"][1:]  # the previous example must not predict this one
        positions += list(range(len(r["input_ids"])))
    return {"input_ids": input_ids, "labels": labels, "position_ids": positions}


class PackedRowCollator:
    """Stack packed rows; pad to the longest row as a separate block (no attention mask)."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        n, longest = len(features), max(len(f["input_ids"]) for f in features)
        input_ids = torch.full((n, longest), self.pad_id, dtype=torch.long)
        labels = torch.full((n, longest), IGNORE_INDEX, dtype=torch.long)
        positions = torch.zeros((n, longest), dtype=torch.long)
        for i, f in enumerate(features):
            k = len(f["input_ids"])
            input_ids[i, :k] = torch.tensor(f["input_ids"])
            labels[i, :k] = torch.tensor(f["labels"])
            positions[i, :k] = torch.tensor(f["position_ids"])
            positions[i, k:] = torch.arange(longest - k)  # padding: its own block, after the real tokens
        return {"input_ids": input_ids, "labels": labels, "position_ids": positions}


class PadToLengthCollator:
    """Naive baseline: every example padded to the same fixed length."""

    def __init__(self, pad_id: int, length: int):
        self.pad_id, self.length = pad_id, length

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        n = len(features)
        input_ids = torch.full((n, self.length), self.pad_id, dtype=torch.long)
        labels = torch.full((n, self.length), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((n, self.length), dtype=torch.long)
        for i, f in enumerate(features):
            k = len(f["input_ids"])
            input_ids[i, :k] = torch.tensor(f["input_ids"])
            labels[i, :k] = torch.tensor(f["labels"])
            mask[i, :k] = 1
        return {"input_ids": input_ids, "labels": labels, "attention_mask": mask}


def make_collator(batching: str, tokenizer, max_length: int):
    """The collator of a batching mode (``packed`` expects rows built by encode_examples)."""
    from transformers import DataCollatorForSeq2Seq

    if batching == "packed":
        return PackedRowCollator(tokenizer.pad_token_id)
    if batching == "group_by_length":
        return DataCollatorForSeq2Seq(
            tokenizer, padding="longest", label_pad_token_id=IGNORE_INDEX, return_tensors="pt"
        )
    return PadToLengthCollator(tokenizer.pad_token_id, max_length)


def _strip_length(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in f.items() if k != "length"} for f in features]


class _DropLength:
    def __init__(self, inner):
        self.inner = inner

    def __call__(self, features):
        return self.inner(_strip_length(features))


def load_causal_lm(name_or_path: str, revision: str | None, lora: dict[str, Any] | None, bf16: bool):
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(name_or_path, revision=revision, dtype=dtype)
    # No KV cache while training: besides wasting memory, a cache object disables the
    # packed-sequence (block-diagonal) mask that padding-free packing relies on.
    model.config.use_cache = False
    if lora:
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(
            r=int(lora.get("r", 16)),
            lora_alpha=int(lora.get("alpha", 32)),
            lora_dropout=float(lora.get("dropout", 0.05)),
            target_modules=lora.get("target_modules", "all-linear"),
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, config)
    return model


def answer_loss(model, dataset, collator, batch_size: int = 8) -> float:
    """Mean answer-token cross-entropy of ``model`` on ``dataset`` (no gradient)."""
    model.eval()
    total, count = 0.0, 0
    device = next(model.parameters()).device
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            batch = collator([dataset[i] for i in range(start, min(len(dataset), start + batch_size))])
            batch = {k: v.to(device) for k, v in batch.items()}
            inputs = {k: v for k, v in batch.items() if k != "labels"}
            logits = model(**inputs, use_cache=False).logits.float()
            labels = batch["labels"]
            # shift: token t predicts t+1; packed rows carry -100 at each example's first label
            shift_logits, shift_labels = logits[:, :-1], labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(
                shift_logits.reshape(-1, shift_logits.size(-1)),
                shift_labels.reshape(-1),
                ignore_index=IGNORE_INDEX,
                reduction="sum",
            )
            total += float(loss)
            count += int((shift_labels != IGNORE_INDEX).sum())
    model.train()
    return total / max(count, 1)


def train_phase(job: PhaseJob) -> dict[str, Any]:
    """Fine-tune ``job.init_from`` on ``job.examples``; save a plain HF checkpoint to ``job.save_to``.

    Resumes from the newest complete Trainer checkpoint in ``job.run_dir``. Returns metrics.
    """
    from accelerate import PartialState
    from transformers import Trainer

    t = job.phase.training
    tokenizer = load_tokenizer(job.init_from, job.revision)
    max_length = int(job.model["max_seq_length"])
    packed = t["batching"] == "packed"
    dataset = encode_examples(tokenizer, job.examples, max_length, packed=packed)
    collator = make_collator(t["batching"], tokenizer, max_length)
    args = training_arguments(job.phase, job.run_dir)
    state = PartialState()
    model = load_causal_lm(job.init_from, job.revision, job.model.get("lora"), args.bf16)
    if t["gradient_checkpointing"] and job.model.get("lora"):
        model.enable_input_require_grads()

    probe = encode_examples(tokenizer, job.examples[:64], max_length)  # the same examples in every mode
    probe_collator = _DropLength(make_collator("group_by_length", tokenizer, max_length))
    before_file = job.run_dir / "answer_loss_before.json"
    resume = start_phase(
        job.run_dir, state, job.is_main, before_file,
        lambda: {"answer_loss": answer_loss(model, probe, probe_collator)},
    )  # fmt: skip

    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=_DropLength(collator),
        processing_class=tokenizer,
        callbacks=resumable_callbacks(),
    )
    metrics, resumed_state = train_resumably(trainer, resume)
    unwrapped = trainer.accelerator.unwrap_model(trainer.model)
    metrics |= {
        "examples": len(job.examples),
        "packed_rows": len(dataset) if packed else None,
        "tokens_per_epoch": int(sum(dataset["length"])),
        "answer_tokens_per_epoch": int(
            sum(sum(1 for x in row if x != IGNORE_INDEX) for row in dataset["labels"])
        ),
        "num_input_tokens_seen": int(trainer.state.num_input_tokens_seen),
        "bf16": args.bf16,
        "world_size": args.world_size,
        "effective_batch_size": args.train_batch_size * args.gradient_accumulation_steps * args.world_size,
        "log_history": logged_losses(trainer),
    }
    if job.model.get("lora") and job.is_main:
        unwrapped.save_pretrained(str(job.save_to / "adapter"))
        unwrapped = unwrapped.merge_and_unload()
    unwrapped.config.use_cache = True  # the saved model generates with a cache
    if job.is_main:
        job.save_to.mkdir(parents=True, exist_ok=True)
        if job.model.get("lora"):
            unwrapped.save_pretrained(str(job.save_to))
        else:
            trainer.save_model(str(job.save_to))
        tokenizer.save_pretrained(str(job.save_to))
        before = json.loads(before_file.read_text())["answer_loss"]
        metrics["answer_loss_before"] = before
        if trainer.is_fsdp_enabled:  # sharded parameters: a main-process-only forward would hang
            metrics["answer_loss_after"] = None
        else:
            metrics["answer_loss_after"] = answer_loss(unwrapped, probe, probe_collator)
        metrics["answer_loss_probe_examples"] = len(probe)
        if metrics["train_runtime_s"]:
            tokens_this_call = metrics["num_input_tokens_seen"] - tokens_seen_at_start(resumed_state)
            metrics["train_tokens_per_s"] = tokens_this_call / metrics["train_runtime_s"]
    elif not job.model.get("lora"):
        trainer.save_model(str(job.save_to))  # collective under FSDP; writes only on the main process
    state.wait_for_everyone()
    check_finite_loss(metrics)
    return metrics
