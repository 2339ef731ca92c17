from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
