"""What the training commands (``xfer train``, ``xfer sweep``) share: exit codes, how an error
becomes one line and an exit code (:func:`report_errors`), and the command that resumes an
interrupted run. Commands import this, never each other."""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for Ctrl-C


def os_error_line(err: OSError) -> str:
    """An OSError (disk full, read-only folder, permission) as one line naming the path."""
    where = f": {err.filename}" if getattr(err, "filename", None) else ""
    return f"{err.strerror or err}{where}"


def resume_command(prog: str, argv: list[str] | None) -> str:
    import shlex

    return f"{prog} {shlex.join(list(sys.argv[1:] if argv is None else argv))}".strip()


def report_errors(prog: str, argv: list[str] | None, work: Callable[[], int], resume_hint: str) -> int:
    """Run ``work`` (a command's body, returning its exit code) and turn what it raises into
    one line on stderr and an exit code: 2 for input the user must change (a config, a task
    spec, an output folder that needs ``--overwrite``), 1 for a failure on valid input (data
    missing or malformed, a checkpoint trained from another config, an OS error), 130 on
    Ctrl-C with the command that resumes (``resume_hint`` says from where)."""
    from xfer_tasks.data import DataFormatError, DataMissingError

    from .checkpoint_io import OutputExistsError
    from .config import ConfigError
    from .run import ConfigChangedError
    from .task_spec import TaskSpecError

    usage = (ConfigError, TaskSpecError, OutputExistsError)
    try:
        return work()
    except (*usage, ConfigChangedError, DataMissingError, DataFormatError) as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, usage) else 1
    except OSError as err:  # a read-only or full output folder, a file that vanished
        print(f"{prog}: {os_error_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; run `{resume_command(prog, argv)}` again to resume ({resume_hint})", file=sys.stderr)
        return EXIT_INTERRUPTED
