"""Tatoeba bitext (LASER v1 release): local files first, else the Hub copy MTEB uses.

Local layout (``<data root>/tatoeba/``): ``tatoeba.<xxx>-eng.<xxx>`` and
``tatoeba.<xxx>-eng.eng``, line i of one the translation of line i of the other (read and
validated by :mod:`xfer_tasks.retrieval.loaders`). Hub: ``mteb/tatoeba-bitext-mining``,
config ``<xxx>-eng``, split ``test``: ``sentence1`` is the foreign line, ``sentence2`` the
English one, in the LASER files' order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xfer_tasks.catalog import TATOEBA
from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import load_hub_split, local_folder
from xfer_tasks.metadata import check_metadata


def load_task_data(
    code: str, metadata: Mapping[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """``(foreign lines, English lines)`` of pair ``<code>-eng``."""
    check_metadata(metadata)  # a typo in an xfer key is an error, not ignored
    from xfer_tasks.retrieval.loaders import load_tatoeba_pair

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
