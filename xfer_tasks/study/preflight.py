"""Everything a study needs, checked before anything is written (``xfer study --check``).

A study is days of GPU time; a typo must not surface after the training stage. The loader
(:mod:`.config`) checks types, ranges and key names; this module checks what needs the world
outside the file, in this order, and raises :class:`~.config.StudyConfigError` (one line) at
the first problem:

1. training task names against the shipped task registry (``train/tasks/``), with a did-you-mean;
2. every base model loadable as a config (a folder with ``config.json``, or a Hub id that is
   cached or reachable: offline, an uncached id is an error naming it);
3. the training data of every task present (what ``xfer train`` would load first);
4. evaluation task names: xfer's against the catalog, any other name resolved by lm-eval's
   ``TaskManager`` with xfer's include path (indexed once, only when a name is not ours);
5. evaluation metadata through :func:`xfer_tasks.metadata.check_metadata` (the code the tasks
   run) and :func:`xfer_tasks.metadata.check_run`, plus integer ``embed_layer`` indices
   against each model's ``num_hidden_layers``;
6. evaluation data present (:func:`xfer_tasks.check_data.check_task_data`, what
   ``xfer check-data`` runs);
7. ``analysis.baseline`` among the sweep's points;
8. on ``--launcher slurm`` with ``sbatch`` on PATH: each stage's array resources through
   ``sbatch --test-only`` (a rejection is one line).
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .config import StudyConfig, StudyConfigError

_LM_EVAL_TASKS: set[str] | None = None  # lm-eval's task index with xfer's include path (slow: once)


def _fail(where: str, key: str, message: str) -> StudyConfigError:
    return StudyConfigError(f"{where}: {key}: {message}")


def _did_you_mean(name: str, known: Iterable[str], n: int = 1) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=n, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


# ---- training ------------------------------------------------------------------------------
def _training_task_refs(sweep: dict[str, Any]) -> list[tuple[str, Any]]:
    """(key path, task reference) of every training task of one model's sweep."""
    refs = [(f"sweep.tasks[{i}]", ref) for i, ref in enumerate(sweep["sweep"]["tasks"])]
    target = (sweep["base"].get("target_phase") or {}).get("tasks") or []
    refs += [(f"base.target_phase.tasks[{i}]", ref) for i, ref in enumerate(target)]
    return refs


def check_training(config: StudyConfig, check_data: bool = True) -> None:
    from xfer_tasks.data import DataFormatError, DataMissingError
    from xfer_tasks.train.config import ConfigError, check_model_loadable, check_model_source
    from xfer_tasks.train.task_spec import TaskSpecError, available_tasks, load_task_spec

    where = config.source
    shipped = available_tasks()
    for spec in config.models:
        prefix = f"models.{spec.name}"
        for key, ref in _training_task_refs(spec.sweep):
            name = ref if isinstance(ref, str) else ref.get("name")
            if isinstance(ref, str) and not ref.endswith((".yaml", ".yml")) and ref not in shipped:
                raise _fail(where, f"{prefix}.{key}", f"unknown training task {ref!r}{_did_you_mean(ref, shipped)}; shipped tasks: {', '.join(shipped)}")
            try:
                load_task_spec(ref)
            except TaskSpecError as err:
                raise _fail(where, f"{prefix}.{key}", f"task {name!r}: {err}") from None
        model = spec.sweep["base"]["model"]
        try:
            check_model_source(model["name_or_path"], where, f"{prefix}.base.model.name_or_path")
            check_model_loadable(model["name_or_path"], model.get("revision"), where, f"{prefix}.base.model.name_or_path")
        except ConfigError as err:
            raise StudyConfigError(str(err)) from None
        if not check_data:
            continue
        base = spec.sweep["base"]
        split = base.get("split", "train")
        for key, ref in _training_task_refs(spec.sweep):
            try:
                _check_training_data(ref, split, base.get("data_dir"))
            except (DataMissingError, DataFormatError, TaskSpecError, KeyError) as err:
                raise _fail(where, f"{prefix}.{key}", f"training data: {_one_line(err)}") from None


def _check_training_data(ref: Any, split: str, data_dir: str | None) -> None:
    """The task's training files are there (local release layout: found, not read, so a
    study over MNLI-sized files checks in seconds), or else its Hub copy loads (offline: a
    cached copy), exactly as training will look for them."""
    from xfer_tasks.train.sources import _expand, load_raw, local_data_root
    from xfer_tasks.train.task_spec import load_task_spec

    task = load_task_spec(ref)
    root = Path(data_dir).expanduser() if data_dir else local_data_root()
    if task.local is not None and root is not None and split in task.local.files:
        folder = root / (task.local.subdir or task.name)
        if _expand(folder, task.local.files[split]) is not None:
            return
    load_raw(task, split, data_dir)


# ---- evaluation ----------------------------------------------------------------------------
def lm_eval_task_names() -> set[str]:
    """Every task, group and tag lm-eval resolves with xfer's include path (indexed once)."""
    global _LM_EVAL_TASKS
    if _LM_EVAL_TASKS is None:
        from lm_eval.tasks import TaskManager

        from xfer_tasks.paths import tasks_path

        manager = TaskManager(include_path=str(tasks_path()))
        _LM_EVAL_TASKS = set(manager.all_tasks)
    return _LM_EVAL_TASKS


def check_eval_task_names(names: list[str], where: str, key: str, resolve: Callable[[], set[str]] = lm_eval_task_names) -> None:
    from xfer_tasks.check_data import UnknownTaskError, check_task_names, known_task_names

    ours = set(known_task_names())
    try:
        check_task_names(names)
    except UnknownTaskError as err:
        raise _fail(where, key, str(err).removeprefix("--tasks ")) from None
    others = [name for name in names if name not in ours and not name.startswith("xfer_")]
    if not others:
        return
    known = resolve()
    for name in others:
        if name not in known:
            raise _fail(where, key, f"{name!r} is neither an xfer task nor an lm-eval task{_did_you_mean(name, known | ours)}")


def _num_hidden_layers(model: str, revision: str | None) -> int | None:
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(model, revision=revision)
    except Exception:  # noqa: BLE001 - loadability is checked (and reported) with the training
        return None
    config = getattr(config, "text_config", None) or config
    layers = getattr(config, "num_hidden_layers", None)
    return int(layers) if isinstance(layers, int) else None


def check_layer_indices(layer: Any, n_layers: int | None, where: str, key: str) -> None:
    """An integer ``embed_layer`` must index the model's hidden states (embeddings + layers)."""
    if n_layers is None or isinstance(layer, bool) or not isinstance(layer, int):
        return
    n_states = n_layers + 1  # hidden_states: the embedding output, then one per layer
    if not -n_states <= layer < n_states:
        raise _fail(where, key, f"embed_layer {layer} is out of range for a model with {n_layers} layers "
                    f"({n_states} hidden states: -{n_states}..{n_states - 1})")


def check_evaluation(config: StudyConfig, check_data: bool = True) -> None:
    from xfer_tasks.check_data import check_task_data, language_tasks
    from xfer_tasks.data import METADATA_KEY, DataFormatError, DataMissingError
    from xfer_tasks.metadata import check_run

    where = config.source
    for spec in config.models:
        key = f"models.{spec.name}.evaluation"
        ev = spec.evaluation
        check_eval_task_names(ev.tasks, where, f"{key}.tasks")
        ours = [name for name in ev.tasks if language_tasks([name])]
        try:
            check_run(ev.tasks, ev.metadata)
        except ValueError as err:
            raise _fail(where, f"{key}.metadata", _one_line(err)) from None
        model = spec.sweep["base"]["model"]
        check_layer_indices(
            ev.metadata.get("embed_layer"), _num_hidden_layers(model["name_or_path"], model.get("revision")),
            where, f"{key}.metadata.embed_layer",
        )  # fmt: skip
        if not ours:
            continue
        metadata = dict(ev.metadata)
        if ev.data_dir:
            metadata[METADATA_KEY] = ev.data_dir
        try:
            if check_data:
                check_task_data(ours, metadata)
        except (DataMissingError, DataFormatError, ValueError) as err:  # MetadataError, EmbedSpecError
            raise _fail(where, key, _one_line(err)) from None


# ---- analysis and launcher -----------------------------------------------------------------
def check_analysis(config: StudyConfig) -> None:
    from xfer_tasks.train.sweep import parse_sweep_config, sweep_points

    baseline = config.analysis.get("baseline")
    if baseline is None:
        return
    for spec in config.models:
        points = [p.name for p in sweep_points(parse_sweep_config(spec.sweep, Path(config.source)))]
        if baseline not in points:
            raise _fail(config.source, "analysis.baseline",
                        f"{baseline!r} is not a point of models.{spec.name}'s sweep{_did_you_mean(baseline, points)}; "
                        f"points: {', '.join(points)}")  # fmt: skip


def sbatch_test_only(parameters: dict[str, Any], n_tasks: int, max_num_timeout: int | None = None) -> str | None:
    """``sbatch --test-only`` on the array script submitit would submit for these AutoExecutor
    parameters; the rejection as one line, or None when SLURM would accept it."""
    import tempfile

    import submitit

    with tempfile.TemporaryDirectory(prefix="xfer-sbatch-check-") as folder:
        executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
        executor.update_parameters(**parameters)
        inner = executor._executor
        if n_tasks > 1:
            inner.parameters["map_count"] = n_tasks  # what map_array sets: --array=0-(n-1)
        script = Path(folder) / "submission_check.sh"
        script.write_text(inner._make_submission_file_text("true", "xfer-check"), encoding="utf-8")
        try:
            done = subprocess.run(["sbatch", "--test-only", str(script)], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"sbatch --test-only could not run: {_one_line(err)}"
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"sbatch exited {done.returncode}"


def check_launcher(config: StudyConfig, launcher_name: str) -> None:
    if launcher_name != "slurm" or shutil.which("sbatch") is None:
        return
    from .launchers import SubmititLauncher

    launcher = SubmititLauncher("slurm", config.launcher)
    n_points = sum(len(_points(config, spec)) for spec in config.models)
    for stage in ("train", "evaluate"):
        problem = sbatch_test_only(launcher.parameters(stage), n_points)
        if problem is not None:
            key = "launcher.slurm" + (".evaluate" if stage == "evaluate" else "")
            raise _fail(config.source, key, f"sbatch --test-only rejects the {stage} array: {problem}")


def _points(config: StudyConfig, spec: Any) -> list[Any]:
    from xfer_tasks.train.sweep import parse_sweep_config, sweep_points

    return sweep_points(parse_sweep_config(spec.sweep, Path(config.source)))


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def check_study(config: StudyConfig, launcher_name: str = "inline", check_data: bool = True) -> None:
    """Every check of the module docstring; raises StudyConfigError at the first problem."""
    check_analysis(config)
    check_training(config, check_data)
    check_evaluation(config, check_data)
    check_launcher(config, launcher_name)
