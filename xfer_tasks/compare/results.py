"""Read what ``lm_eval --output_path ... [--log_samples]`` wrote, without importing lm_eval.

lm-eval 0.4.x writes ``<output_path>/<model_name_sanitized>/results_<date_id>.json`` and, with
``--log_samples``, one ``samples_<task>_<date_id>.jsonl`` per task beside it (when
``--output_path`` ends in ``.json`` the results file is ``<stem>_<date_id>.json``). The results
JSON holds, per task, ``"<metric>,<filter>"`` values and ``"<metric>_stderr,<filter>"`` standard
errors (the string ``"N/A"`` when lm-eval has no estimator for the aggregation, as for our
corpus-level retrieval metrics), plus ``configs``, ``versions``, ``n-shot``, ``higher_is_better``,
``n-samples`` and the run's ``config`` (``model_args``, ``limit``).

This module turns one such file into a :class:`RunResults`; it also finds the checkpoint's
``xfer_manifest.json`` (written by ``xfer train``) from ``model_args``. Bad input raises
:class:`ResultsError` with a one-line message naming the file and what was expected.

Impossible numbers are refused here, where they are loaded, so that no statistic is computed
from them (docs/compare.md, "What is refused at load time"): a score or stderr that is NaN or
infinite; a negative stderr; a score outside its metric's range (every xfer metric is a
fraction in [0, 1], see :func:`~xfer_tasks.compare.naming.metric_range`) and a stderr above
half that range (Popoviciu: no estimate of a mean of values in [lo, hi] has a larger standard
deviation); negative or non-integer document counts, n-shot and ``--limit``; a per-document
value outside its metric's range in a samples file; a manifest ``k`` that is not the number of
its intermediate tasks.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xfer_tasks.compare.naming import metric_range, split_task
from xfer_tasks.train.manifest import MANIFEST_FILE as MANIFEST_NAME  # the name xfer train writes

_DATE_ID = re.compile(r"_(\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.json$")
_NON_METRIC_KEYS = {"alias", "name", "sample_len", "sample_count"}


class ResultsError(ValueError):
    """An lm-eval output file (or manifest) is missing or not in the expected shape."""


@dataclass
class MetricResult:
    """One metric of one task as lm-eval reported it.

    ``stderr`` is ``None`` when lm-eval wrote ``"N/A"`` (no estimator for the aggregation).
    """

    value: float
    stderr: float | None
    filter: str = "none"


@dataclass
class TaskResult:
    name: str
    metrics: dict[str, MetricResult]
    num_fewshot: int | None
    version: Any
    n: int | None  # documents actually scored (n-samples.effective)
    n_original: int | None  # documents in the split
    higher_is_better: dict[str, bool | None] = field(default_factory=dict)
    # hidden_states index the headline retrieval metrics used (``configs[task]
    # ["embed_layer_used"]``, written by xfer's retrieval tasks); None for other tasks
    embed_layer_used: int | None = None


@dataclass
class RunResults:
    """One lm-eval results file: its tasks, run settings, and (optionally) its checkpoint manifest."""

    path: Path
    tasks: dict[str, TaskResult]
    groups: dict[str, list[str]]
    limit: float | None
    model_args: dict[str, str]
    manifest: dict[str, Any] | None = None
    manifest_path: Path | None = None
    label: str = ""
    _samples_cache: dict[str, dict[int, dict[str, Any]] | None] = field(
        default_factory=dict, repr=False
    )
    _values_cache: dict[str, dict[int, float] | None] = field(default_factory=dict, repr=False)

    @property
    def checkpoint(self) -> str | None:
        return self.model_args.get("peft") or self.model_args.get("pretrained")

    @property
    def intermediate_tasks(self) -> list[str] | None:
        """The intermediate tasks the checkpoint was trained on (from its manifest)."""
        return None if self.manifest is None else manifest_tasks(self.manifest)

    @property
    def num_tasks(self) -> int | None:
        """k, the number of intermediate tasks (manifest ``k``, else the task list's length)."""
        if self.manifest is None:
            return None
        k = self.manifest.get("k")
        return k if isinstance(k, int) else len(manifest_tasks(self.manifest))

    @property
    def seed(self) -> Any:
        return None if self.manifest is None else self.manifest.get("seed")

    def samples_path(self, task: str) -> Path | None:
        match = _DATE_ID.search(self.path.name)
        if not match:
            return None
        candidate = self.path.parent / f"samples_{task}_{match.group(1)}.jsonl"
        return candidate if candidate.is_file() else None

    def samples(self, task: str, filter_key: str = "none") -> dict[int, dict[str, Any]] | None:
        """Per-document metric values and doc hashes from ``--log_samples`` (doc_id -> record)."""
        key = f"{task},{filter_key}"
        if key not in self._samples_cache:
            path = self.samples_path(task)
            self._samples_cache[key] = None if path is None else _read_samples(path, filter_key)
        return self._samples_cache[key]

    def per_sample_values(self, task: str, metric: str) -> dict[int, float] | None:
        """doc_id -> the metric's per-document value, when the reported score is their mean.

        Documents whose record lacks the metric are outside its population (Global-MMLU's
        ``acc_cs`` is logged for culturally-sensitive questions only) and are left out.
        Returns None when there is no samples file, when the per-document entries are not
        numbers (corpus-level metrics such as BUCC F1 or Tatoeba accuracy log opaque items),
        or when the mean of the per-document values differs from the reported score (the
        aggregation is not a mean, so resampling the values would estimate something else).
        """
        key = f"{task}/{metric}"
        if key not in self._values_cache:
            self._values_cache[key] = self._per_sample_values(task, metric)
        return self._values_cache[key]

    def _per_sample_values(self, task: str, metric: str) -> dict[int, float] | None:
        task_result = self.tasks.get(task)
        if task_result is None or metric not in task_result.metrics:
            return None
        reported = task_result.metrics[metric]
        records = self.samples(task, reported.filter)
        if not records:
            return None
        bounds = metric_range(split_task(task, self.groups)[0], metric)
        values: dict[int, float] = {}
        for doc_id, record in records.items():
            if metric not in record:
                continue  # a metric over a subset (Global-MMLU acc_cs / acc_ca): not this doc
            value = record[metric]
            if not isinstance(value, float):
                return None
            if bounds is not None and not bounds[0] <= value <= bounds[1]:  # NaN fails too
                raise ResultsError(
                    f"{self.samples_path(task)}: task {task} metric {metric}: doc_id {doc_id} "
                    f"has value {value!r}; expected a number in {_interval(bounds)}"
                )
            if not math.isfinite(value):
                return None
            values[doc_id] = value
        if not values:
            return None
        mean = sum(values.values()) / len(values)
        if not math.isclose(mean, reported.value, rel_tol=1e-9, abs_tol=1e-9):
            return None
        return values

    def doc_hashes(self, task: str, filter_key: str = "none") -> dict[int, str] | None:
        records = self.samples(task, filter_key)
        if not records:
            return None
        return {doc_id: str(r.get("doc_hash", "")) for doc_id, r in records.items()}


# Keys of an lm-eval sample record that are not metric values (lm-eval 0.4.x).
_SAMPLE_FIELDS = {
    "doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
    "doc_hash", "prompt_hash", "target_hash",
}  # fmt: skip
_OPAQUE = "<not a number>"


def _read_samples(path: Path, filter_key: str) -> dict[int, dict[str, Any]]:
    """doc_id -> {"doc_hash": ..., <metric>: value} for one filter; non-numeric metric values
    are replaced by a marker, so the (large) documents and responses are not kept in memory."""
    records: dict[int, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ResultsError(f"{path}:{line_no}: not valid JSON ({err.msg})") from None
            if not isinstance(record, dict) or "doc_id" not in record:
                raise ResultsError(f"{path}:{line_no}: expected an object with a 'doc_id' field")
            if record.get("filter", "none") != filter_key:
                continue
            names = record.get("metrics")
            if not isinstance(names, list):
                names = [k for k in record if k not in _SAMPLE_FIELDS]
            doc_id = record["doc_id"]
            if isinstance(doc_id, bool) or not isinstance(doc_id, int):
                raise ResultsError(f"{path}:{line_no}: doc_id is {doc_id!r}; expected an integer")
            kept: dict[str, Any] = {"doc_hash": str(record.get("doc_hash", ""))}
            for name in names:
                if name in record:
                    value = record[name]
                    is_number = isinstance(value, int | float)  # bool is an int
                    kept[name] = float(value) if is_number else _OPAQUE
            records[doc_id] = kept
    return records


def _parse_model_args(raw: Any) -> dict[str, str]:
    """``model_args`` is a dict in lm-eval >= 0.4.9 and a ``k=v,k=v`` string before."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, str) and raw:
        pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
        return {k.strip(): v.strip() for k, v in pairs}
    return {}


def _as_float(value: Any, path: Path, where: str) -> float | None:
    if value is None or value == "N/A":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResultsError(f"{path}: {where} is {value!r}; expected a number or 'N/A'")
    return float(value)


def _interval(bounds: tuple[float, float]) -> str:
    return f"[{bounds[0]:g}, {bounds[1]:g}]"


def check_score(
    value: float, stderr: float | None, bounds: tuple[float, float] | None, where: str
) -> None:
    """Refuse a score or stderr that cannot be: NaN, infinite, a negative stderr, a score
    outside ``bounds`` or a stderr above half their width. ``where`` starts the message
    (``"<file>: task T metric M"``)."""
    if not math.isfinite(value):
        raise ResultsError(f"{where}: score is {value!r}; expected a finite number")
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        hint = " (a percentage? xfer's scores are fractions)" if bounds == (0.0, 1.0) else ""
        raise ResultsError(f"{where}: score {value!r} is outside {_interval(bounds)}{hint}")
    if stderr is None:
        return
    if not math.isfinite(stderr) or stderr < 0:
        raise ResultsError(
            f"{where}: stderr is {stderr!r}; expected a finite number >= 0 (or 'N/A')"
        )
    if bounds is not None and stderr > (bounds[1] - bounds[0]) / 2:
        raise ResultsError(
            f"{where}: stderr {stderr!r} is above {(bounds[1] - bounds[0]) / 2:g}, the largest "
            f"possible for a score in {_interval(bounds)}"
        )


def _count(value: Any, path: Path, where: str) -> int | None:
    """A document count or n-shot: None or an integer >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ResultsError(f"{path}: {where} is {value!r}; expected an integer >= 0")
    return value


def find_manifest(model_args: dict[str, str], results_path: Path) -> Path | None:
    """The checkpoint's manifest: in the ``peft`` adapter folder, the ``pretrained`` folder,
    or beside the results file, first found."""
    candidates = [Path(model_args[k]) for k in ("peft", "pretrained") if model_args.get(k)]
    candidates.append(results_path.parent)
    for folder in candidates:
        path = folder.expanduser() / MANIFEST_NAME
        if path.is_file():
            return path
    return None


def manifest_tasks(manifest: dict[str, Any]) -> list[str]:
    """``intermediate_tasks`` (what ``xfer train`` writes), or ``tasks`` in hand-made manifests."""
    tasks = manifest.get("intermediate_tasks", manifest.get("tasks"))
    return [str(t) for t in tasks] if isinstance(tasks, list) else []


def read_manifest(path: Path) -> dict[str, Any]:
    data = _read_json(path)
    if not isinstance(data, dict) or not (
        isinstance(data.get("intermediate_tasks"), list) or isinstance(data.get("tasks"), list)
    ):
        raise ResultsError(
            f"{path}: expected an xfer manifest with an 'intermediate_tasks' (or 'tasks') list"
        )
    k = data.get("k")
    n_tasks = len(manifest_tasks(data))
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k != n_tasks):
        raise ResultsError(
            f"{path}: k is {k!r} but the manifest lists {n_tasks} intermediate task(s); "
            "expected k to be their number"
        )
    return data


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: file not found") from None
    except OSError as err:
        raise ResultsError(f"{path}: cannot read ({err.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultsError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None


def _layer_used(task_config: Any) -> int | None:
    """``embed_layer_used`` of one task's config when it is a layer index, else None."""
    value = task_config.get("embed_layer_used") if isinstance(task_config, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def load_results(path: str | Path, *, with_manifest: bool = True) -> RunResults:
    """Read one lm-eval ``results_*.json`` file."""
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ResultsError(f"{path}: expected an lm-eval results JSON with a 'results' object")
    groups = {str(g): list(children) for g, children in (data.get("group_subtasks") or {}).items()}
    config = data.get("config") or {}
    limit = _as_float(config.get("limit"), path, "config.limit")
    if limit is not None and not (math.isfinite(limit) and limit >= 0):
        raise ResultsError(f"{path}: config.limit is {limit!r}; expected a number >= 0 or null")
    n_shot = data.get("n-shot") or {}
    versions = data.get("versions") or {}
    n_samples = data.get("n-samples") or {}
    higher = data.get("higher_is_better") or {}
    configs = data.get("configs") or {}

    tasks: dict[str, TaskResult] = {}
    for name, entry in data["results"].items():
        if name in groups:  # group rows: we compute our own (unweighted) averages
            continue
        if not isinstance(entry, dict):
            raise ResultsError(f"{path}: results.{name} is not an object")
        metrics: dict[str, MetricResult] = {}
        for key, value in entry.items():
            if key in _NON_METRIC_KEYS or "_stderr," in key:
                continue
            metric, _, filter_key = key.partition(",")
            if not filter_key:
                continue
            number = _as_float(value, path, f"results.{name}.{key}")
            if number is None:
                continue
            stderr = _as_float(
                entry.get(f"{metric}_stderr,{filter_key}"),
                path,
                f"results.{name}.{metric}_stderr,{filter_key}",
            )
            if metric in metrics:  # several filters: keep the first, as lm-eval's table does
                continue
            bounds = metric_range(split_task(name, groups)[0], metric)
            check_score(number, stderr, bounds, f"{path}: task {name} metric {metric}")
            metrics[metric] = MetricResult(number, stderr, filter_key)
        counts = n_samples.get(name) or {}
        if not isinstance(counts, dict):
            raise ResultsError(f"{path}: n-samples.{name} is not an object")
        effective = _count(counts.get("effective"), path, f"n-samples.{name}.effective")
        original = _count(counts.get("original"), path, f"n-samples.{name}.original")
        if effective is not None and original is not None and effective > original:
            raise ResultsError(  # lm-eval scores min(limit, original) documents
                f"{path}: n-samples.{name}: effective {effective} is more than original {original}; "
                "lm-eval never scores more documents than the split has"
            )
        tasks[name] = TaskResult(
            name=name,
            metrics=metrics,
            num_fewshot=_count(n_shot.get(name), path, f"n-shot.{name}"),
            version=versions.get(name),
            n=effective,
            n_original=original,
            higher_is_better=dict(higher.get(name) or {}),
            embed_layer_used=_layer_used(configs.get(name)),
        )
    model_args = _parse_model_args(config.get("model_args"))
    run = RunResults(path=path, tasks=tasks, groups=groups, limit=limit, model_args=model_args)
    if with_manifest:
        manifest_path = find_manifest(model_args, path)
        if manifest_path is not None:
            run.manifest = read_manifest(manifest_path)
            run.manifest_path = manifest_path
    return run


def expand_results_paths(paths: list[str | Path]) -> list[Path]:
    """Results files named on the command line; a folder stands for the newest
    ``results_*.json`` in each of its (sub)folders that has one."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            by_folder: dict[Path, list[Path]] = {}
            for candidate in path.rglob("*.json"):
                if _DATE_ID.search(candidate.name) and candidate.name.startswith("results"):
                    by_folder.setdefault(candidate.parent, []).append(candidate)
            if not by_folder:
                raise ResultsError(f"{path}: no lm-eval results_*.json file under this folder")
            found += [max(files, key=lambda p: p.name) for _, files in sorted(by_folder.items())]
        elif path.is_file():
            found.append(path)
        else:
            raise ResultsError(f"{path}: file not found")
    return found


def load_runs(paths: list[str | Path]) -> list[RunResults]:
    """Every results file named (folders expanded, see :func:`expand_results_paths`)."""
    runs = [load_results(path) for path in expand_results_paths(paths)]
    if not runs:
        raise ResultsError("no results files given")
    return runs


def assign_labels(runs: list[RunResults], labels: list[str] | None = None) -> None:
    """Name each run: ``labels`` in order, else the checkpoint folder's name (the results
    file's folder without a checkpoint), with ``#1``, ``#2`` appended to repeated names."""
    if labels:
        if len(labels) != len(runs):
            raise ResultsError(f"got {len(labels)} labels for {len(runs)} results files")
        if len(set(labels)) != len(labels):
            raise ResultsError(f"labels must be distinct, got {labels}")
        names = list(labels)
    else:
        names = []
        for run in runs:
            checkpoint = run.checkpoint
            names.append(Path(checkpoint).name if checkpoint else run.path.parent.name)
        seen: dict[str, int] = {}
        repeated = {name for name in names if names.count(name) > 1}
        for i, name in enumerate(names):
            if name in repeated:
                seen[name] = seen.get(name, 0) + 1
                names[i] = f"{name}#{seen[name]}"
    for run, name in zip(runs, names, strict=True):
        run.label = name
