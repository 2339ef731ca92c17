"""Where the package's shipped folders are, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_folder(name: str, top_level: str) -> Path:
    """``xfer_tasks/<name>`` in a wheel, ``<repo>/<top_level>`` in a checkout."""
    try:
        import importlib.resources

        found = Path(str(importlib.resources.files(f"xfer_tasks.{name}")))
        if found.is_dir():
            return found
    except ModuleNotFoundError:
        pass
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / top_level):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"cannot find the xfer {top_level}/ folder next to {_PACKAGE_DIR}; reinstall xfer-tasks"
    )


def tasks_path() -> Path:
    """The folder to pass to ``lm_eval --include_path``."""
    return _shipped_folder("task_yamls", "task_yamls")


def train_path() -> Path:
    """The folder holding the intermediate-task declarations and training configs."""
    return _shipped_folder("train", "train")
