"""Where the units of a stage run: in this process, as local submitit jobs, or as SLURM job arrays.

- ``inline``: one unit after the other in this process (``xfer demo``'s behaviour).
- ``submitit-local``: each unit a submitit job on this machine (a process of its own, with its
  log under ``logs/``), at most ``launcher.local.max_parallel`` at a time.
- ``slurm``: the units of a stage as one submitit SLURM job array (partition, GPUs, time limit
  and the rest from ``launcher.slurm``); ``gpus_per_node`` > 1 trains each point under
  torchrun or ``accelerate launch`` (``multi_gpu``).

Never twice: every unit holds its lock while it runs (see :mod:`.stages`), and every submitted
job is recorded under ``work/jobs/``. A rerun of the study waits for a recorded job that is still
alive (pending or running) instead of submitting the unit again. A job that dies is resubmitted
up to ``launcher.max_retries`` times and resumes where it stopped (the training point from its
last Trainer checkpoint). A SLURM job hitting its time limit or preempted is requeued by
submitit itself (:class:`UnitJob` is a ``submitit.helpers.Checkpointable``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import submitit

from .config import LAUNCHERS
from .stages import Study, StudyError, Unit, UnitBusy, lock_holder, run_unit, say

# sacct states of a job that may still run the unit
SLURM_ALIVE = {"PENDING", "RUNNING", "REQUEUED", "CONFIGURING", "COMPLETING", "RESIZING", "SUSPENDED", "REQUEUE_HOLD", "REQUEUE_FED"}
UNKNOWN_GRACE_S = 300  # a job sacct does not know yet (just submitted) counts as alive this long


def _wait_for_lock(study: Study, unit: Unit, poll_s: float) -> None:
    holder = lock_holder(study.lock_file(unit))
    if holder is not None:
        doing = "being evaluated" if unit.stage == "evaluate" else "being trained"
        say(f"{unit.stage} {unit.model} {unit.point}: {doing} by {holder}; waiting for it")
    while lock_holder(study.lock_file(unit)) is not None:
        time.sleep(poll_s)


class InlineLauncher:
    """Run each unit here, one after the other."""

    name = "inline"

    def __init__(self, settings: dict[str, Any]):
        self.poll_s = float(settings.get("poll_s", 5))

    def run(self, study: Study, units: list[Unit], wait: bool = True) -> bool:
        for unit in units:
            _wait_for_lock(study, unit, self.poll_s)
            if study.state(unit)[0] == "done":
                continue
            say(run_unit(str(study.root), unit.as_dict()))
        return True


class UnitJob(submitit.helpers.Checkpointable):
    """A study unit as a submitit job. On timeout or preemption submitit requeues the same call
    (``Checkpointable``'s default ``checkpoint``), which resumes from what the unit saved."""

    def __call__(self, root: str, unit: dict[str, Any], gpus: int = 1, multi_gpu: str | None = None) -> str:
        return run_unit(root, unit, gpus, multi_gpu)


class SubmititLauncher:
    """Units as submitit jobs, ``local`` (processes on this machine) or ``slurm`` (job arrays)."""

    def __init__(self, cluster: str, settings: dict[str, Any]):
        self.cluster = cluster  # "local" | "slurm"
        self.name = "submitit-local" if cluster == "local" else "slurm"
        self.settings = settings
        self.max_retries = int(settings.get("max_retries", 1))
        self.poll_s = float(settings.get("poll_s", 5 if cluster == "local" else 60))
        local = settings.get("local") or {}
        self.max_parallel = int(local.get("max_parallel", 2)) if cluster == "local" else 10**9
        self._jobs: dict[str, Any] = {}  # unit key -> submitit Job submitted by this process

    # ---- executors --------------------------------------------------------------------------
    def gpus(self, stage: str) -> int:
        if self.cluster != "slurm":
            return 1
        return int(self._slurm(stage).get("gpus_per_node") or 1)

    def _slurm(self, stage: str) -> dict[str, Any]:
        slurm = dict(self.settings.get("slurm") or {})
        overrides = slurm.pop("evaluate", None) or {}
        slurm.pop("multi_gpu", None)
        slurm.pop("max_num_timeout", None)
        if stage == "evaluate":
            slurm.update(overrides)
        return slurm

    def parameters(self, stage: str) -> dict[str, Any]:
        """submitit AutoExecutor parameters for the stage's jobs."""
        from .config import SLURM_KEYS

        if self.cluster == "local":
            local = self.settings.get("local") or {}
            return {"timeout_min": int(local.get("timeout_min", 240)), "name": f"xfer-{stage}"}
        params: dict[str, Any] = {"name": f"xfer-{stage}", "timeout_min": 240, "nodes": 1, "tasks_per_node": 1}
        for key, value in self._slurm(stage).items():
            params[SLURM_KEYS[key]] = value
        return params

    def executor(self, study: Study, stage: str):
        extra = {}
        max_num_timeout = (self.settings.get("slurm") or {}).get("max_num_timeout")
        if self.cluster == "slurm" and max_num_timeout is not None:
            extra["slurm_max_num_timeout"] = int(max_num_timeout)  # requeues after a time limit
        executor = submitit.AutoExecutor(folder=str(study.logs_dir / stage), cluster=self.cluster, **extra)
        executor.update_parameters(**self.parameters(stage))
        return executor

    # ---- job records ------------------------------------------------------------------------
    def _record_file(self, study: Study, unit: Unit) -> Path:
        return study.jobs_dir / f"{unit.key}.json"

    def _read_record(self, study: Study, unit: Unit) -> dict[str, Any] | None:
        path = self._record_file(study, unit)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def _write_record(self, study: Study, unit: Unit, job: Any, attempt: int) -> dict[str, Any]:
        from xfer_tasks.train.checkpoint_io import write_json_durable

        record = {
            "launcher": self.name,
            "job_id": str(job.job_id),
            "folder": str(study.logs_dir / unit.stage),
            "attempt": attempt,
            "submitted_at": time.time(),
            "stdout": str(job.paths.stdout),
            "stderr": str(job.paths.stderr),
        }
        study.jobs_dir.mkdir(parents=True, exist_ok=True)
        write_json_durable(self._record_file(study, unit), record)
        return record

    def alive(self, unit: Unit, record: dict[str, Any] | None) -> bool:
        """Whether the unit's job may still be running (so it must not be submitted again)."""
        job = self._jobs.get(unit.key)
        if job is not None:
            if self.cluster == "local":
                return not job.done()
            return self._slurm_alive(str(job.job_id), record)
        if record is None:
            return False
        if record.get("launcher") == "slurm":
            return self._slurm_alive(record["job_id"], record)
        return _local_alive(record["job_id"])

    def _slurm_alive(self, job_id: str, record: dict[str, Any] | None) -> bool:
        from submitit.slurm.slurm import SlurmJob

        state = SlurmJob(folder=(record or {}).get("folder", "."), job_id=job_id).watcher.get_state(job_id, mode="force")
        if state == "UNKNOWN":
            return time.time() - float((record or {}).get("submitted_at", 0)) < UNKNOWN_GRACE_S
        return state.split()[0] in SLURM_ALIVE

    def describe(self, unit: Unit, record: dict[str, Any] | None) -> str:
        if record is None:
            return ""
        return f"job {record['job_id']} ({record['launcher']}, attempt {record['attempt']}, log {record['stderr']})"

    def _failure(self, unit: Unit, record: dict[str, Any] | None) -> str:
        job = self._jobs.get(unit.key)
        if job is not None:
            try:
                error = job.exception()
            except Exception as err:  # noqa: BLE001 - submitit raises when the job left no result
                error = err
            if error is not None:
                lines = [line for line in str(error).strip().splitlines() if line.strip()]
                return lines[-1] if lines else type(error).__name__
        return f"the job ended without finishing the unit (log: {(record or {}).get('stderr', '?')})"

    # ---- the loop ---------------------------------------------------------------------------
    def _submit(self, study: Study, stage: str, units: list[Unit], attempts: dict[str, int]) -> dict[str, dict[str, Any]]:
        if not units:
            return {}
        executor = self.executor(study, stage)
        gpus = self.gpus(stage) if stage == "train" else 1
        multi_gpu = (self.settings.get("slurm") or {}).get("multi_gpu") or "torchrun"
        n = len(units)
        try:
            jobs = executor.map_array(
                UnitJob(), [str(study.root)] * n, [u.as_dict() for u in units], [gpus] * n, [multi_gpu] * n
            )
        except submitit.core.utils.FailedJobError as err:  # sbatch refused the array
            raise StudyError(f"sbatch refused the {stage} array: {sbatch_error_line(err)}") from None
        records = {}
        for unit, job in zip(units, jobs, strict=True):
            attempts[unit.key] = attempts.get(unit.key, 0) + 1
            self._jobs[unit.key] = job
            records[unit.key] = self._write_record(study, unit, job, attempts[unit.key])
            say(f"{stage} {unit.model} {unit.point}: submitted as {self.name} job {job.job_id}")
        return records

    def run(self, study: Study, units: list[Unit], wait: bool = True) -> bool:
        """Run the units; returns False when ``wait`` is off and some are still pending."""
        if not units:
            return True
        stage = units[0].stage
        active: dict[str, tuple[Unit, dict[str, Any] | None]] = {}
        queue: list[Unit] = []
        attempts: dict[str, int] = {}
        for unit in units:
            record = self._read_record(study, unit)
            if record is not None:
                attempts[unit.key] = int(record.get("attempt", 1))
            if record is not None and self.alive(unit, record):
                say(f"{stage} {unit.model} {unit.point}: still running as {self.describe(unit, record)}; waiting for it")
                active[unit.key] = (unit, record)
            elif lock_holder(study.lock_file(unit)) is not None:
                say(f"{stage} {unit.model} {unit.point}: running in another process; waiting for it")
                active[unit.key] = (unit, None)
            else:
                queue.append(unit)
        failures: list[str] = []
        while queue or active:
            room = self.max_parallel - len(active)
            batch, queue = queue[:room], queue[room:]
            for key, record in self._submit(study, stage, batch, attempts).items():
                active[key] = (next(u for u in batch if u.key == key), record)
            if not wait:
                return not active and not queue
            time.sleep(self.poll_s)
            for key, (unit, record) in list(active.items()):
                if study.state(unit)[0] == "done":
                    del active[key]
                    self._jobs.pop(key, None)
                    say(f"{stage} {unit.model} {unit.point}: done")
                    continue
                if record is None:  # someone else's process: wait for its lock
                    if lock_holder(study.lock_file(unit)) is None:
                        del active[key]
                        queue.append(unit)
                    continue
                if self.alive(unit, record):
                    continue
                reason = self._failure(unit, record)
                del active[key]
                self._jobs.pop(key, None)
                if UnitBusy.__name__ in reason or "running in another process" in reason:
                    active[key] = (unit, None)  # another live process has it: wait, do not retry
                elif attempts.get(key, 1) <= self.max_retries:
                    say(f"{stage} {unit.model} {unit.point}: job failed ({reason}); resubmitting, it resumes")
                    queue.append(unit)
                else:
                    failures.append(f"{unit.model} {unit.point}: {reason} (log: {record.get('stderr')})")
        if failures:
            raise StudyError(f"{len(failures)} {stage} job(s) failed after retries: " + "; ".join(failures))
        return True


def sbatch_error_line(err: BaseException) -> str:
    """The line that says why, from submitit's FailedJobError chain (CalledProcessError
    output inside): sbatch's last ``error:`` line, else the last line of the chain."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for text in (str(current), getattr(current, "stderr", None), getattr(current, "output", None)):
            if isinstance(text, bytes):
                text = text.decode(errors="replace")
            if text:
                lines += [line.strip() for line in str(text).splitlines() if line.strip()]
        current = current.__cause__ or current.__context__
    errors = [line for line in lines if "error:" in line]
    if errors:
        return errors[-1].removeprefix("b'").removeprefix('b"').rstrip("'\"")
    return lines[-1] if lines else type(err).__name__


def _local_alive(job_id: str) -> bool:
    """A local submitit job (its controller's pid) that is still running."""
    try:
        pid = int(job_id)
        os.kill(pid, 0)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except (ValueError, OSError):
        return False
    zombie = any(line.startswith("State:") and "Z" in line.split()[1] for line in status.splitlines())
    return b"submitit" in cmdline and not zombie


def make_launcher(name: str, settings: dict[str, Any]):
    """The launcher called ``name`` (one of :data:`LAUNCHERS`)."""
    if name == "inline":
        return InlineLauncher(settings)
    if name == "submitit-local":
        return SubmititLauncher("local", settings)
    if name == "slurm":
        return SubmititLauncher("slurm", settings)
    raise StudyError(f"unknown launcher {name!r}; expected one of {LAUNCHERS}")
