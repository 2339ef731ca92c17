"""The study config: one YAML file names the base models, their sweeps, the evaluation and the analysis.

A study config (see ``xfer_tasks/study/configs/`` and docs/study.md)::

    description: task-count study, Qwen2.5-0.5B
    models:                         # one entry per base model; each is one `xfer sweep`
      qwen05:
        sweep_config: ../train/configs/sweep.yaml   # an `xfer sweep` config file, or inline:
        # base: {model: ..., budget: ..., training: ...}   (or base_config: FILE)
        # sweep: {tasks: [...], k: all, seeds: [0, 1, 2]}
        evaluation: {tasks: [xfer_xtreme]}          # merged onto the top-level evaluation
    evaluation:                     # the harness call made for every checkpoint
      tasks: [xfer_xtreme, xfer_mmlu]
      metadata: {}                  # --metadata
      batch_size: 16                # --batch_size (an integer, "auto" or "auto:N")
      data_dir: null                # XFER_DATA_DIR for lm_eval (local data in the releases' layouts)
      device: null                  # --device
      limit: null                   # --limit (testing only: scores are then not comparable)
      model_args: {}                # extra key=value pairs for --model_args
      extra_args: []                # any other lm_eval arguments, verbatim
    analysis:                       # xfer compare
      baseline: k00-seed0           # default: the first point
      bootstrap_iters: null
      alpha: null
    launcher:                       # only read by the launcher in use
      max_retries: 1                # a failed job is resubmitted this many times (it resumes)
      local: {timeout_min: 240, max_parallel: 2}
      slurm: {partition: gpu, gpus_per_node: 1, time_min: 240, ...}   # see SLURM_KEYS
    output_dir: studies/my-study    # optional; --output-dir wins

Strings may use ``${NAME}``: a variable the caller passes (``xfer demo`` passes
``XFER_DEMO_DATA`` and the base models it prepares) or else an environment variable; an
unknown name is an error. Relative file paths in the study file (``sweep_config``,
``base_config``) are relative to that file; ``data_dir`` and local model folders are made
absolute against the working directory, so jobs started elsewhere find them.

Errors are one line naming the file and the key, as everywhere in xfer.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_TOP_KEYS = {"description", "models", "evaluation", "analysis", "launcher", "output_dir"}
_MODEL_KEYS = {"sweep_config", "base", "base_config", "sweep", "description", "evaluation"}
_EVAL_KEYS = {
    "tasks", "metadata", "batch_size", "data_dir", "device", "limit", "model_args",
    "extra_args", "gpus",
}  # fmt: skip
_ANALYSIS_KEYS = {"baseline", "bootstrap_iters", "alpha", "seed"}
_LAUNCHER_KEYS = {"max_retries", "poll_s", "local", "slurm"}
_LOCAL_KEYS = {"timeout_min", "max_parallel"}
# The SLURM options a study may set, and the submitit AutoExecutor parameter each becomes.
SLURM_KEYS: dict[str, str] = {
    "partition": "slurm_partition",
    "account": "slurm_account",
    "qos": "slurm_qos",
    "constraint": "slurm_constraint",
    "time_min": "timeout_min",
    "cpus_per_task": "cpus_per_task",
    "mem_gb": "mem_gb",
    "gpus_per_node": "gpus_per_node",
    "array_parallelism": "slurm_array_parallelism",
    "setup": "slurm_setup",
    "additional": "slurm_additional_parameters",
    "job_name": "name",
}
_SLURM_EXTRA_KEYS = {"multi_gpu", "evaluate"}
MULTI_GPU = ("torchrun", "accelerate")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class StudyConfigError(ValueError):
    """The study config is malformed; the message names the file and the key."""


@dataclass
class EvalSpec:
    """One ``lm_eval`` call per checkpoint: what the README documents, with these options."""

    tasks: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)
    batch_size: int | str = 8
    data_dir: str | None = None
    device: str | None = None
    limit: float | None = None
    model_args: dict[str, Any] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    gpus: int = 1  # > 1: `accelerate launch --num_processes N -m lm_eval` (data parallel)


@dataclass
class ModelSpec:
    """One base model: its `xfer sweep` config (a mapping) and its evaluation."""

    name: str
    sweep: dict[str, Any]
    evaluation: EvalSpec


@dataclass
class StudyConfig:
    source: str
    description: str
    models: list[ModelSpec]
    analysis: dict[str, Any]
    launcher: dict[str, Any]
    output_dir: str | None = None

    def model(self, name: str) -> ModelSpec:
        for spec in self.models:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def resolved(self) -> dict[str, Any]:
        """The config with variables expanded and sweeps inlined: what the jobs read back."""
        return {
            "description": self.description,
            "models": {
                m.name: {**copy.deepcopy(m.sweep), "evaluation": vars(m.evaluation)} for m in self.models
            },
            "analysis": self.analysis,
            "launcher": self.launcher,
        }


def _err(where: str, key: str, expected: str) -> StudyConfigError:
    return StudyConfigError(f"{where}: key {key!r}: {expected}")


def expand_variables(value: Any, variables: dict[str, str], where: str, key: str = "") -> Any:
    """Replace ``${NAME}`` in every string of ``value`` (caller's variables, then the environment)."""
    if isinstance(value, dict):
        return {k: expand_variables(v, variables, where, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_variables(v, variables, where, f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return str(variables[name])
        if name in os.environ:
            return os.environ[name]
        raise _err(where, key, f"${{{name}}} is neither a study variable nor set in the environment")

    return _VARIABLE.sub(substitute, value)


def _load_yaml(path: Path, where: str, key: str) -> Any:
    if not path.is_file():
        raise _err(where, key, f"{path} not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise _err(where, key, f"{path} is not valid YAML: {err}") from err


def _absolute_if_local(value: Any) -> Any:
    """A local folder or file (relative to the working directory) becomes absolute; a Hub id stays."""
    if isinstance(value, str) and value and Path(value).expanduser().exists():
        return str(Path(value).expanduser().resolve())
    return value


def _inline_sweep(entry: dict[str, Any], study_dir: Path, where: str, key: str) -> dict[str, Any]:
    """The model's `xfer sweep` config as one self-contained mapping (base inlined, paths absolute)."""
    if "sweep_config" in entry:
        if {"base", "base_config", "sweep"} & set(entry):
            raise _err(where, key, "give either sweep_config or base/base_config + sweep, not both")
        sweep_path = (study_dir / str(entry["sweep_config"])).resolve()
        data = _load_yaml(sweep_path, where, f"{key}.sweep_config")
        if not isinstance(data, dict):
            raise _err(where, f"{key}.sweep_config", f"{sweep_path} is not a mapping")
        origin = sweep_path.parent
    else:
        data = {k: v for k, v in entry.items() if k in {"base", "base_config", "sweep", "description"}}
        origin = study_dir
    data = copy.deepcopy(data)
    data.pop("output_dir", None)  # the study decides where checkpoints go
    if "base_config" in data:
        if "base" in data:
            raise _err(where, key, "give either base or base_config, not both")
        base_path = (origin / str(data.pop("base_config"))).resolve()
        data["base"] = _load_yaml(base_path, where, f"{key}.base_config")
    if not isinstance(data.get("base"), dict):
        raise _err(where, f"{key}.base", "required: the sweep's base run config (or base_config / sweep_config)")
    if "sweep" not in data:
        raise _err(where, f"{key}.sweep", "required: the sweep axes (tasks, k, seeds), as in `xfer sweep`")
    base = data["base"]
    base.pop("output_dir", None)
    if isinstance(base.get("model"), dict):
        base["model"]["name_or_path"] = _absolute_if_local(base["model"].get("name_or_path"))
    if base.get("data_dir"):
        base["data_dir"] = str(Path(str(base["data_dir"])).expanduser().resolve())
    from xfer_tasks.train.config import ConfigError
    from xfer_tasks.train.sweep import parse_sweep_config

    try:  # the same validation `xfer sweep` does
        parse_sweep_config(data, Path(f"{where} [{key}]"))
    except ConfigError as err:
        raise StudyConfigError(f"{where}: key {key!r}: {err}") from err
    return data


def _eval_spec(data: Any, where: str, key: str) -> EvalSpec:
    if not isinstance(data, dict):
        raise _err(where, key, "expected a mapping")
    unknown = set(data) - _EVAL_KEYS
    if unknown:
        raise _err(where, f"{key}.{sorted(unknown)[0]}", f"unknown; allowed: {sorted(_EVAL_KEYS)}")
    tasks = data.get("tasks")
    if isinstance(tasks, str):
        tasks = [t.strip() for t in tasks.split(",") if t.strip()]
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) and t for t in tasks):
        raise _err(where, f"{key}.tasks", "expected a non-empty list of lm-eval task or group names")
    batch = data.get("batch_size", 8)
    if not (isinstance(batch, int) and batch > 0) and not (isinstance(batch, str) and batch.startswith("auto")):
        raise _err(where, f"{key}.batch_size", "expected a positive integer, 'auto' or 'auto:N'")
    for name, kind in (("metadata", dict), ("model_args", dict), ("extra_args", list)):
        if not isinstance(data.get(name, kind()), kind):
            raise _err(where, f"{key}.{name}", f"expected a {kind.__name__}")
    if not all(isinstance(a, str) for a in data.get("extra_args", [])):
        raise _err(where, f"{key}.extra_args", "expected a list of strings")
    limit = data.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0):
        raise _err(where, f"{key}.limit", "expected null or a positive number")
    gpus = data.get("gpus", 1)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        raise _err(where, f"{key}.gpus", "expected a positive integer")
    data_dir = data.get("data_dir")
    if data_dir is not None:
        data_dir = str(Path(str(data_dir)).expanduser().resolve())
        if not Path(data_dir).is_dir():
            raise _err(where, f"{key}.data_dir", f"{data_dir} is not a folder")
    return EvalSpec(
        tasks=list(tasks),
        metadata=dict(data.get("metadata") or {}),
        batch_size=batch,
        data_dir=data_dir,
        device=data.get("device"),
        limit=limit,
        model_args=dict(data.get("model_args") or {}),
        extra_args=list(data.get("extra_args") or []),
        gpus=gpus,
    )


def _launcher(data: Any, where: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _err(where, "launcher", "expected a mapping")
    unknown = set(data) - _LAUNCHER_KEYS
    if unknown:
        raise _err(where, f"launcher.{sorted(unknown)[0]}", f"unknown; allowed: {sorted(_LAUNCHER_KEYS)}")
    retries = data.get("max_retries", 1)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise _err(where, "launcher.max_retries", "expected an integer >= 0")
    local = data.get("local") or {}
    if not isinstance(local, dict) or set(local) - _LOCAL_KEYS:
        raise _err(where, "launcher.local", f"expected a mapping with keys {sorted(_LOCAL_KEYS)}")
    slurm = data.get("slurm") or {}
    allowed = set(SLURM_KEYS) | _SLURM_EXTRA_KEYS
    if not isinstance(slurm, dict):
        raise _err(where, "launcher.slurm", "expected a mapping")
    for section, values in (("slurm", slurm), ("slurm.evaluate", slurm.get("evaluate") or {})):
        unknown = set(values) - (allowed if section == "slurm" else set(SLURM_KEYS))
        if unknown:
            raise _err(where, f"launcher.{section}.{sorted(unknown)[0]}", f"unknown; allowed: {sorted(allowed)}")
    if slurm.get("multi_gpu") not in (None, *MULTI_GPU):
        raise _err(where, "launcher.slurm.multi_gpu", f"expected one of {MULTI_GPU} or null")
    for section, values in (("slurm", slurm), ("slurm.evaluate", slurm.get("evaluate") or {})):
        for name in ("setup",):
            if name in values and not (isinstance(values[name], list) and all(isinstance(x, str) for x in values[name])):
                raise _err(where, f"launcher.{section}.{name}", "expected a list of shell lines")
        for name in ("time_min", "cpus_per_task", "gpus_per_node", "array_parallelism"):
            value = values.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise _err(where, f"launcher.{section}.{name}", "expected a non-negative integer")
    return copy.deepcopy(data)


def parse_study_config(
    data: Any, where: str, study_dir: Path, variables: dict[str, str] | None = None
) -> StudyConfig:
    """Validate a study config mapping (``where`` names it in errors)."""
    if not isinstance(data, dict):
        raise StudyConfigError(f"{where}: expected a mapping at top level")
    data = expand_variables(data, dict(variables or {}), where)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _err(where, sorted(unknown)[0], f"unknown; allowed: {sorted(_TOP_KEYS)}")
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise _err(where, "models", "required: a mapping of model names to their sweeps")
    defaults = data.get("evaluation") or {}
    if not isinstance(defaults, dict):
        raise _err(where, "evaluation", "expected a mapping")
    specs = []
    for name, entry in models.items():
        key = f"models.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise _err(where, key, "a model name is letters, digits, '.', '_' or '-' (it names folders)")
        if not isinstance(entry, dict):
            raise _err(where, key, "expected a mapping")
        unknown = set(entry) - _MODEL_KEYS
        if unknown:
            raise _err(where, f"{key}.{sorted(unknown)[0]}", f"unknown; allowed: {sorted(_MODEL_KEYS)}")
        sweep = _inline_sweep(entry, study_dir, where, key)
        own = entry.get("evaluation") or {}
        if not isinstance(own, dict):
            raise _err(where, f"{key}.evaluation", "expected a mapping")
        specs.append(ModelSpec(name, sweep, _eval_spec({**defaults, **own}, where, f"{key}.evaluation")))
    analysis = data.get("analysis") or {}
    if not isinstance(analysis, dict) or set(analysis) - _ANALYSIS_KEYS:
        raise _err(where, "analysis", f"expected a mapping with keys {sorted(_ANALYSIS_KEYS)}")
    return StudyConfig(
        source=where,
        description=str(data.get("description", "")),
        models=specs,
        analysis=dict(analysis),
        launcher=_launcher(data.get("launcher"), where),
        output_dir=data.get("output_dir"),
    )


def load_study_config(path: str | Path, variables: dict[str, str] | None = None) -> StudyConfig:
    """Read and validate a study config file."""
    path = Path(path)
    if not path.is_file():
        raise StudyConfigError(f"{path}: study config not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise StudyConfigError(f"{path}: not valid YAML: {err}") from err
    return parse_study_config(data, str(path), path.resolve().parent, variables)
