"""The run configuration: one YAML file says what to train, on what, for how long.

Configs are separate from code (see ``train/configs/``). A run config::

    model:
      kind: causal                  # causal (SFT, what lm-eval scores) | encoder (XLM-R setup)
      name_or_path: Qwen/Qwen2.5-0.5B
      max_seq_length: 512
      lora: null                    # or {r: 16, alpha: 32, dropout: 0.05, target_modules: all-linear}
    data_dir: null                  # local data root; default $XFER_DATA_DIR
    split: train                    # which split of each task to train on
    tasks: [mnli, squad, {name: hellaswag, local: {...overrides...}}]
    mixture: {strategy: proportional, cap: 100000, temperature: 1.0}
    budget: {kind: examples, total: 100000, epochs: 1}
    training:                       # see TRAINING_DEFAULTS
      learning_rate: 2.0e-5
      batching: packed              # packed | group_by_length | padded
    target_phase:                   # optional second, English target-task phase
      tasks: [mnli]
      budget: {kind: examples, total: 50000}
      training: {learning_rate: 1.0e-5}   # merged onto the run's training section
    output_dir: checkpoints/mnli    # optional; --output-dir wins

Errors name the config file and the key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .budget import BudgetSpec
from .mixture import MixtureSpec
from .task_spec import deep_merge

MODEL_KINDS = ("causal", "encoder")
BATCHING = ("packed", "group_by_length", "padded")
TRAINING_DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "learning_rate": 2.0e-5,
    "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 1,
    "warmup_steps": 0.0,  # int: steps; float in [0, 1): fraction of the run
    "weight_decay": 0.0,
    "lr_scheduler_type": "linear",
    "max_grad_norm": 1.0,
    "batching": "group_by_length",
    "save_steps": 500,  # Trainer checkpoint every N steps (what a restart resumes from)
    "save_total_limit": 2,
    "logging_steps": 10,
    "use_cpu": False,
    "bf16": "auto",  # auto: on when CUDA supports it
    "gradient_checkpointing": False,
    "trainer_args": {},  # anything else, passed to transformers.TrainingArguments verbatim
}
_MODEL_KEYS = {"kind", "name_or_path", "max_seq_length", "lora", "revision"}
_TOP_KEYS = {
    "model", "data_dir", "split", "tasks", "mixture", "budget", "training", "target_phase",
    "output_dir", "description",
}  # fmt: skip
_PHASE_KEYS = {"tasks", "mixture", "budget", "training", "split"}


class ConfigError(ValueError):
    """The run config is malformed; the message names the file and the key."""


@dataclass
class PhaseConfig:
    """One training phase: tasks, how they are mixed, how much data, optimiser settings."""

    name: str  # "intermediate" | "target"
    tasks: list[Any]
    mixture: MixtureSpec
    budget: BudgetSpec
    training: dict[str, Any]
    split: str = "train"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tasks": [t if isinstance(t, str) else t.get("name") for t in self.tasks],
            "task_overrides": [t for t in self.tasks if not isinstance(t, str)],
            "split": self.split,
            "mixture": vars(self.mixture),
            "budget": self.budget.as_dict(),
            "training": self.training,
        }


@dataclass
class RunConfig:
    model: dict[str, Any]
    phases: list[PhaseConfig]
    data_dir: str | None = None
    output_dir: str | None = None
    description: str = ""
    source: str = "<dict>"
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.model["kind"]

    @property
    def seed(self) -> int:
        return int(self.phases[0].training["seed"]) if self.phases else 0


def _err(where: str, key: str, expected: str) -> ConfigError:
    return ConfigError(f"{where}: key {key!r}: {expected}")


def _phase(name: str, data: dict[str, Any], training: dict[str, Any], where: str) -> PhaseConfig:
    tasks = data.get("tasks")
    if not isinstance(tasks, list):
        raise _err(where, f"{name}.tasks" if name == "target" else "tasks", "expected a list of task names or mappings")
    for task in tasks:
        if not isinstance(task, (str, dict)) or (isinstance(task, dict) and "name" not in task):
            raise _err(where, "tasks", f"entry {task!r}: expected a name or a mapping with 'name'")
    try:
        mixture = MixtureSpec(**(data.get("mixture") or {}))
        budget = BudgetSpec.from_dict(data.get("budget") or {"kind": "full"})
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {name} phase: {err}") from err
    unknown = set(training) - set(TRAINING_DEFAULTS)
    if unknown:
        raise _err(where, f"training.{sorted(unknown)[0]}", f"unknown; allowed: {sorted(TRAINING_DEFAULTS)} (put other TrainingArguments under trainer_args)")
    if training["batching"] not in BATCHING:
        raise _err(where, "training.batching", f"expected one of {BATCHING}")
    return PhaseConfig(name, list(tasks), mixture, budget, training, str(data.get("split", "train")))


def parse_config(data: Any, where: str = "<dict>") -> RunConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping at top level")
    data = copy.deepcopy(data)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _err(where, sorted(unknown)[0], f"unknown; allowed: {sorted(_TOP_KEYS)}")
    model = data.get("model")
    if not isinstance(model, dict) or not model.get("name_or_path"):
        raise _err(where, "model.name_or_path", "required: a Hub id or a local checkpoint folder")
    unknown = set(model) - _MODEL_KEYS
    if unknown:
        raise _err(where, f"model.{sorted(unknown)[0]}", f"unknown; allowed: {sorted(_MODEL_KEYS)}")
    model.setdefault("kind", "causal")
    model.setdefault("max_seq_length", 512)
    model.setdefault("lora", None)
    if model["kind"] not in MODEL_KINDS:
        raise _err(where, "model.kind", f"expected one of {MODEL_KINDS}")
    if model["lora"] is not None and not isinstance(model["lora"], dict):
        raise _err(where, "model.lora", "expected null or {r, alpha, dropout, target_modules}")
    training = deep_merge(TRAINING_DEFAULTS, data.get("training") or {})
    phases = []
    if data.get("tasks") is None:
        raise _err(where, "tasks", "required (an empty list trains nothing: k = 0)")
    phases.append(_phase("intermediate", data, training, where))
    target = data.get("target_phase")
    if target is not None:
        if not isinstance(target, dict) or set(target) - _PHASE_KEYS:
            raise _err(where, "target_phase", f"expected a mapping with keys {sorted(_PHASE_KEYS)}")
        phases.append(
            _phase(
                "target",
                {"split": data.get("split", "train"), **target},  # the run's split unless given
                deep_merge(training, target.get("training") or {}),
                where,
            )
        )
    return RunConfig(
        model=model,
        phases=phases,
        data_dir=data.get("data_dir"),
        output_dir=data.get("output_dir"),
        description=str(data.get("description", "")),
        source=where,
        raw=data,
    )


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    return parse_config(data, str(path))
