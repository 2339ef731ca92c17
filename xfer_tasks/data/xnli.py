"""The XNLI family (Conneau et al. 2018): its declaration, prompt words and loader (a local
release folder or ``facebook/xnli``). YAMLs: ``task_yamls/xnli/``.

Records: ``{"premise": str, "hypothesis": str, "label": int}`` with the Hub's label order
0 = entailment, 1 = neutral, 2 = contradiction.

Splits: ``test`` (default; what XTREME reports) or ``validation`` (alias ``dev``), chosen
with the metadata key ``xnli_split``. The few-shot pool is the ``train`` split (XNLI-MT:
MNLI's training set machine-translated), as in lm-eval's ``xnli_<lang>``; without it the
task is zero-shot only. Local layouts accepted in ``<data root>/xnli/`` (first match wins):

- train: XNLI-MT-1.0's ``multinli.train.<lang>.tsv`` (also under ``XNLI-MT-1.0/multinli/``):
  a header row ``premise  hypo  label``, tab-separated, unquoted (read as the Hub's
  ``facebook/xnli`` script reads it; ``contradictory`` means contradiction);

- the XNLI-1.0 release ``xnli.{dev,test}.tsv`` (also under ``XNLI-1.0/``): a header row,
  tab-separated, unquoted; columns ``language``, ``gold_label``, ``sentence1``,
  ``sentence2`` (others ignored); rows are filtered by ``language``;
- XTREME's ``{dev,test}-<lang>.tsv`` (``utils_preprocess.py``): no header,
  ``premise<TAB>hypothesis<TAB>label``, csv-quoted. XTREME removes the labels from its
  test files, so those are refused with a clear error (use ``xnli_split: validation`` or
  the XNLI-1.0 test file).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import (
    choose_option,
    first_existing,
    load_hub_split,
    local_folder,
    missing_local_file,
    optional_split,
    to_dataset_dict,
)
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.text_files import open_text

SPLIT_KEY = "xnli_split"
FAMILY = EvalFamily(
    name="xfer_xnli",
    languages=tuple("ar bg de el en es fr hi ru sw th tr ur vi zh".split()),
    hub_id="facebook/xnli",
    local_subdir="xnli",
    metrics=("acc",),
    source="XTREME (Hu et al. 2020): accuracy over the three NLI labels, test split",
    metadata_keys=(SPLIT_KEY,),
    local_layout="XTREME dev-<lang>.tsv or XNLI-1.0 xnli.{dev,test}.tsv; XNLI-MT multinli.train.<lang>.tsv",
    citation="Conneau et al. 2018, XNLI: Evaluating Cross-lingual Sentence Representations",
    yaml_folder="xnli",
    language_config=lambda lang: {"doc_to_choice": xnli_doc_to_choice(lang)},
)

# lm-eval 0.4.13 ``lm_eval/tasks/xnli/utils.py`` (LANGUAGES; XGLM's prompt, Lin et al. 2022):
# lang -> (question word, entailment, neutral, contradiction label words).
XNLI_PROMPT_WORDS = {
    "ar": ("صحيح", "نعم", "لذا", "رقم"),
    "bg": ("правилно", "да", "така", "не"),
    "de": ("richtig", "Ja", "Auch", "Nein"),
    "el": ("σωστός", "Ναί", "Έτσι", "όχι"),
    "en": ("right", "Yes", "Also", "No"),
    "es": ("correcto", "Sí", "Asi que", "No"),
    "fr": ("correct", "Oui", "Aussi", "Non"),
    "hi": ("सही", "हाँ", "इसलिए", "नहीं"),
    "ru": ("правильно", "Да", "Так", "Нет"),
    "sw": ("sahihi", "Ndiyo", "Hivyo", "Hapana"),
    "th": ("ถูกต้อง", "ใช่", "ดังนั้น", "ไม่"),
    "tr": ("doğru", "Evet", "Böylece", "Hayır"),
    "ur": ("صحیح", "جی ہاں", "اس لئے", "نہیں"),
    "vi": ("đúng", "Vâng", "Vì vậy", "Không"),
    "zh": ("正确", "是的", "所以", "不是的"),
}


def xnli_doc_to_choice(lang: str) -> str:
    """lm-eval's ``xnli_<lang>`` ``doc_to_choice``, character for character: the three
    candidates "<premise>, <question word>? <label word>, <hypothesis>" (empty context)."""
    question, *labels = XNLI_PROMPT_WORDS[lang]
    options = ",".join(f'premise+", {question}? {label}, "+hypothesis' for label in labels)
    return "{{[" + options + "]}}"


DATASET = "XNLI"
LABELS = ("entailment", "neutral", "contradiction")
_LABEL_IDS = {name: i for i, name in enumerate(LABELS)} | {"contradictory": 2}
SPLITS = {"test": "test", "validation": "validation", "dev": "validation", "val": "validation"}
DEFAULT_SPLIT = "test"
_RELEASE_NAME = {"validation": "dev", "test": "test"}


def _label_id(value: str, where: str) -> int:
    label = _LABEL_IDS.get(value.strip().lower())
    if label is None:
        raise DataFormatError(
            f"{where}: label {value!r} is not one of entailment, neutral, contradiction"
        )
    return label


def read_xtreme_tsv(path: Path) -> list[dict[str, Any]]:
    """XTREME's ``{dev,test}-<lang>.tsv``: premise, hypothesis, label; no header; csv-quoted."""
    is_test = path.name.startswith("test-")
    rows = []
    with open_text(path, newline="") as handle:
        for line_no, fields in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            where = f"{path}:{line_no}"
            last_is_label = bool(fields) and fields[-1].strip().lower() in _LABEL_IDS
            if is_test and not last_is_label and (
                len(fields) == 2 or (len(fields) == 3 and not fields[2].strip())
            ):
                raise DataFormatError(
                    f"{where}: no label column (XTREME strips the labels of its test "
                    f"files); use metadata {SPLIT_KEY}: validation or the XNLI-1.0 xnli.test.tsv"
                )
            if len(fields) == 2 and last_is_label:
                raise DataFormatError(
                    f"{where}: expected 3 tab-separated fields (premise, hypothesis, label), "
                    "found 2: a sentence is missing before the label"
                )
            if len(fields) != 3:
                raise DataFormatError(
                    f"{where}: expected 3 tab-separated fields "
                    f"(premise, hypothesis, label), found {len(fields)}"
                )
            premise, hypothesis, label = fields
            rows.append(
                {
                    "premise": premise,
                    "hypothesis": hypothesis,
                    "label": _label_id(label, where),
                }
            )
    if not rows:
        raise DataFormatError(f"{path}: no rows (empty file); expected premise, hypothesis, label lines")
    return rows


def _header_rows(path: Path, needed: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of an unquoted tab-separated file whose header has ``needed``."""
    with open_text(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [name for name in needed if name not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(f"{path}: header lacks column(s) {', '.join(missing)}")
        yield from enumerate(reader, start=2)


def read_release_tsv(path: Path, lang: str) -> list[dict[str, Any]]:
    """The XNLI-1.0 ``xnli.{dev,test}.tsv`` (header row, unquoted), rows of one language."""
    rows = [
        {
            "premise": row["sentence1"],
            "hypothesis": row["sentence2"],
            "label": _label_id(row["gold_label"] or "", f"{path}:{line_no}"),
        }
        for line_no, row in _header_rows(path, ("language", "gold_label", "sentence1", "sentence2"))
        if row["language"] == lang
    ]
    if not rows:
        raise DataFormatError(f"{path}: no rows with language {lang!r}")
    return rows


def read_mt_train_tsv(path: Path) -> list[dict[str, Any]]:
    """XNLI-MT-1.0's ``multinli.train.<lang>.tsv``: header ``premise hypo label``, unquoted."""
    return [
        {
            "premise": row["premise"],
            "hypothesis": row["hypo"],
            "label": _label_id(row["label"] or "", f"{path}:{line_no}"),
        }
        for line_no, row in _header_rows(path, ("premise", "hypo", "label"))
    ]


def local_candidates(folder: Path, lang: str, split: str) -> list[Path]:
    if split == "train":
        name = f"multinli.train.{lang}.tsv"
        return [folder / name, folder / "XNLI-MT-1.0" / "multinli" / name]
    name = _RELEASE_NAME[split]
    return [
        folder / f"xnli.{name}.tsv",
        folder / "XNLI-1.0" / f"xnli.{name}.tsv",
        folder / f"{name}-{lang}.tsv",
    ]


def load_split(
    lang: str, split: str, metadata: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One split of one language as a list of records."""
    if lang not in FAMILY.languages:
        raise ValueError(f"{DATASET}: unknown language {lang!r}; expected one of {FAMILY.languages}")
    folder, has_local = local_folder(FAMILY.local_subdir, metadata)
    if has_local:
        candidates = local_candidates(folder, lang, split)
        path = first_existing(candidates)
        if path is None:
            hint = (
                f"set metadata {SPLIT_KEY}: validation to use dev files" if split == "test" else ""
            )
            raise missing_local_file(DATASET, FAMILY.hub_id, candidates, hint)
        if split == "train":
            return read_mt_train_tsv(path)
        return (
            read_release_tsv(path, lang) if path.name.startswith("xnli.") else read_xtreme_tsv(path)
        )
    rows = load_hub_split(DATASET, FAMILY.hub_id, lang, split, folder, FAMILY.hub_revision)
    for index, row in enumerate(rows):
        if row.get("label") not in (0, 1, 2):
            raise DataFormatError(
                f"{FAMILY.hub_id} {lang}/{split} row {index}: label {row.get('label')!r} not in 0-2"
            )
    return [
        {"premise": r["premise"], "hypothesis": r["hypothesis"], "label": r["label"]} for r in rows
    ]


def load_task_data(lang: str, metadata: Mapping[str, Any] | None = None):
    """``DatasetDict(eval=<chosen split>, fewshot=<train split>)`` for the lm-eval task.

    The few-shot pool is the training split, as in lm-eval's ``xnli_<lang>`` (empty, logged,
    when it is not available: the task is then zero-shot only).
    """
    split = choose_option(metadata, SPLIT_KEY, SPLITS, DEFAULT_SPLIT, DATASET)
    evaluated = load_split(lang, split, metadata)
    pool = optional_split(
        lambda: load_split(lang, "train", metadata), DATASET, f"{lang} few-shot pool (train)"
    )
    return to_dataset_dict(
        {"eval": evaluated, "fewshot": pool}, features_from="eval", dataset=DATASET
    )
