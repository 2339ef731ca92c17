"""The wheel ships everything a user needs: every package, the task YAMLs, training configs, demo data."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

from xfer_tasks.paths import tasks_path, train_path

REPO = Path(__file__).resolve().parents[1]


def _declared() -> tuple[set[str], dict[str, str]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    return set(config["packages"]), config["package-dir"]


def test_every_python_package_is_declared():
    packages, package_dir = _declared()
    roots = {Path(path): name for name, path in package_dir.items()}
    found = set()
    for init in REPO.glob("**/__init__.py"):
        folder = init.parent.relative_to(REPO)
        if folder.parts[0] in {"tests", "benchmarks", ".venv", "build"}:
            continue
        for root, name in roots.items():
            if folder == root or root in folder.parents:
                rest = folder.relative_to(root).parts
                found.add(".".join((name, *rest)))
                break
    assert found - packages == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_source_checkout_paths():
    assert tasks_path() == REPO / "task_yamls"
    assert train_path() == REPO / "train"


@pytest.mark.slow
def test_wheel_contains_task_yamls_train_and_demo_data(tmp_path):
    # Build from a copy: setuptools writes build/ next to the sources, and files left there by
    # an earlier build would end up in the wheel and mask a missing one.
    source = tmp_path / "src"
    shutil.copytree(
        REPO, source,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "xfer_demo", "runs"),
    )  # fmt: skip
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("xfer_tasks-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected_yamls = {
        "xfer_tasks/task_yamls/" + str(p.relative_to(REPO / "task_yamls"))
        for p in (REPO / "task_yamls").rglob("*")
        if p.is_file() and (p.suffix in {".yaml", ".py"} or p.name.endswith("_yaml")) and "__pycache__" not in p.parts
    }
    assert expected_yamls and expected_yamls <= names, sorted(expected_yamls - names)[:5]
    assert "xfer_tasks/demo_data/eval/tatoeba/tatoeba.deu-eng.deu" in names
    assert "xfer_tasks/train/tiny_model.py" in names
    train_yamls = {"xfer_tasks/train/" + str(p.relative_to(REPO / "train")) for p in (REPO / "train").rglob("*.yaml")}
    assert train_yamls <= names, sorted(train_yamls - names)[:5]
