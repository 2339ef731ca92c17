from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xfer_tasks import cli
from xfer_tasks.paths import tasks_path


def test_tasks_path_is_the_yaml_folder(capsys):
    assert cli.main(["tasks-path"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == tasks_path()
    assert (printed / "__init__.py").is_file()


def test_unknown_command_is_an_error(capsys):
    assert cli.main(["no-such-command"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_console_script_installed():
    out = subprocess.run(
        [sys.executable, "-m", "xfer_tasks.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "tasks-path" in out.stdout


# the modules the docs, the study's launchers and torchrun/accelerate start with `python -m`
ENTRY_MODULES = [
    "xfer_tasks.cli", "xfer_tasks.train.cli_train", "xfer_tasks.train.cli_sweep",
    "xfer_tasks.study.cli", "xfer_tasks.compare.cli_compare", "xfer_tasks.compare.cli_scaling",
    "xfer_tasks.compare.cli_regress",
]  # fmt: skip


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_python_m_runs_the_command(module):
    """`python -m MODULE --help` prints the usage: a module without its __main__ guard would
    exit 0 having done nothing (a study's training point 'done' with no checkpoint)."""
    from helpers import subprocess_env

    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                          env=subprocess_env(), timeout=120)  # fmt: skip
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr[-2000:]


@pytest.mark.parametrize("module", ["xfer_tasks.train.cli_train", "xfer_tasks.train.cli_sweep"])
def test_python_m_training_commands_refuse_a_missing_config(module, tmp_path):
    from helpers import subprocess_env

    missing = tmp_path / "missing.yaml"
    done = subprocess.run([sys.executable, "-m", module, "--config", str(missing), "--output-dir", str(tmp_path / "o")],
                          capture_output=True, text=True, env=subprocess_env(), timeout=120)  # fmt: skip
    assert done.returncode == 2 and str(missing) in done.stderr and not (tmp_path / "o").exists()
