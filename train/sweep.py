"""The task-count scaling sweep: nested task subsets of growing size k, several seeds.

A sweep config names a base run config (model, budget, mixture, training, optional target
phase) and the sweep axes::

    base_config: stilts_multi.yaml      # path relative to this file; or `base:` inline
    sweep:
      tasks: [anli_plus, mnli, squad, ...]   # the N candidate tasks
      order: given                      # given | random (one permutation, nested prefixes)
      order_seed: 0                     # seeds the random permutation
      order_per_seed: false             # true: a different permutation for every seed
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
from typing import Any

import yaml

from .config import ConfigError, RunConfig, parse_config

_SWEEP_KEYS = {"tasks", "order", "order_seed", "order_per_seed", "k", "seeds"}


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
    if not path.is_file():
        raise ConfigError(f"{path}: sweep config not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    return parse_sweep_config(data, path)


def parse_sweep_config(data: Any, path: Path) -> SweepConfig:
    where = str(path)
    if not isinstance(data, dict) or "sweep" not in data:
        raise ConfigError(f"{where}: key 'sweep': required mapping")
    unknown = set(data) - {"sweep", "base", "base_config", "output_dir", "description"}
    if unknown:
        raise ConfigError(f"{where}: key {sorted(unknown)[0]!r}: unknown")
    if ("base" in data) == ("base_config" in data):
        raise ConfigError(f"{where}: key 'base'/'base_config': give exactly one")
    if "base_config" in data:
        base_path = (path.parent / data["base_config"]).resolve()
        if not base_path.is_file():
            raise ConfigError(f"{where}: key 'base_config': {base_path} not found")
        base = yaml.safe_load(base_path.read_text(encoding="utf-8"))
        where_base = str(base_path)
    else:
        base, where_base = data["base"], f"{where} (base)"
    parse_config({**base, "tasks": base.get("tasks", [])}, where_base)  # validate early
    sweep = data["sweep"]
    if not isinstance(sweep, dict) or set(sweep) - _SWEEP_KEYS:
        raise ConfigError(f"{where}: key 'sweep': expected a mapping with keys {sorted(_SWEEP_KEYS)}")
    tasks = sweep.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise ConfigError(f"{where}: key 'sweep.tasks': expected a non-empty list of tasks")
    names = [_task_name(t) for t in tasks]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: key 'sweep.tasks': a task is listed twice")
    order = sweep.get("order", "given")
    if order not in ("given", "random"):
        raise ConfigError(f"{where}: key 'sweep.order': expected 'given' or 'random'")
    k = sweep.get("k", "all")
    k_values = list(range(len(tasks) + 1)) if k == "all" else k
    if not isinstance(k_values, list) or not all(isinstance(v, int) and 0 <= v <= len(tasks) for v in k_values):
        raise ConfigError(f"{where}: key 'sweep.k': expected 'all' or a list of integers 0..{len(tasks)}")
    seeds = sweep.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise ConfigError(f"{where}: key 'sweep.seeds': expected a non-empty list of integers")
    return SweepConfig(
        base=base,
        tasks=tasks,
        order=order,
        order_seed=int(sweep.get("order_seed", 0)),
        order_per_seed=bool(sweep.get("order_per_seed", False)),
        k_values=sorted(set(k_values)),
        seeds=list(dict.fromkeys(seeds)),
        output_dir=data.get("output_dir"),
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
