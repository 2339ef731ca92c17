"""The task-count scaling sweep: nested task subsets of growing size k, several seeds.

A sweep config names a base run config (model, budget, mixture, training, optional target
phase) and the sweep axes::

    base_config: stilts_multi.yaml      # path relative to this file; or `base:` inline
    sweep:
      tasks: [anli_plus, mnli, squad, ...]   # the N candidate tasks
      order: given                      # given | random (one permutation, nested prefixes)
      order_seed: 0                     # seeds the random permutation
      order_per_seed: true              # default: one permutation per seed; false: order_seed's for all
      k: all                            # all = 0..N, or a list such as [0, 1, 2, 4, 9]
      seeds: [0, 1, 2]
    output_dir: sweeps/my-sweep

Point (k, seed) trains the first k tasks of the order with ``training.seed = seed`` into
``<sweep dir>/k<k>-seed<seed>/``. The budget is the base config's, so with a fixed total
(examples/tokens/steps) more tasks do not mean more data. Running the sweep again skips
complete points, resumes an interrupted one from its last Trainer checkpoint and trains the
rest; ``sweep.json`` lists every point and its task list.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .config import ConfigError, RunConfig, parse_config, read_config_yaml


class SweepAxes(BaseModel):
    """The ``sweep:`` section (typed: strict ints and bools, unknown keys refused)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    tasks: list[str | dict[str, Any]] = Field(min_length=1)
    order: Literal["given", "random"] = "given"
    order_seed: int = Field(0, ge=0)
    # one random order per seed (issue 17): seeds then vary the task subsets too, so the
    # spread over seeds includes "which tasks"; false reuses order_seed's order for all seeds
    order_per_seed: bool = True
    k: Any = "all"
    seeds: list[Annotated[int, Field(ge=0)]] = Field(default_factory=lambda: [0], min_length=1)

    @field_validator("tasks")
    @classmethod
    def _distinct(cls, tasks: list[Any]) -> list[Any]:
        for task in tasks:
            if isinstance(task, dict) and "name" not in task:
                raise ValueError(f"entry {task!r}: expected a task name or a mapping with 'name'")
        names = [_task_name(t) for t in tasks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"task {twice[0]!r} is listed twice")
        return tasks

    @field_validator("k")
    @classmethod
    def _k(cls, k: Any, info: ValidationInfo) -> Any:
        n = len(info.data.get("tasks") or [])
        if k == "all":
            return k
        if not isinstance(k, list) or not k or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= n for v in k):
            raise ValueError(f"expected 'all' or a non-empty list of integers 0..{n}, got {k!r}")
        return k


class SweepFile(BaseModel):
    """An ``xfer sweep`` config file (``base`` is checked by :func:`parse_config`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sweep: SweepAxes
    base: dict[str, Any] | None = None
    base_config: str | None = None
    output_dir: str | None = None
    description: str = ""


@dataclass
class SweepPoint:
    k: int
    seed: int
    tasks: list[Any]
    order: list[str]

    @property
    def name(self) -> str:
        return f"k{self.k:02d}-seed{self.seed}"


@dataclass
class SweepConfig:
    base: dict[str, Any]
    tasks: list[Any]
    order: str
    order_seed: int
    order_per_seed: bool
    k_values: list[int]
    seeds: list[int]
    output_dir: str | None
    source: str


def _task_name(ref: Any) -> str:
    return ref if isinstance(ref, str) else str(ref["name"])


def load_sweep_config(path: str | Path) -> SweepConfig:
    path = Path(path)
    return parse_sweep_config(read_config_yaml(path, "sweep config"), path)


def parse_sweep_config(data: Any, path: Path, prefix: str = "", where: str | None = None) -> SweepConfig:
    """Validate a sweep config mapping. ``where`` names the file in errors (default ``path``)
    and ``prefix`` the key path above this mapping (``models.qwen05`` inside a study)."""
    from xfer_tasks.config_io import validate

    where = where or str(path)
    if isinstance(data, dict) and "sweep" not in data:
        raise ConfigError(f"{where}: {prefix + '.' if prefix else ''}sweep: required: the sweep axes (tasks, k, seeds)")
    parsed = validate(SweepFile, data, where, prefix, error=ConfigError)
    if (parsed.base is None) == (parsed.base_config is None):
        raise ConfigError(f"{where}: {prefix + '.' if prefix else ''}base/base_config: give exactly one")
    if parsed.base_config is not None:
        base_path = (path.parent / parsed.base_config).resolve()
        base = read_config_yaml(base_path, "base config")
        where_base, base_key = str(base_path), ""
    else:  # inline: errors name the key path in this file (models.qwen05.base.training.seed)
        base, where_base, base_key = parsed.base, where, f"{prefix + '.' if prefix else ''}base"
    if not isinstance(base, dict):
        raise ConfigError(f"{where_base}: expected a mapping (the base run config)")
    parse_config({**base, "tasks": base.get("tasks", [])}, where_base, base_key)  # validate early
    sweep = parsed.sweep
    k_values = list(range(len(sweep.tasks) + 1)) if sweep.k == "all" else sweep.k
    return SweepConfig(
        base=base,
        tasks=list(sweep.tasks),
        order=sweep.order,
        order_seed=sweep.order_seed,
        order_per_seed=sweep.order_per_seed,
        k_values=sorted(set(k_values)),
        seeds=list(dict.fromkeys(sweep.seeds)),
        output_dir=parsed.output_dir,
        source=where,
    )


def task_order(cfg: SweepConfig, seed: int) -> list[Any]:
    """The order in which tasks are added; nested prefixes give the subsets."""
    tasks = list(cfg.tasks)
    if cfg.order == "random":
        rng = random.Random(f"order:{seed if cfg.order_per_seed else cfg.order_seed}")
        rng.shuffle(tasks)
    return tasks


def sweep_points(cfg: SweepConfig) -> list[SweepPoint]:
    points = []
    for seed in cfg.seeds:
        order = task_order(cfg, seed)
        for k in cfg.k_values:
            points.append(SweepPoint(k, seed, order[:k], [_task_name(t) for t in order]))
    return points


def point_config(cfg: SweepConfig, point: SweepPoint) -> RunConfig:
    data = copy.deepcopy(cfg.base)
    data["tasks"] = copy.deepcopy(point.tasks)
    data.setdefault("training", {})["seed"] = point.seed
    data.pop("output_dir", None)
    return parse_config(data, f"{cfg.source} point {point.name}")
