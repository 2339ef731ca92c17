"""What ``xfer compare``, ``xfer scaling`` and ``xfer regress`` share on the command line: the
results they read, the run labels, where the report goes, the one-line refusal of ``--out`` onto
a file, and argparse types for numeric options that refuse NaN, infinity and out-of-range values
(``--abs-floor nan`` would otherwise turn the regression gate off)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path


def finite_float(
    low: float = 0.0, high: float = math.inf, *, open_interval: bool = False
) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in [low, high] ((low, high) when ``open_interval``)."""
    bounds = f"({low:g}, {high:g})" if open_interval else f"[{low:g}, {high:g}]"
    expected = f"a finite number >= {low:g}" if high == math.inf else f"a number in {bounds}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        inside = low < value < high if open_interval else low <= value <= high
        if not math.isfinite(value) or not inside:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
        return value

    parse.__name__ = "number"  # argparse names the type in "invalid number value"
    return parse


def int_at_least(low: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= {low}")
        return value

    parse.__name__ = "integer"
    return parse


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
