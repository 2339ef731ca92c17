"""Encoder intermediate-task training (the XLM-R setup of Phang et al. 2020).

One shared encoder (``AutoModel``: XLM-R, BERT, ...) and one head per task, by task type:

- classification: a linear layer on the first token (``[CLS]``/``<s>``), cross-entropy;
- multiple choice: each (context + question, choice) pair is encoded, a linear layer scores
  its first token, cross-entropy over the choices;
- span extraction: start/end logits per token (as ``BertForQuestionAnswering``); the
  question is the first segment, the context the second, truncated (no doc stride); an answer
  cut off by truncation, or a SQuAD 2.0 unanswerable question, points at the first token;
- tagging: a linear layer per token; each word's label sits on its first sub-token, other
  sub-tokens and special tokens are ignored (-100).

Multi-task batches are task-homogeneous (as in jiant, which the paper used): the mixed,
shuffled example pool is cut into per-task batches in pool order, so the mixture holds over
the course of training. Each dataset item is one such batch, and ``transformers.Trainer``
(batch size 1, a collator that unwraps it) does the rest: optimiser, schedule, checkpoints,
resume, DDP via ``torchrun``/``accelerate launch``.

The saved checkpoint is the ENCODER ALONE as a plain Hugging Face folder (``AutoModel`` +
tokenizer), which is what BUCC/Tatoeba score; the heads go to ``xfer_heads.pt`` with their
label sets in ``xfer_heads.json``.
"""

from __future__ import annotations

import json
from typing import Any

import torch
from torch import nn

from .checkpoint_io import start_phase
from .common import (
    IGNORE_INDEX,
    PhaseJob,
    check_finite_loss,
    load_tokenizer,
    logged_losses,
    resumable_callbacks,
    train_resumably,
    training_arguments,
)
from .config import PhaseConfig
from .formatting import Example

HEADS_FILE = "xfer_heads.pt"
HEADS_INFO = "xfer_heads.json"


class TaskHead(nn.Module):
    """The output layer of one task; ``kind`` is its task type."""

    def __init__(self, kind: str, hidden: int, num_labels: int, dropout: float):
        super().__init__()
        self.kind = kind
        self.dropout = nn.Dropout(dropout)
        out = {"classification": num_labels, "multiple_choice": 1, "span": 2, "tagging": num_labels}[kind]
        self.proj = nn.Linear(hidden, out)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.proj(self.dropout(hidden))


class MultiTaskEncoder(nn.Module):
    """A shared encoder with a head per task; ``forward`` takes one task-homogeneous batch."""

    def __init__(self, encoder: nn.Module, heads: dict[str, dict[str, Any]], dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.task_names = sorted(heads)
        hidden = encoder.config.hidden_size
        self.heads = nn.ModuleDict(
            {name: TaskHead(h["type"], hidden, len(h.get("labels", [])), dropout) for name, h in heads.items()}
        )

    def forward(
        self,
        task_index: torch.Tensor,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        name = self.task_names[int(task_index.reshape(-1)[0])]
        head = self.heads[name]
        shape = input_ids.shape
        flat = {"input_ids": input_ids.reshape(-1, shape[-1]), "attention_mask": attention_mask.reshape(-1, shape[-1])}
        if token_type_ids is not None:
            flat["token_type_ids"] = token_type_ids.reshape(-1, shape[-1])
        hidden = self.encoder(**flat).last_hidden_state
        if head.kind == "classification":
            logits = head(hidden[:, 0])
            loss = nn.functional.cross_entropy(logits, labels)
        elif head.kind == "multiple_choice":
            logits = head(hidden[:, 0]).reshape(shape[0], shape[1])
            loss = nn.functional.cross_entropy(logits, labels)
        elif head.kind == "span":
            logits = head(hidden)
            start, end = logits.unbind(-1)
            start = start.masked_fill(attention_mask == 0, -1e4)
            end = end.masked_fill(attention_mask == 0, -1e4)
            loss = (nn.functional.cross_entropy(start, start_positions) + nn.functional.cross_entropy(end, end_positions)) / 2
        else:  # tagging
            logits = head(hidden)
            loss = nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE_INDEX
            )
        return {"loss": loss, "logits": logits}


def head_specs(examples: list[Example], task_labels: dict[str, tuple[str, ...]]) -> dict[str, dict[str, Any]]:
    """Task -> {type, labels}; tagging label sets are read off the data (sorted)."""
    specs: dict[str, dict[str, Any]] = {}
    for e in examples:
        spec = specs.setdefault(e.task, {"type": e.type, "labels": list(task_labels.get(e.task, ()))})
        if e.type == "tagging":
            spec.setdefault("_tags", set()).update(e.fields["tags"])
    for spec in specs.values():
        if spec["type"] == "tagging":
            spec["labels"] = sorted(spec.pop("_tags"))
    return specs


def _span_positions(enc, index: int, fields: dict[str, Any]) -> tuple[int, int]:
    """Token start/end of the first gold answer in the context (segment 1); 0 when absent."""
    if not fields["answers"] or not fields.get("answer_starts"):
        return 0, 0
    char_start = fields["answer_starts"][0]
    char_end = char_start + len(fields["answers"][0])
    seq_ids = enc.sequence_ids(index)
    offsets = enc["offset_mapping"][index]
    start = end = None
    for t, (sid, (a, b)) in enumerate(zip(seq_ids, offsets, strict=True)):
        if sid != 1:
            continue
        if start is None and a <= char_start < b:
            start = t
        if a < char_end <= b:
            end = t
    if start is None or end is None or end < start:
        return 0, 0  # truncated away
    return start, end


def encode_batch(tokenizer, examples: list[Example], task_index: int, spec: dict[str, Any], max_length: int) -> dict[str, torch.Tensor]:
    """One padded, task-homogeneous batch of tensors."""
    kind = spec["type"]
    common = dict(truncation=True, max_length=max_length, padding="longest", return_tensors="pt")
    if kind == "classification":
        fields = [e.fields for e in examples]
        names = [k for k in fields[0] if k != "label"]
        inputs = spec.get("inputs") or names[:2]
        first = [str(f[inputs[0]]) for f in fields]
        second = [str(f[inputs[1]]) for f in fields] if len(inputs) > 1 else None
        enc = tokenizer(first, second, **common)
        enc["labels"] = torch.tensor([spec["labels"].index(f["label"]) for f in fields])
    elif kind == "multiple_choice":
        n_choices = max(len(e.fields["choices"]) for e in examples)
        if any(len(e.fields["choices"]) != n_choices for e in examples):
            raise ValueError(f"{examples[0].task}: examples with different numbers of choices")
        firsts, seconds = [], []
        for e in examples:
            stem = " ".join(str(e.fields[k]) for k in ("context", "question") if e.fields.get(k))
            firsts += [stem] * n_choices
            seconds += [str(c) for c in e.fields["choices"]]
        enc = tokenizer(firsts, seconds, **common)
        enc = {k: v.reshape(len(examples), n_choices, -1) for k, v in enc.items()}
        enc["labels"] = torch.tensor([e.fields["label"] for e in examples])
    elif kind == "span":
        enc = tokenizer(
            [str(e.fields["question"]) for e in examples],
            [str(e.fields["context"]) for e in examples],
            truncation="only_second",
            max_length=max_length,
            padding="longest",
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        positions = [_span_positions(enc, i, e.fields) for i, e in enumerate(examples)]
        enc = {k: v for k, v in enc.items() if k != "offset_mapping"}
        enc["start_positions"] = torch.tensor([p[0] for p in positions])
        enc["end_positions"] = torch.tensor([p[1] for p in positions])
    else:  # tagging
        enc = tokenizer([e.fields["tokens"] for e in examples], is_split_into_words=True, **common)
        labels = torch.full(enc["input_ids"].shape, IGNORE_INDEX)
        for i, e in enumerate(examples):
            previous = None
            for t, word in enumerate(enc.word_ids(i)):
                if word is not None and word != previous:
                    labels[i, t] = spec["labels"].index(e.fields["tags"][word])
                previous = word
        enc = dict(enc)
        enc["labels"] = labels
    out = {k: torch.as_tensor(v) for k, v in dict(enc).items()}
    out["task_index"] = torch.tensor([task_index])
    return out


def make_batches(tokenizer, examples: list[Example], heads: dict[str, dict[str, Any]], batch_size: int, max_length: int) -> list[dict[str, torch.Tensor]]:
    """Cut the shuffled pool into per-task batches, in pool order."""
    names = sorted(heads)
    buffers: dict[str, list[Example]] = {n: [] for n in names}
    batches = []
    for e in examples:
        buffers[e.task].append(e)
        if len(buffers[e.task]) == batch_size:
            batches.append(encode_batch(tokenizer, buffers[e.task], names.index(e.task), heads[e.task], max_length))
            buffers[e.task] = []
    for name in names:
        if buffers[name]:
            batches.append(encode_batch(tokenizer, buffers[name], names.index(name), heads[name], max_length))
    return batches


class _Unwrap:
    """The Trainer's batch size is 1: each item already is a batch."""

    def __call__(self, features: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        (batch,) = features
        return batch


def mean_loss(model: MultiTaskEncoder, batches: list[dict[str, torch.Tensor]]) -> float:
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        losses = [float(model(**{k: v.to(device) for k, v in b.items()})["loss"]) for b in batches]
    model.train()
    return sum(losses) / max(len(losses), 1)


def train_phase(job: PhaseJob) -> dict[str, Any]:
    """Multi-task fine-tuning of the encoder; saves the encoder (plain AutoModel folder)."""
    from accelerate import PartialState
    from transformers import AutoModel, Trainer

    from .task_spec import load_task_spec

    if job.model.get("lora"):
        raise ValueError("model.lora: LoRA is implemented for causal LMs only; encoders are fully fine-tuned")
    t = job.phase.training
    tokenizer = load_tokenizer(job.init_from, job.revision)
    task_labels, task_inputs = {}, {}
    for ref in job.phase.tasks:
        spec = load_task_spec(ref)
        task_labels[spec.name] = spec.labels
        task_inputs[spec.name] = spec.inputs or (
            load_task_spec(spec.components[0]).inputs if spec.components else ()
        )
    heads = head_specs(job.examples, task_labels)
    for name, spec in heads.items():
        spec["inputs"] = list(task_inputs.get(name, ()))
    batches = make_batches(tokenizer, job.examples, heads, int(t["per_device_train_batch_size"]), int(job.model["max_seq_length"]))
    phase_for_args = PhaseConfig(job.phase.name, job.phase.tasks, job.phase.mixture, job.phase.budget, {**t, "per_device_train_batch_size": 1, "batching": "padded"}, job.phase.split)
    # Each batch uses one head (and BERT's pooler is unused): DDP must allow unused parameters.
    phase_for_args.training["trainer_args"] = {"ddp_find_unused_parameters": True, **(t.get("trainer_args") or {})}
    args = training_arguments(phase_for_args, job.run_dir)
    state = PartialState()
    torch.manual_seed(int(t["seed"]))  # head initialisation
    encoder = AutoModel.from_pretrained(job.init_from, revision=job.revision)
    model = MultiTaskEncoder(encoder, heads)

    probe = batches[: min(8, len(batches))]
    before_file = job.run_dir / "loss_before.json"
    resume = start_phase(
        job.run_dir, state, job.is_main, before_file, lambda: {"loss": mean_loss(model, probe)}
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=batches,
        data_collator=_Unwrap(),
        callbacks=resumable_callbacks(),
    )
    metrics, _ = train_resumably(trainer, resume)
    unwrapped = trainer.accelerator.unwrap_model(trainer.model)
    metrics |= {
        "examples": len(job.examples),
        "batches": len(batches),
        "world_size": args.world_size,
        "log_history": logged_losses(trainer),
    }
    if job.is_main:
        job.save_to.mkdir(parents=True, exist_ok=True)
        unwrapped.encoder.save_pretrained(str(job.save_to))
        tokenizer.save_pretrained(str(job.save_to))
        torch.save({name: head.state_dict() for name, head in unwrapped.heads.items()}, job.save_to / HEADS_FILE)
        (job.save_to / HEADS_INFO).write_text(json.dumps(heads, indent=2) + "\n")
        metrics["loss_before"] = json.loads(before_file.read_text())["loss"]
        metrics["loss_after"] = mean_loss(unwrapped, probe)
        metrics["probe_batches"] = len(probe)
    state.wait_for_everyone()
    check_finite_loss(metrics)
    return metrics

