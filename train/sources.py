"""Read a task's raw records from local release files or the Hugging Face Hub, and fingerprint them.

Where records come from follows the ONE rule evaluation follows too
(``xfer_tasks/data/_source.py``): when a data root is configured (``data_dir`` in the config
or ``$XFER_DATA_DIR``) and it holds the task's local subfolder, that subfolder is the only
source (a missing file is an error, not a silent switch to the Hub); otherwise the Hub copy
at the task's pinned ``hub.revision``, offline settings honoured. When neither works,
:class:`xfer_tasks.data.DataMissingError` names the task, the Hub id and the local path tried.

Readers for the official release layouts:

- ``jsonl`` / ``json`` (a list of objects, or ``{"data": [...]}``), ``csv`` (header row),
  ``tsv`` (header row; GLUE files are read with quoting off, as GLUE's own loader does);
- ``squad_json``: SQuAD v1.1/v2.0 JSON, one record per question with ``context``,
  ``question``, ``id``, ``title``, ``answers`` (texts), ``answer_starts`` and ``is_impossible``;
- ``hellaswag_text``: the 6-lines-per-item text layout (``<activity_label>: <ctx>``, gold
  index, 4 endings) -> records like the official jsonl (``activity_label``, ``ctx``,
  ``endings``, ``label``);
- ``ccg_auto``: CCGbank ``AUTO`` files (``ID=...`` line, then the derivation whose leaves are
  ``(<L category POS POS word predarg>)``) -> ``tokens``/``tags`` per sentence;
- ``conll``: bring-your-own ``token<TAB>tag`` lines, blank line between sentences.

``label_files`` (SocialIQA's ``train-labels.lst``) add a ``label`` to record i from line i.

A task may declare several local layouts (``local.alternatives``, see task_spec.py): the
first that declares the split and whose files are all present is read, and its files are
what the fingerprint and the manifest's ``origin`` record. When the task's folder exists but
no layout serves the split, the error names every path tried and, when another split is
present (a release of dev data only, such as ANLI's annotated CSVs), says to ask for that
split explicitly.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError, DataMissingError, local_data_root
from xfer_tasks.data.squad_format import iter_squad_questions
from xfer_tasks.data.text_files import open_text, read_text

from .task_spec import SourceSpec, TaskSpec

_CCG_LEAF = re.compile(r"\(<L (\S+) (\S+) (\S+) (\S+) (\S+)>\)")
_FORMAT_BY_SUFFIX = {".jsonl": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv", ".auto": "ccg_auto"}


@dataclass
class RawData:
    """Raw records of one task and split, plus where they came from."""

    records: list[dict[str, Any]]
    source: SourceSpec
    origin: str  # "local:<paths>" or "hub:<id>/<config>:<split>"
    fingerprint: str  # sha256 of the local files, or the Hub datasets fingerprint


def _open_text(path: Path):
    """The release file as text: a byte-order mark read as such, a bad byte one line naming
    the file and its line (xfer_tasks.data.text_files, which every reader of user data uses)."""
    return open_text(path, newline="")


def _guess_format(path: Path) -> str:
    suffixes = [s for s in path.suffixes if s not in (".bz2", ".gz")]
    fmt = _FORMAT_BY_SUFFIX.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise DataFormatError(f"{path}: cannot tell the format from the name; set local.format")
    return fmt


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataFormatError(f"{path}:{lineno}: not a JSON object: {err}") from err


def _read_json(path: Path) -> list[dict[str, Any]]:
    with _open_text(path) as fh:
        data = json.load(fh)
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise DataFormatError(f"{path}: expected a JSON list of records or {{'data': [...]}}")
    return data


def _read_delimited(path: Path, delimiter: str, quoting: str) -> Iterator[dict[str, Any]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    q = csv.QUOTE_NONE if quoting == "none" else csv.QUOTE_MINIMAL
    with _open_text(path) as fh:
        yield from csv.DictReader(fh, delimiter=delimiter, quoting=q)


def _read_squad(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{path}: not valid JSON ({exc})") from exc
    for question in iter_squad_questions(data, path):
        qa = question.qa
        answers = qa.get("answers", [])
        yield {
            "id": qa.get("id"),
            "title": question.title,
            "context": question.context,
            "question": qa["question"],
            "answers": [a["text"] for a in answers],
            "answer_starts": [int(a["answer_start"]) for a in answers],
            "is_impossible": bool(qa.get("is_impossible", False)),
        }


def _read_hellaswag_text(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) % 6:
        raise DataFormatError(f"{path}: expected 6 lines per item, got {len(lines)} lines")
    for i in range(0, len(lines), 6):
        head, gold, endings = lines[i], lines[i + 1], lines[i + 2 : i + 6]
        activity, sep, ctx = head.partition(": ")
        if not sep or not gold.strip().isdigit():
            raise DataFormatError(f"{path}:{i + 1}: expected '<activity>: <ctx>' then a gold index")
        yield {"activity_label": activity, "ctx": ctx, "label": int(gold), "endings": endings}


def _read_ccg_auto(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as fh:
        ident = None
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if line.startswith("ID="):
                ident = line.split()[0][3:]
                continue
            if not line:
                continue
            leaves = _CCG_LEAF.findall(line)
            if not leaves:
                raise DataFormatError(f"{path}:{lineno}: no CCGbank leaves '(<L cat POS POS word ...>)'")
            yield {
                "id": ident,
                "tokens": [leaf[3] for leaf in leaves],
                "tags": [leaf[0] for leaf in leaves],
            }


def _read_conll(path: Path) -> Iterator[dict[str, Any]]:
    tokens: list[str] = []
    tags: list[str] = []
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if tokens:
                    yield {"tokens": tokens, "tags": tags}
                tokens, tags = [], []
                continue
            parts = line.split("\t")
            if len(parts) < 2:
                raise DataFormatError(f"{path}:{lineno}: expected 'token<TAB>tag'")
            tokens.append(parts[0])
            tags.append(parts[-1])
    if tokens:
        yield {"tokens": tokens, "tags": tags}


def read_local_file(path: Path, source: SourceSpec) -> list[dict[str, Any]]:
    fmt = source.format or _guess_format(path)
    if fmt == "jsonl":
        return list(_read_jsonl(path))
    if fmt == "json":
        return _read_json(path)
    if fmt in ("csv", "tsv"):
        delimiter = source.delimiter or ("," if fmt == "csv" else "\t")
        quoting = source.quoting or ("minimal" if fmt == "csv" else "none")
        return list(_read_delimited(path, delimiter, quoting))
    if fmt == "squad_json":
        return list(_read_squad(path))
    if fmt == "hellaswag_text":
        return list(_read_hellaswag_text(path))
    if fmt == "ccg_auto":
        return list(_read_ccg_auto(path))
    if fmt == "conll":
        return list(_read_conll(path))
    raise DataFormatError(f"{path}: unknown format {fmt!r}")


def sha256_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _expand(folder: Path, names: list[str]) -> list[Path] | None:
    """Each name under ``folder``; None when a plain name is missing or nothing matched.

    Glob patterns (``data/AUTO/0[2-9]/*.auto``) may match nothing individually.
    """
    paths: list[Path] = []
    for name in names:
        if glob.has_magic(name):
            paths.extend(sorted(Path(p) for p in glob.glob(str(folder / name))))
        elif (folder / name).is_file():
            paths.append(folder / name)
        else:
            return None
    return paths or None


def local_layout(task: TaskSpec, split: str, root: Path) -> SourceSpec | None:
    """The first local layout of ``task`` that declares ``split`` and has all its files under
    ``root`` (nothing is read), or None."""
    if task.local is None:
        return None
    for src in task.local.layouts:
        if split in src.files and _expand(root / (src.subdir or task.name), src.files[split]) is not None:
            return src
    return None


def _load_local(task: TaskSpec, split: str, root: Path) -> RawData | None:
    """The records of :func:`local_layout`'s layout; None when no layout has the split."""
    src = local_layout(task, split, root)
    if src is None:
        return None
    folder = root / (src.subdir or task.name)
    paths = _expand(folder, src.files[split])
    assert paths is not None
    return _read_layout(task, src, split, folder, paths)


def _read_layout(task: TaskSpec, src: SourceSpec, split: str, folder: Path, paths: list[Path]) -> RawData:
    records: list[dict[str, Any]] = []
    for path in paths:
        records.extend(read_local_file(path, src))
    fingerprint_paths = list(paths)
    if split in src.label_files:
        label_paths = _expand(folder, src.label_files[split])
        if label_paths is None:
            raise DataFormatError(f"{task.name}: label files {src.label_files[split]} not found in {folder}")
        labels = [
            line.strip()
            for p in label_paths
            for line in read_text(p).splitlines()
            if line.strip()
        ]
        if len(labels) != len(records):
            raise DataFormatError(
                f"{task.name}: {len(labels)} labels in {label_paths} but {len(records)} records in {paths}"
            )
        for record, label in zip(records, labels, strict=True):
            record["label"] = label
        fingerprint_paths += label_paths
    return RawData(
        records=records,
        source=src,
        origin="local:" + ",".join(str(p) for p in paths),
        fingerprint="sha256:" + sha256_files(fingerprint_paths),
    )


def _missing_split_hint(task: TaskSpec, split: str, root: Path) -> str:
    """Why no local layout serves ``split``: the layouts present here and the splits they have."""
    assert task.local is not None
    present: list[tuple[str, str]] = []  # (layout, split)
    for src in task.local.layouts:
        folder = root / (src.subdir or task.name)
        for other, names in sorted(src.files.items()):
            if other != split and _expand(folder, names) is not None:
                present.append((src.layout or f"{src.format or 'declared'} files", other))
    if present:
        layout, other = present[0]
        return (
            f"present here: {layout} ({other} split); a release of {other} data is used for "
            f"training only when the config asks for it: set `split: {other}`"
        )
    if not any(split in src.files for src in task.local.layouts):
        return f"the task's local layouts declare no {split!r} files"
    return ""


def _load_hub(task: TaskSpec, split: str) -> RawData:
    from xfer_tasks.data._source import hub_dataset

    src = task.hub
    assert src is not None
    hub_splits = src.split.get(split)
    if hub_splits is None:
        raise KeyError(f"no Hub split declared for {split!r} (hub.split has {sorted(src.split)})")
    records: list[dict[str, Any]] = []
    prints: list[str] = []
    for hub_split in _as_list(hub_splits):
        ds = hub_dataset(src.path, src.name, hub_split, src.revision)
        records.extend(ds.to_list())
        prints.append(f"{hub_split}={ds._fingerprint}")
    return RawData(
        records=records,
        source=src,
        origin=f"hub:{src.path}/{src.name or '-'}:{','.join(_as_list(hub_splits))}",
        fingerprint="datasets:" + ";".join(prints),
    )


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def load_raw(task: TaskSpec, split: str, data_dir: str | Path | None = None) -> RawData:
    """Raw records of ``task``/``split``: local release files first (the first of the task's
    local layouts that has the split's files), then the Hub."""
    root = Path(data_dir).expanduser() if data_dir else local_data_root()
    local_path = None
    if task.local is not None and root is not None:
        layouts = task.local.layouts
        folders = list(dict.fromkeys(root / (src.subdir or task.name) for src in layouts))
        local_path = folders[0]
        found = _load_local(task, split, root)
        if found is not None:
            return found
        tried = [
            root / (src.subdir or task.name) / name
            for src in layouts
            for name in src.files.get(split, [])
        ]
        if tried:
            local_path = ", ".join(str(p) for p in tried)
        if any(folder.is_dir() for folder in folders):
            # the local folder is the only source (xfer_tasks/data/_source.py)
            from xfer_tasks.data._source import missing_local_file

            raise missing_local_file(
                f"{task.name} ({split})",
                task.hub_id,
                tried or folders,
                _missing_split_hint(task, split, root),
            )
    reason = "no Hub copy (licensed data: bring your own files)"
    if task.hub is not None:
        try:
            return _load_hub(task, split)
        except Exception as err:  # offline, unknown id, missing split: all mean "not usable"
            reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
    raise DataMissingError(f"{task.name} ({split})", task.hub_id, local_path, reason)
