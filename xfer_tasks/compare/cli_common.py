"""What ``xfer compare`` and ``xfer scaling`` share on the command line: the results they read,
the run labels, where the report goes, and the one-line refusal of ``--out`` onto a file."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_results_arguments(parser: argparse.ArgumentParser, out_help: str) -> None:
    """``RESULTS...``, ``--label NAME`` (repeatable) and ``--out DIR``."""
    parser.add_argument(
        "results", nargs="+",
        help="lm-eval results_*.json files, or folders (the newest results file of each "
        "subfolder is used); each checkpoint's xfer_manifest.json (found through model_args) "
        "gives its k and seed",
    )  # fmt: skip
    parser.add_argument(
        "--label", action="append", default=None, metavar="NAME",
        help="name of a run, once per results file in order (default: the checkpoint folder name)",
    )  # fmt: skip
    parser.add_argument("--out", metavar="DIR", help=out_help)


def out_is_a_file(out: str | None) -> str | None:
    """The one-line complaint when ``--out`` names an existing file, else None."""
    if out and Path(out).exists() and not Path(out).is_dir():
        return f"--out {out} is a file; expected a folder (new or existing)"
    return None
