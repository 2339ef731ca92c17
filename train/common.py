"""What every training recipe shares, so that no recipe imports another.

The recipes (``sft.py``: causal LM, ``encoder.py``: encoder with task heads), the runner
(``run.py``) and the sweep (``sweep.py``) all take these from here:

- the recipe interface: ``train_phase(job: PhaseJob) -> metrics``, one per recipe; the runner
  builds the :class:`PhaseJob` and picks the recipe by ``model.kind``;

- the token conventions: :data:`IGNORE_INDEX`, :func:`load_tokenizer` and :func:`encode_pair`
  (an example's tokens, which the causal recipe trains on and a ``tokens`` budget counts);
- :func:`training_arguments`: ``transformers.TrainingArguments`` from a phase's ``training:``
  section and budget (bf16, checkpointing, the sampler, the pass-through ``trainer_args``);
- one resumable ``Trainer`` run: :func:`resumable_callbacks`, :func:`train_resumably` (and the
  metrics every recipe reports), :func:`check_finite_loss`;
- the process helpers of a multi-GPU run: :func:`is_main_process`, :func:`wait_for_everyone`.

The other shared pieces have a module each: ``checkpoint_io.py`` (crash-safe folders, durable
JSON writes, what a work folder holds), ``manifest.py`` (``xfer_manifest.json``: its file name
and contents), ``resume_metrics.py`` (a resumed phase's training loss).

Nothing here imports torch or transformers at module level: the sweep and the study import
this module without loading a deep-learning stack.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checkpoint_io import completion_marker_callback
from .resume_metrics import checkpoint_state, log_at_every_save_callback, whole_run_train_loss

if TYPE_CHECKING:
    from .config import PhaseConfig
    from .formatting import Example

# Label value that cross-entropy ignores (torch's default ``ignore_index``): prompt tokens,
# padding, and sub-tokens that carry no label.
IGNORE_INDEX = -100


@dataclass(frozen=True)
class PhaseJob:
    """One phase for a recipe: train ``examples`` from ``init_from``, keep resumable Trainer
    checkpoints in ``run_dir``, save a plain Hugging Face folder to ``save_to`` (the main
    process writes it); ``train_phase(job)`` returns the phase's metrics."""

    init_from: str  # a model id or folder; after the first phase, the previous phase's model
    revision: str | None  # Hub revision of ``init_from`` (first phase only)
    model: dict[str, Any]  # the run config's ``model:`` section (max_seq_length, lora, ...)
    phase: PhaseConfig
    examples: list[Example]  # the drawn, shuffled pool
    run_dir: Path
    save_to: Path
    is_main: bool


# ---- tokens -------------------------------------------------------------------------------
def load_tokenizer(name_or_path: str, revision: str | None = None):
    """The model's tokenizer; one without a pad token pads with EOS (GPT-2, Llama)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_path, revision=revision)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def encode_pair(tokenizer, prompt: str, answer: str, max_length: int) -> dict[str, list[int]]:
    """``input_ids`` and ``labels`` (-100 on prompt tokens) for one example.

    ``[BOS] + prompt + answer + EOS``, BOS only where the tokenizer adds it itself. Prompt and
    answer are tokenized separately, so the labelled tokens are exactly the answer's; a
    too-long example loses prompt tokens from the left, never answer tokens.
    """
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        answer_ids = answer_ids + [tokenizer.eos_token_id]
    bos = tokenizer.bos_token_id
    prefix = [bos] if bos is not None and _adds_bos(tokenizer) else []
    room = max_length - len(prefix) - len(answer_ids)
    if room < 0:  # the answer alone is too long: keep its start
        answer_ids = answer_ids[: max_length - len(prefix)]
        room = 0
    prompt_ids = prompt_ids[len(prompt_ids) - room :] if room else []
    input_ids = prefix + prompt_ids + answer_ids
    labels = [IGNORE_INDEX] * (len(prefix) + len(prompt_ids)) + answer_ids
    return {"input_ids": input_ids, "labels": labels}


def _adds_bos(tokenizer) -> bool:
    """Whether the tokenizer itself starts sequences with BOS (Llama: yes, GPT-2/Qwen: no)."""
    ids = tokenizer("a")["input_ids"]
    return bool(ids) and ids[0] == tokenizer.bos_token_id


# ---- Trainer arguments ----------------------------------------------------------------------
def use_bf16(setting: Any, use_cpu: bool) -> bool:
    """``training.bf16``: ``auto`` is on where CUDA supports bf16, off on CPU."""
    import torch

    if setting == "auto":
        return (not use_cpu) and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return bool(setting)


def training_arguments(phase: PhaseConfig, run_dir: Path):
    """``TrainingArguments`` of one phase: ``max_steps`` for a ``steps`` budget, else the
    budget's epochs over the drawn pool; checkpoints go to ``run_dir``.

    The phase's ``training.trainer_args`` are applied last, so any Trainer option passes through.
    """
    import torch
    from transformers import TrainingArguments

    t = phase.training
    use_cpu = bool(t["use_cpu"]) or not torch.cuda.is_available()
    kwargs: dict[str, Any] = dict(
        output_dir=str(run_dir),
        seed=int(t["seed"]),
        data_seed=int(t["seed"]),
        learning_rate=float(t["learning_rate"]),
        per_device_train_batch_size=int(t["per_device_train_batch_size"]),
        gradient_accumulation_steps=int(t["gradient_accumulation_steps"]),
        warmup_steps=t["warmup_steps"],
        weight_decay=float(t["weight_decay"]),
        lr_scheduler_type=t["lr_scheduler_type"],
        max_grad_norm=float(t["max_grad_norm"]),
        logging_steps=int(t["logging_steps"]),
        save_strategy="steps",
        save_steps=int(t["save_steps"]),
        save_total_limit=t["save_total_limit"],
        bf16=use_bf16(t["bf16"], use_cpu),
        use_cpu=use_cpu,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        report_to="none",
        length_column_name="length",
        train_sampling_strategy="group_by_length" if t["batching"] == "group_by_length" else "random",
        include_num_input_tokens_seen="non_padding",
        disable_tqdm=False,
    )
    # transformers 5 renamed two options; accept both generations of the library.
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    if t["gradient_checkpointing"]:
        name = "activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"
        kwargs[name] = True
    if "train_sampling_strategy" not in fields:
        kwargs["group_by_length"] = kwargs.pop("train_sampling_strategy") == "group_by_length"
    if phase.budget.kind == "steps":
        kwargs["max_steps"] = int(phase.budget.total)
    else:
        kwargs["num_train_epochs"] = float(phase.budget.epochs)
    kwargs.update(t.get("trainer_args") or {})
    return TrainingArguments(**kwargs)


# ---- one resumable Trainer run ------------------------------------------------------------
def resumable_callbacks() -> list[Any]:
    """The callbacks of every recipe's Trainer: a marker once a checkpoint is fully saved (only
    marked checkpoints are resumed from) and a log at every save (a resumed loss stays exact)."""
    return [completion_marker_callback(), log_at_every_save_callback()]


def train_resumably(trainer: Any, resume: Path | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Run ``trainer``, from the Trainer checkpoint ``resume`` when given.

    Returns the metrics every recipe reports and the resumed checkpoint's trainer state (None
    for a fresh run). ``train_loss`` is the whole phase's mean, also after a resume (the
    Trainer's ``training_loss`` covers this call only; see ``resume_metrics``).
    """
    resumed_state = checkpoint_state(resume)
    started = time.time()
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    metrics = {
        "train_loss": whole_run_train_loss(result.training_loss, result.global_step, resumed_state),
        "global_step": result.global_step,
        "train_runtime_s": result.metrics.get("train_runtime"),  # this process only
        "wall_time_this_process_s": time.time() - started,
        "resumed_from": resume.name if resume else None,
    }
    return metrics, resumed_state


def logged_losses(trainer: Any) -> list[dict[str, Any]]:
    """The Trainer's log entries that carry a training loss (the manifest's ``log_history``)."""
    return [h for h in trainer.state.log_history if "loss" in h]


def check_finite_loss(metrics: dict[str, Any]) -> None:
    """Refuse a phase whose training loss diverged (NaN or infinite)."""
    loss = metrics["train_loss"]
    if loss is not None and not math.isfinite(loss):
        raise FloatingPointError(f"training loss is {loss}; lower the learning rate")


# ---- processes of a multi-GPU run -----------------------------------------------------------
def is_main_process() -> bool:
    """Rank 0 (or a single process): the one that writes folders, manifests and sweep files."""
    return int(os.environ.get("RANK", "0")) == 0


def wait_for_everyone() -> None:
    """A barrier across the processes of a distributed run; nothing in a single process."""
    try:
        from accelerate import PartialState

        PartialState().wait_for_everyone()
    except Exception:  # single process without accelerate state
        pass
