"""The Global-MMLU family (Singh et al. 2024, ``CohereForAI/Global-MMLU``): 42 languages,
CS/CA labels; its declaration and loader. YAMLs: ``task_yamls/global_mmlu/``.

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

from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import missing_local_file
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.mmlu_common import SUBJECT_SHOTS_KEY, DevSplitLoader, make_record

SPLIT_KEY = "global_mmlu_split"
FAMILY = EvalFamily(
    name="xfer_global_mmlu",
    languages=tuple(
        """am ar bn cs de el en es fa fil fr ha he hi id ig it ja ko ky lt mg ms ne nl ny pl pt ro ru
        si sn so sr sv sw te tr uk vi yo zh""".split()
    ),
    hub_id="CohereForAI/Global-MMLU",
    local_subdir="global_mmlu",
    metrics=("acc", "acc_cs", "acc_ca"),
    source="Global-MMLU (Singh et al. 2024): accuracy overall, culturally-sensitive (CS) and -agnostic (CA)",
    metadata_keys=(SPLIT_KEY, SUBJECT_SHOTS_KEY),
    local_layout="Hub parquet <lang>/{test,dev}-00000-of-00001.parquet",
    citation="Singh et al. 2024, Global MMLU",
    yaml_folder="global_mmlu",
)

DATASET = "Global-MMLU"
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


def _read_local(folder: Path, lang: str, split: str) -> list[dict[str, Any]]:
    files = local_files(folder, lang, split)
    if not files:
        raise missing_local_file(DATASET, FAMILY.hub_id, [folder / lang / f"{split}-*.parquet"])
    records = []
    for path in files:
        records += read_parquet(path)
    return records


_LOADER = DevSplitLoader(
    FAMILY, DATASET, SPLIT_KEY, SPLITS, DEFAULT_SPLIT,
    read_local=_read_local, hub_record=_record,
)  # fmt: skip
# ``load_split(lang, split, metadata)``: one split of one language as shared MMLU records;
# ``load_task_data(lang, metadata)``: DatasetDict(eval=<chosen split>, fewshot=<dev>).
load_split = _LOADER.load_split
load_task_data = _LOADER.load_task_data
