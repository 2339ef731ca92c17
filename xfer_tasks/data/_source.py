"""Shared plumbing of the loaders: local-or-Hub choice, split options, Hub errors as one line.

Rule for every dataset: when a data root is configured (``--metadata data_dir`` or
``$XFER_DATA_DIR``) and it holds the dataset's subfolder, that subfolder is the only
source (a missing file there is an error, never a silent switch to the Hub). Otherwise
the dataset comes from its Hub id; if that fails too, :class:`DataMissingError` names the
dataset, the Hub id and the local path that was tried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataMissingError, local_dataset_dir

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
        raise ValueError(
            f"{dataset}: metadata {key}={value!r} is not valid; expected one of: {allowed}"
        )
    return canonical


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:300]


def load_hub_split(
    dataset: str,
    hub_id: str,
    config: str | None,
    split: str,
    tried: Path | None,
) -> list[dict[str, Any]]:
    """One split of a Hub dataset as a list of rows; any failure is a :class:`DataMissingError`."""
    try:
        import datasets

        from xfer_tasks.catalog import HUB_REVISIONS

        revision = HUB_REVISIONS.get(hub_id)  # the catalog's pin; None: default branch
        kwargs = {"revision": revision} if revision else {}
        rows = datasets.load_dataset(hub_id, config, split=split, **kwargs)
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

    from xfer_tasks.data import DataFormatError

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
