"""Reading the text release files (TSV, CSV, JSON, line files): UTF-8, a byte-order mark read
as such.

Every reader of user data opens its file here, so that two things hold everywhere:

- a leading UTF-8 byte-order mark (Excel and Notepad write one) is read as a mark
  (``utf-8-sig``), not as a U+FEFF at the start of the first premise, header or sentence;
- a byte that is not UTF-8 is :class:`~xfer_tasks.data.DataFormatError` naming the file and
  the line it is on. (The position a :class:`UnicodeDecodeError` carries is relative to the
  chunk the text layer was decoding, not to the file, so it cannot give the line: the file is
  scanned again, line by line, once a decoding error is known.)

:func:`read_lines` returns the lines of the line-based files (Tatoeba, BUCC 2018) without
their terminator and nothing else stripped (MTEB keeps the raw lines, XTREME strips them; a
tokenizer sees the same text). Universal newlines, as the reference scripts read them. A
missing file is :class:`~xfer_tasks.data.DataMissingError`.
"""

from __future__ import annotations

import bz2
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from xfer_tasks.data import DataFormatError, DataMissingError

# Compressed releases (HellaSwag's .txt.bz2, gzipped dumps) are read through their decompressor.
_BINARY_OPENERS: dict[str, Callable[[Path], BinaryIO]] = {
    ".bz2": lambda path: bz2.open(path, "rb"),
    ".gz": lambda path: gzip.open(path, "rb"),
}


def _open_binary(path: Path) -> BinaryIO:
    opener = _BINARY_OPENERS.get(path.suffix)
    return opener(path) if opener else open(path, "rb")


def first_bad_utf8_line(path: Path) -> tuple[int, str]:
    """(1-based line number, reason) of the first line of ``path`` (decompressed when it ends
    in .bz2 or .gz) that is not UTF-8.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``, as the readers' universal newlines count
    them; these bytes never occur inside a UTF-8 multi-byte sequence, so the split cannot cut a
    character in two. ``(0, "")`` when every line decodes.
    """
    with _open_binary(path) as handle:
        data = handle.read()
    for line_no, raw in enumerate(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as err:
            return (
                line_no,
                f"byte 0x{raw[err.start]:02x} at byte {err.start + 1} of the line: {err.reason}",
            )
    return 0, ""


def _not_utf8(path: Path, err: UnicodeDecodeError) -> DataFormatError:
    line_no, reason = first_bad_utf8_line(path)
    if not line_no:  # not reached for a file that did not change meanwhile
        return DataFormatError(f"{path}: not valid UTF-8 ({err.reason})")
    return DataFormatError(f"{path}: line {line_no} is not valid UTF-8 ({reason})")


@contextmanager
def open_text(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """``open(path, encoding="utf-8-sig", newline=newline)`` (through bz2/gzip for .bz2/.gz);
    a decoding error raised while the caller reads (a csv reader, a line loop) becomes one
    :class:`DataFormatError` naming the file and the line of the bad byte."""
    try:
        with io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", newline=newline) as handle:
            yield handle
    except UnicodeDecodeError as err:
        raise _not_utf8(path, err) from None
    except (EOFError, OSError, zlib.error) as err:
        if path.suffix not in _BINARY_OPENERS or getattr(err, "errno", None) is not None:
            raise  # not a compressed file, or a real OS error (missing, permission): as is
        # a truncated or mislabelled .bz2/.gz: name the file, not the decompressor's internals
        raise DataFormatError(f"{path}: cannot be decompressed as {path.suffix} ({err})") from None


def read_text(path: Path) -> str:
    """The whole file as text (byte-order mark dropped), e.g. for ``json.loads``."""
    with open_text(path) as handle:
        return handle.read()


def read_lines(path: Path, dataset: str, hub_id: str) -> list[str]:
    """All lines of a UTF-8 text file without terminators."""
    if not path.is_file():
        raise DataMissingError(dataset, hub_id, path, "file not found")
    with open_text(path) as handle:
        return [line[:-1] if line.endswith("\n") else line for line in handle]
