"""Global-MMLU (Singh et al. 2024, ``CohereForAI/Global-MMLU``): 42 languages, CS/CA labels.

Every language has a ``test`` split (14042 questions) and a ``dev`` split (285, the
few-shot pool); the metadata key ``global_mmlu_split`` picks the evaluated one (default
``test``). Records add ``cultural_sensitivity_label`` to the shared MMLU schema: ``CS``
(culturally sensitive) or ``CA`` (culturally agnostic) for the annotated questions, any
other value (the release uses ``-``) for questions outside the annotated subset.

Local layout in ``<data root>/global_mmlu/``: the parquet files as on the Hub,
``<lang>/<split>-00000-of-00001.parquet`` (any ``<lang>/<split>-*.parquet`` or
``<lang>/<split>.parquet``), columns including ``question``, ``option_a`` ..
``option_d``, ``answer`` (A-D), ``subject`` and ``cultural_sensitivity_label``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.catalog import GLOBAL_MMLU
from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import (
    load_hub_split,
    local_folder,
    missing_local_file,
)
from xfer_tasks.data.mmlu_common import make_record, no_header, task_data_with_dev
from xfer_tasks.metadata import check_metadata

DATASET = "Global-MMLU"
SPLIT_KEY = "global_mmlu_split"
SPLITS = {"test": "test", "dev": "dev"}
DEFAULT_SPLIT = "test"
COLUMNS = ("question", "option_a", "option_b", "option_c", "option_d", "answer", "subject")
LABEL_COLUMN = "cultural_sensitivity_label"


def _record(row: Mapping[str, Any], where: str) -> dict[str, Any]:
    record = make_record(
        row["question"],
        [row["option_a"], row["option_b"], row["option_c"], row["option_d"]],
        row["answer"],
        row["subject"],
        where,
    )
    label = row.get(LABEL_COLUMN)
    record[LABEL_COLUMN] = "" if label is None else str(label).strip()
    return record


def read_parquet(path: Path) -> list[dict[str, Any]]:
    """One Global-MMLU parquet file as shared records."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataFormatError(f"{path}: not a readable parquet file ({exc})") from exc
    missing = [name for name in (*COLUMNS, LABEL_COLUMN) if name not in table.column_names]
    if missing:
        raise DataFormatError(f"{path}: lacks column(s) {', '.join(missing)}")
    return [_record(row, f"{path} row {i}") for i, row in enumerate(table.to_pylist())]


def local_files(folder: Path, lang: str, split: str) -> list[Path]:
    lang_dir = folder / lang
    if not lang_dir.is_dir():
        return []
    return sorted(lang_dir.glob(f"{split}-*.parquet")) or sorted(lang_dir.glob(f"{split}.parquet"))


def load_split(
    lang: str, split: str, metadata: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One split of one language as shared MMLU records with the CS/CA label."""
    if lang not in GLOBAL_MMLU.languages:
        raise ValueError(
            f"{DATASET}: unknown language {lang!r}; expected one of {GLOBAL_MMLU.languages}"
        )
    folder, has_local = local_folder(GLOBAL_MMLU.local_subdir, metadata)
    if has_local:
        files = local_files(folder, lang, split)
        if not files:
            raise missing_local_file(
                DATASET, GLOBAL_MMLU.hub_id, [folder / lang / f"{split}-*.parquet"]
            )
        records = []
        for path in files:
            records += read_parquet(path)
        return records
    rows = load_hub_split(DATASET, GLOBAL_MMLU.hub_id, lang, split, folder)
    return [
        _record(row, f"{GLOBAL_MMLU.hub_id} {lang}/{split} row {i}") for i, row in enumerate(rows)
    ]


def load_task_data(lang: str, metadata: Mapping[str, Any] | None = None):
    """``DatasetDict(eval=<chosen split>, fewshot=<dev>)`` for the lm-eval task."""
    check_metadata(metadata)  # a typo in an xfer key is an error, not ignored
    return task_data_with_dev(
        lambda split: load_split(lang, split, metadata),
        metadata, SPLIT_KEY, SPLITS, DEFAULT_SPLIT, DATASET, f"{lang} dev split", no_header,
    )  # fmt: skip
