"""Check that the data of the requested tasks is there before any model is loaded.

lm-eval builds tasks (and so calls the loaders) only after it has loaded the model. A
wrapper that wants the data error first (``xfer`` commands, batch scripts) calls
:func:`check_task_data` with the ``--tasks`` names and the metadata it will pass to
lm-eval: it resolves group names to their language tasks and runs each loader once,
raising the loader's own :class:`~xfer_tasks.data.DataMissingError` or ``DataFormatError``.
Names of other families (BUCC, Tatoeba, lm-eval's own tasks) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from xfer_tasks import catalog
from xfer_tasks.data import global_mmlu, m_mmlu, mmlu, mmmlu, tydiqa, xnli

LOADERS: dict[str, Callable[..., Any]] = {
    catalog.XNLI.name: xnli.load_task_data,
    catalog.TYDIQA.name: tydiqa.load_task_data,
    catalog.MMMLU.name: mmmlu.load_task_data,
    catalog.GLOBAL_MMLU.name: global_mmlu.load_task_data,
    catalog.M_MMLU.name: m_mmlu.load_task_data,
    catalog.MMLU_EN.name: mmlu.load_task_data,
}


def language_tasks(names: Iterable[str]) -> list[tuple[str, str]]:
    """``(benchmark name, language)`` of every task these task/group names cover."""
    found: list[tuple[str, str]] = []
    for name in names:
        if name == catalog.XTREME_GROUP:
            found += language_tasks(b.name for b in catalog.XTREME_MEMBERS)
            continue
        for benchmark_name in LOADERS:
            benchmark = catalog.benchmark_by_name(benchmark_name)
            if name == benchmark_name:
                found += [(benchmark_name, lang) for lang in benchmark.languages]
            elif (
                name.startswith(benchmark_name + "_")
                and name[len(benchmark_name) + 1 :] in benchmark.languages
            ):
                found.append((benchmark_name, name[len(benchmark_name) + 1 :]))
    return list(dict.fromkeys(found))


def check_task_data(names: Iterable[str], metadata: Mapping[str, Any] | None = None) -> int:
    """Load every covered task's data once; returns how many tasks were checked."""
    tasks = language_tasks(names)
    for benchmark_name, lang in tasks:
        LOADERS[benchmark_name](lang, dict(metadata or {}))
    return len(tasks)
