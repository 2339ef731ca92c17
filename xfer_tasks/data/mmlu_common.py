"""What every MMLU-family loader shares: one record schema, the MMLU prompt, and the way a
split is loaded (:func:`language_split`: language checked, local folder first, else the Hub)
and turned into lm-eval's ``eval``/``fewshot`` splits (:func:`task_data_with_dev`); a family
with a dev split declares only what differs (:class:`DevSplitLoader`).

Record: ``{"question": str, "choices": [A, B, C, D], "answer": 0-3, "subject": snake_case
English subject, "subject_name": subject with spaces, "prompt_prefix": str, "xfer_split":
the split the record comes from}`` (Global-MMLU adds ``cultural_sensitivity_label``).

The question block is Hendrycks et al.'s (hendrycks/test ``evaluate.py``:
``format_example``) as lm-eval writes it (``{{question.strip()}}\nA. ...\nAnswer:``)::

    <question>
    A. <choice>
    B. <choice>
    C. <choice>
    D. <choice>
    Answer:

scored by log-likelihood of `` A`` … `` D``. ``prompt_prefix`` is lm-eval's per-document
``description`` of the family's built-in task: ``HEADER`` for English MMLU (lm-eval's
``mmlu``), ``HEADER`` plus the language for MMMLU (lm-eval's ``openai-mmmlu``), empty for
Global-MMLU and Okapi m_mmlu (lm-eval's ``global_mmlu_full_*`` and ``m_mmlu_*`` have none).
Few-shot examples are chosen by the task class (``xfer_tasks.harness.choice_tasks``) with
lm-eval's ``first_n`` rule; ``mmlu_subject_shots: k`` sets that k as the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError, MetadataError
from xfer_tasks.data._source import (
    choose_option,
    load_hub_split,
    local_folder,
    optional_split,
    to_dataset_dict,
)
from xfer_tasks.data.family import EvalFamily

LETTERS = ("A", "B", "C", "D")
SUBJECT_SHOTS_KEY = "mmlu_subject_shots"
SPLIT_FIELD = "xfer_split"
HEADER = "The following are multiple choice questions (with answers) about {subject_name}.\n\n"


def answer_index(value: Any, where: str) -> int:
    """``"A"``-``"D"`` (or an int 0-3) as an index."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 4:
        return value
    letter = str(value).strip().upper()
    if letter not in LETTERS:
        raise DataFormatError(f"{where}: answer {value!r} is not one of A, B, C, D")
    return LETTERS.index(letter)


def make_record(
    question: str, choices: Sequence[str], answer: Any, subject: str, where: str
) -> dict[str, Any]:
    """A validated record in the shared schema."""
    if len(choices) != 4:
        raise DataFormatError(f"{where}: expected 4 choices, found {len(choices)}")
    if not isinstance(question, str) or not question.strip():
        raise DataFormatError(f"{where}: empty question")
    subject = str(subject).strip()
    if not subject:
        raise DataFormatError(f"{where}: empty subject")
    return {
        "question": question,
        "choices": ["" if c is None else str(c) for c in choices],
        "answer": answer_index(answer, where),
        "subject": subject,
        "subject_name": subject.replace("_", " "),
    }


def format_question(record: Mapping[str, Any]) -> str:
    """The question block without its answer, ending in ``Answer:``."""
    lines = [record["question"].strip()]
    lines += [
        f"{letter}. {choice}" for letter, choice in zip(LETTERS, record["choices"], strict=True)
    ]
    return "\n".join(lines) + "\nAnswer:"


def subject_shots(metadata: Mapping[str, Any] | None) -> int:
    """The ``mmlu_subject_shots`` metadata value (0 when unset)."""
    value = (metadata or {}).get(SUBJECT_SHOTS_KEY, 0) or 0
    try:
        shots = int(value)
    except (TypeError, ValueError):
        shots = -1
    if shots < 0:
        raise MetadataError(f"metadata {SUBJECT_SHOTS_KEY}={value!r} must be a whole number >= 0")
    return shots


def mmlu_header(record: Mapping[str, Any]) -> str:
    """lm-eval ``mmlu``'s description: ``HEADER`` with the subject's name."""
    return HEADER.format(subject_name=record["subject_name"])


def no_header(record: Mapping[str, Any]) -> str:
    """No description (lm-eval's ``global_mmlu_full_*`` and okapi ``m_mmlu_*``)."""
    return ""


def task_splits(
    evaluated: list[dict[str, Any]],
    dev: list[dict[str, Any]],
    metadata: Mapping[str, Any] | None,
    dataset: str,
    *,
    evaluated_split: str,
    dev_split: str,
    description: Callable[[Mapping[str, Any]], str],
):
    """``DatasetDict(eval=..., fewshot=<dev>)``, each record's ``prompt_prefix`` set by
    ``description`` and its ``xfer_split`` to the split it comes from (the task class leaves
    the evaluated question out of its own prompt when both are the same split)."""
    shots = subject_shots(metadata)
    if shots and not dev:
        raise ValueError(
            f"{dataset}: metadata {SUBJECT_SHOTS_KEY}={shots} needs a few-shot split, and none is available"
        )
    dev = [dict(example) for example in dev]  # may be the evaluated split itself
    for records, split in ((evaluated, evaluated_split), (dev, dev_split)):
        for record in records:
            record["prompt_prefix"] = description(record)
            record[SPLIT_FIELD] = split
    return to_dataset_dict(
        {"eval": evaluated, "fewshot": dev}, features_from="eval", dataset=dataset
    )


def task_data_with_dev(
    load_split: Callable[[str], list[dict[str, Any]]],
    metadata: Mapping[str, Any] | None,
    split_key: str,
    splits: Mapping[str, str],
    default_split: str,
    dataset: str,
    dev_label: str,
    description: Callable[[Mapping[str, Any]], str],
):
    """The evaluated split chosen with ``metadata[split_key]`` plus the dev split as the
    few-shot pool (the evaluated split itself when that is dev; empty when there is none),
    as :func:`task_splits` returns them."""
    split = choose_option(metadata, split_key, splits, default_split, dataset)
    evaluated = load_split(split)
    dev = (
        evaluated
        if split == "dev"
        else optional_split(lambda: load_split("dev"), dataset, dev_label)
    )
    return task_splits(
        evaluated, dev, metadata, dataset,
        evaluated_split=split, dev_split="dev", description=description,
    )  # fmt: skip


def language_split(
    family: EvalFamily,
    dataset: str,
    lang: str,
    metadata: Mapping[str, Any] | None,
    *,
    read_local: Callable[[Path], list[dict[str, Any]]],
    hub_config: str | None,
    hub_split: str,
    hub_record: Callable[[Mapping[str, Any], str], dict[str, Any]],
    hub_where: str,
    language_word: str = "language",
) -> list[dict[str, Any]]:
    """One split of one language of a multilingual MMLU family as shared records.

    ``lang`` must be one of ``family.languages``. When a data root holds the family's
    subfolder, that folder is the only source: ``read_local(folder)``. Otherwise the Hub
    rows of ``hub_config``/``hub_split`` at the family's pinned revision, each turned into a
    record by ``hub_record(row, "<hub_where> row <i>")``."""
    if lang not in family.languages:
        raise ValueError(
            f"{dataset}: unknown {language_word} {lang!r}; expected one of {family.languages}"
        )
    folder, has_local = local_folder(family.local_subdir, metadata)
    if has_local:
        return read_local(folder)
    rows = load_hub_split(dataset, family.hub_id, hub_config, hub_split, folder, family.hub_revision)
    return [hub_record(row, f"{hub_where} row {i}") for i, row in enumerate(rows)]


@dataclass(frozen=True)
class DevSplitLoader:
    """The loader of a multilingual MMLU family with a dev split (Global-MMLU, Okapi m_mmlu):
    what differs between them is declared here, the loading is written once.

    ``read_local(folder, lang, split)`` reads the family's release files; ``hub_record(row,
    where)`` turns a Hub row into a record; ``hub_splits`` maps a split to the Hub's name for
    it (default: the same name)."""

    family: EvalFamily
    dataset: str
    split_key: str
    splits: Mapping[str, str]
    default_split: str
    read_local: Callable[[Path, str, str], list[dict[str, Any]]]
    hub_record: Callable[[Mapping[str, Any], str], dict[str, Any]]
    hub_splits: Mapping[str, str] = field(default_factory=dict)

    def load_split(
        self, lang: str, split: str, metadata: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """One split of one language as shared MMLU records."""
        hub_split = self.hub_splits.get(split, split)
        return language_split(
            self.family, self.dataset, lang, metadata,
            read_local=lambda folder: self.read_local(folder, lang, split),
            hub_config=lang, hub_split=hub_split, hub_record=self.hub_record,
            hub_where=f"{self.family.hub_id} {lang}/{hub_split}",
        )  # fmt: skip

    def load_task_data(self, lang: str, metadata: Mapping[str, Any] | None = None):
        """``DatasetDict(eval=<chosen split>, fewshot=<dev>)`` for the lm-eval task."""
        return task_data_with_dev(
            lambda split: self.load_split(lang, split, metadata),
            metadata, self.split_key, self.splits, self.default_split, self.dataset,
            f"{lang} dev split", no_header,
        )  # fmt: skip
