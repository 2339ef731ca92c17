"""The OpenAI MMMLU family: MMLU's test set professionally translated into 14 languages
(``openai/MMMLU``); its declaration and loader. YAMLs: ``task_yamls/mmmlu/``.

Languages are locales (``ar_xy``, ``zh_cn``, ...): the Hub config is the upper-case locale
(``AR_XY``) and the release file is ``test/mmlu_AR-XY.csv``. There is only a ``test``
split (14042 questions per locale) and no dev split: as in lm-eval's ``openai-mmmlu``
tasks, few-shot examples are the first k test questions of the same subject, the evaluated
question left out. The prompt is lm-eval's ``mmmlu_<locale>_<subject>``: MMLU's header with
the language, ``... about <subject> (<language>).`` (:func:`description`).

Some openai/MMMLU configs carry file names in the ``Subject`` column (e.g.
``college_mathematics_test.csv_sw-KE.csv``); :func:`normalize_subject` maps them to the
subject, exactly as lm-eval's ``openai-mmmlu/default/utils.py`` does.

Local layout in ``<data root>/mmmlu/``: the openai CSVs as released, ``test/mmlu_<LL-CC>.csv``
or flat ``mmlu_<LL-CC>.csv`` (``mmlu_<LL_CC>.csv`` is accepted too), with a header row
``,Question,A,B,C,D,Answer,Subject`` (the first, unnamed column is a row index).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import first_existing, missing_local_file
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.mmlu_common import (
    HEADER,
    SUBJECT_SHOTS_KEY,
    language_split,
    make_record,
    task_splits,
)
from xfer_tasks.data.text_files import open_text

FAMILY = EvalFamily(
    name="xfer_mmmlu",
    languages=tuple(
        "ar_xy bn_bd de_de es_la fr_fr hi_in id_id it_it ja_jp ko_kr pt_br sw_ke yo_ng zh_cn".split()
    ),
    hub_id="openai/MMMLU",
    local_subdir="mmmlu",
    metrics=("acc",),
    source="MMLU (Hendrycks et al. 2021) loglikelihood accuracy over A-D; human-translated test set",
    metadata_keys=(SUBJECT_SHOTS_KEY,),
    local_layout="openai test/mmlu_<LL-CC>.csv",
    citation="OpenAI 2024, MMMLU (openai/MMMLU)",
    yaml_folder="mmmlu",
)

DATASET = "MMMLU"
COLUMNS = ("Question", "A", "B", "C", "D", "Answer", "Subject")
# lm-eval 0.4.13 lm_eval/tasks/openai-mmmlu/languages.json: locale -> display_name
LANGUAGE_NAMES = {
    "ar_xy": "Arabic", "bn_bd": "Bengali", "de_de": "German", "es_la": "Spanish",
    "fr_fr": "French", "hi_in": "Hindi", "id_id": "Indonesian", "it_it": "Italian",
    "ja_jp": "Japanese", "ko_kr": "Korean", "pt_br": "Brazilian Portuguese", "sw_ke": "Swahili",
    "yo_ng": "Yoruba", "zh_cn": "Simplified Chinese",
}  # fmt: skip


def normalize_subject(name: str) -> str:
    """The subject id of a ``Subject`` cell: cut at ``_test.csv`` or ``_test-`` (lm-eval's
    ``_normalize_subject_name`` in ``openai-mmmlu/default/utils.py``)."""
    for marker in ("_test.csv", "_test-"):
        index = name.find(marker)
        if index != -1:
            return name[:index]
    return name


def description(locale: str):
    """lm-eval's ``description_for(subject, display_name)`` (``openai-mmmlu/_generate_configs.py``)."""
    suffix = f" ({LANGUAGE_NAMES[locale]})"

    def describe(record) -> str:
        return HEADER.format(subject_name=record["subject_name"] + suffix)

    return describe


def hub_config(locale: str) -> str:
    """``ar_xy`` -> ``AR_XY``."""
    return locale.upper()


def local_candidates(folder: Path, locale: str) -> list[Path]:
    dashed, underscored = locale.upper().replace("_", "-"), locale.upper()
    return [
        folder / "test" / f"mmlu_{dashed}.csv",
        folder / f"mmlu_{dashed}.csv",
        folder / f"mmlu_{underscored}.csv",
    ]


def _record(row: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A row of the openai CSV (or the Hub config, same columns) as a shared record."""
    return make_record(
        row["Question"],
        [row["A"], row["B"], row["C"], row["D"]],
        row["Answer"],
        normalize_subject(row["Subject"]),
        where,
    )


def read_openai_csv(path: Path) -> list[dict[str, Any]]:
    """One ``mmlu_<LL-CC>.csv`` of the openai release."""
    with open_text(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(f"{path}: header lacks column(s) {', '.join(missing)}")
        return [_record(row, f"{path}:{line_no}") for line_no, row in enumerate(reader, start=2)]


def _read_local(folder: Path, locale: str) -> list[dict[str, Any]]:
    candidates = local_candidates(folder, locale)
    path = first_existing(candidates)
    if path is None:
        raise missing_local_file(DATASET, FAMILY.hub_id, candidates)
    return read_openai_csv(path)


def load_split(locale: str, metadata: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The test split of one locale as shared MMLU records."""
    return language_split(
        FAMILY, DATASET, locale, metadata,
        read_local=lambda folder: _read_local(folder, locale),
        hub_config=hub_config(locale), hub_split="test", hub_record=_record,
        hub_where=f"{FAMILY.hub_id} {hub_config(locale)} test", language_word="locale",
    )  # fmt: skip


def load_task_data(locale: str, metadata: Mapping[str, Any] | None = None):
    """``DatasetDict(eval=<test>, fewshot=<test>)``: no dev split, so the few-shot pool is the
    test split itself, as in lm-eval's ``openai-mmmlu`` (the task class leaves the evaluated
    question out of its own prompt)."""
    rows = load_split(locale, metadata)
    return task_splits(
        rows, rows, metadata, DATASET,
        evaluated_split="test", dev_split="test", description=description(locale),
    )  # fmt: skip
