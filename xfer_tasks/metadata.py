"""The lm-eval ``metadata`` keys xfer reads, and the one check every xfer task runs on them.

lm-eval merges ``--model_args`` into every task's metadata (and its own ``version``), so
the metadata a task sees holds keys that are not ours; those must pass. What must not pass
is a typo in one of OUR keys (``{"embed_layr": -2}`` used to be ignored and the default layer
scored). So a key is checked when it lies in one of xfer's namespaces (:data:`NAMESPACES`,
e.g. ``embed_``, ``xnli_``, ``mmlu_``; or is a near miss of ``data_dir``) and refused, with the
list of valid keys, when it is not one of :func:`valid_keys`.

The valid keys are built in this one place from:

- :data:`xfer_tasks.harness.spec.METADATA_KEYS`, the ``embed_*`` keys of the retrieval tasks
  (read from there, never copied, so a new embed key is valid as soon as spec declares it);
- :data:`DATA_KEYS`, the declared list of every other key (the loaders' split keys,
  ``data_dir``, ``mmlu_subject_shots``, ``search_options``; a test checks it against the
  loader modules' constants).

:func:`check_metadata` is what the tasks run (each loader's ``load_task_data`` and the
retrieval task constructor) and what ``xfer check-data`` runs, so both accept and refuse the
same metadata. With ``retrieval=True`` it also validates the values the retrieval tasks read
(``embed_*`` through ``EmbedSpec``, ``search_options`` through ``SearchConfig``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from xfer_tasks.errors import XferError

# Keys of the data loaders and retrieval tasks other than embed_* (see the module docstring).
DATA_KEYS: tuple[str, ...] = (
    "data_dir",  # xfer_tasks.data.METADATA_KEY
    "xnli_split",  # xfer_tasks.data.xnli.SPLIT_KEY
    "tydiqa_split",  # xfer_tasks.data.tydiqa.SPLIT_KEY
    "mmlu_split",  # xfer_tasks.data.mmlu.SPLIT_KEY
    "mmlu_subjects",  # xfer_tasks.data.mmlu.SUBJECTS_KEY (an explicit subset of subjects)
    "m_mmlu_split",  # xfer_tasks.data.m_mmlu.SPLIT_KEY
    "global_mmlu_split",  # xfer_tasks.data.global_mmlu.SPLIT_KEY
    "mmlu_subject_shots",  # xfer_tasks.data.mmlu_common.SUBJECT_SHOTS_KEY
    "search_options",  # xfer_tasks.harness.task_base: options of the retrieval search
)
# Prefixes of xfer's keys: a key starting with one of these is ours, so a typo is an error.
NAMESPACES: tuple[str, ...] = (
    "embed_", "search_", "xnli_", "tydiqa_", "mmlu_", "m_mmlu_", "global_mmlu_", "mmmlu_",
    "tatoeba_", "bucc_", "xtreme_", "xfer_",
)  # fmt: skip
# Keys without a namespace; a near miss of one of these (data-dir, datadir) is ours too.
_BARE_KEYS = ("data_dir",)
_NEAR_MISS = 0.8


class MetadataError(XferError, ValueError):
    """A metadata key or value xfer cannot use; the message names the key."""


def embed_keys() -> tuple[str, ...]:
    """The retrieval tasks' ``embed_*`` keys, as :mod:`xfer_tasks.harness.spec` declares them."""
    from xfer_tasks.harness.spec import METADATA_KEYS

    return tuple(METADATA_KEYS)


def valid_keys(*, with_embed: bool = True) -> tuple[str, ...]:
    """Every metadata key xfer reads (sorted)."""
    keys = set(DATA_KEYS)
    if with_embed:
        keys |= set(embed_keys())
    return tuple(sorted(keys))


def is_xfer_key(key: str) -> bool:
    """Whether ``key`` lies in xfer's namespaces (ours to check), not lm-eval's or a model's."""
    lowered = key.lower().replace("-", "_")
    if lowered.startswith(NAMESPACES) or lowered in _BARE_KEYS:
        return True
    return bool(difflib.get_close_matches(lowered, _BARE_KEYS, n=1, cutoff=_NEAR_MISS))


def check_keys(metadata: Mapping[str, Any] | None) -> None:
    """Refuse a key in xfer's namespaces that xfer does not read (a typo would be ignored)."""
    ours = [key for key in (metadata or {}) if isinstance(key, str) and is_xfer_key(key)]
    unknown = [key for key in ours if key not in DATA_KEYS]
    if not unknown:
        return
    # The embed_* keys come from spec, which imports lm-eval: read them only when needed.
    valid = valid_keys()
    for key in unknown:
        if key in valid:
            continue
        close = difflib.get_close_matches(key.lower(), valid, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MetadataError(
            f"metadata key {key!r} is not an xfer option{hint}; valid keys: {', '.join(valid)}"
        )


def check_retrieval_values(metadata: Mapping[str, Any] | None) -> None:
    """Validate what the retrieval tasks read: ``embed_*`` (EmbedSpec), ``search_options``."""
    metadata = metadata or {}
    from xfer_tasks.harness.spec import EmbedSpec

    EmbedSpec.from_metadata(metadata)  # raises EmbedSpecError naming the key
    options = metadata.get("search_options") or {}
    if not isinstance(options, Mapping):
        raise MetadataError(
            f"metadata search_options: expected a mapping of search settings, got {options!r}"
        )
    from xfer_tasks.retrieval.search import SearchConfig

    try:
        SearchConfig.from_options(dict(options))
    except (TypeError, ValueError) as err:
        raise MetadataError(f"metadata search_options: {err}") from err


def check_metadata(metadata: Mapping[str, Any] | None, *, retrieval: bool = False) -> None:
    """What every xfer task checks before it loads data (see the module docstring)."""
    check_keys(metadata)
    if retrieval:
        check_retrieval_values(metadata)


def check_run(task_names: list[str] | tuple[str, ...], metadata: Mapping[str, Any] | None) -> None:
    """What one lm-eval run's metadata needs from the run's task list, checked before any
    inference (by the harness when it builds a retrieval task, and by ``xfer study``'s
    preflight): ``embed_layer: dev`` picks the layer on BUCC's sample split, so the run must
    hold a BUCC task. ``task_names`` are the run's ``--tasks`` names (groups or tasks)."""
    metadata = metadata or {}
    if metadata.get("embed_layer") != "dev":
        return
    from xfer_tasks.data.preflight import language_tasks

    covered = language_tasks(task_names)
    if not any(name == "xfer_bucc" for name, _ in covered):
        raise MetadataError(
            "embed_layer 'dev' chooses the layer on BUCC's sample split: add an xfer_bucc_<l> "
            "task (or the xfer_bucc group) to the same lm-eval run"
        )
