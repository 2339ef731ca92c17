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
    mixture: {strategy: temperature, temperature: 2.0, cap: 100000}
    budget: {kind: examples, total: 100000, epochs: 1}
    training:                       # see TRAINING_DEFAULTS
      learning_rate: 2.0e-5
      batching: packed              # packed | group_by_length | padded
    target_phase:                   # optional second, English target-task phase
      tasks: [mnli]
      budget: {kind: examples, total: 50000}
      training: {learning_rate: 1.0e-5}   # merged onto the run's training section
    output_dir: checkpoints/mnli    # optional; --output-dir wins

The schema (:class:`RunFile`, pydantic v2) checks every key before anything is written;
an error is one line naming the config file, the key path and what was expected
(:func:`xfer_tasks.config_io.validation_line`). ``parse_config`` then hands the stages the
same plain :class:`RunConfig` as always (the run's fingerprint is unchanged).
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from xfer_tasks.config_io import KeyProblem, integer, number

from .budget import KINDS, BudgetSpec
from .mixture import STRATEGIES, MixtureSpec
from .task_spec import deep_merge

MODEL_KINDS = ("causal", "encoder")
BATCHING = ("packed", "group_by_length", "padded")
SIZED_BUDGETS = ("examples", "tokens", "steps")  # the budget kinds that read budget.total


class ConfigError(ValueError):
    """The run config is malformed; the message names the file and the key."""


# ---- the schema: what a run config may say ----------------------------------------------
# Every value is checked here, at parse time, so a bad config fails before any folder is
# written or any model is loaded (one line naming the file, the key and what was expected).
class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Count = integer(ge=1)
# a float option; a numeric string counts (YAML 1.1 reads ``2e-5``, without a dot, as a string)
PositiveFloat = Annotated[number(gt=0, strings=True), AfterValidator(float)]
NonNegativeFloat = Annotated[number(ge=0, strings=True), AfterValidator(float)]


def _task_list(tasks: Any, required: str) -> list[Any]:
    """Task references: names, or mappings with a ``name`` (overrides); each task once."""
    if tasks is None:
        raise ValueError(required)
    if not isinstance(tasks, list):
        raise ValueError(f"expected a list of task names or mappings, got {tasks!r}")
    names = []
    for i, task in enumerate(tasks):
        name = task.get("name") if isinstance(task, dict) else task
        if not isinstance(name, str) or not name:
            raise KeyProblem(i, f"expected a task name or a mapping with a 'name', got {task!r}")
        if name in names:
            raise KeyProblem(i, f"task {name!r} is listed twice (its examples would be drawn twice)")
        names.append(name)
    return tasks


def _split(split: Any) -> Any:
    if not isinstance(split, str) or not split:
        raise ValueError(f"expected a split name such as 'train', got {split!r}")
    return split


class LoraSection(_Section):
    """``model.lora``; the defaults are the ones :func:`~xfer_tasks.train.sft.load_causal_lm` uses."""

    r: Count = 16
    alpha: number(gt=0, strings=True) = 32
    dropout: number(ge=0, lt=1, strings=True) = 0.05
    target_modules: Any = "all-linear"

    @field_validator("alpha")
    @classmethod
    def _whole(cls, alpha: Any) -> Any:
        if float(alpha) != int(float(alpha)):  # peft's lora_alpha is an int: 0.5 would become 0
            raise ValueError(f"expected a whole number >= 1 (peft's lora_alpha is an integer), got {alpha!r}")
        return alpha

    @field_validator("target_modules")
    @classmethod
    def _modules(cls, modules: Any) -> Any:
        if not (isinstance(modules, str) or (isinstance(modules, list) and modules and all(isinstance(m, str) for m in modules))):
            raise ValueError(f"expected 'all-linear' or a list of module names, got {modules!r}")
        return modules

    @model_validator(mode="after")
    def _not_empty(self) -> LoraSection:
        if not self.model_fields_set:  # `lora: {}` is falsy: it silently trained without LoRA
            raise ValueError("an empty mapping would train without LoRA; give r (and alpha, dropout, target_modules), or lora: null for full fine-tuning")
        return self


class ModelSection(_Section):
    kind: Literal[MODEL_KINDS] = "causal"
    name_or_path: str = Field(None, validate_default=True)
    max_seq_length: integer(ge=8) = 512
    revision: str | None = None
    lora: LoraSection | None = None

    @field_validator("name_or_path", mode="before")
    @classmethod
    def _source(cls, value: Any) -> Any:
        if value is None or value == "":
            raise ValueError("required: a Hub id or a local checkpoint folder")
        if not isinstance(value, str):
            raise ValueError(f"expected a Hub id or a folder path, got {value!r}")
        return value

    @field_validator("revision", mode="before")
    @classmethod
    def _revision(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"expected a branch, tag or commit string, got {value!r}")
        return value

    @field_validator("lora")
    @classmethod
    def _causal_only(cls, lora: Any, info: ValidationInfo) -> Any:
        if lora is not None and info.data.get("kind") == "encoder":
            raise ValueError("LoRA is implemented for causal LMs only; an encoder is fully fine-tuned (lora: null)")
        return lora


class MixtureSection(_Section):
    """``mixture`` (see :mod:`~xfer_tasks.train.mixture`): a parameter its strategy does not
    read is refused, not ignored (``temperature: 2`` under the default proportional strategy)."""

    strategy: Literal[STRATEGIES] = "proportional"
    cap: Count | None = None
    temperature: number(gt=0) = 1.0

    @model_validator(mode="after")
    def _parameters(self) -> MixtureSection:
        if "temperature" in self.model_fields_set and self.strategy != "temperature":
            raise KeyProblem("temperature", f"only read by strategy: temperature (this mixture is {self.strategy!r}); set strategy: temperature or remove it")
        if self.cap is not None and self.strategy == "uniform":
            raise KeyProblem("cap", "not read by strategy: uniform (every task gets the same share); remove it")
        return self


class BudgetSection(_Section):
    """``budget`` (see :mod:`~xfer_tasks.train.budget`): each kind has the totals it reads."""

    kind: Literal[KINDS] = "examples"
    total: Count | None = None
    per_task: Count | None = None
    epochs: number(gt=0) = 1.0

    @model_validator(mode="after")
    def _totals(self) -> BudgetSection:
        sized = self.kind in SIZED_BUDGETS
        if sized and self.total is None:
            raise KeyProblem("total", f"required by kind {self.kind!r}: a positive integer")
        if self.total is not None and not sized:
            raise KeyProblem("total", f"not read by kind {self.kind!r}; remove it")
        if self.kind == "per_task_examples" and self.per_task is None:
            raise KeyProblem("per_task", "required by kind 'per_task_examples': a positive integer")
        if self.per_task is not None and self.kind != "per_task_examples":
            raise KeyProblem("per_task", f"only read by kind 'per_task_examples' (this budget is {self.kind!r}); remove it")
        return self


class TrainingSection(_Section):
    """``training``: the optimiser and Trainer settings xfer knows; anything else of
    ``transformers.TrainingArguments`` goes under ``trainer_args`` (checked after the schema)."""

    seed: integer(ge=0) = 0
    learning_rate: PositiveFloat = 2.0e-5
    per_device_train_batch_size: Count = 8
    gradient_accumulation_steps: Count = 1
    warmup_steps: Any = 0.0  # int: steps; float in [0, 1): fraction of the run
    weight_decay: NonNegativeFloat = 0.0
    lr_scheduler_type: str = "linear"
    max_grad_norm: NonNegativeFloat = 1.0
    batching: Literal[BATCHING] = "group_by_length"
    save_steps: Count = 500  # Trainer checkpoint every N steps (what a restart resumes from)
    save_total_limit: Count | None = 2
    logging_steps: Count = 10
    use_cpu: bool = False
    bf16: Any = "auto"  # auto: on when CUDA supports it
    gradient_checkpointing: bool = False
    trainer_args: Any = Field(default_factory=dict)  # passed to transformers.TrainingArguments verbatim

    @field_validator("warmup_steps")
    @classmethod
    def _warmup(cls, warmup: Any) -> Any:
        if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= 0:
            return warmup
        try:
            fraction = float(warmup) if isinstance(warmup, (int, float, str)) and not isinstance(warmup, bool) else None
        except ValueError:
            fraction = None
        if fraction is None or not 0.0 <= fraction < 1.0:
            raise ValueError(f"expected an integer >= 0 (steps) or a fraction in [0, 1), got {warmup!r}")
        return fraction

    @field_validator("bf16")
    @classmethod
    def _bf16(cls, bf16: Any) -> Any:
        if bf16 != "auto" and not isinstance(bf16, bool):
            raise ValueError(f"expected auto, true or false, got {bf16!r}")
        return bf16

    @field_validator("trainer_args")
    @classmethod
    def _trainer_args(cls, args: Any) -> Any:
        if not isinstance(args, dict):
            raise ValueError(f"expected a mapping of TrainingArguments options, got {args!r}")
        return args


TRAINING_DEFAULTS: dict[str, Any] = TrainingSection().model_dump()


class TargetPhaseSection(_Section):
    """``target_phase``: a second, English target-task phase; ``training`` merges onto the run's."""

    tasks: Any = Field(None, validate_default=True)
    split: Any = None  # default: the run's split
    mixture: MixtureSection | None = None
    budget: BudgetSection | None = None  # default: every example once (kind: full)
    training: TrainingSection | None = None

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, tasks: Any) -> Any:
        tasks = _task_list(tasks, "required: the target task(s), e.g. [mnli]")
        if not tasks:
            raise ValueError("expected at least one task (without one, remove target_phase)")
        return tasks

    @field_validator("split")
    @classmethod
    def _split_name(cls, split: Any) -> Any:
        return _split(split)


class RunFile(_Section):
    """A run config file (``xfer train``; a sweep's ``base``)."""

    model: ModelSection = Field(None, validate_default=True)
    data_dir: str | None = None
    split: Any = "train"
    tasks: Any = Field(None, validate_default=True)
    mixture: MixtureSection | None = None
    budget: BudgetSection | None = None  # default: every example once (kind: full)
    training: TrainingSection | None = None
    target_phase: TargetPhaseSection | None = None
    output_dir: str | None = None
    description: str = ""

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, model: Any) -> Any:
        return {} if model is None else model  # then: model.name_or_path: required

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, tasks: Any) -> Any:
        return _task_list(tasks, "required (an empty list trains nothing: k = 0)")

    @field_validator("split")
    @classmethod
    def _split_name(cls, split: Any) -> Any:
        return _split(split)


def _validate(schema: type[BaseModel], data: Any, where: str, prefix: str = "") -> BaseModel:
    """``schema.model_validate(data)``; a failure is one :class:`ConfigError` line."""
    from pydantic import ValidationError

    from xfer_tasks.config_io import validation_line

    try:
        return schema.model_validate(data)
    except ValidationError as err:
        line = validation_line(err, where, schema, prefix)
        first = err.errors(include_url=False)[0]
        if first["type"] == "extra_forbidden" and tuple(first["loc"][:-1]) in (("training",), ("target_phase", "training")):
            line += " (put other TrainingArguments under trainer_args)"
        raise ConfigError(line) from None


# ---- the typed run config every stage reads ----------------------------------------------
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
    return ConfigError(f"{where}: {key}: {expected}")


# TrainingArguments options xfer sets itself: given under trainer_args they would break resume
# (output_dir: checkpoints where the resume does not look), the sweep's seeds (seed) or the
# budget (max_steps, num_train_epochs). The run's own options belong under training:.
XFER_TRAINER_ARGS = {
    "output_dir": "xfer puts the Trainer's checkpoints in <out>.work/ (where a rerun resumes from); use --output-dir",
    "overwrite_output_dir": "xfer decides (see --overwrite)",
    "resume_from_checkpoint": "xfer resumes from <out>.work/ by itself",
    "seed": "set training.seed (a sweep sets it per point)",
    "data_seed": "follows training.seed",
    "max_steps": "set budget: {kind: steps, total: N}",
    "num_train_epochs": "set budget.epochs",
    "save_strategy": "xfer saves every training.save_steps steps (what resume needs)",
    "remove_unused_columns": "xfer's data collators need it false",
    "length_column_name": "xfer's length-grouped batching sets it",
}


def _trainer_arg_types() -> dict[str, Any] | None:
    """Each ``TrainingArguments`` option's type annotation (None without transformers)."""
    try:
        import dataclasses
        import typing

        from transformers import TrainingArguments
    except Exception:  # noqa: BLE001 - without transformers the Trainer checks it later
        return None
    hints = typing.get_type_hints(TrainingArguments)
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(TrainingArguments) if f.init}


def _enum_values(annotation: Any) -> list[str]:
    """The values of the string enums in ``annotation`` (``IntervalStrategy | str``: the
    Trainer turns the string into the enum, so only its values run)."""
    import enum
    import typing

    members = typing.get_args(annotation) or (annotation,)
    return [
        str(m.value) for t in members if isinstance(t, type) and issubclass(t, enum.Enum) for m in t
    ]  # fmt: skip


def _described(annotation: Any) -> str:
    """A TrainingArguments annotation in words: ``int | None`` -> ``an integer or null``."""
    import typing

    words = {float: "a number", int: "an integer", bool: "true or false", str: "a string", dict: "a mapping",
             list: "a list", type(None): "null"}  # fmt: skip
    members = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, types.UnionType) else (annotation,)
    said = [words.get(typing.get_origin(m) or m, getattr(m, "__name__", str(m))) for m in members]
    return " or ".join(dict.fromkeys(said))


# options whose annotation in TrainingArguments is narrower than what the Trainer takes
# (``fsdp: true`` and ``fsdp: [full_shard, auto_wrap]`` are documented forms of ``fsdp: str``)
_WIDER_TYPES: dict[str, Any] = {"fsdp": bool | str | list[str] | None}
_YAML_BOOLS = " (YAML reads unquoted no/yes/off/on as false/true: quote it)"


def _checked_value(name: str, value: Any, annotation: Any, where: str, key: str) -> Any:
    """``value`` checked against the option's type; returns what the Trainer should get.

    A number or bool YAML gave in another form (``adam_epsilon: 1e-8`` is a string in YAML
    1.1, ``dataloader_num_workers: 4.0``, ``dataloader_drop_last: "false"``) is given as the
    number or bool it says: as a string the optimizer fails on it, and ``"false"`` reads as
    true. A bool where a number is meant is refused, and an option that takes one of a list
    (``optim``, ``eval_strategy``) is checked against that list."""
    from pydantic import TypeAdapter, ValidationError

    annotation = _WIDER_TYPES.get(name, annotation)
    choices = _enum_values(annotation)
    if choices and value is not None:
        if isinstance(value, str) and value in choices:
            return value
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6) if isinstance(value, str) else []
        hint = f" (did you mean {close[0]!r}?)" if close else (_YAML_BOOLS if isinstance(value, bool) else "")
        listing = ", ".join(choices) if len(choices) <= 8 else ", ".join(choices[:6]) + f", ... ({len(choices)} in all)"
        raise _err(where, f"{key}.{name}", f"expected one of {listing}, got {value!r}{hint}")
    expected = f"expected {_described(annotation)}, got {value!r}"
    try:
        checked = TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        quote = " (quote it to give a string)" if isinstance(value, (int, float)) and "a string" in expected else ""
        raise _err(where, f"{key}.{name}", expected + quote) from None
    except Exception:  # noqa: BLE001 - an annotation pydantic cannot build: the Trainer checks it
        return value
    if isinstance(value, bool) and not isinstance(checked, bool):
        raise _err(where, f"{key}.{name}", expected)
    if isinstance(checked, (bool, int, float)) and type(checked) is not type(value):
        return checked
    return value


def check_trainer_args(args: dict[str, Any], where: str, key: str) -> dict[str, Any]:
    """Refuse trainer_args keys xfer controls, keys that are no TrainingArguments option, and
    values of the wrong type or outside an option's choices; returns the options with numeric
    and boolean strings as numbers and bools (transformers is imported only when there are
    any options: a config error stays fast)."""
    for name in args:
        if name in XFER_TRAINER_ARGS:
            raise _err(where, f"{key}.{name}", f"not allowed under trainer_args: {XFER_TRAINER_ARGS[name]}")
        if name in TRAINING_DEFAULTS:
            raise _err(where, f"{key}.{name}", f"set it as training.{name}, not under trainer_args")
    option_types = _trainer_arg_types() if args else None
    if option_types is None:
        return dict(args)
    checked = {}
    for name, value in args.items():
        if name not in option_types:
            close = difflib.get_close_matches(str(name), sorted(option_types), n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _err(where, f"{key}.{name}", f"not a transformers TrainingArguments option{hint}")
        checked[name] = _checked_value(name, value, option_types[name], where, key)
    return checked


def _scheduler_names() -> tuple[str, ...] | None:
    try:
        from transformers import SchedulerType
    except Exception:  # noqa: BLE001 - without transformers the Trainer checks it later
        return None
    return tuple(member.value for member in SchedulerType)


def _training(merged: dict[str, Any], where: str, key: str) -> dict[str, Any]:
    """A phase's merged ``training`` section, typed (numeric strings as floats), then checked
    against transformers where only transformers knows (scheduler names, trainer_args keys).
    Those checks import transformers (and torch) only when the config leaves the defaults."""
    t = TrainingSection.model_validate(merged).model_dump()  # each part was validated already
    scheduler = t["lr_scheduler_type"]
    if scheduler != TRAINING_DEFAULTS["lr_scheduler_type"]:
        schedulers = _scheduler_names()
        if schedulers and scheduler not in schedulers:
            raise _err(where, f"{key}.lr_scheduler_type", f"expected one of {', '.join(schedulers)}, got {scheduler!r}")
    t["trainer_args"] = check_trainer_args(t["trainer_args"], where, f"{key}.trainer_args")
    return t


def _phase(name: str, data: dict[str, Any], training: dict[str, Any], where: str, prefix: str) -> PhaseConfig:
    """One phase from its validated mapping; ``training`` is already merged onto the defaults."""
    key = "target_phase.training" if name == "target" else "training"
    return PhaseConfig(
        name,
        list(data["tasks"]),
        MixtureSpec(**(data.get("mixture") or {})),
        BudgetSpec.from_dict(data.get("budget") or {"kind": "full"}),
        _training(training, where, f"{prefix}.{key}" if prefix else key),
        data.get("split") or "train",
    )


def parse_config(data: Any, where: str = "<dict>", prefix: str = "") -> RunConfig:
    """Validate a run config mapping against :class:`RunFile`. ``where`` names the file in
    errors and ``prefix`` the key path above this mapping (``models.qwen05.base`` in a study)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: {prefix}: expected a mapping" if prefix else f"{where}: expected a mapping at top level")
    data = copy.deepcopy(data)
    _validate(RunFile, data, where, prefix)
    model = data["model"]
    model.setdefault("kind", "causal")
    model.setdefault("max_seq_length", 512)
    model.setdefault("lora", None)
    training = deep_merge(TRAINING_DEFAULTS, data.get("training") or {})
    phases = [_phase("intermediate", data, training, where, prefix)]
    target = data.get("target_phase")
    if target is not None:
        target = {"split": data.get("split", "train"), **target}  # the run's split unless given
        phases.append(_phase("target", target, deep_merge(training, target.get("training") or {}), where, prefix))
    return RunConfig(
        model=model,
        phases=phases,
        data_dir=data.get("data_dir"),
        output_dir=data.get("output_dir"),
        description=str(data.get("description", "")),
        source=where,
        raw=data,
    )


# huggingface_hub.utils.validate_repo_id: an optional owner, a name of word characters, '-'
# and '.', at most 96 characters, no '--' or '..', not starting or ending with '-' or '.'.
_HUB_ID = re.compile(r"^(?:[\w\-.]+/)?[\w\-.]{1,96}$")


def check_model_source(name_or_path: str, where: str, key: str = "model.name_or_path") -> None:
    """Refuse a model that is neither an existing folder nor a plausible Hub id, plainly.

    Without this check a missing local path reaches ``from_pretrained``, which reports it as
    an invalid Hub repo id (``HFValidationError``) after a traceback. A path that looks
    like a folder (absolute, ``./``, ``~``, more than one ``/``, or whose first part exists
    here) and is absent is named as a missing folder.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise _err(where, key, f"folder {name_or_path} has no config.json: not a saved model")
        return
    if path.exists():
        raise _err(where, key, f"{name_or_path} is a file; expected a model folder or a Hub id")
    text = str(name_or_path)
    looks_like_path = (
        text.startswith(("/", "./", "../", "~", "."))
        or "\\" in text
        or text.count("/") > 1
        or (text.count("/") == 1 and Path(text.split("/")[0]).is_dir())
    )
    if looks_like_path:
        raise _err(where, key, f"folder {text} does not exist (expected a local model folder or a Hub id such as Qwen/Qwen2.5-0.5B)")
    valid_id = bool(_HUB_ID.match(text)) and "--" not in text and ".." not in text
    valid_id = valid_id and not text.startswith(("-", ".")) and not text.endswith(("-", "."))
    if not valid_id:
        raise _err(where, key, f"{text!r} is neither an existing folder nor a Hub id (owner/name)")


_LOADABLE: dict[tuple[str, str | None], str | None] = {}  # (model, revision) -> error line


def check_model_loadable(name_or_path: str, revision: str | None, where: str, key: str = "model.name_or_path") -> None:
    """Refuse, before anything is written, a model whose config cannot be loaded (a Hub id
    while offline and not cached, a folder without ``config.json``): one line, not the
    ``OSError`` traceback ``from_pretrained`` would raise after the work folder exists."""
    cache_key = (name_or_path, revision)
    if cache_key not in _LOADABLE:
        try:
            from transformers import AutoConfig

            AutoConfig.from_pretrained(name_or_path, revision=revision)
            _LOADABLE[cache_key] = None
        except ImportError:
            _LOADABLE[cache_key] = None  # without transformers, training fails on its own
        except (OSError, ValueError) as err:
            lines = [line.strip() for line in str(err).splitlines() if line.strip()]
            _LOADABLE[cache_key] = lines[0] if lines else type(err).__name__
    problem = _LOADABLE[cache_key]
    if problem:
        raise _err(where, key, f"cannot load model {name_or_path!r}: {problem}")


def read_config_yaml(path: str | Path, what: str = "config") -> Any:
    """A config file's data through xfer's one YAML reader (duplicate keys refused, one-line
    errors), raised as :class:`ConfigError`."""
    from xfer_tasks.config_io import ConfigFileError, read_yaml

    try:
        return read_yaml(path, what)
    except ConfigFileError as err:
        raise ConfigError(str(err)) from None


def load_config(path: str | Path) -> RunConfig:
    return parse_config(read_config_yaml(path), str(Path(path)))


# ---- command-line overrides (xfer train, xfer sweep) ------------------------------------
def apply_overrides(config, model: str | None, data_dir: str | None, seed: int | None):
    """Command-line overrides, recorded in the config (so in the manifest and fingerprint)."""
    if model:
        config.model["name_or_path"] = model
        config.raw.setdefault("model", {})["name_or_path"] = model
    if data_dir:
        config.data_dir = data_dir
        config.raw["data_dir"] = data_dir
    if seed is not None:
        if seed < 0:
            raise ConfigError(f"--seed: expected an integer >= 0, got {seed}")
        for phase in config.phases:
            phase.training["seed"] = seed
        config.raw.setdefault("training", {})["seed"] = seed
    config.model["name_or_path"] = _expand(config.model["name_or_path"], "model.name_or_path", config)
    key = "model.name_or_path" + (" (--model)" if model else "")
    check_model_source(config.model["name_or_path"], config.source, key)
    check_model_loadable(config.model["name_or_path"], config.model.get("revision"), config.source, key)
    if config.data_dir:
        config.data_dir = _expand(config.data_dir, "data_dir", config)
    return config


def _expand(value: str, key: str, config) -> str:
    expanded = os.path.expandvars(str(value))
    if "$" in expanded:
        raise ConfigError(f"{config.source}: {key}: environment variable in {value!r} is not set")
    return expanded
