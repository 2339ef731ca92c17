"""What one evaluation family declares: :class:`EvalFamily`, pure data, after MTEB's task metadata.

An evaluation family (XNLI, TyDiQA-GoldP, BUCC, Tatoeba, the MMLU variants) is ONE module,
``xfer_tasks/data/<family>.py``, plus its YAML folder ``task_yamls/<family>/``. The module
holds, in this order:

- ``FAMILY``: an :class:`EvalFamily` (name and languages, Hub id and pinned revision, local
  subfolder and layout, metrics with their roles, the metadata keys it reads, citation);
- ``load_task_data(lang, metadata)``: the loader lm-eval's ``custom_dataset`` hook (or the
  family's task class) calls for one language;
- the file readers of its release layouts.

:mod:`xfer_tasks.catalog` imports every family module (no "module:function" strings) and is
what everything else reads: the YAML renderer, ``xfer check-data``, the metadata check
(:mod:`xfer_tasks.metadata` takes its valid keys from ``metadata_keys``) and ``xfer compare``
(metric roles). A family that needs its own lm-eval ``Task`` class keeps that class in
``xfer_tasks/harness/`` (the only package that imports lm-eval; Tatoeba and BUCC do) and its
YAML folder's ``utils.py`` hands it to lm-eval.

This module imports nothing of xfer but the embedding keys (no lm-eval, no torch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xfer_tasks.embed_spec import METADATA_KEYS as EMBED_KEYS

SEARCH_OPTIONS_KEY = "search_options"  # options of the retrieval search (xfer_tasks.retrieval.search)
# What a retrieval family (its task embeds sentences and searches) reads besides its own keys.
RETRIEVAL_KEYS: tuple[str, ...] = (*EMBED_KEYS, SEARCH_OPTIONS_KEY)


@dataclass(frozen=True)
class EvalFamily:
    """One evaluation family. ``metrics`` lists every reported metric, headline score first."""

    name: str  # group name; each language's task is f"{name}_{lang}"
    languages: tuple[str, ...]
    hub_id: str
    local_subdir: str
    metrics: tuple[str, ...]
    source: str  # the reference definition the metrics follow
    extra_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # reported, but not scores: shown by `xfer compare`, never tracked by `xfer regress`
    diagnostics: tuple[str, ...] = ()
    # reported per language only: the language group does not average them
    not_averaged: tuple[str, ...] = ()
    # reported, but not fractions in [0, 1] (every other metric is; ``xfer compare`` refuses a
    # results file whose fraction is outside [0, 1], e.g. 31.25 written as a percentage)
    not_fractions: tuple[str, ...] = ()
    # Hub revision the loaders ask for (None: the Hub's default branch, unpinned)
    hub_revision: str | None = None
    # the lm-eval metadata keys this family's loader and task read (besides data_dir); a
    # key in xfer's namespaces that no family declares is refused (xfer_tasks.metadata)
    metadata_keys: tuple[str, ...] = ()
    # the task embeds sentences and searches (reads embed_* and search_options, checked
    # with their values before any data is loaded)
    retrieval: bool = False
    local_layout: str = ""  # the release layout expected in <data root>/<local_subdir>/
    citation: str = ""
    yaml_folder: str = ""  # task_yamls/<yaml_folder>/ ("": no YAMLs rendered from here)
    # per-language YAML: lm-eval's dataset_name (e.g. "{lang}-eng"); None: dataset_kwargs xfer_lang
    dataset_name: str | None = None
    machine_translated: bool = False
    group_comment: str = ""  # a comment line for the group YAMLs
    # extra keys of one language's task YAML (e.g. XNLI's per-language choices)
    language_config: Callable[[str], dict[str, Any]] | None = None

    def task_names(self, languages: tuple[str, ...] | None = None) -> list[str]:
        return [f"{self.name}_{lang}" for lang in (languages or self.languages)]

    @property
    def all_languages(self) -> tuple[str, ...]:
        """``languages`` plus those only in an extra group, in declaration order."""
        every = dict.fromkeys(self.languages)
        for group_languages in self.extra_groups.values():
            every.update(dict.fromkeys(group_languages))
        return tuple(every)

    @property
    def score_metrics(self) -> tuple[str, ...]:
        """The metrics that are scores (tracked by regress, averaged by compare)."""
        return tuple(m for m in self.metrics if m not in self.diagnostics)

    @property
    def headline_metric(self) -> str:
        """The metric XTREME reports for this family: the first score."""
        return self.score_metrics[0]

    @property
    def group_metrics(self) -> tuple[str, ...]:
        """The metrics the language group averages."""
        return tuple(m for m in self.metrics if m not in self.not_averaged)

    @property
    def all_metadata_keys(self) -> tuple[str, ...]:
        """Every metadata key this family's task reads besides ``data_dir``."""
        return (*self.metadata_keys, *(RETRIEVAL_KEYS if self.retrieval else ()))
