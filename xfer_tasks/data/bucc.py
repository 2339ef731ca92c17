"""BUCC 2018 bitext mining data: the official ``sample`` and ``training`` files, local only.

The LASER/XTREME protocol tunes the margin threshold on the ``sample`` gold and reports F1 on
``training`` (XTREME's dev and test), with sentence ids in the gold files. The Hub copy
(``mteb/bucc-bitext-mining``) has neither the two splits nor the ids, so it is never used as
a silent substitute: without ``<data root>/bucc2018/`` the task stops with
:class:`~xfer_tasks.data.DataMissingError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xfer_tasks.catalog import BUCC
from xfer_tasks.data import DataMissingError
from xfer_tasks.data._source import local_folder
from xfer_tasks.metadata import check_metadata

SPLITS = ("sample", "training")
BuccSplitFiles = tuple[list[str], list[str], list[str], list[str], set[tuple[str, str]]]


def load_task_data(
    lang: str, metadata: Mapping[str, Any] | None = None
) -> dict[str, BuccSplitFiles]:
    """``{split: (src_ids, src_texts, trg_ids, trg_texts, gold pairs)}`` for ``<lang>-en``."""
    check_metadata(metadata)  # a typo in an xfer key is an error, not ignored
    from xfer_tasks.retrieval.loaders import load_bucc_split

    folder, exists = local_folder(BUCC.local_subdir, metadata)
    if not exists:
        raise DataMissingError(
            f"bucc2018 {lang}-en",
            BUCC.hub_id,
            folder,
            "the LASER/XTREME protocol needs the official sample and training files with "
            "sentence ids; the Hub copy has neither, so it is not used",
        )
    return {split: load_bucc_split(folder, lang, split) for split in SPLITS}
