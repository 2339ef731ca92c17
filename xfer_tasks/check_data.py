"""Check that the data of the requested tasks is there before any model is loaded.

lm-eval builds tasks (and so calls the loaders) only after it has loaded the model. A
wrapper that wants the data error first (``xfer`` commands, batch scripts) calls
:func:`check_task_data` with the ``--tasks`` names and the metadata it will pass to
lm-eval: it resolves group names to their language tasks and runs each loader once,
raising the loader's own :class:`~xfer_tasks.data.DataMissingError` or ``DataFormatError``.
Names of other suites (lm-eval's own tasks) are left alone. ``xfer check-data`` is the
command-line front of this module.

:func:`load_checked` is the same check and load for ONE language: what every family's
``custom_dataset`` hook (``task_yamls/<family>/utils.py``) calls, so lm-eval and
``xfer check-data`` accept and refuse the same metadata.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from xfer_tasks import catalog
from xfer_tasks.catalog import language_tasks  # noqa: F401 - re-exported (xfer study's preflight)
from xfer_tasks.data import METADATA_KEY, DataFormatError, DataMissingError
from xfer_tasks.metadata import check_metadata

# tasks that read embed_* / search_options (their values are checked too)
RETRIEVAL = catalog.RETRIEVAL_FAMILIES


def load_checked(family_module: ModuleType, lang: str, metadata: Mapping[str, Any] | None) -> Any:
    """One language's task data, as a family's ``custom_dataset`` hook hands it to lm-eval:
    the metadata checked first (a typo in one of xfer's keys is an error, not ignored), then
    the family module's ``load_task_data``."""
    check_metadata(metadata)
    return family_module.load_task_data(lang, metadata)


def known_task_names() -> list[str]:
    """Every task and group name ``xfer`` ships (what ``--tasks`` may name of ours)."""
    names = [catalog.XTREME_GROUP]
    for family in catalog.ALL_FAMILIES:
        names.append(family.name)
        names += list(family.extra_groups)
        names += [f"{family.name}_{lang}" for lang in family.all_languages]
    return names


class UnknownTaskError(ValueError):
    """A ``--tasks`` name in xfer's namespace (``xfer_*``) that no xfer task has."""


def check_task_names(names: Iterable[str]) -> None:
    """Refuse ``xfer_*`` names that are not xfer tasks (lm-eval would fail on them later)."""
    known = known_task_names()
    for name in names:
        if name.startswith("xfer_") and not language_tasks([name]):
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.7)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            groups = [catalog.XTREME_GROUP, *(f.name for f in catalog.ALL_FAMILIES)]
            groups += [g for f in catalog.ALL_FAMILIES for g in f.extra_groups]
            raise UnknownTaskError(
                f"--tasks {name}: not an xfer task{hint} (xfer groups: {', '.join(groups)}; "
                "a language task is <group>_<language>)"
            )


def check_task_data(names: Iterable[str], metadata: Mapping[str, Any] | None = None) -> int:
    """Check the metadata and load every covered task's data once, as the tasks will;
    returns how many tasks were checked."""
    names = list(names)
    check_task_names(names)
    tasks = language_tasks(names)
    metadata = dict(metadata or {})
    check_metadata(metadata, retrieval=any(name in RETRIEVAL for name, _ in tasks))
    for family_name, lang in tasks:
        catalog.loader(family_name)(lang, dict(metadata))
    return len(tasks)


def main(argv: list[str] | None = None) -> int:
    """``xfer check-data --tasks ...``: fail fast, before a long lm_eval run loads a model."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(
        prog="xfer check-data",
        description="Load the data of the given lm_eval --tasks (groups or single tasks) once and "
        "report the first problem, without loading any model. Takes the same --metadata.",
    )
    parser.add_argument("--tasks", required=True, help="comma-separated, as for lm_eval --tasks")
    parser.add_argument("--metadata", default="{}", help="JSON, as for lm_eval --metadata")
    parser.add_argument("--data-dir", help="local data root (default: $XFER_DATA_DIR)")
    args = parser.parse_args(argv)
    try:
        metadata = json.loads(args.metadata)
    except json.JSONDecodeError as err:
        print(f"xfer check-data: --metadata is not valid JSON: {err}", file=sys.stderr)
        return 2
    if not isinstance(metadata, dict):
        print(f"xfer check-data: --metadata must be a JSON object, got {args.metadata}", file=sys.stderr)
        return 2
    if args.data_dir:
        metadata[METADATA_KEY] = args.data_dir
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    unknown = [n for n in names if not n.startswith("xfer_") and not language_tasks([n])]
    if len(unknown) == len(names):
        print(
            f"xfer check-data: no xfer task among --tasks {args.tasks} (nothing to check; "
            "xfer tasks start with xfer_)",
            file=sys.stderr,
        )
        return 2
    try:
        checked = check_task_data(names, metadata)
    except (DataMissingError, DataFormatError, ValueError) as err:  # EmbedSpecError, MetadataError too
        print(f"xfer check-data: {err}", file=sys.stderr)
        return 2
    note = f"; not xfer tasks, not checked: {', '.join(unknown)}" if unknown else ""
    print(f"xfer check-data: data found for {checked} task(s){note}")
    return 0
