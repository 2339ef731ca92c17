"""Where data comes from: ONE rule for evaluation (``xfer_tasks.data``) and training
(``train/sources.py``).

1. Local first. When a data root is configured (``--metadata data_dir`` / the training
   config's ``data_dir``, else ``$XFER_DATA_DIR``) and it holds the dataset's subfolder,
   that subfolder is the ONLY source: a missing file there is an error
   (:func:`missing_local_file`), never a silent switch to the Hub.
2. Otherwise the Hub id, at the revision the declaration pins (evaluation:
   ``FAMILY.hub_revision`` in the family's module, ``xfer_tasks/data/<family>.py``; training: ``hub.revision`` in the
   task YAML; unpinned means the Hub's default branch), through :func:`hub_dataset`.
3. Offline: ``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE`` are honoured even when set after
   ``datasets`` was imported (:func:`respect_offline_env`), so an offline machine fails at
   once instead of waiting for retries.
4. When neither works, :class:`DataMissingError` names the dataset, the Hub id and the local
   path that was tried, in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError, DataMissingError, MetadataError, local_dataset_dir

log = logging.getLogger(__name__)


def local_folder(subdir: str, metadata: Mapping[str, Any] | None) -> tuple[Path | None, bool]:
    """``(<root>/<subdir> or None, whether that folder exists)``."""
    folder = local_dataset_dir(subdir, metadata)
    return folder, bool(folder is not None and folder.is_dir())


def choose_option(
    metadata: Mapping[str, Any] | None,
    key: str,
    choices: Mapping[str, str],
    default: str,
    dataset: str,
) -> str:
    """Read ``metadata[key]`` (case-insensitive aliases in ``choices``) or ``default``."""
    value = (metadata or {}).get(key)
    if value is None or value == "":
        return default
    canonical = choices.get(str(value).strip().lower())
    if canonical is None:
        allowed = ", ".join(sorted(set(choices)))
        raise MetadataError(
            f"{dataset}: metadata {key}={value!r} is not valid; expected one of: {allowed}"
        )
    return canonical


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:300]


def respect_offline_env() -> None:
    """Honour HF_HUB_OFFLINE / HF_DATASETS_OFFLINE even when set after ``datasets`` was imported
    (the libraries read them once, at import); otherwise an offline machine waits for retries."""
    import os

    import datasets.config
    import huggingface_hub.constants

    flags = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    if any(os.environ.get(k, "").upper() in ("1", "ON", "YES", "TRUE") for k in flags):
        datasets.config.HF_HUB_OFFLINE = True
        datasets.config.HF_DATASETS_OFFLINE = True
        huggingface_hub.constants.HF_HUB_OFFLINE = True


def hub_dataset(hub_id: str, config: str | None, split: str, revision: str | None = None):
    """``datasets.load_dataset(hub_id, config, split=split)`` at ``revision`` (when pinned),
    offline settings honoured; errors propagate (callers turn them into DataMissingError)."""
    import datasets

    respect_offline_env()
    kwargs = {"revision": revision} if revision else {}
    return datasets.load_dataset(hub_id, config, split=split, **kwargs)


def load_hub_split(
    dataset: str,
    hub_id: str,
    config: str | None,
    split: str,
    tried: Path | None,
    revision: str | None = None,
) -> list[dict[str, Any]]:
    """One split of a Hub dataset as a list of rows, at ``revision`` (the family's pinned
    ``hub_revision``; None: the default branch); any failure is a :class:`DataMissingError`."""
    try:
        rows = hub_dataset(hub_id, config, split, revision)
        return [dict(row) for row in rows]
    except Exception as exc:  # offline, unknown config/split, network: all mean "not available"
        where = f"{hub_id}" + (f" config {config!r}" if config else "") + f" split {split!r}"
        raise DataMissingError(dataset, hub_id, tried, f"{where}: {_one_line(exc)}") from exc


def first_existing(candidates: Sequence[Path]) -> Path | None:
    """The first path of ``candidates`` that is a file."""
    return next((path for path in candidates if path.is_file()), None)


def missing_local_file(
    dataset: str, hub_id: str, candidates: Sequence[Path], hint: str = ""
) -> DataMissingError:
    """The error for a local dataset folder that lacks the file a split needs."""
    tried = " or ".join(str(path) for path in candidates)
    reason = "the local folder is set and takes precedence, but the file is missing"
    return DataMissingError(dataset, hub_id, tried, reason + (f"; {hint}" if hint else ""))


def to_dataset_dict(splits: Mapping[str, list[dict[str, Any]]], features_from: str, dataset: str):
    """A ``datasets.DatasetDict``; empty splits get the features of ``splits[features_from]``.

    The ``features_from`` split (the evaluated one) must have rows: an empty file is an error.
    """
    import datasets

    if not splits[features_from]:
        raise DataFormatError(f"{dataset}: the evaluated split has no rows (empty file?)")
    reference = datasets.Dataset.from_list(splits[features_from])
    out = {}
    for name, rows in splits.items():
        if name == features_from:
            out[name] = reference
        elif rows:
            out[name] = datasets.Dataset.from_list(rows)
        else:
            out[name] = reference.select([])
    return datasets.DatasetDict(out)


def optional_split(
    load: Callable[[], list[dict[str, Any]]], dataset: str, what: str
) -> list[dict[str, Any]]:
    """``load()``, or ``[]`` when its data is missing (malformed data still raises).

    Logged at INFO: a missing few-shot pool only matters with ``--num_fewshot``, and then
    lm-eval itself stops with "no documents available for sampling".
    """
    try:
        return load()
    except FileNotFoundError as exc:
        log.info("%s: no %s (%s); zero-shot only", dataset, what, exc)
        return []
