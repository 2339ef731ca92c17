"""Score-regression gate: compare a run against a stored baseline; exit 0 / 1 / 2.

Baseline file (ours; JSON, written by ``xfer regress --update``)::

    {"format": "xfer-regress-baseline", "format_version": 1, "created": "<UTC ISO time>",
     "source": ["<results files>"],
     "tolerance": {"abs_floor": 0.01, "z": 3.0},            # file-wide defaults (optional)
     "tasks": {"xfer_xnli_de": {
         "n_shot": 0, "limit": null, "version": 1.0, "n": 5010,
         "metrics": {"acc": {"value": 0.51, "stderr": 0.007, "stderr_source": "lm-eval",
                             "higher_is_better": true,
                             "abs_floor": 0.02, "z": 2.0, "track": true}}}},   # optional overrides
     "averages": {"xfer_xnli": {"tasks": ["xfer_xnli_ar", ...],
         "metrics": {"acc": {"value": ..., "stderr": ..., ...}}}}}

Rules (each tracked metric; ``averages`` are the XTREME-style unweighted means over the listed
tasks, recomputed from the new run, with stderr sqrt(sum se_i^2) / L):

- drop = baseline - new (new - baseline when ``higher_is_better`` is false);
- sigma = sqrt(se_base^2 + se_new^2), the standard error of the difference of two independent
  estimates; when only one side has a stderr, sqrt(2) times it; when neither, no sigma;
- tolerance = max(abs_floor, z * sigma); regressed when drop > tolerance.

Precedence of abs_floor and z: the metric's own entry, then the command line
(``--abs-floor``, ``--z``), then the file's ``tolerance``, then the defaults below.
Stderrs come from ``comparison.resolve_stderr``: lm-eval's value, else a bootstrap over
``--log_samples`` per-document values, else the binomial sqrt(p(1-p)/n) for ``acc*`` and
``exact_match`` (Tatoeba retrieval accuracy), else none (BUCC F1: floor only).

The comparison is invalid (exit 2) when a baseline task or metric is missing from the new run,
or a task's n-shot, ``--limit``, task version or number of scored documents differs.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from xfer_tasks.compare import stats
from xfer_tasks.compare.comparison import resolve_stderr
from xfer_tasks.compare.naming import metric_range, score_metrics, split_task
from xfer_tasks.compare.results import (
    ResultsError,
    RunResults,
    check_score,
    expand_results_paths,
    load_results,
)

FORMAT = "xfer-regress-baseline"
FORMAT_VERSION = 1
DEFAULT_ABS_FLOOR = 0.01  # one point on a [0, 1] scale
DEFAULT_Z = 3.0  # one-sided false-alarm rate ~0.13% per metric under the normal approximation
DEFAULT_INCLUDE = ("xfer_*",)
_OVERRIDE_KEYS = ("abs_floor", "z", "track")

EXIT_OK, EXIT_REGRESSED, EXIT_INVALID = 0, 1, 2


class BaselineError(ValueError):
    """The baseline file is missing or not in our format; the message names the file."""


@dataclass
class Check:
    name: str  # "xfer_xnli_de acc" or "xfer_xnli AVG acc"
    base: float
    new: float
    drop: float
    tolerance: float
    abs_floor: float
    z: float
    sigma: float | None
    higher_is_better: bool

    @property
    def regressed(self) -> bool:
        return self.drop > self.tolerance

    @property
    def improved(self) -> bool:
        return -self.drop > self.tolerance

    def describe(self) -> str:
        why = (
            f"max(floor {self.abs_floor:.4f}, {self.z:g} x sigma {self.sigma:.4f})"
            if self.sigma is not None
            else f"floor {self.abs_floor:.4f}, no stderr"
        )
        return (
            f"{self.name}: {self.base:.4f} -> {self.new:.4f} ({self.new - self.base:+.4f}; "
            f"tolerance {self.tolerance:.4f} = {why})"
        )


@dataclass
class RegressReport:
    baseline_path: Path
    checks: list[Check] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.invalid:
            return EXIT_INVALID
        return EXIT_REGRESSED if any(c.regressed for c in self.checks) else EXIT_OK

    def text(self) -> str:
        if self.invalid:
            lines = [
                f"xfer regress: INVALID comparison against {self.baseline_path} "
                f"({len(self.invalid)} problem(s)); nothing was judged:"
            ]
            return "\n".join(lines + [f"  {p}" for p in self.invalid]) + "\n"
        regressed = [c for c in self.checks if c.regressed]
        improved = [c for c in self.checks if c.improved]
        verdict = "FAIL" if regressed else "OK"
        lines = [
            f"xfer regress: {verdict}: {len(regressed)} of {len(self.checks)} tracked metrics "
            f"regressed beyond tolerance, {len(improved)} improved (baseline {self.baseline_path})"
        ]
        lines += [f"  REGRESSED {c.describe()}" for c in sorted(regressed, key=_severity)]
        lines += [f"  improved  {c.describe()}" for c in sorted(improved, key=_severity)]
        within = [c for c in self.checks if not c.regressed and not c.improved]
        if within:
            closest = max(within, key=lambda c: c.drop / c.tolerance if c.tolerance else 0.0)
            lines.append(
                f"  {len(within)} within tolerance; closest to failing: {closest.name} "
                f"{closest.new - closest.base:+.4f} (tolerance {closest.tolerance:.4f})"
            )
        if self.untracked:
            lines.append(f"  not in the baseline (not tracked): {', '.join(self.untracked)}")
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        """For a CI job summary ($GITHUB_STEP_SUMMARY)."""
        if self.invalid:
            return "### xfer regress: invalid comparison\n\n" + "".join(
                f"- {p}\n" for p in self.invalid
            )
        regressed = [c for c in self.checks if c.regressed]
        title = "FAIL" if regressed else "OK"
        lines = [
            f"### xfer regress: {title} ({len(regressed)} of {len(self.checks)} metrics regressed)",
            "",
            "| metric | baseline | new | delta | tolerance | status |",
            "|---|---:|---:|---:|---:|---|",
        ]
        moved = [c for c in self.checks if c.regressed or c.improved]
        for c in sorted(moved, key=_severity):
            status = "regressed" if c.regressed else "improved"
            lines.append(
                f"| {c.name} | {c.base:.4f} | {c.new:.4f} | {c.new - c.base:+.4f} | "
                f"{c.tolerance:.4f} | {status} |"
            )
        return "\n".join(lines) + "\n"


def _severity(check: Check) -> float:
    return -abs(check.drop) / check.tolerance if check.tolerance > 0 else -math.inf


# --------------------------------------------------------------------------- reading inputs


def load_baseline(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with --update)") from None
    except json.JSONDecodeError as err:
        raise BaselineError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BaselineError(f"{path}: not an xfer regress baseline (expected format {FORMAT!r})")
    if data.get("format_version") != FORMAT_VERSION:
        raise BaselineError(
            f"{path}: baseline format_version {data.get('format_version')!r}; "
            f"this xfer reads {FORMAT_VERSION}"
        )
    if not isinstance(data.get("tasks"), dict):
        raise BaselineError(f"{path}: expected a 'tasks' object")
    _check_tolerance(data.get("tolerance") or {}, f"{path}: tolerance")
    for task, entry in data["tasks"].items():
        metrics = entry.get("metrics") if isinstance(entry, dict) else None
        if not isinstance(metrics, dict):
            raise BaselineError(f"{path}: tasks.{task} needs a 'metrics' object")
        for key in ("n_shot", "n"):
            value = entry.get(key)
            if value is not None and not (
                isinstance(value, int) and _is_number(value) and value >= 0
            ):
                raise BaselineError(
                    f"{path}: tasks.{task}.{key} is {value!r}; expected an integer >= 0 or null"
                )
        for metric, m in metrics.items():
            bounds = metric_range(split_task(task)[0], metric)
            _check_baseline_metric(m, bounds, f"{path}: tasks.{task}.metrics.{metric}")
    averages = data.get("averages") or {}
    if not isinstance(averages, dict):
        raise BaselineError(f"{path}: 'averages' is not an object")
    for benchmark, avg in averages.items():
        metrics = avg.get("metrics") if isinstance(avg, dict) else None
        if not isinstance(metrics, dict):
            raise BaselineError(f"{path}: averages.{benchmark} needs a 'metrics' object")
        for metric, m in metrics.items():
            _check_baseline_metric(
                m, metric_range(benchmark, metric), f"{path}: averages.{benchmark}.metrics.{metric}"
            )
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_tolerance(entry: dict[str, Any], where: str) -> None:
    """``abs_floor`` and ``z`` (file-wide or per metric): absent, null, or finite >= 0 (a NaN
    tolerance would pass every drop)."""
    if not isinstance(entry, dict):
        raise BaselineError(f"{where}: expected an object")
    for key in ("abs_floor", "z"):
        value = entry.get(key)
        if value is not None and not (_is_number(value) and math.isfinite(value) and value >= 0):
            raise BaselineError(f"{where}.{key} is {value!r}; expected a finite number >= 0")


def _check_baseline_metric(m: Any, bounds: tuple[float, float] | None, where: str) -> None:
    """A baseline metric entry: a possible score and stderr, sane tolerance overrides."""
    if not isinstance(m, dict) or not _is_number(m.get("value")):
        raise BaselineError(f"{where} needs a numeric 'value'")
    stderr = m.get("stderr")
    if stderr is not None and not _is_number(stderr):
        raise BaselineError(f"{where}.stderr is {stderr!r}; expected a number or null")
    try:
        check_score(float(m["value"]), None if stderr is None else float(stderr), bounds, where)
    except ResultsError as err:
        raise BaselineError(str(err)) from None
    _check_tolerance(m, where)
    for key in ("track", "higher_is_better"):
        if key in m and not isinstance(m[key], bool):
            raise BaselineError(f"{where}.{key} is {m[key]!r}; expected true or false")


def load_runs(paths: list[str | Path]) -> dict[str, RunResults]:
    """task -> the run that holds it, over several results files (one task in one file only)."""
    owner: dict[str, RunResults] = {}
    for path in expand_results_paths(paths):
        run = load_results(path, with_manifest=False)
        for task in run.tasks:
            if task in owner:
                raise ResultsError(
                    f"{path}: task {task} is also in {owner[task].path}; pass each task once"
                )
            owner[task] = run
    return owner


# --------------------------------------------------------------------------- the check


def _norm_version(version: Any) -> str:
    try:
        return repr(float(version))
    except (TypeError, ValueError):
        return str(version)


def _sigma(se_base: float | None, se_new: float | None) -> float | None:
    if se_base is not None and se_new is not None:
        return math.sqrt(se_base**2 + se_new**2)
    known = se_base if se_base is not None else se_new
    return None if known is None else math.sqrt(2.0) * known


def _tolerance_params(
    entry: dict[str, Any], baseline: dict[str, Any], abs_floor: float | None, z: float | None
) -> tuple[float, float]:
    file_defaults = baseline.get("tolerance") or {}

    def pick(key: str, cli: float | None, default: float) -> float:
        if entry.get(key) is not None:
            return float(entry[key])
        if cli is not None:
            return float(cli)
        if file_defaults.get(key) is not None:
            return float(file_defaults[key])
        return default

    return pick("abs_floor", abs_floor, DEFAULT_ABS_FLOOR), pick("z", z, DEFAULT_Z)


def _make_check(
    name: str, entry: dict[str, Any], new: float, se_new: float | None,
    baseline: dict[str, Any], abs_floor: float | None, z: float | None,
) -> Check:  # fmt: skip
    floor, z_value = _tolerance_params(entry, baseline, abs_floor, z)
    sigma = _sigma(entry.get("stderr"), se_new)
    tolerance = max(floor, z_value * sigma) if sigma is not None else floor
    higher = entry.get("higher_is_better", True) is not False
    base = float(entry["value"])
    drop = base - new if higher else new - base
    return Check(name, base, new, drop, tolerance, floor, z_value, sigma, higher)


def check_against_baseline(
    baseline: dict[str, Any],
    runs: dict[str, RunResults],
    *,
    baseline_path: str | Path = "baseline",
    abs_floor: float | None = None,
    z: float | None = None,
    bootstrap_iters: int = stats.DEFAULT_BOOTSTRAP_ITERS,
    seed: int = stats.DEFAULT_SEED,
) -> RegressReport:
    report = RegressReport(Path(baseline_path))
    new_stderr: dict[tuple[str, str], float | None] = {}
    for task, entry in sorted(baseline["tasks"].items()):
        run = runs.get(task)
        if run is None:
            report.invalid.append(f"task {task} is in the baseline but not in the results")
            continue
        result = run.tasks[task]
        for key, label, now in (
            ("n_shot", "n-shot", result.num_fewshot),
            ("limit", "limit", run.limit),
            ("n", "number of scored documents", result.n),
        ):
            if key in entry and entry[key] != now:
                report.invalid.append(
                    f"task {task}: {label} differs (baseline {entry[key]!r}, results {now!r} "
                    f"in {run.path})"
                )
        if "version" in entry and _norm_version(entry["version"]) != _norm_version(result.version):
            report.invalid.append(
                f"task {task}: task version differs (baseline {entry['version']!r}, "
                f"results {result.version!r} in {run.path})"
            )
        for metric, m in sorted(entry["metrics"].items()):
            if metric not in result.metrics:
                report.invalid.append(f"task {task}: metric {metric} missing from {run.path}")
                continue
            se, _ = resolve_stderr(run, task, metric, bootstrap_iters, seed)
            new_stderr[(task, metric)] = se
            if m.get("track", True) is False:
                continue
            _add_check(
                report,
                _make_check(
                    f"{task} {metric}", m, result.metrics[metric].value, se, baseline,
                    abs_floor, z,
                ),
            )  # fmt: skip
    for benchmark, avg in sorted((baseline.get("averages") or {}).items()):
        members = avg.get("tasks") or []
        for metric, m in sorted((avg.get("metrics") or {}).items()):
            if m.get("track", True) is False:
                continue
            missing = [
                t for t in members if t not in runs or metric not in runs[t].tasks[t].metrics
            ]
            for task in missing:
                if task not in baseline["tasks"]:  # else already reported above
                    report.invalid.append(
                        f"average {benchmark} {metric}: task {task} missing from the results"
                    )
            if missing or not members:
                continue
            value = sum(runs[t].tasks[t].metrics[metric].value for t in members) / len(members)
            ses = [new_stderr.get((t, metric)) for t in members]
            se = (
                None
                if any(s is None for s in ses)
                else math.sqrt(sum(s**2 for s in ses)) / len(members)  # type: ignore[operator]
            )
            _add_check(
                report,
                _make_check(f"{benchmark} AVG {metric}", m, value, se, baseline, abs_floor, z),
            )
    report.untracked = sorted(set(runs) - set(baseline["tasks"]))
    return report


def _add_check(report: RegressReport, check: Check) -> None:
    """A check with a non-finite number is never judged (a NaN drop is never > tolerance, so it
    would pass): it makes the comparison invalid. Loading refuses such numbers; this is the
    last guard."""
    numbers = (check.base, check.new, check.drop, check.tolerance, check.sigma or 0.0)
    if all(math.isfinite(x) for x in numbers):
        report.checks.append(check)
    else:
        report.invalid.append(f"{check.name}: a non-finite number ({check.describe()})")


# --------------------------------------------------------------------------- writing a baseline


def build_baseline(
    runs: dict[str, RunResults],
    *,
    include: tuple[str, ...] = DEFAULT_INCLUDE,
    previous: dict[str, Any] | None = None,
    bootstrap_iters: int = stats.DEFAULT_BOOTSTRAP_ITERS,
    seed: int = stats.DEFAULT_SEED,
    abs_floor: float | None = None,
    z: float | None = None,
) -> dict[str, Any]:
    """A baseline from results: every score metric of the tasks matching ``include``.

    Overrides (``abs_floor``, ``z``, ``track``) and the ``tolerance`` block of ``previous``
    (the baseline being replaced) are carried over; ``abs_floor``/``z`` set the file-wide
    tolerance when given.
    """
    previous = previous or {}
    old_tasks = previous.get("tasks") or {}
    old_avgs = previous.get("averages") or {}
    tasks: dict[str, Any] = {}
    sources: set[str] = set()
    for task, run in sorted(runs.items()):
        if not any(fnmatch.fnmatchcase(task, pattern) for pattern in include):
            continue
        result = run.tasks[task]
        benchmark, _ = split_task(task, run.groups)
        metrics: dict[str, Any] = {}
        for metric in score_metrics(benchmark, list(result.metrics)):
            higher = result.higher_is_better.get(metric, True)
            if higher is None:
                continue  # lm-eval does not know the direction: cannot say what a drop is
            se, source = resolve_stderr(run, task, metric, bootstrap_iters, seed)
            metrics[metric] = {
                "value": result.metrics[metric].value,
                "stderr": se,
                "stderr_source": source,
                "higher_is_better": bool(higher),
            }
            old = ((old_tasks.get(task) or {}).get("metrics") or {}).get(metric) or {}
            metrics[metric].update({k: old[k] for k in _OVERRIDE_KEYS if k in old})
        if not metrics:
            continue
        tasks[task] = {
            "n_shot": result.num_fewshot,
            "limit": run.limit,
            "version": result.version,
            "n": result.n,
            "metrics": metrics,
        }
        sources.add(str(run.path))
    if not tasks:
        raise ResultsError(
            f"no task in the results matches {', '.join(include)}; nothing to put in a baseline"
        )
    averages = _baseline_averages(tasks, runs, old_avgs)
    tolerance = dict(previous.get("tolerance") or {})
    if abs_floor is not None:
        tolerance["abs_floor"] = abs_floor
    if z is not None:
        tolerance["z"] = z
    tolerance.setdefault("abs_floor", DEFAULT_ABS_FLOOR)
    tolerance.setdefault("z", DEFAULT_Z)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": sorted(sources),
        "tolerance": tolerance,
        "tasks": tasks,
        "averages": averages,
    }


def _baseline_averages(
    tasks: dict[str, Any], runs: dict[str, RunResults], old: dict[str, Any]
) -> dict[str, Any]:
    by_bench: dict[str, list[str]] = {}
    for task in tasks:
        benchmark, language = split_task(task, runs[task].groups)
        if language != "-":
            by_bench.setdefault(benchmark, []).append(task)
    averages: dict[str, Any] = {}
    for benchmark, members in sorted(by_bench.items()):
        if len(members) < 2:
            continue
        shared = set.intersection(*(set(tasks[t]["metrics"]) for t in members))
        metrics: dict[str, Any] = {}
        for metric in sorted(shared):
            entries = [tasks[t]["metrics"][metric] for t in members]
            ses = [e["stderr"] for e in entries]
            metrics[metric] = {
                "value": sum(e["value"] for e in entries) / len(entries),
                "stderr": None
                if any(s is None for s in ses)
                else math.sqrt(sum(s**2 for s in ses)) / len(ses),
                "stderr_source": "combined over languages",
                "higher_is_better": all(e["higher_is_better"] for e in entries),
            }
            prev = ((old.get(benchmark) or {}).get("metrics") or {}).get(metric) or {}
            metrics[metric].update({k: prev[k] for k in _OVERRIDE_KEYS if k in prev})
        if metrics:
            averages[benchmark] = {"tasks": sorted(members), "metrics": metrics}
    return averages


def write_baseline_atomic(baseline: dict[str, Any], path: str | Path) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # a NaN or infinity would be written as a bare NaN token, which no check can pass
        text = json.dumps(baseline, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError:
        raise BaselineError(
            f"{path}: not written: the new baseline holds a NaN or infinite number"
        ) from None
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
