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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    return ConfigError(f"{where}: {key}: {expected}")


def _unknown(where: str, key: str, name: str, allowed: Any, note: str = "") -> ConfigError:
    """An unknown key, with a did-you-mean from the allowed ones."""
    import difflib

    close = difflib.get_close_matches(str(name), sorted(allowed), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return _err(where, key, f"unknown{hint}; allowed: {sorted(allowed)}{note}")


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


def _trainer_arg_names() -> set[str] | None:
    try:
        import dataclasses

        from transformers import TrainingArguments
    except Exception:  # noqa: BLE001 - without transformers the Trainer checks it later
        return None
    return {f.name for f in dataclasses.fields(TrainingArguments) if f.init}


def check_trainer_args(args: dict[str, Any], where: str, key: str) -> None:
    """Refuse trainer_args keys xfer controls, and keys that are no TrainingArguments option."""
    for name in args:
        if name in XFER_TRAINER_ARGS:
            raise _err(where, f"{key}.{name}", f"not allowed under trainer_args: {XFER_TRAINER_ARGS[name]}")
        if name in TRAINING_DEFAULTS:
            raise _err(where, f"{key}.{name}", f"set it as training.{name}, not under trainer_args")
    fields = _trainer_arg_names()
    if fields is None:
        return
    for name in args:
        if name not in fields:
            import difflib

            close = difflib.get_close_matches(str(name), sorted(fields), n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _err(where, f"{key}.{name}", f"not a transformers TrainingArguments option{hint}")


def _phase(name: str, data: dict[str, Any], training: dict[str, Any], where: str) -> PhaseConfig:
    tasks = data.get("tasks")
    if not isinstance(tasks, list):
        raise _err(where, f"{name}.tasks" if name == "target" else "tasks", "expected a list of task names or mappings")
    for task in tasks:
        if not isinstance(task, (str, dict)) or (isinstance(task, dict) and "name" not in task):
            raise _err(where, "tasks", f"entry {task!r}: expected a name or a mapping with 'name'")
    prefix = "target_phase." if name == "target" else ""
    check_budget_mixture(data.get("mixture"), data.get("budget"), where, prefix)
    try:
        mixture = MixtureSpec(**(data.get("mixture") or {}))
        budget = BudgetSpec.from_dict(data.get("budget") or {"kind": "full"})
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {name} phase: {err}") from err
    unknown = set(training) - set(TRAINING_DEFAULTS)
    if unknown:
        first = sorted(unknown)[0]
        raise _unknown(where, f"training.{first}", first, TRAINING_DEFAULTS, " (put other TrainingArguments under trainer_args)")
    prefix = "target_phase.training" if name == "target" else "training"
    training = check_training(training, where, prefix)
    split = data.get("split", "train")
    if not isinstance(split, str) or not split:
        raise _err(where, "split" if name != "target" else "target_phase.split", f"expected a split name such as 'train', got {split!r}")
    return PhaseConfig(name, list(tasks), mixture, budget, training, split)


# ---------------------------------------------------------------- value checks
# Every value is checked here, at parse time, so a bad config fails before any folder is
# written or any model is loaded (one line naming the file, the key and what was expected).


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a number or a numeric string (YAML reads ``2e-5`` as a
    string: YAML 1.1 floats need a dot), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _int_at_least(value: Any, low: int, where: str, key: str) -> int:
    if not _is_int(value) or value < low:
        raise _err(where, key, f"expected an integer >= {low}, got {value!r}")
    return value


def _float_in(value: Any, where: str, key: str, *, low: float, low_open: bool = False, strings: bool = True) -> float:
    number = _number(value) if strings or not isinstance(value, str) else None
    if number is None or number != number or number in (float("inf"), float("-inf")):
        raise _err(where, key, f"expected a number, got {value!r}")
    if number < low or (low_open and number == low):
        raise _err(where, key, f"expected a number {'>' if low_open else '>='} {low:g}, got {value!r}")
    return number


def _scheduler_names() -> tuple[str, ...] | None:
    try:
        from transformers import SchedulerType
    except Exception:  # noqa: BLE001 - without transformers the Trainer checks it later
        return None
    return tuple(member.value for member in SchedulerType)


def check_training(training: dict[str, Any], where: str, prefix: str = "training") -> dict[str, Any]:
    """Type- and range-check a merged ``training`` section; returns it with numeric strings
    (``learning_rate: 2e-5``) converted to floats."""
    t = dict(training)
    key = f"{prefix}.{{}}".format
    t["seed"] = _int_at_least(t["seed"], 0, where, key("seed"))
    t["learning_rate"] = _float_in(t["learning_rate"], where, key("learning_rate"), low=0.0, low_open=True)
    for name in ("per_device_train_batch_size", "gradient_accumulation_steps", "save_steps", "logging_steps"):
        t[name] = _int_at_least(t[name], 1, where, key(name))
    warmup = t["warmup_steps"]
    if _is_int(warmup):
        if warmup < 0:
            raise _err(where, key("warmup_steps"), f"expected an integer >= 0 (steps) or a fraction in [0, 1), got {warmup!r}")
    else:
        fraction = _number(warmup)
        if fraction is None or not 0.0 <= fraction < 1.0:
            raise _err(where, key("warmup_steps"), f"expected an integer >= 0 (steps) or a fraction in [0, 1), got {warmup!r}")
        t["warmup_steps"] = fraction
    t["weight_decay"] = _float_in(t["weight_decay"], where, key("weight_decay"), low=0.0)
    t["max_grad_norm"] = _float_in(t["max_grad_norm"], where, key("max_grad_norm"), low=0.0)
    schedulers = _scheduler_names()
    if not isinstance(t["lr_scheduler_type"], str) or (schedulers and t["lr_scheduler_type"] not in schedulers):
        expected = f"one of {', '.join(schedulers)}" if schedulers else "a scheduler name such as 'linear'"
        raise _err(where, key("lr_scheduler_type"), f"expected {expected}, got {t['lr_scheduler_type']!r}")
    if t["batching"] not in BATCHING:
        raise _err(where, key("batching"), f"expected one of {BATCHING}, got {t['batching']!r}")
    if t["save_total_limit"] is not None:
        _int_at_least(t["save_total_limit"], 1, where, key("save_total_limit"))
    for name in ("use_cpu", "gradient_checkpointing"):
        if not isinstance(t[name], bool):
            raise _err(where, key(name), f"expected true or false, got {t[name]!r}")
    if t["bf16"] != "auto" and not isinstance(t["bf16"], bool):
        raise _err(where, key("bf16"), f"expected auto, true or false, got {t['bf16']!r}")
    if not isinstance(t["trainer_args"], dict):
        raise _err(where, key("trainer_args"), f"expected a mapping of TrainingArguments options, got {t['trainer_args']!r}")
    check_trainer_args(t["trainer_args"], where, key("trainer_args"))
    return t


def check_budget_mixture(mixture: Any, budget: Any, where: str, prefix: str = "") -> None:
    """Types, ranges and key names of the ``mixture`` and ``budget`` sections (their meaning
    is documented in :mod:`~xfer_tasks.train.mixture` and :mod:`~xfer_tasks.train.budget`)."""
    from .budget import KINDS
    from .mixture import STRATEGIES

    for section, value, keys in (
        ("mixture", mixture, ("strategy", "cap", "temperature")),
        ("budget", budget, ("kind", "total", "per_task", "epochs")),
    ):
        if value is None:
            continue
        if not isinstance(value, dict):
            raise _err(where, f"{prefix}{section}", f"expected a mapping with keys {list(keys)}, got {value!r}")
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise _unknown(where, f"{prefix}{section}.{unknown[0]}", unknown[0], keys)
    mixture, budget = mixture or {}, budget or {}
    if "strategy" in mixture and mixture["strategy"] not in STRATEGIES:
        raise _err(where, f"{prefix}mixture.strategy", f"expected one of {STRATEGIES}, got {mixture['strategy']!r}")
    if mixture.get("cap") is not None:
        _int_at_least(mixture["cap"], 1, where, f"{prefix}mixture.cap")
    if "temperature" in mixture:
        _float_in(mixture["temperature"], where, f"{prefix}mixture.temperature", low=0.0, low_open=True, strings=False)
    if "kind" in budget and budget["kind"] not in KINDS:
        raise _err(where, f"{prefix}budget.kind", f"expected one of {KINDS}, got {budget['kind']!r}")
    for key in ("total", "per_task"):
        if budget.get(key) is not None:
            _int_at_least(budget[key], 1, where, f"{prefix}budget.{key}")
    if "epochs" in budget:
        _float_in(budget["epochs"], where, f"{prefix}budget.epochs", low=0.0, low_open=True, strings=False)


_LORA_KEYS = {"r", "alpha", "dropout", "target_modules"}


def check_model(model: dict[str, Any], where: str) -> None:
    """Type- and range-check the ``model`` section (after defaults are set)."""
    if not isinstance(model["name_or_path"], str):
        raise _err(where, "model.name_or_path", f"expected a Hub id or a folder path, got {model['name_or_path']!r}")
    if model["kind"] not in MODEL_KINDS:
        raise _err(where, "model.kind", f"expected one of {MODEL_KINDS}, got {model['kind']!r}")
    _int_at_least(model["max_seq_length"], 8, where, "model.max_seq_length")
    revision = model.get("revision")
    if revision is not None and not isinstance(revision, str):
        raise _err(where, "model.revision", f"expected a branch, tag or commit string, got {revision!r}")
    lora = model["lora"]
    if lora is None:
        return
    if not isinstance(lora, dict):
        raise _err(where, "model.lora", "expected null or {r, alpha, dropout, target_modules}")
    unknown = set(lora) - _LORA_KEYS
    if unknown:
        raise _unknown(where, f"model.lora.{sorted(unknown)[0]}", sorted(unknown)[0], _LORA_KEYS)
    if "r" in lora:
        _int_at_least(lora["r"], 1, where, "model.lora.r")
    if "alpha" in lora:
        _float_in(lora["alpha"], where, "model.lora.alpha", low=0.0, low_open=True)
    if "dropout" in lora:
        dropout = _number(lora["dropout"])
        if dropout is None or not 0.0 <= dropout < 1.0:
            raise _err(where, "model.lora.dropout", f"expected a number in [0, 1), got {lora['dropout']!r}")
    modules = lora.get("target_modules", "all-linear")
    if not (isinstance(modules, str) or (isinstance(modules, list) and modules and all(isinstance(m, str) for m in modules))):
        raise _err(where, "model.lora.target_modules", f"expected 'all-linear' or a list of module names, got {modules!r}")


def parse_config(data: Any, where: str = "<dict>") -> RunConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping at top level")
    data = copy.deepcopy(data)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _unknown(where, sorted(unknown)[0], sorted(unknown)[0], _TOP_KEYS)
    model = data.get("model")
    if not isinstance(model, dict) or not model.get("name_or_path"):
        raise _err(where, "model.name_or_path", "required: a Hub id or a local checkpoint folder")
    unknown = set(model) - _MODEL_KEYS
    if unknown:
        raise _unknown(where, f"model.{sorted(unknown)[0]}", sorted(unknown)[0], _MODEL_KEYS)
    model.setdefault("kind", "causal")
    model.setdefault("max_seq_length", 512)
    model.setdefault("lora", None)
    check_model(model, where)
    for key in ("data_dir", "output_dir"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _err(where, key, f"expected a folder path or null, got {data[key]!r}")
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
