"""The Okapi m_mmlu family (Lai et al. 2023): MMLU MACHINE-TRANSLATED by ChatGPT into 31
languages; its declaration and loader. YAMLs: ``task_yamls/m_mmlu/``.

Splits: ``test`` (default; what Okapi reports), ``validation`` (alias ``val``) and
``dev`` (the few-shot pool), chosen with the metadata key ``m_mmlu_split``. The Hub
mirror ``alexandrainst/m_mmlu`` names them ``test``, ``val`` and ``train``.

Local layout in ``<data root>/m_mmlu/``: the Okapi JSON files ``<lang>_{dev,val,test}.json``,
each a list of ``{"instruction", "option_a".."option_d", "answer": "A"-"D",
"id": "<subject>/<split>/<index>"}``; the subject is the first part of ``id``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import missing_local_file
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.mmlu_common import SUBJECT_SHOTS_KEY, DevSplitLoader, make_record
from xfer_tasks.data.text_files import read_text

SPLIT_KEY = "m_mmlu_split"
FAMILY = EvalFamily(
    name="xfer_m_mmlu",
    languages=tuple(
        """ar bn ca da de es eu fr gu hi hr hu hy id is it kn ml mr nb ne nl pt ro ru sk sr sv ta te
        uk vi zh""".split()
    ),
    hub_id="alexandrainst/m_mmlu",
    local_subdir="m_mmlu",
    metrics=("acc",),
    source="Okapi m_mmlu (Lai et al. 2023): MACHINE-TRANSLATED MMLU, loglikelihood accuracy over A-D",
    metadata_keys=(SPLIT_KEY, SUBJECT_SHOTS_KEY),
    local_layout="Okapi <lang>_{dev,val,test}.json",
    citation="Lai et al. 2023, Okapi",
    yaml_folder="m_mmlu",
    machine_translated=True,
)

DATASET = "m_mmlu (Okapi, machine-translated)"
SPLITS = {"test": "test", "validation": "validation", "val": "validation", "dev": "dev"}
DEFAULT_SPLIT = "test"
_FILE_SPLIT = {"test": "test", "validation": "val", "dev": "dev"}
_HUB_SPLIT = {"test": "test", "validation": "val", "dev": "train"}
FIELDS = ("instruction", "option_a", "option_b", "option_c", "option_d", "answer", "id")


def _record(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise DataFormatError(f"{where}: expected an object, found {type(item).__name__}")
    missing = [name for name in FIELDS if name not in item]
    if missing:
        raise DataFormatError(f"{where}: lacks field(s) {', '.join(missing)}")
    subject = str(item["id"]).split("/", 1)[0]
    return make_record(
        item["instruction"],
        [item["option_a"], item["option_b"], item["option_c"], item["option_d"]],
        item["answer"],
        subject,
        f"{where} (id {item['id']})",
    )


def read_okapi_json(path: Path) -> list[dict[str, Any]]:
    """One ``<lang>_<split>.json`` of the Okapi release."""
    try:
        items = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(items, list):
        raise DataFormatError(f"{path}: expected a JSON list of questions")
    return [_record(item, f"{path} item {i}") for i, item in enumerate(items)]


def _read_local(folder: Path, lang: str, split: str) -> list[dict[str, Any]]:
    path = folder / f"{lang}_{_FILE_SPLIT[split]}.json"
    if not path.is_file():
        hint = f"Okapi's test files are large; set metadata {SPLIT_KEY}: validation to use <lang>_val.json"
        raise missing_local_file(DATASET, FAMILY.hub_id, [path], hint if split == "test" else "")
    return read_okapi_json(path)


_LOADER = DevSplitLoader(
    FAMILY, DATASET, SPLIT_KEY, SPLITS, DEFAULT_SPLIT,
    read_local=_read_local, hub_record=_record, hub_splits=_HUB_SPLIT,
)  # fmt: skip
# ``load_split(lang, split, metadata)``: one split of one language as shared MMLU records;
# ``load_task_data(lang, metadata)``: DatasetDict(eval=<chosen split>, fewshot=<dev>).
load_split = _LOADER.load_split
load_task_data = _LOADER.load_task_data
