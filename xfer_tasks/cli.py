"""The ``xfer`` command: one entry point, one module per subcommand.

Each subcommand lives in the module that owns its job and exposes ``main(argv) -> int``;
this file only dispatches, so importing it stays cheap (no torch until needed).
"""

from __future__ import annotations

import importlib
import sys

# name -> (module, one-line help). The module defines ``main(argv: list[str]) -> int``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "tasks-path": ("xfer_tasks.cli", "print the folder to pass to lm_eval --include_path"),
    "check-data": (
        "xfer_tasks.check_data",
        "check the data of lm_eval --tasks before loading a model",
    ),
    "train": ("xfer_tasks.train.cli_train", "train one intermediate-task checkpoint from a config"),
    "sweep": ("xfer_tasks.train.cli_sweep", "train the task-count scaling sweep from a config"),
    "tiny-model": ("xfer_tasks.train.tiny_model", "build a tiny random causal LM (offline)"),
    "compare": ("xfer_tasks.compare.cli_compare", "compare checkpoints' lm-eval results"),
    "scaling": (
        "xfer_tasks.compare.cli_scaling",
        "how scores change with the number of intermediate tasks (the study's answer)",
    ),
    "regress": ("xfer_tasks.compare.cli_regress", "fail when scores regress against a baseline"),
    "study": ("xfer_tasks.study.cli", "a whole study: train the sweep, evaluate, compare (resumable)"),
    "demo": ("xfer_tasks.demo", "smoke-scale end-to-end demo: train, evaluate, compare"),
}


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = ["usage: xfer <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run `xfer <command> --help` for a command's options."]
    return "\n".join(lines)


def _tasks_path_main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print("usage: xfer tasks-path\n\nPrint the folder to pass to lm_eval --include_path.")
        return 0
    from xfer_tasks.paths import tasks_path

    print(tasks_path())
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from xfer_tasks import __version__

        print(__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"xfer: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    if name == "tasks-path":
        return _tasks_path_main(rest)
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
