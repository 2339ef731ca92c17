"""Helpers shared by the training tests: configs written to tmp, CLI subprocesses, weights."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for CLI subprocesses: offline, one thread (deterministic, fair on 2 cores)."""
    env = dict(os.environ, **OFFLINE, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    env.update(extra)
    return env


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def tiny_config(model: Path, tasks: list[Any], *, total: int = 32, batch: int = 4, **training: Any) -> dict[str, Any]:
    return {
        "model": {"kind": "causal", "name_or_path": str(model), "max_seq_length": 128},
        "split": "train",
        "tasks": tasks,
        "budget": {"kind": "examples", "total": total},
        "training": {
            "learning_rate": 1.0e-3,
            "per_device_train_batch_size": batch,
            "batching": "packed",
            "save_steps": 1000,
            "logging_steps": 1,
            "use_cpu": True,
            **training,
        },
    }


def run_group(cmd: list[str], env: dict[str, str], timeout: int = 170) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group; on timeout kill the whole group (torchrun workers too)."""
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"timed out after {timeout}s: {' '.join(cmd)}\n{err[-3000:]}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_cli(args: list[str], env: dict[str, str], timeout: int = 170) -> subprocess.CompletedProcess:
    return run_group([sys.executable, "-m", "xfer_tasks.cli", *args], env, timeout)


def load_weights(folder: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))
