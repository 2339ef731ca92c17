"""Where evaluation data comes from: a local folder in the public releases' layout, or the Hub.

Every dataset has a Hugging Face Hub id as its default source. For offline machines a local
folder takes precedence: ``--metadata '{"data_dir": ...}'`` or the ``XFER_DATA_DIR``
environment variable, holding one subfolder per dataset (see ``catalog.LOCAL_SUBDIRS``).
When neither works the loaders raise :class:`DataMissingError`, one line naming the dataset,
the Hub id and the local path that was tried.

One loader module per dataset (each works without lm-eval and documents its layouts):
``xnli``, ``tydiqa``, ``mmlu`` (English), ``mmmlu``, ``global_mmlu``, ``m_mmlu``, with
``mmlu_common`` (shared record schema and MMLU prompt), ``preflight`` (check a run's data
before loading a model) and ``release_files`` (write small files in the MMMLU/Global-MMLU
release schemas).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def local_data_root(metadata: Mapping[str, Any] | None = None) -> Path | None:
    """The local data folder: ``metadata['data_dir']`` first, then ``$XFER_DATA_DIR``."""
    value = (metadata or {}).get(METADATA_KEY) or os.environ.get(ENV_VAR)
    return Path(value).expanduser() if value else None


def local_dataset_dir(subdir: str, metadata: Mapping[str, Any] | None = None) -> Path | None:
    """``<data root>/<subdir>`` when a data root is configured, else ``None``."""
    root = local_data_root(metadata)
    return root / subdir if root is not None else None
