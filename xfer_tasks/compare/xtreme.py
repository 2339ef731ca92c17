"""XTREME's overall score, computed as XTREME's own ``evaluate.py`` does.

Reference: google-research/xtreme, ``evaluate.py`` (``evaluate`` and ``GROUP2TASK``): for each
task, every metric is averaged over the task's languages (``avg_<metric>``); the task's score
``avg_metric`` is (avg_exact_match + avg_f1) / 2 for the QA tasks (XQuAD, MLQA, TyDiQA-GoldP),
else avg_f1 (BUCC, PAN-X, UD-POS) or avg_accuracy (XNLI, PAWS-X, Tatoeba). The overall score is
the unweighted mean of the tasks' ``avg_metric``. XTREME shows it only when all nine tasks are
present; xfer reports it over the XTREME tasks present and lists which ones they are, so a
reader sees what the number covers. Multilingual MMLU is not an XTREME task and never enters.

Language sets follow XTREME's ``TASK2LANGS``: Tatoeba counts only XTREME's 36 languages (not
the other LASER pairs of ``xfer_tatoeba_all``); scores are fractions in [0, 1], not percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xfer_tasks.catalog import BUCC, TATOEBA, TATOEBA_XTREME, TYDIQA, XNLI

# XTREME's nine tasks in the order of its paper (Hu et al. 2020, Table 1).
XTREME_TASKS = ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba")

# xfer benchmark -> (XTREME task, the metrics averaged into its score, its languages)
XTREME_BENCHMARKS: dict[str, tuple[str, tuple[str, ...], frozenset[str]]] = {
    XNLI.name: ("xnli", ("acc",), frozenset(XNLI.languages)),
    TYDIQA.name: ("tydiqa", ("exact_match", "f1"), frozenset(TYDIQA.languages)),
    BUCC.name: ("bucc2018", ("f1",), frozenset(BUCC.languages)),
    TATOEBA.name: ("tatoeba", ("acc_en2xx",), frozenset(TATOEBA_XTREME.values())),
}


@dataclass(frozen=True)
class XtremeScore:
    """One run's XTREME score over the XTREME tasks it has."""

    score: float
    tasks: dict[str, float]  # XTREME task name -> its avg_metric
    languages: dict[str, list[str]]  # XTREME task name -> the languages averaged

    @property
    def missing(self) -> list[str]:
        return [t for t in XTREME_TASKS if t not in self.tasks]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "tasks": [t for t in XTREME_TASKS if t in self.tasks],
            "task_scores": dict(self.tasks),
            "missing": self.missing,
            "languages": self.languages,
        }


def task_score(benchmark: str, per_language: dict[str, dict[str, float]]) -> float | None:
    """XTREME's ``avg_metric`` of one task: ``per_language[lang][metric]`` -> fraction.

    None when the benchmark is not an XTREME task or a needed metric is missing for a language.
    """
    if benchmark not in XTREME_BENCHMARKS:
        return None
    _, metrics, languages = XTREME_BENCHMARKS[benchmark]
    langs = [lang for lang in per_language if lang in languages]
    if not langs or any(m not in per_language[lang] for lang in langs for m in metrics):
        return None
    averages = [sum(per_language[lang][m] for lang in langs) / len(langs) for m in metrics]
    return sum(averages) / len(averages)


def xtreme_score(scores: dict[str, dict[str, dict[str, float]]]) -> XtremeScore | None:
    """``scores[benchmark][language][metric]`` -> the XTREME score over the tasks present."""
    tasks: dict[str, float] = {}
    languages: dict[str, list[str]] = {}
    for benchmark, per_language in scores.items():
        value = task_score(benchmark, per_language)
        if value is not None:
            name, _, allowed = XTREME_BENCHMARKS[benchmark]
            tasks[name] = value
            languages[name] = sorted(lang for lang in per_language if lang in allowed)
    if not tasks:
        return None
    return XtremeScore(sum(tasks.values()) / len(tasks), tasks, languages)
