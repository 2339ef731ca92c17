"""How a task name maps to (benchmark, language), which metrics are scores, and language families.

Our tasks are named ``<benchmark>_<language>`` (``xfer_xnli_de``, ``xfer_tatoeba_deu``,
``xfer_mmmlu_de_de``); the catalog is the source of truth. Tasks from other suites fall back to
their lm-eval group (``group_subtasks``) when they have one, else stand alone with language "-".
"""

from __future__ import annotations

from xfer_tasks.catalog import ALL_BENCHMARKS, TATOEBA_XTREME, Benchmark, split_layer_metric

_BY_NAME = {b.name: b for b in ALL_BENCHMARKS}

# Diagnostic outputs that are not scores (declared once, as each catalog entry's
# ``diagnostics``: BUCC's tuned threshold and the precision/recall behind its F1). They are
# shown by ``xfer compare`` but never tracked by ``xfer regress``.
NON_SCORE_METRICS = frozenset(m for b in ALL_BENCHMARKS for m in b.diagnostics)

# The metric XTREME reports per benchmark (used for the overall XTREME score, the scaling
# curve and the heatmap): XNLI accuracy, TyDiQA-GoldP F1, BUCC F1, Tatoeba accuracy (English
# queries, as XTREME), MMLU variants accuracy: each catalog entry's ``headline_metric``.
HEADLINE_METRIC = {b.name: b.headline_metric for b in ALL_BENCHMARKS}


def split_task(task: str, groups: dict[str, list[str]] | None = None) -> tuple[str, str]:
    """``xfer_xnli_de`` -> (``xfer_xnli``, ``de``); unknown tasks use their lm-eval group."""
    best: Benchmark | None = None
    for bench in ALL_BENCHMARKS:
        prefix = bench.name + "_"
        if task.startswith(prefix) and (best is None or len(bench.name) > len(best.name)):
            best = bench
    if best is not None:
        return best.name, task[len(best.name) + 1 :]
    for group, children in (groups or {}).items():
        if task in children:
            language = task[len(group) + 1 :] if task.startswith(group + "_") else task
            return group, language
    return task, "-"


def is_xfer_task(task: str) -> bool:
    return split_task(task)[0] in _BY_NAME


def score_metrics(benchmark: str, reported: list[str]) -> list[str]:
    """The metrics of ``reported`` that are scores (tracked by regress, averaged by compare)."""
    bench = _BY_NAME.get(benchmark)
    if bench is not None:
        return [m for m in bench.score_metrics if m in reported]
    return [m for m in reported if m not in NON_SCORE_METRICS]


def is_layer_metric(benchmark: str, metric: str) -> bool:
    """``<m>_L<i>`` for one of an xfer benchmark's metrics ``m`` (``embed_layer`` all/dev): a
    layer-profile value (:mod:`xfer_tasks.compare.layers`), never a score."""
    bench = _BY_NAME.get(benchmark)
    return bench is not None and split_layer_metric(metric, bench.metrics)[1] is not None


# lm-eval metrics of other suites whose definition bounds them (accuracy and exact match are
# fractions of documents; Matthews' correlation is in [-1, 1]). Other names have no range xfer
# can rely on: f1 is 0-100 in lm-eval's squadv2, em is 0-100 in its SCROLLS tasks
# (``lm_eval/tasks/scrolls/task.py``: ``"em": acc_norm * 100.0``), bleu, perplexity, ...
_KNOWN_RANGES = {
    "acc": (0.0, 1.0), "acc_norm": (0.0, 1.0), "acc_mutual_info": (0.0, 1.0),
    "exact_match": (0.0, 1.0), "mcc": (-1.0, 1.0),
}  # fmt: skip


def metric_range(benchmark: str, metric: str) -> tuple[float, float] | None:
    """The closed range ``metric`` must lie in, or None when it has no known bound.

    Every metric of an xfer benchmark (and its per-layer ``<m>_L<i>``) is a fraction in
    [0, 1] unless the catalog lists it under ``not_fractions``; another suite's metric has a
    range only when its name is one of lm-eval's bounded metrics (``acc``, ``exact_match``...).
    """
    bench = _BY_NAME.get(benchmark)
    if bench is not None:
        base, _ = split_layer_metric(metric, bench.metrics)
        if base in bench.metrics:
            return None if base in bench.not_fractions else (0.0, 1.0)
    return _KNOWN_RANGES.get(metric)


def headline_metric(benchmark: str, reported: list[str]) -> str | None:
    if benchmark in HEADLINE_METRIC and HEADLINE_METRIC[benchmark] in reported:
        return HEADLINE_METRIC[benchmark]
    scores = score_metrics(benchmark, reported)
    return scores[0] if scores else None


# ISO 639-1 (or 639-3 where there is no two-letter code) -> family, following the language
# table of XTREME (Hu et al. 2020, Table 5) and Glottolog for languages XTREME does not list.
# English is kept apart: it is the language of the intermediate tasks, the question is transfer.
_FAMILY_MEMBERS = {
    "English (source)": "en",
    "Germanic": "af da de is nb nl no nn sv fy lb gsw nds yi fo",
    "Romance": "ca es fr gl it pt ro oc ast",
    "Slavic": "be bg bs cs hr mk pl ru sk sl sr uk",
    "Indo-Iranian": "bn fa gu hi kur mr ne pa ur si ku",
    "Other Indo-European": "el hy lt lv sq ga gd cy br",
    "Afro-Asiatic": "am ar he ha so mt kab",
    "Niger-Congo": "sw yo ig ny sn xh zu",
    "Dravidian": "kn ml ta te",
    "Sino-Tibetan": "zh yue wuu my",
    "Japonic / Koreanic": "ja ko",
    "Turkic": "az kk ky tr tt uz tk ug",
    "Uralic": "et fi hu",
    "Austronesian": "fil id jv mg ms tl ceb war",
    "Austroasiatic": "vi km",
    "Kra-Dai": "th",
    "Kartvelian": "ka",
    "Basque": "eu",
}
LANGUAGE_FAMILY = {
    code: family for family, codes in _FAMILY_MEMBERS.items() for code in codes.split()
}
_THREE_TO_TWO = {three: two for two, three in TATOEBA_XTREME.items()}
_THREE_TO_TWO.update({"nob": "nb", "zsm": "ms", "lvs": "lv", "swh": "sw", "pes": "fa"})


def language_family(language: str) -> str:
    """``de``, ``deu`` and ``de_de`` -> ``Germanic``; unknown codes -> ``Other``."""
    code = language.split("_")[0].lower()
    code = _THREE_TO_TWO.get(code, code)
    return LANGUAGE_FAMILY.get(code, "Other")
