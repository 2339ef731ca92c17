"""Intermediate tasks declared as data: one YAML file per task in ``train/tasks/``.

A task says what kind of problem it is (``type``), where its data lives (a Hugging Face Hub
``hub`` block and a ``local`` block in the official release layout), how a raw record maps
onto the fields its type needs (``fields``), and how an example becomes a (prompt, answer)
pair for a causal LM (``template``, ``verbalizer``). Adding a tenth task is writing one more
YAML file; nothing in the code names the nine tasks of Phang et al. (2020).

Schema (every key is checked; errors name the file and the field)::

    name: mnli                       # unique; what configs and manifests call the task
    type: classification             # classification | multiple_choice | span | tagging
    description: ...                 # free text, copied to the model card
    components: [snli, mnli, anli]   # optional: a union of other tasks (then no hub/local)
    hub: {path: nyu-mll/glue, name: mnli, split: {train: train, validation: validation_matched},
          fields: {...}, label_map: {...}}     # or hub: null when there is no Hub copy
    local:
      subdir: mnli                   # under the data root ($XFER_DATA_DIR)
      layout: MultiNLI 1.0 jsonl     # optional: the release layout's name (manifests, errors)
      format: jsonl                  # jsonl | json | csv | tsv | squad_json | hellaswag_text | ccg_auto | conll
      files: {train: [multinli_1.0/multinli_1.0_train.jsonl], validation: [...]}   # globs allowed
      label_files: {train: [...]}    # optional, one label per line, aligned with the records
      fields: {...}                  # optional, overrides the task-level fields for this source
      label_map: {...}
      alternatives:                  # optional: other public release layouts of the same data
        - layout: GLUE MNLI tsv
          files: {train: [MNLI/train.tsv], validation: [MNLI/dev_matched.tsv]}
          format: tsv                # each key given replaces the primary layout's; the rest is inherited
    fields: {premise: sentence1, hypothesis: sentence2, label: gold_label}
    label_map: {"0": entailment, ...}   # raw label value -> class name (classification) or index
    drop_labels: ["-", "-1"]          # raw label values whose records are dropped (and counted)
    filter: {field: id, startswith: english}   # optional: keep only matching raw records
    preprocess: hellaswag             # optional named text clean-up (formatting.PREPROCESSORS)
    labels: [entailment, neutral, contradiction]   # classification / tagging class names
    inputs: [premise, hypothesis]     # classification: the one or two text fields (encoders)
    verbalizer: {entailment: "yes", ...}           # classification: class -> answer word
    template: {prompt: "...{premise}...", answer: " {label_text}"}

Local layouts: the primary ``local`` block, then each of ``local.alternatives`` in order. For
a split, the first layout that declares files for it and whose files are all present is read
(``sources.py``); ``files`` and ``label_files`` of an alternative replace the primary's as a
whole (an alternative that only has a dev release declares only ``validation``). A release
that only publishes dev data is therefore read only by a config that asks for
``split: validation`` explicitly: training on it is never silent.

A field mapping value is a dotted path into the raw record (``question.stem``), a path with
``[*]`` to collect from a list (``question.choices[*].text``), a list of paths (collected into
a list), or a Python format string over the raw record (``"{activity_label}: {ctx}"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
TASK_TYPES = ("classification", "multiple_choice", "span", "tagging")
LOCAL_FORMATS = (
    "jsonl",
    "json",
    "csv",
    "tsv",
    "squad_json",
    "hellaswag_text",
    "ccg_auto",
    "conll",
)
# The fields each task type needs after mapping (see formatting.py for what they mean).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "classification": ("label",),
    "multiple_choice": ("choices", "label"),
    "span": ("context", "question", "answers"),
    "tagging": ("tokens", "tags"),
}
_TOP_KEYS = {
    "name", "type", "description", "citation", "components", "hub", "local", "fields",
    "label_map", "drop_labels", "labels", "inputs", "verbalizer", "template", "filter",
    "preprocess",
}  # fmt: skip
_HUB_KEYS = {"path", "name", "split", "revision", "fields", "label_map", "drop_labels"}
_LOCAL_KEYS = {
    "subdir", "format", "files", "label_files", "fields", "label_map", "drop_labels",
    "delimiter", "quoting", "layout", "alternatives",
}  # fmt: skip


class TaskSpecError(ValueError):
    """A task declaration is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class SourceSpec:
    """How to read one source (Hub or local) of a task, with its own field mapping."""

    kind: str  # "hub" | "local"
    fields: dict[str, Any]
    label_map: dict[str, Any] | None
    drop_labels: tuple[str, ...]
    # hub
    path: str | None = None
    name: str | None = None
    split: dict[str, Any] = field(default_factory=dict)  # split -> hub split name(s)
    revision: str | None = None
    # local
    subdir: str | None = None
    format: str | None = None
    files: dict[str, list[str]] = field(default_factory=dict)
    label_files: dict[str, list[str]] = field(default_factory=dict)
    delimiter: str | None = None
    quoting: str | None = None
    layout: str | None = None  # the release layout's name (local sources)
    alternatives: tuple[SourceSpec, ...] = ()  # other local layouts, tried in order

    @property
    def layouts(self) -> tuple[SourceSpec, ...]:
        """This local layout, then its alternatives: the order sources.py tries them in."""
        return (self, *self.alternatives)


@dataclass(frozen=True)
class TaskSpec:
    """One TRAINING task (an intermediate task such as MNLI or SQuAD), as its YAML declares it.

    Not an evaluation task: those are lm-eval tasks, declared in ``task_yamls/`` and
    ``xfer_tasks/catalog.py``. Everything in ``xfer_tasks.train`` that says "task" means this.
    """

    name: str
    type: str
    description: str
    source_file: str
    hub: SourceSpec | None
    local: SourceSpec | None
    components: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    verbalizer: dict[str, str] = field(default_factory=dict)
    template: dict[str, str] = field(default_factory=dict)
    citation: str = ""
    filter: dict[str, str] = field(default_factory=dict)
    preprocess: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the merged YAML, for the manifest

    @property
    def hub_id(self) -> str:
        if self.components:
            return "+".join(self.components)
        return self.hub.path if self.hub and self.hub.path else "(none: bring your own files)"


def available_tasks() -> list[str]:
    """Names of the tasks shipped in ``train/tasks/``."""
    return sorted(p.stem for p in TASKS_DIR.glob("*.yaml"))


def _fail(where: str, key: str, expected: str) -> TaskSpecError:
    return TaskSpecError(f"{where}: field {key!r}: {expected}")


def _split_map(value: Any, where: str, key: str) -> dict[str, Any]:
    """``split``/``files`` may be a single value (the train split) or a mapping split -> value."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {"train": value}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _source(
    block: Any, kind: str, where: str, top: dict[str, Any]
) -> SourceSpec | None:
    if block is None:
        return None
    if not isinstance(block, dict):
        raise _fail(where, kind, "expected a mapping or null")
    allowed = _HUB_KEYS if kind == "hub" else _LOCAL_KEYS
    unknown = set(block) - allowed
    if unknown:
        raise _fail(where, f"{kind}.{sorted(unknown)[0]}", f"unknown key; allowed: {sorted(allowed)}")
    fields = block.get("fields", top.get("fields"))
    if not isinstance(fields, dict) or not fields:
        raise _fail(where, f"{kind}.fields", "expected a non-empty mapping (here or at top level)")
    label_map = block.get("label_map", top.get("label_map"))
    if label_map is not None and not isinstance(label_map, dict):
        raise _fail(where, f"{kind}.label_map", "expected a mapping raw value -> class")
    drop = block.get("drop_labels", top.get("drop_labels")) or []
    common = dict(
        kind=kind,
        fields=dict(fields),
        label_map={str(k): v for k, v in label_map.items()} if label_map else None,
        drop_labels=tuple(str(d) for d in drop),
    )
    if kind == "hub":
        if not block.get("path"):
            raise _fail(where, "hub.path", "expected the Hub dataset id (or hub: null)")
        return SourceSpec(
            **common,
            path=str(block["path"]),
            name=block.get("name"),
            split=_split_map(block.get("split", "train"), where, "hub.split"),
            revision=block.get("revision"),
        )
    fmt = block.get("format")
    if fmt is not None and fmt not in LOCAL_FORMATS:
        raise _fail(where, "local.format", f"expected one of {LOCAL_FORMATS}, got {fmt!r}")
    files = {k: _as_list(v) for k, v in _split_map(block.get("files"), where, "local.files").items()}
    if not files or not all(files.values()):
        raise _fail(where, "local.files", "expected file names (split -> list) relative to subdir")
    quoting = block.get("quoting")
    if quoting not in (None, "none", "minimal"):
        raise _fail(where, "local.quoting", "expected 'none' or 'minimal'")
    layout = block.get("layout")
    if layout is not None and (not isinstance(layout, str) or not layout):
        raise _fail(where, "local.layout", "expected the release layout's name (a string)")
    alternatives = _alternatives(block, where, top)
    return SourceSpec(
        **common,
        subdir=str(block.get("subdir", top["name"])),
        format=fmt,
        files=files,
        label_files={
            k: _as_list(v)
            for k, v in _split_map(block.get("label_files"), where, "local.label_files").items()
        },
        delimiter=block.get("delimiter"),
        quoting=quoting,
        layout=layout,
        alternatives=alternatives,
    )


def _alternatives(block: dict[str, Any], where: str, top: dict[str, Any]) -> tuple[SourceSpec, ...]:
    """``local.alternatives``: each entry's keys replace the primary layout's (files as a whole)."""
    entries = block.get("alternatives")
    if entries is None:
        return ()
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _fail(where, "local.alternatives", "expected a list of local layouts (mappings)")
    inherited = {k: v for k, v in block.items() if k not in ("alternatives", "layout", "label_files")}
    out = []
    for i, entry in enumerate(entries):
        if "alternatives" in entry:
            raise _fail(where, f"local.alternatives[{i}].alternatives", "alternatives do not nest")
        if "files" not in entry:
            raise _fail(where, f"local.alternatives[{i}].files", "required: the files of this layout")
        spec = _source({**inherited, **entry}, "local", f"{where} (local.alternatives[{i}])", top)
        assert spec is not None
        out.append(spec)
    return tuple(out)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``; nested mappings merge, everything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_task_spec(data: Any, where: str) -> TaskSpec:
    """Validate a task mapping (already read from YAML); ``where`` names it in errors."""
    if not isinstance(data, dict):
        raise TaskSpecError(f"{where}: expected a mapping at top level")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(where, sorted(unknown)[0], f"unknown key; allowed: {sorted(_TOP_KEYS)}")
    for key in ("name", "type"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _fail(where, key, "required string")
    ttype = data["type"]
    if ttype not in TASK_TYPES:
        raise _fail(where, "type", f"expected one of {TASK_TYPES}, got {ttype!r}")
    components = tuple(_as_list(data.get("components")))
    hub = local = None
    if not components:
        if "hub" not in data or "local" not in data:
            raise _fail(where, "hub" if "hub" not in data else "local", "required (may be null)")
        hub = _source(data["hub"], "hub", where, data)
        local = _source(data["local"], "local", where, data)
        if hub is None and local is None:
            raise _fail(where, "hub/local", "a task needs at least one source")
        for src in (hub, *(local.layouts if local else ())):
            if src is None:
                continue
            missing = [f for f in REQUIRED_FIELDS[ttype] if f not in src.fields]
            if missing:
                raise _fail(where, f"{src.kind}.fields", f"type {ttype} needs {missing}")
    labels = tuple(_as_list(data.get("labels")))
    inputs = tuple(_as_list(data.get("inputs")))
    verbalizer = data.get("verbalizer") or {}
    if ttype == "classification":
        if not labels:
            raise _fail(where, "labels", "classification needs its class names")
        if not components and not 1 <= len(inputs) <= 2:
            raise _fail(where, "inputs", "classification needs one or two text fields")
        missing = [c for c in labels if c not in verbalizer]
        if missing:
            raise _fail(where, "verbalizer", f"no answer word for classes {missing}")
    template = data.get("template") or {}
    if not components and (
        not isinstance(template, dict) or not template.get("prompt") or "answer" not in template
    ):
        raise _fail(where, "template", "expected {prompt: ..., answer: ...} format strings")
    filt = data.get("filter") or {}
    if filt and (
        not isinstance(filt, dict)
        or "field" not in filt
        or len(set(filt) & {"startswith", "equals"}) != 1
        or set(filt) - {"field", "startswith", "equals"}
    ):
        raise _fail(where, "filter", "expected {field: PATH, startswith: STR} or {field: PATH, equals: STR}")
    pre = data.get("preprocess")
    if pre is not None and pre not in ("hellaswag",):
        raise _fail(where, "preprocess", "expected one of ['hellaswag']")
    return TaskSpec(
        name=data["name"],
        type=ttype,
        description=str(data.get("description", "")).strip(),
        source_file=where,
        hub=hub,
        local=local,
        components=components,
        labels=labels,
        inputs=inputs,
        verbalizer={str(k): str(v) for k, v in verbalizer.items()},
        template={str(k): str(v) for k, v in template.items()},
        citation=str(data.get("citation", "")).strip(),
        filter={str(k): str(v) for k, v in filt.items()},
        preprocess=pre,
        raw=data,
    )


def _read_yaml(path: Path) -> Any:
    """A task file, read the way xfer reads every YAML file (``config_io``: duplicate keys
    refused, one-line errors naming the file)."""
    from xfer_tasks.config_io import ConfigFileError, read_yaml

    try:
        return read_yaml(path, "task")
    except ConfigFileError as err:
        raise TaskSpecError(str(err)) from None


def load_task_spec(ref: str | Path | dict[str, Any]) -> TaskSpec:
    """A task by shipped name (``"mnli"``), by YAML path, or as a mapping.

    A mapping with ``name`` of a shipped task and other keys is that task with the keys
    merged on top (how a config points a task at different local files).
    """
    if isinstance(ref, dict):
        if "name" not in ref:
            raise TaskSpecError(f"task entry {ref!r}: field 'name': required")
        base_path = TASKS_DIR / f"{ref['name']}.yaml"
        if "file" in ref:
            base_path = Path(ref["file"])
        override = {k: v for k, v in ref.items() if k != "file"}
        if base_path.is_file():
            data = deep_merge(_read_yaml(base_path), override)
            return parse_task_spec(data, f"{base_path} (+ config overrides)")
        return parse_task_spec(override, f"task entry {ref['name']!r} in config")
    text = str(ref)
    path = Path(text)
    if text.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise TaskSpecError(f"{path}: task file not found")
        return parse_task_spec(_read_yaml(path), str(path))
    path = TASKS_DIR / f"{text}.yaml"
    if not path.is_file():
        raise TaskSpecError(
            f"unknown task {text!r}: not a shipped task ({', '.join(available_tasks())}) nor a YAML path"
        )
    return parse_task_spec(_read_yaml(path), str(path))
