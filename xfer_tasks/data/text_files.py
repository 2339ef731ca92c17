"""Reading the line-based release files (Tatoeba, BUCC 2018): UTF-8, one record per line.

Lines are returned without their terminator and nothing else is stripped (MTEB keeps the
raw lines, XTREME strips them; a tokenizer sees the same text). Universal newlines, as the
reference scripts read them. A missing file is :class:`~xfer_tasks.data.DataMissingError`,
a line that is not UTF-8 :class:`~xfer_tasks.data.DataFormatError` naming file and line.
"""

from __future__ import annotations

from pathlib import Path

from xfer_tasks.data import DataFormatError, DataMissingError


def read_lines(path: Path, dataset: str, hub_id: str) -> list[str]:
    """All lines of a UTF-8 text file without terminators."""
    if not path.is_file():
        raise DataMissingError(dataset, hub_id, path, "file not found")
    try:
        with open(path, encoding="utf-8") as handle:
            return [line[:-1] if line.endswith("\n") else line for line in handle]
    except UnicodeDecodeError as err:
        line_no = path.read_bytes()[: err.start].count(b"\n") + 1
        raise DataFormatError(f"{path}: line {line_no} is not valid UTF-8 ({err.reason})") from None
