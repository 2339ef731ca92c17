"""The TyDiQA-GoldP family (Clark et al. 2020): its declaration and loader (local SQuAD-format
JSON or the Hub). YAMLs: ``task_yamls/tydiqa/``.

Records (the Hub's ``secondary_task`` schema): ``{"id", "title", "context", "question",
"answers": {"text": [...], "answer_start": [...]}}``; every question has at least one
gold answer (the metric is a max over them).

Splits: ``validation`` (default, alias ``dev``; the GoldP dev set XTREME reports) or
``train``, chosen with the metadata key ``tydiqa_split``. The Hub dataset
``google-research-datasets/tydiqa`` (config ``secondary_task``) mixes languages; a
question's language is the prefix of its id (``"finnish-…"``). Local layouts accepted in
``<data root>/tydiqa_goldp/`` (first match wins):

- ``<language>_tydiqa_<dev|train>.json`` per language (full names: ``arabic``, ``bengali``,
  ``english``, ``finnish``, ``indonesian``, ``korean``, ``russian``, ``swahili``, ``telugu``);
- XTREME's ``tydiqa.goldp.<lang>.dev.json`` (also under ``tydiqa-goldp-v1.1-dev/``);
- the official single file ``tydiqa-goldp-v1.1-<dev|train>.json``, filtered by id prefix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
from xfer_tasks.data.squad_format import iter_squad_questions
from xfer_tasks.data.text_files import read_text

SPLIT_KEY = "tydiqa_split"
FAMILY = EvalFamily(
    name="xfer_tydiqa",
    languages=tuple("ar bn en fi id ko ru sw te".split()),
    hub_id="google-research-datasets/tydiqa",
    local_subdir="tydiqa_goldp",
    metrics=("f1", "exact_match", "f1_mlqa", "exact_match_mlqa"),
    metadata_keys=(SPLIT_KEY,),
    local_layout="GoldP SQuAD JSON <language>_tydiqa_dev.json (or XTREME / official files)",
    citation="Clark et al. 2020, TyDi QA (TACL)",
    yaml_folder="tydiqa",
    source=(
        "official TyDiQA-GoldP / SQuAD v1.1 evaluate script: normalised token F1 and EM, max over "
        "gold answers (XTREME); *_mlqa: lm-eval tydiqa_goldp MLQA normalisation"
    ),
)

DATASET = "TyDiQA-GoldP"
HUB_CONFIG = "secondary_task"
LANGUAGE_NAMES = {
    "ar": "arabic", "bn": "bengali", "en": "english", "fi": "finnish", "id": "indonesian",
    "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu",
}  # fmt: skip
SPLITS = {"validation": "validation", "dev": "validation", "train": "train"}
DEFAULT_SPLIT = "validation"
_FILE_SPLIT = {"validation": "dev", "train": "train"}


def _language_prefix(lang: str) -> str:
    return f"{LANGUAGE_NAMES[lang]}-"


def read_squad_json(path: Path, id_prefix: str | None = None) -> list[dict[str, Any]]:
    """Questions of a SQuAD v1.1-format file (``data[].paragraphs[].qas[]``)."""
    try:
        payload = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}: not valid JSON ({exc})") from exc
    records = []
    for question in iter_squad_questions(payload, path):
        qa = question.qa
        qid = qa.get("id")
        if id_prefix is not None and not str(qid).startswith(id_prefix):
            continue
        if not qid:
            raise DataFormatError(f"{question.where}: a question lacks 'id'")
        answers = qa.get("answers") or []
        texts = [ans.get("text", "") for ans in answers]
        if not texts or not any(text.strip() for text in texts):
            raise DataFormatError(
                f"{path}: question {qid} has no gold answer text (XTREME's downloaded "
                "dev files blank them; use the official GoldP JSON)"
            )
        records.append(
            {
                "id": str(qid),
                "title": question.title,
                "context": question.context,
                "question": qa["question"],
                "answers": {
                    "text": texts,
                    "answer_start": [int(ans.get("answer_start", -1)) for ans in answers],
                },
            }
        )
    return records


def local_candidates(folder: Path, lang: str, split: str) -> list[tuple[Path, str | None]]:
    """``(path, id prefix filter)`` in the order they are tried."""
    name, file_split = LANGUAGE_NAMES[lang], _FILE_SPLIT[split]
    candidates: list[tuple[Path, str | None]] = [
        (folder / f"{name}_tydiqa_{file_split}.json", None)
    ]
    if split == "validation":
        candidates += [
            (folder / f"tydiqa.goldp.{lang}.dev.json", None),
            (folder / "tydiqa-goldp-v1.1-dev" / f"tydiqa.goldp.{lang}.dev.json", None),
        ]
    candidates.append((folder / f"tydiqa-goldp-v1.1-{file_split}.json", _language_prefix(lang)))
    return candidates


def load_split(
    lang: str, split: str, metadata: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One split of one language as a list of records."""
    if lang not in LANGUAGE_NAMES:
        raise ValueError(
            f"{DATASET}: unknown language {lang!r}; expected one of {FAMILY.languages}"
        )
    folder, has_local = local_folder(FAMILY.local_subdir, metadata)
    if has_local:
        candidates = local_candidates(folder, lang, split)
        path = first_existing([path for path, _ in candidates])
        if path is None:
            raise missing_local_file(DATASET, FAMILY.hub_id, [path for path, _ in candidates])
        prefix = dict(candidates)[path]
        records = read_squad_json(path, prefix)
        if not records:
            raise DataFormatError(f"{path}: no question with id prefix {prefix!r}")
        return records
    prefix = _language_prefix(lang)
    rows = load_hub_split(DATASET, FAMILY.hub_id, HUB_CONFIG, split, folder, FAMILY.hub_revision)
    records = [row for row in rows if str(row["id"]).startswith(prefix)]
    for row in records:
        if not any(text.strip() for text in row["answers"]["text"]):
            raise DataFormatError(
                f"{FAMILY.hub_id} {split}: question {row['id']} has no gold answer text"
            )
    if not records:
        raise DataFormatError(f"{FAMILY.hub_id} {split}: no question with id prefix {prefix!r}")
    return [
        {key: row[key] for key in ("id", "title", "context", "question", "answers")}
        for row in records
    ]


def load_task_data(lang: str, metadata: Mapping[str, Any] | None = None):
    """``DatasetDict(eval=<chosen split>, fewshot=<train split, or empty>)`` for lm-eval.

    Every record also carries ``lang`` (the two-letter code), which the MLQA-normalised
    scores need (:func:`xfer_tasks.metrics.mlqa.mlqa_scores`)."""
    split = choose_option(metadata, SPLIT_KEY, SPLITS, DEFAULT_SPLIT, DATASET)
    evaluated = load_split(lang, split, metadata)
    if split == "train":
        pool = evaluated
    else:
        pool = optional_split(
            lambda: load_split(lang, "train", metadata), DATASET, f"{lang} few-shot pool (train)"
        )
    evaluated = [dict(record, lang=lang) for record in evaluated]
    pool = [dict(record, lang=lang) for record in pool]
    return to_dataset_dict(
        {"eval": evaluated, "fewshot": pool}, features_from="eval", dataset=DATASET
    )
