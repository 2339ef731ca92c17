"""Write small files in the official release schemas of MMMLU and Global-MMLU.

Neither dataset is available offline here, so tests (and anyone trying the tasks without
the real data) build a few rows in exactly the layout the loaders read:

- openai/MMMLU: ``<folder>/test/mmlu_<LL-CC>.csv``, header ``,Question,A,B,C,D,Answer,Subject``
  (pandas ``to_csv`` output: the first column is the unnamed row index);
- CohereForAI/Global-MMLU: ``<folder>/<lang>/<split>-00000-of-00001.parquet`` with the
  Hub's 17 columns (``sample_id`` .. ``is_annotated``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MMMLU_COLUMNS = ("Question", "A", "B", "C", "D", "Answer", "Subject")
GLOBAL_MMLU_COLUMNS = (
    "sample_id", "subject", "subject_category", "question", "option_a", "option_b",
    "option_c", "option_d", "answer", "required_knowledge", "time_sensitive", "reference",
    "culture", "region", "country", "cultural_sensitivity_label", "is_annotated",
)  # fmt: skip


def write_mmmlu_csv(folder: Path, locale: str, rows: Iterable[Mapping[str, Any]]) -> Path:
    """``rows`` of ``Question, A, B, C, D, Answer, Subject`` as ``test/mmlu_<LL-CC>.csv``."""
    path = Path(folder) / "test" / f"mmlu_{locale.upper().replace('_', '-')}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", *MMMLU_COLUMNS])
        for index, row in enumerate(rows):
            writer.writerow([index, *(row[key] for key in MMMLU_COLUMNS)])
    return path


def write_global_mmlu_parquet(
    folder: Path, lang: str, split: str, rows: Iterable[Mapping[str, Any]]
) -> Path:
    """``rows`` (question, option_a..d, answer, subject, cultural_sensitivity_label) as parquet.

    Columns a row does not give are filled like the release fills them: empty strings, the
    label ``-`` and ``is_annotated`` true exactly when the label is CS or CA.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table_rows = []
    for index, row in enumerate(rows):
        full: dict[str, Any] = {name: "" for name in GLOBAL_MMLU_COLUMNS}
        full["sample_id"] = f"{row.get('subject', '')}/{split}/{index}"
        full["cultural_sensitivity_label"] = "-"
        full.update(row)
        full["is_annotated"] = bool(
            row.get("is_annotated", full["cultural_sensitivity_label"] in ("CS", "CA"))
        )
        table_rows.append(full)
    path = Path(folder) / lang / f"{split}-00000-of-00001.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema(
        [
            (name, pa.bool_() if name == "is_annotated" else pa.string())
            for name in GLOBAL_MMLU_COLUMNS
        ]
    )
    pq.write_table(pa.Table.from_pylist(table_rows, schema=schema), path)
    return path
