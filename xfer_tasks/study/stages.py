"""The three stages of a study, each idempotent: train every point, evaluate every checkpoint, compare.

Layout under the study folder ``DIR``::

    study.yaml                          the resolved config (variables expanded, sweeps inlined)
    sweeps/<model>.yaml                 the `xfer sweep` config of each base model
    checkpoints/<model>/k<k>-seed<s>/   published checkpoints (atomic; COMPLETE + manifest)
    checkpoints/<model>/sweep.json      every point of the sweep and its tasks
    results/<model>/k<k>-seed<s>/       lm_eval --output_path (results_*.json, samples_*.jsonl)
    report/<model>/                     xfer compare --out (report.html, summary.md, ...)
    report/index.html                   links to every model's report
    work/train/<model>/<point>/         an unfinished point: `xfer sweep --k K --seeds S` output
    work/locks/, work/jobs/             who is running what (flock files, submitted job records)
    logs/                               submitit job logs

A unit is one training point or one evaluation. It is run by :func:`run_unit`, whatever the
launcher (in this process, a local submitit job, a SLURM array task), and holds an exclusive
``flock`` on its lock file while it runs, so two processes never train or evaluate the same
point at once. A finished unit is published in one rename, so a unit is either done or not;
an interrupted training point resumes from its last Trainer checkpoint (``xfer sweep``'s
resume), an interrupted evaluation starts again (its ``.partial`` folder is discarded).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import EvalSpec, StudyConfig, StudyConfigError, load_study_config

# The scaling analysis (xfer compare --out, xfer_tasks.compare.scaling) writes
# <report>/summary.md, whose first lines answer the study's question in plain sentences, for
# every model whose sweep has two or more k values; its absence then fails the study.
SUMMARY_FILE = "summary.md"

STAGES = ("train", "evaluate", "analysis")
EVAL_RECORD = "xfer_eval.json"


class StudyError(RuntimeError):
    """A stage could not finish; the message says which unit and where its log is."""


class UnitBusy(StudyError):
    """Another live process holds this unit's lock."""


@dataclass(frozen=True)
class Unit:
    """One training point or one evaluation of one base model's sweep."""

    stage: str  # "train" | "evaluate"
    model: str
    point: str  # k<k>-seed<s>, the sweep's point name
    k: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.stage}-{self.model}-{self.point}"

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "model": self.model, "point": self.point, "k": self.k, "seed": self.seed}


def say(message: str) -> None:
    print(f"[xfer study] {message}", file=sys.stderr, flush=True)


class Study:
    """A study config bound to its folder: paths, units and their states."""

    def __init__(self, config: StudyConfig, root: Path):
        self.config = config
        self.root = Path(root).resolve()

    # ---- layout ---------------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.root / "study.yaml"

    def sweep_file(self, model: str) -> Path:
        return self.root / "sweeps" / f"{model}.yaml"

    def checkpoint(self, model: str, point: str) -> Path:
        return self.root / "checkpoints" / model / point

    def train_work(self, model: str, point: str) -> Path:
        return self.root / "work" / "train" / model / point

    def results(self, model: str, point: str) -> Path:
        return self.root / "results" / model / point

    def report(self, model: str) -> Path:
        return self.root / "report" / model

    def lock_file(self, unit: Unit) -> Path:
        return self.root / "work" / "locks" / f"{unit.key}.lock"

    @property
    def jobs_dir(self) -> Path:
        return self.root / "work" / "jobs"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    # ---- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, root: str | Path) -> Study:
        """The study a job belongs to, from the resolved ``study.yaml`` the driver wrote."""
        root = Path(root)
        return cls(load_study_config(root / "study.yaml"), root)

    def prepare(self) -> None:
        """Write the resolved config and each model's sweep config (what the jobs read)."""
        self.root.mkdir(parents=True, exist_ok=True)
        _write_text(self.config_file, yaml.safe_dump(self.config.resolved(), sort_keys=False))
        for spec in self.config.models:
            _write_text(self.sweep_file(spec.name), yaml.safe_dump(spec.sweep, sort_keys=False))
            sweep_dir = self.root / "checkpoints" / spec.name
            sweep_dir.mkdir(parents=True, exist_ok=True)
            from xfer_tasks.train.checkpoint_io import write_json_durable

            points = self.points(spec.name)
            write_json_durable(
                sweep_dir / "sweep.json",
                {
                    "config_file": str(self.sweep_file(spec.name)),
                    "points": [
                        {"name": p.name, "k": p.k, "seed": p.seed, "tasks": p.order[: p.k], "order": p.order}
                        for p in points
                    ],
                },
            )

    # ---- units -----------------------------------------------------------------------------
    def sweep_config(self, model: str):
        from xfer_tasks.train.sweep import parse_sweep_config

        return parse_sweep_config(self.config.model(model).sweep, self.sweep_file(model))

    def points(self, model: str):
        from xfer_tasks.train.sweep import sweep_points

        return sweep_points(self.sweep_config(model))

    def units(self, stage: str) -> list[Unit]:
        """The stage's units, one per sweep point, except the points :meth:`same_base_points`
        names: the untrained base model is trained (copied) and evaluated once per model."""
        return [
            Unit(stage, spec.name, p.name, p.k, p.seed)
            for spec in self.config.models
            for p in self.points(spec.name)
            if p.name not in self.same_base_points(spec.name)
        ]

    def same_base_points(self, model: str) -> dict[str, str]:
        """{point: the point whose weights it has} for the k = 0 points of the later seeds.

        Without a target phase, k = 0 trains nothing: every seed's k = 0 point is the base
        model's own weights, so evaluating it once per seed costs one `lm_eval` call per seed
        and adds no information (the analysis counts the base model as one run either way).
        With a target phase each seed trains its own k = 0 model, and every point stays."""
        cfg = self.sweep_config(model)
        if cfg.base.get("target_phase"):
            return {}
        untrained = [p.name for p in self.points(model) if p.k == 0]
        return {name: untrained[0] for name in untrained[1:]}

    # ---- states ----------------------------------------------------------------------------
    def state(self, unit: Unit) -> tuple[str, str]:
        """(``done`` | ``running`` | ``partial`` | ``todo``, a detail for --dry-run)."""
        if unit.stage == "train":
            return self._train_state(unit)
        return self._eval_state(unit)

    def _train_state(self, unit: Unit) -> tuple[str, str]:
        from xfer_tasks.train.checkpoint_io import is_complete, latest_checkpoint

        final = self.checkpoint(unit.model, unit.point)
        if is_complete(final):
            self.check_trained_from_current_config(unit)
            return "done", str(final)
        if (holder := lock_holder(self.lock_file(unit))) is not None:
            return "running", f"locked by {holder}"
        work = self.train_work(unit.model, unit.point)
        if work.exists():
            runs = sorted(work.glob(f"{unit.point}.work/phase-*"))
            saved = [c for phase in runs if (c := latest_checkpoint(phase / "trainer")) is not None]
            finished = [p.name for p in runs if is_complete(p / "final")]
            if saved or finished:
                where = ", ".join(finished + [f"{c.parent.parent.name}/{c.name}" for c in saved])
                return "partial", f"resumes from {where}"
            return "partial", "started, nothing saved yet: starts again"
        return "todo", ""

    def _eval_state(self, unit: Unit) -> tuple[str, str]:
        final = self.results(unit.model, unit.point)
        if has_results(final):
            self.check_evaluated_with_current_spec(unit)
            return "done", str(final)
        if (holder := lock_holder(self.lock_file(unit))) is not None:
            return "running", f"locked by {holder}"
        if final.with_name(final.name + ".partial").exists():
            return "partial", "interrupted lm_eval: starts again"
        from xfer_tasks.train.checkpoint_io import is_complete

        if not is_complete(self.checkpoint(unit.model, unit.point)):
            return "todo", "waits for its checkpoint"
        return "todo", ""

    def analysis_state(self, model: str) -> tuple[str, str]:
        units = [u for u in self.units("evaluate") if u.model == model]
        missing = [u.point for u in units if not has_results(self.results(model, u.point))]
        if missing:
            return "todo", f"waits for {len(missing)} evaluation(s)"
        report = self.report(model) / "report.html"
        if not report.is_file():
            return "todo", ""
        newest = max(f.stat().st_mtime for u in units for f in self.results(model, u.point).glob("**/results_*.json"))
        if report.stat().st_mtime < newest:
            return "todo", "results newer than the report"
        return "done", str(report)

    # ---- consistency: a point made from another config is never silently reused ---------
    def check_trained_from_current_config(self, unit: Unit) -> None:
        from xfer_tasks.train.manifest import MANIFEST_FILE
        from xfer_tasks.train.run import config_fingerprint
        from xfer_tasks.train.sweep import point_config

        final = self.checkpoint(unit.model, unit.point)
        manifest = json.loads((final / MANIFEST_FILE).read_text(encoding="utf-8"))
        old = (manifest.get("sweep") or {}).get("config_fingerprint")
        cfg = self.sweep_config(unit.model)
        point = next(p for p in self.points(unit.model) if p.name == unit.point)
        if old is not None and old != config_fingerprint(point_config(cfg, point)):
            raise StudyConfigError(
                f"{final} was trained from a different config than models.{unit.model} of "
                f"{self.config.source}; move it away to retrain it"
            )

    def check_evaluated_with_current_spec(self, unit: Unit) -> None:
        record = self.results(unit.model, unit.point) / EVAL_RECORD
        if not record.is_file():
            return  # results put there by hand: taken as they are
        old = json.loads(record.read_text(encoding="utf-8")).get("fingerprint")
        spec = self.config.model(unit.model).evaluation
        if old != eval_fingerprint(spec):
            raise StudyConfigError(
                f"{record.parent} was evaluated with a different evaluation section than "
                f"models.{unit.model} of {self.config.source}; move it away to evaluate again"
            )


def has_results(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("**/results_*.json"))


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ---- locks --------------------------------------------------------------------------------
def lock_holder(path: Path) -> str | None:
    """Who holds the unit's lock (``host pid N``), or None when nobody does."""
    if not path.is_file():
        return None
    try:
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    handle.seek(0)
                    return handle.read().strip() or "another process"
                return None  # no flock on this file system: cannot tell
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        return None
    return None


@contextmanager
def unit_lock(path: Path) -> Iterator[Any]:
    """Hold the unit's exclusive lock, or raise :class:`UnitBusy` at once; yields the open
    lock file (an evaluation hands it to its ``lm_eval`` so the lock lives as long as either)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + 2.0
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    say(f"warning: no file locks on this file system ({err}); relying on job records")
                    break
                handle.seek(0)
                holder = handle.read().strip()
                # an empty lock file is held by a probe (lock_holder, a --dry-run) for an
                # instant, not by a unit: wait for it rather than fail as busy
                if holder or time.monotonic() > deadline:
                    raise UnitBusy(f"{path.stem} is running in another process ({holder or 'unknown'})") from err
                time.sleep(0.01)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.uname().nodename} pid {os.getpid()}\n")
        handle.flush()
        try:
            yield handle
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()


# ---- the unit functions (what every launcher runs) ---------------------------------------
def run_unit(root: str, unit: dict[str, Any], gpus: int = 1, multi_gpu: str | None = None) -> str:
    """Run one unit of the study in ``root`` (a job's entry point). Returns what was done.

    ``gpus`` > 1 runs a training point under ``multi_gpu`` (torchrun or accelerate).
    """
    study = Study.load(root)
    unit_ = Unit(**unit)
    with unit_lock(study.lock_file(unit_)) as lock:
        if unit_.stage == "train":
            return train_point(study, unit_, gpus, multi_gpu)
        return evaluate_point(study, unit_, lock)


def train_command(study: Study, unit: Unit, gpus: int = 1, multi_gpu: str | None = None) -> list[str]:
    """`xfer sweep` restricted to this one point, into the point's work folder.

    With ``gpus`` > 1 the same module runs under torchrun or accelerate (one process per GPU;
    the Trainer reads the distributed environment).
    """
    args = [
        "--config", str(study.sweep_file(unit.model)),
        "--output-dir", str(study.train_work(unit.model, unit.point)),
        "--k", str(unit.k), "--seeds", str(unit.seed),
    ]  # fmt: skip
    if gpus <= 1:
        return [sys.executable, "-m", "xfer_tasks.train.cli_sweep", *args]
    if multi_gpu == "accelerate":
        launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(gpus)]
    else:
        launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(gpus)]
    return [*launch, "-m", "xfer_tasks.train.cli_sweep", *args]


def train_point(study: Study, unit: Unit, gpus: int = 1, multi_gpu: str | None = None) -> str:
    """Train one point with `xfer sweep --k K --seeds S` and publish it under checkpoints/."""
    from xfer_tasks.train.checkpoint_io import fsync_path, is_complete

    final = study.checkpoint(unit.model, unit.point)
    if is_complete(final):
        return f"{unit.key}: already complete"
    work = study.train_work(unit.model, unit.point)
    command = train_command(study, unit, gpus, multi_gpu)
    say(f"train {unit.model} {unit.point}")
    if gpus <= 1:  # in this process, through `xfer sweep`'s function: no second interpreter
        from xfer_tasks.data import DataFormatError, DataMissingError
        from xfer_tasks.train.checkpoint_io import OutputExistsError
        from xfer_tasks.train.config import ConfigError
        from xfer_tasks.train.run import ConfigChangedError
        from xfer_tasks.train.sweep import run_sweep
        from xfer_tasks.train.task_spec import TaskSpecError

        try:
            run_sweep(
                study.sweep_config(unit.model), work, k=[unit.k], seeds=[unit.seed],
                config_file=str(study.sweep_file(unit.model)),
            )  # fmt: skip
        except (ConfigError, TaskSpecError, OutputExistsError, ConfigChangedError, DataMissingError, DataFormatError) as err:
            raise StudyError(f"training {unit.model} {unit.point} failed: {err}") from None
        code = 0
    else:
        code = subprocess.run(command).returncode
    trained = work / unit.point
    if code == 130:  # Ctrl-C inside a multi-GPU `xfer sweep`: the study stops with its own resume line
        raise KeyboardInterrupt
    if code != 0 or not is_complete(trained):
        raise StudyError(f"training {unit.model} {unit.point} failed (exit {code}): {shlex.join(command)}")
    final.parent.mkdir(parents=True, exist_ok=True)
    old_results = study.results(unit.model, unit.point)
    if old_results.exists():  # scores of the checkpoint this one replaces: never reported as its
        stale = old_results.with_name(f"{old_results.name}.stale-{time.strftime('%Y%m%dT%H%M%S')}")
        say(f"train {unit.model} {unit.point}: moving {old_results} (results of the replaced checkpoint) to {stale}")
        os.rename(old_results, stale)
    os.rename(trained, final)  # publish: a checkpoints/ folder is always complete
    fsync_path(final.parent)
    shutil.rmtree(work, ignore_errors=True)
    return f"{unit.key}: trained"


def lm_eval_command(spec: EvalSpec, checkpoint: Path, output: Path) -> list[str]:
    """The README's harness call for one checkpoint, as a user would type it."""
    from xfer_tasks.paths import tasks_path

    model_args = ",".join([f"pretrained={checkpoint}", *(f"{k}={v}" for k, v in spec.model_args.items())])
    command = [
        "lm_eval", "--model", "hf", "--model_args", model_args,
        "--include_path", str(tasks_path()), "--tasks", ",".join(spec.tasks),
        "--batch_size", str(spec.batch_size),
        "--output_path", str(output), "--log_samples",
    ]  # fmt: skip
    if spec.metadata:
        command += ["--metadata", json.dumps(spec.metadata, sort_keys=True)]
    if spec.device:
        command += ["--device", str(spec.device)]
    if spec.limit is not None:
        command += ["--limit", str(spec.limit)]
    return command + list(spec.extra_args)


def eval_fingerprint(spec: EvalSpec) -> str:
    """What makes two evaluations comparable: the call without its paths, and the data folder."""
    blob = json.dumps(
        {"command": lm_eval_command(spec, Path("CKPT"), Path("OUT")), "data_dir": spec.data_dir},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _child_setup(parent: int) -> Callable[[], None]:
    """``preexec_fn`` of an ``lm_eval`` child: it dies with the process that started it.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``, so a driver killed with SIGKILL takes its
    evaluation with it (SIGTERM lets lm_eval's own launcher stop its workers); if the driver
    died before the call, the child exits at once. Elsewhere nothing is set (the lock still
    keeps a rerun from starting a second evaluation while the orphan runs)."""

    def setup() -> None:
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
            except (OSError, AttributeError):
                pass
            if os.getppid() != parent:  # the driver died before prctl
                os._exit(1)

    return setup


def _stop(process: subprocess.Popen[Any]) -> None:
    """End an ``lm_eval`` child and its process group (accelerate workers too)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        process.wait()


def run_owned(command: list[str], env: dict[str, str], lock: Any | None) -> int:
    """Run ``command`` as a child this process owns: its own process group (stopped with it on
    an exception or Ctrl-C), killed by the kernel when this process dies (Linux), and
    holding ``lock``'s open file (``pass_fds``), so the unit's flock stays held while either
    process lives: a rerun after a SIGKILL of the driver waits for the orphan instead of
    starting a second evaluation."""
    pass_fds = (lock.fileno(),) if lock is not None else ()
    process = subprocess.Popen(
        command, env=env, pass_fds=pass_fds, start_new_session=True, preexec_fn=_child_setup(os.getpid())
    )
    if lock is not None:  # who holds the lock now: what a rerun reports
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.uname().nodename} pid {os.getpid()} (lm_eval pid {process.pid})\n")
        lock.flush()
    try:
        return process.wait()
    finally:
        _stop(process)


def evaluate_point(study: Study, unit: Unit, lock: Any | None = None) -> str:
    """One `lm_eval` subprocess for one checkpoint; results published by renaming ``.partial``.

    The caller holds the unit's lock (``lock``, the open lock file), which the ``lm_eval``
    child inherits: one evaluation per point at a time, whoever dies first."""
    from xfer_tasks.train.checkpoint_io import is_complete, write_json_durable

    final = study.results(unit.model, unit.point)
    if has_results(final):
        return f"{unit.key}: already evaluated"
    checkpoint = study.checkpoint(unit.model, unit.point)
    if not is_complete(checkpoint):
        raise StudyError(f"cannot evaluate {unit.model} {unit.point}: {checkpoint} is not a complete checkpoint")
    spec = study.config.model(unit.model).evaluation
    partial = final.with_name(final.name + ".partial")
    if partial.exists():  # a killed evaluation's leftovers: never mixed with a new run's files
        say(f"evaluate {unit.model} {unit.point}: clearing {partial} left by an interrupted evaluation")
        shutil.rmtree(partial)
    command = lm_eval_command(spec, checkpoint, partial)
    env = dict(os.environ)
    if spec.data_dir:
        env["XFER_DATA_DIR"] = spec.data_dir
    launch = [sys.executable, "-m", "lm_eval"]
    if spec.gpus > 1:  # data parallel: one model copy per GPU (lm-eval's documented accelerate route)
        launch = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(spec.gpus), "-m", "lm_eval"]
    say(f"evaluate {unit.model} {unit.point}: {shlex.join(command[:5])} ... ({len(spec.tasks)} task(s))")
    code = run_owned([*launch, *command[1:]], env, lock)
    if code != 0:
        raise StudyError(f"lm_eval failed (exit {code}) for {checkpoint}: {shlex.join(command)}")
    files = sorted(partial.glob("**/results_*.json"))
    if not files:
        raise StudyError(f"lm_eval exited 0 but wrote no results_*.json under {partial}")
    if len(files) > 1:  # cannot happen with the lock held; never publish an ambiguous point
        raise StudyError(f"{partial} holds {len(files)} results files ({', '.join(f.name for f in files)}); expected one")
    write_json_durable(partial / EVAL_RECORD, {"command": command, "fingerprint": eval_fingerprint(spec)})
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():  # an empty or result-less folder left by hand
        shutil.rmtree(final)
    os.rename(partial, final)
    return f"{unit.key}: evaluated"


# ---- analysis -----------------------------------------------------------------------------
def run_analysis(study: Study) -> list[Path]:
    """`xfer compare`'s analysis per model over all its results, called as library functions
    (its terminal table is not printed: the study prints each model's answer once, at the end);
    an index page; returns the report folders."""
    from xfer_tasks.compare.comparison import compare_runs
    from xfer_tasks.compare.report import write_report
    from xfer_tasks.compare.results import ResultsError, assign_labels, load_runs
    from xfer_tasks.compare.scaling import analyze, has_trend

    # the study's choices; compare_runs's own defaults (those of `xfer compare`) for the rest
    options = {
        key: value
        for key, value in study.config.analysis.items()
        if key in ("bootstrap_iters", "alpha", "seed") and value is not None
    }
    reports = []
    for spec in study.config.models:
        results = [str(study.results(spec.name, u.point)) for u in study.units("evaluate") if u.model == spec.name]
        report = study.report(spec.name)
        say(f"analysis {spec.name}: xfer compare over {len(results)} result folder(s)")
        try:
            runs = load_runs(results)
            assign_labels(runs, None)
            comparison = compare_runs(runs, baseline=study.config.analysis.get("baseline"), labels=None, **options)
        except ResultsError as err:
            raise StudyError(f"xfer compare failed for {spec.name}: {err}") from None
        write_report(comparison, str(report), analyze(runs) if has_trend(runs) else None)
        reports.append(report)
    _write_index(study, reports)
    return reports


def _write_index(study: Study, reports: list[Path]) -> Path:
    links = "\n".join(f'<li><a href="{r.name}/report.html">{r.name}</a></li>' for r in reports)
    index = study.root / "report" / "index.html"
    title = study.config.description or "xfer study"
    _write_text(
        index,
        f"<!doctype html><meta charset='utf-8'><title>{title}</title><h1>{title}</h1>\n<ul>{links}</ul>\n",
    )
    return index


def summaries(study: Study) -> dict[str, str | None]:
    """Each model's summary.md text (the plain-sentence answer); None for a model whose sweep
    has a single k (no trend to state). A sweep over several k without one is an error."""
    out: dict[str, str | None] = {}
    for spec in study.config.models:
        path = study.report(spec.name) / SUMMARY_FILE
        k_values = {u.k for u in study.units("evaluate") if u.model == spec.name}
        if path.is_file():
            out[spec.name] = path.read_text(encoding="utf-8")
        elif len(k_values) >= 2:
            raise StudyError(f"xfer compare wrote no {SUMMARY_FILE} for {spec.name} ({path})")
        else:
            out[spec.name] = None
    return out
