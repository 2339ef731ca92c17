"""The registry of xfer's evaluation families: it imports each family's module and is what
everything else reads.

A family is ONE module, ``xfer_tasks/data/<family>.py`` (its declaration ``FAMILY``, an
:class:`~xfer_tasks.data.family.EvalFamily`: name, languages, Hub id and pinned revision,
local subfolder and layout, metrics and their roles, the metadata keys it reads; its loader
``load_task_data(lang, metadata)``; its file readers), plus its YAML folder
``task_yamls/<family>/``. This module lists the family modules (:data:`FAMILY_MODULES`, plain
imports) and derives from them:

- the ONE YAML renderer below (``family_yaml_files``), called by every
  ``task_yamls/<family>/_generate_configs.py``;
- the loaders (:func:`loader`) and the task names a ``--tasks`` list covers
  (:func:`language_tasks`), for ``xfer check-data`` (``xfer_tasks.check_data``);
- the metadata keys xfer reads (:data:`METADATA_KEYS`), for ``xfer_tasks.metadata``;
- ``xfer_tasks.compare.naming`` (which metrics are scores, the headline metric).

Adding a language: add it to the family's ``languages`` and run the family's generator.
Adding a family: one module and its YAML folder, then its name in :data:`FAMILY_MODULES`
(docs/tasks.md, "Adding a family").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from xfer_tasks.data import METADATA_KEY as DATA_DIR_KEY
from xfer_tasks.data import bucc, global_mmlu, m_mmlu, mmlu, mmmlu, tatoeba, tydiqa, xnli
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.tatoeba import TATOEBA_ALL, TATOEBA_XTREME
from xfer_tasks.data.xnli import XNLI_PROMPT_WORDS, xnli_doc_to_choice

__all__ = [
    "ALL_FAMILIES", "BUCC", "FAMILY_MODULES", "GLOBAL_MMLU", "LOCAL_SUBDIRS", "M_MMLU",
    "METADATA_KEYS", "MMLU_EN", "MMMLU", "TATOEBA", "TATOEBA_ALL", "TATOEBA_XTREME", "TYDIQA",
    "XNLI", "XNLI_PROMPT_WORDS", "XTREME_GROUP", "XTREME_MEMBERS", "EvalFamily", "family_by_name",
    "language_tasks", "loader", "xnli_doc_to_choice",
]  # fmt: skip

# Per-layer retrieval metrics (``embed_layer`` ``all``/``dev``): ``<metric>_L<i>`` is ``metric``
# computed on hidden_states[i] (0 = the embedding output). Written by the harness, read by
# ``xfer compare``, which shows them as layer profiles, not as scores.
LAYER_METRIC_SEPARATOR = "_L"


def layer_metric(metric: str, layer: int) -> str:
    """The name of ``metric`` computed on hidden_states[``layer``]: ``<metric>_L<layer>``."""
    return f"{metric}{LAYER_METRIC_SEPARATOR}{layer}"


def split_layer_metric(name: str, metrics: tuple[str, ...]) -> tuple[str, int | None]:
    """``("acc_en2xx", 14)`` for ``acc_en2xx_L14`` when ``acc_en2xx`` is one of ``metrics``;
    ``(name, None)`` for every other name (a headline metric, or one that only looks alike)."""
    base, sep, tail = name.rpartition(LAYER_METRIC_SEPARATOR)
    if sep and tail.isascii() and tail.isdecimal() and base in metrics:
        return base, int(tail)
    return name, None


# Every family module, in the order of the report tables. Each defines ``FAMILY`` (its
# declaration) and ``load_task_data(lang, metadata)`` (its loader).
FAMILY_MODULES: tuple[ModuleType, ...] = (
    xnli, tydiqa, bucc, tatoeba, mmmlu, global_mmlu, m_mmlu, mmlu,
)  # fmt: skip

XNLI = xnli.FAMILY
TYDIQA = tydiqa.FAMILY
BUCC = bucc.FAMILY
TATOEBA = tatoeba.FAMILY
MMMLU = mmmlu.FAMILY
GLOBAL_MMLU = global_mmlu.FAMILY
M_MMLU = m_mmlu.FAMILY
MMLU_EN = mmlu.FAMILY

# The group a user calls. Language averages inside each group are unweighted means over
# languages, as XTREME reports them.
XTREME_GROUP = "xfer_xtreme"
XTREME_MEMBERS = (XNLI, TYDIQA, BUCC, TATOEBA, MMMLU)

ALL_FAMILIES: tuple[EvalFamily, ...] = tuple(module.FAMILY for module in FAMILY_MODULES)
_LOADERS: dict[str, Callable[..., Any]] = {
    module.FAMILY.name: module.load_task_data for module in FAMILY_MODULES
}

# Local data subfolder of every family (see xfer_tasks.data).
LOCAL_SUBDIRS = {family.name: family.local_subdir for family in ALL_FAMILIES}
# Every metadata key xfer's tasks read: ``data_dir`` and each family's keys (the embed_* and
# search keys through the retrieval families), in first-declared order.
METADATA_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys([DATA_DIR_KEY, *(key for f in ALL_FAMILIES for key in f.all_metadata_keys)])
)
RETRIEVAL_FAMILIES: tuple[str, ...] = tuple(f.name for f in ALL_FAMILIES if f.retrieval)

# Names kept for code written before the rename (an evaluation family was a "Benchmark",
# which clashed with the benchmarks/ folder of performance scripts).
Benchmark = EvalFamily
ALL_BENCHMARKS = ALL_FAMILIES


def loader(name: str) -> Callable[[str, Mapping[str, Any] | None], Any]:
    """Family ``name``'s ``load_task_data(lang, metadata)``."""
    family_by_name(name)  # a clear KeyError for an unknown name
    return _LOADERS[name]


def language_tasks(names: Iterable[str]) -> list[tuple[str, str]]:
    """``(family name, language)`` of every task these task/group names cover (names of
    other suites cover none)."""
    found: list[tuple[str, str]] = []
    for name in names:
        if name == XTREME_GROUP:
            found += language_tasks(f.name for f in XTREME_MEMBERS)
            continue
        for family in ALL_FAMILIES:
            if name == family.name:
                found += [(family.name, lang) for lang in family.languages]
            elif name in family.extra_groups:
                found += [(family.name, lang) for lang in family.extra_groups[name]]
            elif (
                name.startswith(family.name + "_")
                and name[len(family.name) + 1 :] in family.all_languages
            ):
                found.append((family.name, name[len(family.name) + 1 :]))
    return list(dict.fromkeys(found))


# --- lm-eval YAMLs written from the declarations -------------------------------------------
# Each family folder in task_yamls/ holds a hand-written ``_template_yaml`` and ``utils.py``;
# the per-language task YAMLs and the group YAML are rendered here, so the committed files
# are a function of the declarations (tests/task_yamls checks they are up to date).

GENERATED_HEADER = (
    "# Generated by _generate_configs.py from xfer_tasks.catalog; do not edit by hand.\n"
)

# family name -> folder under task_yamls/ (every family with rendered YAMLs)
YAML_FAMILIES = {f.name: f.yaml_folder for f in ALL_FAMILIES if f.yaml_folder}
MACHINE_TRANSLATED = {f.name for f in ALL_FAMILIES if f.machine_translated}
GROUP_VERSION = 1.0


def family_by_name(name: str) -> EvalFamily:
    """The family whose group name is ``name``."""
    for family in ALL_FAMILIES:
        if family.name == name:
            return family
    raise KeyError(f"no evaluation family named {name!r}; known: {[f.name for f in ALL_FAMILIES]}")


benchmark_by_name = family_by_name  # the name before the rename


def _family(family: EvalFamily | str) -> EvalFamily:
    return family if isinstance(family, EvalFamily) else family_by_name(family)


def task_yaml(family: EvalFamily, lang: str) -> dict:
    """One language's task config (everything else comes from ``_template_yaml``)."""
    config: dict = {"include": "_template_yaml", "task": f"{family.name}_{lang}"}
    if family.machine_translated:
        config["task_alias"] = f"{family.name}_{lang} (machine-translated)"
    if family.dataset_name is not None:
        config["dataset_name"] = family.dataset_name.format(lang=lang)
    else:
        config["dataset_kwargs"] = {"xfer_lang": lang}
    if family.language_config is not None:
        config.update(family.language_config(lang))
    return config


def group_yaml(
    family: EvalFamily, name: str | None = None, languages: tuple[str, ...] | None = None
) -> dict:
    """A language group (the family's own, or one of its ``extra_groups``): each averaged
    metric an unweighted mean over languages, as XTREME reports."""
    config: dict = {"group": name or family.name}
    if family.machine_translated:
        config["group_alias"] = f"{config['group']} (machine-translated)"
    config["task"] = family.task_names(languages)
    config["aggregate_metric_list"] = [
        {"metric": metric, "aggregation": "mean", "weight_by_size": False}
        for metric in family.group_metrics
    ]
    config["metadata"] = {"version": GROUP_VERSION}
    return config


def xtreme_group_yaml() -> dict:
    """``xfer_xtreme``: the member groups; no cross-family aggregate (metrics differ)."""
    return {
        "group": XTREME_GROUP,
        "task": [family.name for family in XTREME_MEMBERS],
        "metadata": {"version": GROUP_VERSION},
    }


def _dump(config: dict, comment: str = "") -> str:
    import yaml

    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    return GENERATED_HEADER + (f"# {comment}\n" if comment else "") + text


def family_yaml_files(family: EvalFamily | str) -> dict[str, str]:
    """``{file name: text}`` of one family folder's generated YAMLs: a task per language
    (including languages only in an extra group), the family group and its extra groups.
    ``family``: a declaration, or the name of a registered one."""
    family = _family(family)
    files = {
        f"{family.name}_{lang}.yaml": _dump(task_yaml(family, lang))
        for lang in family.all_languages
    }
    files[f"_{family.name}.yaml"] = _dump(group_yaml(family), family.group_comment)
    for group, languages in family.extra_groups.items():
        files[f"_{group}.yaml"] = _dump(
            group_yaml(family, group, languages), family.group_comment
        )
    return files


def xtreme_yaml_text() -> str:
    """The text of ``task_yamls/xfer_xtreme.yaml``."""
    return _dump(xtreme_group_yaml())


def write_family(family: EvalFamily | str, folder: str | Path) -> list[Path]:
    """Write one family's generated YAMLs into ``folder``; returns the paths written."""
    folder = Path(folder)
    family = _family(family)
    for old in folder.glob(f"{family.name}_*.yaml"):  # a language removed from the declaration
        old.unlink()
    written = []
    for name, text in family_yaml_files(family).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def main() -> int:
    """Rewrite every family's generated YAMLs and ``xfer_xtreme.yaml``."""
    from xfer_tasks.paths import tasks_path

    root = tasks_path()
    for family_name, folder in YAML_FAMILIES.items():
        for path in write_family(family_name, root / folder):
            print(path)
    (root / "xfer_xtreme.yaml").write_text(xtreme_yaml_text(), encoding="utf-8")
    print(root / "xfer_xtreme.yaml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
