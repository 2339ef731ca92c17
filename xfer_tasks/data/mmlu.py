"""The English MMLU family (Hendrycks et al. 2021): its declaration and loader (the hendrycks
CSV release or ``cais/mmlu``). YAMLs: ``task_yamls/mmlu/``.

Splits: ``test`` (default, 14042 questions), ``validation`` (alias ``val``, 1531) or
``dev`` (285, five per subject: the few-shot pool), chosen with the metadata key
``mmlu_split``. Local layout in ``<data root>/mmlu/``: the released ``data.tar``
unpacked, ``{dev,val,test}/<subject>_<split>.csv``, no header, six columns
``question, A, B, C, D, answer letter``. All 57 subjects make one task; files are read in
sorted subject order, rows in file order. A local split missing a subject's file is an error
(the score would silently be over fewer subjects); an explicit subset is the metadata key
``mmlu_subjects`` (a list, or a comma-separated string, of subject names), recorded with the
task's config in the results, so such a score is never mistaken for full MMLU.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError, DataMissingError, MetadataError
from xfer_tasks.data._source import (
    load_hub_split,
    local_folder,
    missing_local_file,
)
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.mmlu_common import (
    SUBJECT_SHOTS_KEY,
    make_record,
    mmlu_header,
    task_data_with_dev,
)
from xfer_tasks.data.text_files import open_text

SPLIT_KEY = "mmlu_split"
SUBJECTS_KEY = "mmlu_subjects"  # an explicit subset of subjects
FAMILY = EvalFamily(
    name="xfer_mmlu",
    languages=("en",),
    hub_id="cais/mmlu",
    local_subdir="mmlu",
    metrics=("acc",),
    source="MMLU (Hendrycks et al. 2021) from the hendrycks CSV release or cais/mmlu",
    metadata_keys=(SPLIT_KEY, SUBJECTS_KEY, SUBJECT_SHOTS_KEY),
    local_layout="hendrycks {dev,val,test}/<subject>_<split>.csv",
    citation="Hendrycks et al. 2021, Measuring Massive Multitask Language Understanding",
    yaml_folder="mmlu",
)

DATASET = "MMLU"
HUB_CONFIG = "all"
SPLITS = {"test": "test", "validation": "validation", "val": "validation", "dev": "dev"}
DEFAULT_SPLIT = "test"
_FILE_SPLIT = {"test": "test", "validation": "val", "dev": "dev"}
# The 57 subjects of the release (hendrycks/test categories.py; lm-eval's
# tasks/mmlu/_generate_configs.py SUBJECTS): a local split must have a file for every one,
# or the score would silently be over fewer subjects.
SUBJECTS = tuple(
    """abstract_algebra anatomy astronomy business_ethics clinical_knowledge college_biology
    college_chemistry college_computer_science college_mathematics college_medicine college_physics
    computer_security conceptual_physics econometrics electrical_engineering elementary_mathematics
    formal_logic global_facts high_school_biology high_school_chemistry high_school_computer_science
    high_school_european_history high_school_geography high_school_government_and_politics
    high_school_macroeconomics high_school_mathematics high_school_microeconomics high_school_physics
    high_school_psychology high_school_statistics high_school_us_history high_school_world_history
    human_aging human_sexuality international_law jurisprudence logical_fallacies machine_learning
    management marketing medical_genetics miscellaneous moral_disputes moral_scenarios nutrition
    philosophy prehistory professional_accounting professional_law professional_medicine
    professional_psychology public_relations security_studies sociology us_foreign_policy virology
    world_religions""".split()
)


def read_hendrycks_csv(path: Path, subject: str) -> list[dict[str, Any]]:
    """One ``<subject>_<split>.csv`` of the hendrycks release."""
    records = []
    with open_text(path, newline="") as handle:
        for line_no, fields in enumerate(csv.reader(handle), start=1):
            where = f"{path}:{line_no}"
            if len(fields) != 6:
                raise DataFormatError(
                    f"{where}: expected 6 columns (question, A, B, C, D, answer), found {len(fields)}"
                )
            records.append(make_record(fields[0], fields[1:5], fields[5], subject, where))
    return records


def chosen_subjects(metadata: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The subjects to score: all 57, or the explicit ``mmlu_subjects`` subset (validated)."""
    raw = (metadata or {}).get(SUBJECTS_KEY)
    if raw is None:
        return SUBJECTS
    names = [n.strip() for n in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(names, list | tuple) or not names or not all(
        isinstance(n, str) and n for n in names
    ):
        raise MetadataError(
            f"{SUBJECTS_KEY}: expected a non-empty list of MMLU subject names, got {raw!r}"
        )
    unknown = [n for n in names if n not in SUBJECTS]
    if unknown:
        raise MetadataError(
            f"{SUBJECTS_KEY}: unknown subject {unknown[0]!r}; expected names such as "
            f"{', '.join(SUBJECTS[:3])} (the 57 of hendrycks/test)"
        )
    return tuple(sorted(set(names)))


def read_local_split(
    folder: Path, split: str, subjects: tuple[str, ...] = SUBJECTS
) -> list[dict[str, Any]]:
    file_split = _FILE_SPLIT[split]
    split_dir = folder / file_split
    suffix = f"_{file_split}.csv"
    files = sorted(split_dir.glob(f"*{suffix}")) if split_dir.is_dir() else []
    if not files:
        raise missing_local_file(DATASET, FAMILY.hub_id, [split_dir / f"<subject>{suffix}"])
    present = {path.name[: -len(suffix)] for path in files}
    missing = [subject for subject in subjects if subject not in present]
    if missing:
        shown = ", ".join(str(split_dir / f"{subject}{suffix}") for subject in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise DataMissingError(
            DATASET, FAMILY.hub_id, split_dir,
            f"the local folder is set and takes precedence, but {len(missing)} of the "
            f"{len(subjects)} subject files {'is' if len(missing) == 1 else 'are'} missing: "
            f"{shown}{more}",
        )  # fmt: skip
    records = []
    for path in files:
        if path.name[: -len(suffix)] in subjects:
            records += read_hendrycks_csv(path, path.name[: -len(suffix)])
    return records


def load_split(split: str, metadata: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One split, all subjects (or the ``mmlu_subjects`` subset), as shared MMLU records."""
    subjects = chosen_subjects(metadata)
    folder, has_local = local_folder(FAMILY.local_subdir, metadata)
    if has_local:
        return read_local_split(folder, split, subjects)
    rows = load_hub_split(DATASET, FAMILY.hub_id, HUB_CONFIG, split, folder, FAMILY.hub_revision)
    return [
        make_record(
            row["question"],
            row["choices"],
            row["answer"],
            row["subject"],
            f"{FAMILY.hub_id} {split} row {i}",
        )
        for i, row in enumerate(rows)
        if row["subject"] in subjects
    ]


def load_task_data(lang: str = "en", metadata: Mapping[str, Any] | None = None):
    """``DatasetDict(eval=<chosen split>, fewshot=<dev>)`` for the lm-eval task."""
    if lang != "en":
        raise ValueError(f"{DATASET}: only 'en' (this is English MMLU), got {lang!r}")
    return task_data_with_dev(
        lambda split: load_split(split, metadata),
        metadata, SPLIT_KEY, SPLITS, DEFAULT_SPLIT, DATASET, "dev split", mmlu_header,
    )  # fmt: skip
