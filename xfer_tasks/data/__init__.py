"""The evaluation families' modules, and where their data comes from: a local folder in the
public releases' layout, or the Hub.

Every dataset has a Hugging Face Hub id as its default source. For offline machines a local
folder takes precedence: ``--metadata '{"data_dir": ...}'`` or the ``XFER_DATA_DIR``
environment variable, holding one subfolder per dataset (see ``catalog.LOCAL_SUBDIRS``).
When neither works the loaders raise :class:`DataMissingError`, one line naming the dataset,
the Hub id and the local path that was tried.

One module per evaluation family (each works without lm-eval and documents its layouts):
``xnli``, ``tydiqa``, ``bucc``, ``tatoeba``, ``mmlu`` (English), ``mmmlu``, ``global_mmlu``,
``m_mmlu``. Each holds the family's declaration (``FAMILY``, an
:class:`~xfer_tasks.data.family.EvalFamily`: dataset id and revision, languages, metrics and
their roles, its metadata keys), its loader ``load_task_data(lang, metadata)`` and its file
readers; ``xfer_tasks.catalog`` is the registry that imports them (docs/tasks.md, "Adding a
family"). Shared pieces: ``family`` (the declaration class), ``_source`` (local first, else the
Hub), ``mmlu_common`` (the MMLU record schema, prompt and split loading), ``text_files``,
``squad_format`` and ``release_files`` (write small files in the MMMLU/Global-MMLU release
schemas). ``xfer check-data`` (:mod:`xfer_tasks.check_data`) sits above the registry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.errors import XferError

ENV_VAR = "XFER_DATA_DIR"
METADATA_KEY = "data_dir"


class DataMissingError(FileNotFoundError):
    """The data for a task is neither in the local folder nor loadable from the Hub."""

    def __init__(self, dataset: str, hub_id: str, local_path: Path | str | None, reason: str = ""):
        where = (
            f"local path tried: {local_path}"
            if local_path
            else f"no local folder set ({ENV_VAR} or --metadata data_dir)"
        )
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"{dataset}: data not found; Hub id {hub_id!r} could not be used{why}; {where}"
        )
        self.dataset, self.hub_id, self.local_path = dataset, hub_id, local_path


class DataFormatError(ValueError):
    """A local data file does not follow its release's schema; the message names file and field."""


class MetadataError(XferError, ValueError):
    """A metadata key or value xfer cannot use; the message names the key."""


def local_data_root(metadata: Mapping[str, Any] | None = None) -> Path | None:
    """The local data folder: ``metadata['data_dir']`` first, then ``$XFER_DATA_DIR``."""
    value = (metadata or {}).get(METADATA_KEY) or os.environ.get(ENV_VAR)
    return Path(value).expanduser() if value else None


def local_dataset_dir(subdir: str, metadata: Mapping[str, Any] | None = None) -> Path | None:
    """``<data root>/<subdir>`` when a data root is configured, else ``None``."""
    root = local_data_root(metadata)
    return root / subdir if root is not None else None
