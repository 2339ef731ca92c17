"""Tatoeba bitext (LASER v1 release): local files first, else the Hub copy MTEB uses.

Local layout (``<data root>/tatoeba/``): ``tatoeba.<xxx>-eng.<xxx>`` and
``tatoeba.<xxx>-eng.eng`` (facebookresearch/LASER ``data/tatoeba/v1``), UTF-8, one sentence
per line, line i of one the translation of line i of the other (:func:`load_tatoeba_pair`
reads and validates them; lines keep everything but their terminator). Hub:
``mteb/tatoeba-bitext-mining``, config ``<xxx>-eng``, split ``test``: ``sentence1`` is the
foreign line, ``sentence2`` the English one, in the LASER files' order.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.catalog import TATOEBA
from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import load_hub_split, local_folder
from xfer_tasks.data.text_files import read_lines
from xfer_tasks.metadata import check_metadata


def tatoeba_files(folder: str | Path, code: str) -> tuple[Path, Path]:
    """The foreign and English file of pair ``<code>-eng`` in ``folder``."""
    folder = Path(folder)
    return folder / f"tatoeba.{code}-eng.{code}", folder / f"tatoeba.{code}-eng.eng"


def load_tatoeba_pair(folder: str | Path, code: str) -> tuple[list[str], list[str]]:
    """``(xx_lines, en_lines)`` of one LASER Tatoeba pair (``code``: three-letter, e.g. deu)."""
    xx_path, en_path = tatoeba_files(folder, code)
    name = f"tatoeba {code}-eng"
    xx = read_lines(xx_path, name, TATOEBA.hub_id)
    en = read_lines(en_path, name, TATOEBA.hub_id)
    for path, lines in ((xx_path, xx), (en_path, en)):
        if not lines:
            raise DataFormatError(f"{path}: empty file (expected one sentence per line)")
    if len(xx) != len(en):
        raise DataFormatError(
            f"{xx_path}: {len(xx)} lines but {en_path.name} has {len(en)}; "
            "Tatoeba sides must be aligned line by line"
        )
    return xx, en


def load_task_data(
    code: str, metadata: Mapping[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """``(foreign lines, English lines)`` of pair ``<code>-eng``."""
    check_metadata(metadata)  # a typo in an xfer key is an error, not ignored
    folder, exists = local_folder(TATOEBA.local_subdir, metadata)
    if exists:
        return load_tatoeba_pair(folder, code)
    rows = load_hub_split(f"tatoeba {code}-eng", TATOEBA.hub_id, f"{code}-eng", "test", folder)
    for n, row in enumerate(rows):
        if not isinstance(row.get("sentence1"), str) or not isinstance(row.get("sentence2"), str):
            raise DataFormatError(
                f"{TATOEBA.hub_id} {code}-eng test row {n}: expected string fields "
                "sentence1 (foreign) and sentence2 (English)"
            )
    return [r["sentence1"] for r in rows], [r["sentence2"] for r in rows]
