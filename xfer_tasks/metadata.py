"""The lm-eval ``metadata`` keys xfer reads, and the one check every xfer task runs on them.

lm-eval merges ``--model_args`` into every task's metadata (and its own ``version``), so
the metadata a task sees holds keys that are not ours; those must pass. What must not pass
is a typo in one of OUR keys (``{"embed_layr": -2}`` used to be ignored and the default layer
scored). So a key is checked when it lies in one of xfer's namespaces (:data:`NAMESPACES`,
e.g. ``embed_``, ``xnli_``, ``mmlu_``; or is a near miss of ``data_dir``) and refused, with the
list of valid keys, when it is not one of :func:`valid_keys`.

The valid keys are not kept here: each family declares the keys it reads
(``EvalFamily.metadata_keys``; a retrieval family also reads the ``embed_*`` keys of
:mod:`xfer_tasks.embed_spec` and ``search_options``), and :data:`xfer_tasks.catalog.METADATA_KEYS`
collects them with ``data_dir``. A new family's key is valid as soon as its declaration lists it.

:func:`check_metadata` is what the tasks run (every family's ``custom_dataset`` hook through
:func:`xfer_tasks.check_data.load_checked`, and the retrieval task constructor) and what
``xfer check-data`` runs, so both accept and refuse the same metadata. With ``retrieval=True``
it also validates the values the retrieval tasks read; a retrieval task reads them through
:func:`check_retrieval_metadata`, the same check, which returns them parsed, once: the
:class:`~xfer_tasks.embed_spec.EmbedSpec` and the ``search_options`` (:class:`RetrievalOptions`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xfer_tasks.catalog import METADATA_KEYS, language_tasks
from xfer_tasks.data import MetadataError
from xfer_tasks.data.family import SEARCH_OPTIONS_KEY
from xfer_tasks.embed_spec import METADATA_KEYS as EMBED_KEYS
from xfer_tasks.embed_spec import EmbedSpec

__all__ = [
    "DATA_KEYS", "NAMESPACES", "MetadataError", "RetrievalOptions", "check_keys",
    "check_metadata", "check_retrieval_metadata", "check_retrieval_values", "check_run",
    "embed_keys", "is_xfer_key", "valid_keys",
]  # fmt: skip

# Every key but the embed_* ones (the loaders' keys, data_dir, search_options), from the
# families' declarations.
DATA_KEYS: tuple[str, ...] = tuple(key for key in METADATA_KEYS if key not in EMBED_KEYS)
# Prefixes of xfer's keys: a key starting with one of these is ours, so a typo is an error.
NAMESPACES: tuple[str, ...] = (
    "embed_", "search_", "xnli_", "tydiqa_", "mmlu_", "m_mmlu_", "global_mmlu_", "mmmlu_",
    "tatoeba_", "bucc_", "xtreme_", "xfer_",
)  # fmt: skip
# Keys without a namespace; a near miss of one of these (data-dir, datadir) is ours too.
_BARE_KEYS = ("data_dir",)
_NEAR_MISS = 0.8


@dataclass(frozen=True)
class RetrievalOptions:
    """What a retrieval task reads from its metadata, parsed once: how to embed and how to search."""

    embed: EmbedSpec
    search_options: dict[str, Any]


def embed_keys() -> tuple[str, ...]:
    """The retrieval tasks' ``embed_*`` keys, as :mod:`xfer_tasks.embed_spec` declares them."""
    return tuple(EMBED_KEYS)


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
    valid = valid_keys()
    for key in ours:
        if key in valid:
            continue
        close = difflib.get_close_matches(key.lower(), valid, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise MetadataError(
            f"metadata key {key!r} is not an xfer option{hint}; valid keys: {', '.join(valid)}"
        )


def check_retrieval_values(
    metadata: Mapping[str, Any] | None, task_kind: str | None = None
) -> RetrievalOptions:
    """Validate what the retrieval tasks read and return it parsed: ``embed_*`` (an
    :class:`EmbedSpec` for ``task_kind``) and ``search_options`` (checked by ``SearchConfig``)."""
    metadata = metadata or {}
    embed = EmbedSpec.from_metadata(metadata, task_kind=task_kind)  # EmbedSpecError names the key
    options = metadata.get(SEARCH_OPTIONS_KEY) or {}
    if not isinstance(options, Mapping):
        raise MetadataError(
            f"metadata search_options: expected a mapping of search settings, got {options!r}"
        )
    # the search library loads faiss: imported only when a retrieval task is checked
    from xfer_tasks.retrieval.search import SearchConfig

    try:
        SearchConfig.from_options(dict(options))
    except (TypeError, ValueError) as err:
        raise MetadataError(f"metadata search_options: {err}") from err
    return RetrievalOptions(embed, dict(options))


def check_metadata(metadata: Mapping[str, Any] | None, *, retrieval: bool = False) -> None:
    """What every xfer task checks before it loads data (see the module docstring)."""
    check_keys(metadata)
    if retrieval:
        check_retrieval_values(metadata)


def check_retrieval_metadata(
    metadata: Mapping[str, Any] | None, task_kind: str | None = None
) -> RetrievalOptions:
    """``check_metadata(metadata, retrieval=True)`` for a retrieval task of ``task_kind``,
    returning what it parsed: the task reads its metadata through this, once."""
    check_keys(metadata)
    return check_retrieval_values(metadata, task_kind)


def check_run(task_names: list[str] | tuple[str, ...], metadata: Mapping[str, Any] | None) -> None:
    """What one lm-eval run's metadata needs from the run's task list, checked before any
    inference (by the harness when it builds a retrieval task, and by ``xfer study``'s
    preflight): ``embed_layer: dev`` picks the layer on BUCC's sample split, so the run must
    hold a BUCC task. ``task_names`` are the run's ``--tasks`` names (groups or tasks)."""
    metadata = metadata or {}
    if metadata.get("embed_layer") != "dev":
        return
    covered = language_tasks(task_names)
    if not any(name == "xfer_bucc" for name, _ in covered):
        raise MetadataError(
            "embed_layer 'dev' chooses the layer on BUCC's sample split: add an xfer_bucc_<l> "
            "task (or the xfer_bucc group) to the same lm-eval run"
        )
