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
import json
import random
import sys
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


# ---- running a sweep (xfer sweep, a study's training unit) ------------------------------
def _check_selection(what: str, flag: str, chosen: list[int] | None, available: list[int], source: str) -> None:
    """Refuse ``--k``/``--seeds`` values that are not points of the sweep (nothing would run)."""
    from .config import ConfigError

    if chosen is None:
        return
    if not chosen:
        raise ConfigError(f"{flag}: no values given")
    missing = [v for v in chosen if v not in available]
    if missing:
        raise ConfigError(
            f"{flag} {','.join(map(str, missing))}: not {what} of this sweep "
            f"({source} has {what} {','.join(map(str, available))})"
        )


def point_state(path: Path, fingerprint: str) -> str:
    """``complete``, ``partial``, ``todo``, or ``complete-changed`` / ``partial-changed`` when
    the point on disk was trained from a different config (a run refuses those without
    ``--overwrite``, exactly as :func:`~xfer_tasks.train.run.train_checkpoint` does)."""
    from .checkpoint_io import RUN_FILE, has_progress, is_complete, work_dir
    from .manifest import MANIFEST_FILE

    if is_complete(path):
        try:
            old = json.loads((path / MANIFEST_FILE).read_text()).get("sweep") or {}
        except (OSError, json.JSONDecodeError):
            old = {}
        changed = old.get("config_fingerprint") not in (None, fingerprint)
        return "complete-changed" if changed else "complete"
    work = work_dir(path)
    if not work.exists():
        return "todo"
    try:
        previous = json.loads((work / RUN_FILE).read_text()).get("config_fingerprint")
    except (OSError, json.JSONDecodeError):
        previous = None
    changed = previous not in (None, fingerprint) and has_progress(work)
    return "partial-changed" if changed else "partial"


def run_sweep(
    cfg: Any,
    out: Path,
    *,
    k: list[int] | None = None,
    seeds: list[int] | None = None,
    overwrite: bool = False,
    model: str | None = None,
    data_dir: str | None = None,
    dry_run: bool = False,
    config_file: str | None = None,
) -> tuple[int, int]:
    """Train the points of the typed sweep config ``cfg`` (restricted to ``k`` / ``seeds``)
    into ``out``; returns (trained, already complete). What `xfer sweep` runs and what a
    study's training unit calls; errors are raised (ConfigError, ConfigChangedError, data
    errors), not printed."""
    from .checkpoint_io import write_json_durable
    from .common import is_main_process
    from .config import apply_overrides
    from .run import ConfigChangedError, config_fingerprint, train_checkpoint

    out = Path(out).resolve()
    source = config_file or cfg.source
    _check_selection("k values", "--k", k, cfg.k_values, source)
    _check_selection("seeds", "--seeds", seeds, cfg.seeds, source)
    points = [
        p
        for p in sweep_points(cfg)
        if (k is None or p.k in k) and (seeds is None or p.seed in seeds)
    ]
    plan = []
    for point in points:
        config = apply_overrides(point_config(cfg, point), model, data_dir, None)
        fingerprint = config_fingerprint(config)
        path = out / point.name
        plan.append((point, config, path, fingerprint, point_state(path, fingerprint)))
    changed = [path for _, _, path, _, state in plan if state.endswith("-changed")]
    if dry_run:
        for point, _, _, _, state in plan:
            shown = state if not (overwrite and state != "todo") else f"{state} (--overwrite: retrain)"
            tasks = ",".join(str(t if isinstance(t, str) else t["name"]) for t in point.tasks) or "-"
            print(f"{point.name}\t{shown}\t{tasks}")
    if changed and not overwrite:
        raise ConfigChangedError(
            f"{len(changed)} point(s) on disk were trained from a different config "
            f"({', '.join(p.name for p in changed)} in {out}); pass --overwrite to retrain them"
        )
    if dry_run:
        return 0, 0
    if is_main_process():
        out.mkdir(parents=True, exist_ok=True)
        write_json_durable(
            out / "sweep.json",
            {
                "config_file": source,
                "points": [
                    {"name": p.name, "k": p.k, "seed": p.seed, "tasks": p.order[: p.k], "order": p.order}
                    for p, *_ in plan
                ],
            },
        )
    done = skipped = 0
    for point, config, path, fingerprint, state in plan:
        if state == "complete" and not overwrite:
            print(f"[xfer sweep] {point.name}: complete, skipped", file=sys.stderr)
            skipped += 1
            continue
        print(f"[xfer sweep] {point.name}: training on {point.order[: point.k] or 'no tasks'}", file=sys.stderr)
        sweep_info = {
            "k": point.k,
            "seed": point.seed,
            "order": point.order,
            "point": point.name,
            "config_fingerprint": fingerprint,
            "sweep_config": source,
        }
        train_checkpoint(config, path, overwrite=overwrite, sweep=sweep_info)
        done += 1
    return done, skipped
