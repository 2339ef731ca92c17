"""Turn raw records into typed examples and (prompt, answer) pairs.

Two steps, both driven by the task YAML:

1. ``map_record``: the ``fields`` mapping picks the values a task type needs out of a raw
   record (see task_spec.py for the path syntax) and ``label_map`` turns the raw label into a
   class name (classification), a choice index (multiple choice) or leaves it alone.
2. ``render``: the ``template`` format strings produce the prompt and the answer. Besides the
   mapped fields they may use:

   - classification: ``label_text`` (the verbalizer's word for the gold class);
   - multiple_choice: ``choices_block`` (``"A. first\\nB. second..."``), ``answer_letter``,
     ``answer_choice`` (the gold choice's text);
   - span: ``answer_text`` (the first gold answer; ``"unanswerable"`` for SQuAD 2.0
     questions without one);
   - tagging: ``sentence`` (tokens joined by spaces), ``tags_text`` (tags joined by spaces).

The causal-LM loss is taken on the answer only (sft.py), so the answer carries the target and
the prompt everything the model conditions on.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass
from typing import Any

from xfer_tasks.data import DataFormatError

from .task_spec import SourceSpec, TaskSpec

UNANSWERABLE = "unanswerable"
_STAR = re.compile(r"^(.*?)\[\*\](?:\.(.*))?$")
_INDEX = re.compile(r"^(.*?)\[(\d+)\]$")


@dataclass(frozen=True)
class Example:
    """One training example: the task, its typed fields and the rendered pair."""

    task: str
    type: str
    fields: dict[str, Any]
    prompt: str
    answer: str


class _Missing(KeyError):
    pass


def resolve_path(record: Any, path: str) -> Any:
    """``a.b``, ``a[2]``, ``a[*].b`` lookups into nested dicts/lists."""
    star = _STAR.match(path)
    if star:
        items = resolve_path(record, star.group(1)) if star.group(1) else record
        if not isinstance(items, list):
            raise _Missing(f"{star.group(1)} is not a list")
        rest = star.group(2)
        return [resolve_path(item, rest) if rest else item for item in items]
    value = record
    for part in path.split("."):
        index = _INDEX.match(part)
        key, pos = (index.group(1), int(index.group(2))) if index else (part, None)
        if key:
            if not isinstance(value, dict) or key not in value:
                raise _Missing(key)
            value = value[key]
        if pos is not None:
            if not isinstance(value, list) or pos >= len(value):
                raise _Missing(f"{key}[{pos}]")
            value = value[pos]
    return value


def _resolve(record: dict[str, Any], spec: Any) -> Any:
    if isinstance(spec, list):
        return [_resolve(record, s) for s in spec]
    spec = str(spec)
    if "{" in spec:
        return string.Formatter().vformat(spec, (), _FormatView(record))
    return resolve_path(record, spec)


class _FormatView(dict):
    """Format-string access to a record; missing keys raise ``_Missing``."""

    def __init__(self, record: dict[str, Any]):
        super().__init__(record)

    def __missing__(self, key: str) -> Any:
        raise _Missing(key)


def _label_index(value: Any, n: int, where: str) -> int:
    try:
        index = int(str(value).strip())
    except ValueError as err:
        raise DataFormatError(f"{where}: field 'label': expected a choice index, got {value!r}") from err
    if not 0 <= index < n:
        raise DataFormatError(f"{where}: field 'label': index {index} outside 0..{n - 1}")
    return index


class DroppedRecord(Exception):
    """The record's raw label is listed in ``drop_labels`` (e.g. SNLI's ``-``)."""


def map_record(
    task: TaskSpec, source: SourceSpec, record: dict[str, Any], where: str
) -> dict[str, Any]:
    """The typed fields of one raw record; raises DroppedRecord for a ``drop_labels`` label."""
    fields: dict[str, Any] = {}
    for name, spec in source.fields.items():
        try:
            fields[name] = _resolve(record, spec)
        except _Missing as err:
            raise DataFormatError(
                f"{where}: field {name!r} (mapped from {spec!r}): key {err.args[0]!r} missing in record"
            ) from err
    if "label" in fields:
        raw = fields["label"]
        if str(raw) in source.drop_labels:
            raise DroppedRecord(str(raw))
        label = raw
        if source.label_map is not None:
            if str(raw) not in source.label_map:
                raise DataFormatError(
                    f"{where}: field 'label': value {raw!r} not in label_map {sorted(source.label_map)}"
                    " (add it to drop_labels to skip such records)"
                )
            label = source.label_map[str(raw)]
        if task.type == "classification":
            if isinstance(label, int) and not isinstance(label, bool) and label < len(task.labels):
                label = task.labels[label]
            if str(label) not in task.labels:
                raise DataFormatError(
                    f"{where}: field 'label': {label!r} is not one of the classes {list(task.labels)}"
                )
            label = str(label)
        elif task.type == "multiple_choice":
            label = _label_index(label, len(fields["choices"]), where)
        fields["label"] = label
    if task.type == "span":
        fields["answers"] = [str(a) for a in _listify(fields["answers"])]
        starts = fields.get("answer_starts")
        fields["answer_starts"] = [int(s) for s in _listify(starts)] if starts is not None else []
    if task.type == "tagging":
        fields["tokens"] = [str(t) for t in fields["tokens"]]
        fields["tags"] = [str(t) for t in fields["tags"]]
        if len(fields["tokens"]) != len(fields["tags"]):
            raise DataFormatError(f"{where}: fields 'tokens'/'tags': lengths differ")
    return fields


def _listify(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _clean_hellaswag(text: str) -> str:
    """lm-evaluation-harness's HellaSwag ``preprocess``: drop WikiHow markup like ``[header]``."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


PREPROCESSORS = {"hellaswag": _clean_hellaswag}


def preprocess(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Apply a named text clean-up to every string (and list of strings) except the label."""
    clean = PREPROCESSORS[name]
    out = {}
    for key, value in fields.items():
        if key == "label":
            out[key] = value
        elif isinstance(value, str):
            out[key] = clean(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = [clean(v) for v in value]
        else:
            out[key] = value
    return out


def template_values(task: TaskSpec, fields: dict[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    if task.type == "classification":
        values["label_text"] = task.verbalizer[fields["label"]]
    elif task.type == "multiple_choice":
        letters = string.ascii_uppercase
        values["choices_block"] = "\n".join(
            f"{letters[i]}. {choice}" for i, choice in enumerate(fields["choices"])
        )
        values["answer_letter"] = letters[fields["label"]]
        values["answer_choice"] = fields["choices"][fields["label"]]
    elif task.type == "span":
        values["answer_text"] = fields["answers"][0] if fields["answers"] else UNANSWERABLE
    elif task.type == "tagging":
        values["sentence"] = " ".join(fields["tokens"])
        values["tags_text"] = " ".join(fields["tags"])
    return values


def render(task: TaskSpec, fields: dict[str, Any], where: str) -> tuple[str, str]:
    """(prompt, answer) from the task's template."""
    values = template_values(task, fields)
    try:
        prompt = task.template["prompt"].format(**values)
        answer = task.template["answer"].format(**values)
    except (KeyError, IndexError) as err:
        raise DataFormatError(
            f"{task.source_file}: field 'template': unknown placeholder {err} (have {sorted(values)})"
        ) from err
    if not answer.strip():
        raise DataFormatError(f"{where}: the rendered answer is empty")
    return prompt, answer


def build_examples(
    task: TaskSpec, source: SourceSpec, records: list[dict[str, Any]], origin: str
) -> tuple[list[Example], Counter]:
    """Examples of one task, plus counts of dropped records by raw label."""
    examples: list[Example] = []
    dropped: Counter = Counter()
    for i, record in enumerate(records):
        if task.filter and not _keep(task.filter, record):
            dropped["filtered"] += 1
            continue
        where = f"{task.name} record {i} ({origin.split(',')[0]})"
        try:
            fields = map_record(task, source, record, where)
        except DroppedRecord as drop:
            dropped[drop.args[0]] += 1
            continue
        if task.preprocess:
            fields = preprocess(task.preprocess, fields)
        prompt, answer = render(task, fields, where)
        examples.append(Example(task.name, task.type, fields, prompt, answer))
    return examples, dropped


def _keep(rule: dict[str, str], record: dict[str, Any]) -> bool:
    try:
        value = str(resolve_path(record, rule["field"]))
    except _Missing:
        return False
    if "equals" in rule:
        return value == rule["equals"]
    return value.startswith(rule["startswith"])
