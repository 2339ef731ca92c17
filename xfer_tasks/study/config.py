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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from xfer_tasks.config_io import ConfigFileError, expand_variables, number, read_yaml, validate

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
MULTI_GPU = ("torchrun", "accelerate")
LAUNCHERS = ("inline", "submitit-local", "slurm")  # where a study's units run (see .launchers)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# what lm_eval's --device takes: cpu, cuda, cuda:N, mps, xpu[:N], npu[:N], hpu
DEVICE = re.compile(r"^(cpu|mps|hpu|(cuda|xpu|npu)(:\d+)?)$")
_BATCH = re.compile(r"^auto(:\d+)?$")


# ---- the schema: what a study file may say ---------------------------------------------
class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


PositiveInt = Annotated[int, Field(ge=1)]


# lm_eval flags the study sets per checkpoint: given again in extra_args they would win
# (argparse keeps the last), and every point could score another model or write elsewhere
_WHERE = "use the evaluation key of the same name"
XFER_LM_EVAL_FLAGS = {
    "--model": "the hf model", "--model_args": "model_args", "-a": "model_args",
    "--tasks": "tasks", "-t": "tasks", "--output_path": "the point's results folder",
    "-o": "the point's results folder", "--include_path": "xfer's task folder",
    "--batch_size": _WHERE, "-b": _WHERE, "--device": _WHERE, "--limit": _WHERE, "-L": _WHERE,
    "--metadata": "metadata",
}  # fmt: skip


class EvaluationSection(_Section):
    """``evaluation:`` (top level, merged under each model's own)."""

    tasks: list[str] | str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    batch_size: int | str = 8
    data_dir: str | None = None
    device: str | None = None
    limit: number(gt=0) | None = None
    model_args: dict[str, Any] = Field(default_factory=dict)
    extra_args: list[str] = Field(default_factory=list)
    gpus: PositiveInt = 1

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, tasks: Any) -> Any:
        if isinstance(tasks, str):
            tasks = [t.strip() for t in tasks.split(",") if t.strip()]
        if tasks is not None and (not tasks or not all(tasks)):
            raise ValueError("expected a non-empty list of lm-eval task or group names")
        return tasks

    @field_validator("batch_size")
    @classmethod
    def _batch(cls, batch: Any) -> Any:
        if (isinstance(batch, int) and batch < 1) or (isinstance(batch, str) and not _BATCH.match(batch)):
            raise ValueError(f"expected a positive integer, 'auto' or 'auto:N', got {batch!r}")
        return batch

    @field_validator("device")
    @classmethod
    def _device(cls, device: Any) -> Any:
        if device is not None and not DEVICE.match(device):
            raise ValueError(f"expected a device such as cpu, cuda, cuda:0 or mps, got {device!r}")
        return device

    @field_validator("extra_args")
    @classmethod
    def _extra_args(cls, args: list[str]) -> list[str]:
        for arg in args:
            flag = arg.split("=", 1)[0]
            if flag in XFER_LM_EVAL_FLAGS:
                raise ValueError(
                    f"{flag}: xfer sets it for each checkpoint ({XFER_LM_EVAL_FLAGS[flag]}); "
                    "remove it from extra_args"
                )
        return args

    @field_validator("model_args")
    @classmethod
    def _model_args(cls, args: dict[str, Any]) -> dict[str, Any]:
        if "pretrained" in args:
            raise ValueError("pretrained: xfer sets it to each checkpoint; remove it (the base model is models.<name>.base.model.name_or_path)")
        return args


class AnalysisSection(_Section):
    """``analysis:``, the options of ``xfer compare``."""

    baseline: str | None = None
    bootstrap_iters: PositiveInt | None = None
    alpha: number(gt=0, lt=1) | None = None
    seed: Annotated[int, Field(ge=0)] | None = None


class LocalSection(_Section):
    """``launcher.local:`` (``--launcher submitit-local``)."""

    timeout_min: PositiveInt = 240
    max_parallel: PositiveInt = 2


class SlurmOptions(_Section):
    """The SLURM options of a job array (``launcher.slurm`` and ``launcher.slurm.evaluate``)."""

    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    time_min: PositiveInt | None = None
    cpus_per_task: PositiveInt | None = None
    mem_gb: number(gt=0) | None = None
    gpus_per_node: Annotated[int, Field(ge=0)] | None = None
    array_parallelism: PositiveInt | None = None
    setup: list[str] | None = None
    additional: dict[str, Any] | None = None
    job_name: str | None = None


class SlurmSection(SlurmOptions):
    multi_gpu: Literal["torchrun", "accelerate"] | None = None
    # how often submitit requeues a job that hit its time limit (submitit's default: 3)
    max_num_timeout: Annotated[int, Field(ge=0)] | None = None
    evaluate: SlurmOptions | None = None


class LauncherSection(_Section):
    """``launcher:``, read by the launcher in use."""

    max_retries: Annotated[int, Field(ge=0)] = 1
    poll_s: number(gt=0) | None = None
    local: LocalSection | None = None
    slurm: SlurmSection | None = None


class ModelEntry(_Section):
    """``models.<name>:``; the sweep itself is checked by ``xfer sweep``'s schema."""

    sweep_config: str | None = None
    base: dict[str, Any] | None = None
    base_config: str | None = None
    sweep: dict[str, Any] | None = None
    description: str = ""
    evaluation: dict[str, Any] = Field(default_factory=dict)


class StudyFile(_Section):
    """A study config file."""

    description: str = ""
    models: dict[str, ModelEntry] = Field(min_length=1)
    evaluation: dict[str, Any] = Field(default_factory=dict)
    analysis: AnalysisSection = Field(default_factory=AnalysisSection)
    launcher: LauncherSection = Field(default_factory=LauncherSection)
    output_dir: str | None = None


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
    return StudyConfigError(f"{where}: {key}: {expected}")


def _load_yaml(path: Path, where: str, key: str) -> Any:
    try:
        return read_yaml(path)
    except ConfigFileError as err:
        raise _err(where, key, str(err)) from None


def _absolute_if_local(value: Any) -> Any:
    """A local folder or file (relative to the working directory) becomes absolute; a Hub id stays."""
    if isinstance(value, str) and value and Path(value).expanduser().exists():
        return str(Path(value).expanduser().resolve())
    return value


def _inline_sweep(entry: ModelEntry, study_dir: Path, where: str, key: str) -> dict[str, Any]:
    """The model's `xfer sweep` config as one self-contained mapping (base inlined, paths absolute)."""
    given = entry.model_fields_set
    if "sweep_config" in given:
        if {"base", "base_config", "sweep"} & given:
            raise _err(where, key, "give either sweep_config or base/base_config + sweep, not both")
        sweep_path = (study_dir / str(entry.sweep_config)).resolve()
        data = _load_yaml(sweep_path, where, f"{key}.sweep_config")
        if not isinstance(data, dict):
            raise _err(where, f"{key}.sweep_config", f"{sweep_path} is not a mapping")
        origin, sweep_where, prefix = sweep_path.parent, str(sweep_path), ""
    else:
        data = {k: getattr(entry, k) for k in ("base", "base_config", "sweep", "description") if k in given}
        origin, sweep_where, prefix = study_dir, where, key
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
        parse_sweep_config(data, origin / "sweep.yaml", prefix=prefix, where=sweep_where)
    except ConfigError as err:
        message = str(err)
        if sweep_where != where:  # an error inside the sweep file: say which model uses it
            message = f"{message} (models.{key.split('.', 1)[1]} of {where})"
        raise StudyConfigError(message) from None
    return data


def _eval_spec(data: dict[str, Any], where: str, key: str) -> EvalSpec:
    section = validate(EvaluationSection, data, where, key, error=StudyConfigError)
    if not section.tasks:
        raise _err(where, f"{key}.tasks", "required: a non-empty list of lm-eval task or group names")
    data_dir = section.data_dir
    if data_dir is not None:
        data_dir = str(Path(data_dir).expanduser().resolve())
        if not Path(data_dir).is_dir():
            raise _err(where, f"{key}.data_dir", f"{data_dir} is not a folder")
    return EvalSpec(
        tasks=list(section.tasks),
        metadata=dict(section.metadata),
        batch_size=section.batch_size,
        data_dir=data_dir,
        device=section.device,
        limit=section.limit,
        model_args=dict(section.model_args),
        extra_args=list(section.extra_args),
        gpus=section.gpus,
    )


def parse_study_config(
    data: Any, where: str, study_dir: Path, variables: dict[str, str] | None = None
) -> StudyConfig:
    """Validate a study config mapping (``where`` names it in errors)."""
    if not isinstance(data, dict):
        raise StudyConfigError(f"{where}: expected a mapping at top level")
    try:
        data = expand_variables(data, dict(variables or {}), where)
    except ConfigFileError as err:
        raise StudyConfigError(str(err)) from None
    study = validate(StudyFile, data, where, error=StudyConfigError)
    validate(EvaluationSection, study.evaluation, where, "evaluation", error=StudyConfigError)
    specs = []
    for name, entry in study.models.items():
        key = f"models.{name}"
        if not _NAME.match(name):
            raise _err(where, key, "a model name is letters, digits, '.', '_' or '-' (it names folders)")
        sweep = _inline_sweep(entry, study_dir, where, key)
        validate(EvaluationSection, entry.evaluation, where, f"{key}.evaluation", error=StudyConfigError)
        merged = {**study.evaluation, **entry.evaluation}
        for mapping in ("metadata", "model_args"):  # key by key: a model's own keys add to the top's
            if isinstance(study.evaluation.get(mapping), dict) and isinstance(entry.evaluation.get(mapping), dict):
                merged[mapping] = {**study.evaluation[mapping], **entry.evaluation[mapping]}
        specs.append(ModelSpec(name, sweep, _eval_spec(merged, where, f"{key}.evaluation")))
    return StudyConfig(
        source=where,
        description=study.description,
        models=specs,
        analysis=study.analysis.model_dump(exclude_none=True),
        launcher=study.launcher.model_dump(exclude_unset=True),
        output_dir=study.output_dir,
    )


def load_study_config(path: str | Path, variables: dict[str, str] | None = None) -> StudyConfig:
    """Read and validate a study config file (xfer's one YAML reader: duplicate keys refused)."""
    path = Path(path)
    try:
        data = read_yaml(path, "study config")
    except ConfigFileError as err:
        raise StudyConfigError(str(err)) from None
    return parse_study_config(data, str(path), path.resolve().parent, variables)
