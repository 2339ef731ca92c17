"""What every MMLU-family loader shares: one record schema and the MMLU prompt.

Record: ``{"question": str, "choices": [A, B, C, D], "answer": 0-3, "subject": snake_case
English subject, "subject_name": subject with spaces, "prompt_prefix": str}`` (Global-MMLU
adds ``cultural_sensitivity_label``).

The prompt is Hendrycks et al.'s (hendrycks/test ``evaluate.py``: ``gen_prompt`` and
``format_example``), with lm-eval's ``question.strip()``::

    The following are multiple choice questions (with answers) about <subject name>.

    <question>
    A. <choice>
    B. <choice>
    C. <choice>
    D. <choice>
    Answer:

scored by log-likelihood of `` A`` … `` D``. ``prompt_prefix`` is the header line (the
task YAMLs use it as lm-eval's per-document ``description``); with the metadata key
``mmlu_subject_shots: k`` it also holds the first ``k`` dev questions of the same subject
with their answers, which is the original MMLU few-shot protocol.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from xfer_tasks.data import DataFormatError

log = logging.getLogger(__name__)

LETTERS = ("A", "B", "C", "D")
SUBJECT_SHOTS_KEY = "mmlu_subject_shots"
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


def format_example(record: Mapping[str, Any]) -> str:
    """A solved example as it appears in a few-shot prompt."""
    return f"{format_question(record)} {LETTERS[record['answer']]}\n\n"


def subject_shots(metadata: Mapping[str, Any] | None) -> int:
    """The ``mmlu_subject_shots`` metadata value (0 when unset)."""
    value = (metadata or {}).get(SUBJECT_SHOTS_KEY, 0) or 0
    try:
        shots = int(value)
    except (TypeError, ValueError):
        shots = -1
    if shots < 0:
        from xfer_tasks.metadata import MetadataError

        raise MetadataError(f"metadata {SUBJECT_SHOTS_KEY}={value!r} must be a whole number >= 0")
    return shots


def add_prompt_prefix(
    records: list[dict[str, Any]], dev: list[dict[str, Any]], shots: int, dataset: str
) -> list[dict[str, Any]]:
    """Set each record's ``prompt_prefix``: header, then ``shots`` same-subject dev examples."""
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for example in dev:
        by_subject[example["subject"]].append(example)
    short = set()
    for record in records:
        examples = by_subject.get(record["subject"], [])[:shots]
        if len(examples) < shots:
            short.add(record["subject"])
        record["prompt_prefix"] = HEADER.format(subject_name=record["subject_name"]) + "".join(
            format_example(example) for example in examples
        )
    if short:
        log.warning(
            "%s: fewer than %d dev examples for %d subject(s) (%s); those prompts use all there are",
            dataset,
            shots,
            len(short),
            ", ".join(sorted(short)[:5]),
        )
    return records


def task_splits(
    evaluated: list[dict[str, Any]],
    dev: list[dict[str, Any]],
    metadata: Mapping[str, Any] | None,
    dataset: str,
):
    """``DatasetDict(eval=..., fewshot=<dev>)`` with each record's ``prompt_prefix`` set."""
    from xfer_tasks.data._source import to_dataset_dict

    shots = subject_shots(metadata)
    if shots and not dev:
        raise ValueError(
            f"{dataset}: metadata {SUBJECT_SHOTS_KEY}={shots} needs a dev split, and none is available"
        )
    dev = [dict(example) for example in dev]  # may be the evaluated split itself
    add_prompt_prefix(evaluated, dev, shots, dataset)
    add_prompt_prefix(dev, [], 0, dataset)
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
):
    """The evaluated split chosen with ``metadata[split_key]`` plus the dev split as the
    few-shot pool (the evaluated split itself when that is dev; empty when there is none),
    as :func:`task_splits` returns them."""
    from xfer_tasks.data._source import choose_option, optional_split

    split = choose_option(metadata, split_key, splits, default_split, dataset)
    evaluated = load_split(split)
    dev = (
        evaluated
        if split == "dev"
        else optional_split(lambda: load_split("dev"), dataset, dev_label)
    )
    return task_splits(evaluated, dev, metadata, dataset)
