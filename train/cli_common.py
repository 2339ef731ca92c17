"""What the training commands (``xfer train``, ``xfer sweep``) share: exit codes and the one-line
forms of an OS error and of the command that resumes an interrupted run. Commands import this,
never each other."""

from __future__ import annotations

import sys

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for Ctrl-C


def os_error_line(err: OSError) -> str:
    """An OSError (disk full, read-only folder, permission) as one line naming the path."""
    where = f": {err.filename}" if getattr(err, "filename", None) else ""
    return f"{err.strerror or err}{where}"


def resume_command(prog: str, argv: list[str] | None) -> str:
    import shlex

    return f"{prog} {shlex.join(list(sys.argv[1:] if argv is None else argv))}".strip()
