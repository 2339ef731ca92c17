"""Every evaluation task of the suite, declared as data in ONE place.

A benchmark family is one :class:`Benchmark`: its name and languages, where its data lives
(Hub id and pinned revision, local subfolder and layout, loader), what it reports (metric
roles: scores, diagnostics, the headline metric, which metrics the language group averages),
its groups, citation and the reference its metrics follow. Everything else reads it:

- the ONE YAML renderer below (``family_yaml_files``), called by every
  ``task_yamls/<family>/_generate_configs.py``;
- ``xfer_tasks.data.preflight`` (the loaders), ``xfer_tasks.data`` (local subfolders, Hub ids);
- ``xfer_tasks.compare.naming`` (which metrics are scores, the headline metric).

Adding a language: add it to ``languages`` and run the family's generator. Adding a family:
write its loader (``xfer_tasks/data/<family>.py``), a ``task_yamls/<family>/`` folder with
``_template_yaml``, ``utils.py`` and a two-line ``_generate_configs.py``, then one
declaration here (docs/tasks.md, "Adding a language or a family").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Benchmark:
    """One benchmark family. ``metrics`` lists every reported metric, headline score first."""

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
    loader: str = ""  # "module:function" returning the task data of one language
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
        """The metric XTREME reports for this benchmark: the first score."""
        return self.score_metrics[0]

    @property
    def group_metrics(self) -> tuple[str, ...]:
        """The metrics the language group averages."""
        return tuple(m for m in self.metrics if m not in self.not_averaged)

    def load(self, lang: str, metadata: Mapping[str, Any] | None = None) -> Any:
        """Run this family's loader for one language (imported on first use)."""
        module, _, function = self.loader.partition(":")
        return getattr(importlib.import_module(module), function)(lang, metadata)


XNLI = Benchmark(
    name="xfer_xnli",
    languages=tuple("ar bg de el en es fr hi ru sw th tr ur vi zh".split()),
    hub_id="facebook/xnli",
    local_subdir="xnli",
    metrics=("acc",),
    source="XTREME (Hu et al. 2020): accuracy over the three NLI labels, test split",
    loader="xfer_tasks.data.xnli:load_task_data",
    local_layout="XTREME dev-<lang>.tsv or XNLI-1.0 xnli.{dev,test}.tsv; XNLI-MT multinli.train.<lang>.tsv",
    citation="Conneau et al. 2018, XNLI: Evaluating Cross-lingual Sentence Representations",
    yaml_folder="xnli",
    language_config=lambda lang: {"doc_to_choice": xnli_doc_to_choice(lang)},
)

# lm-eval 0.4.13 ``lm_eval/tasks/xnli/utils.py`` (LANGUAGES; XGLM's prompt, Lin et al. 2022):
# lang -> (question word, entailment, neutral, contradiction label words).
XNLI_PROMPT_WORDS = {
    "ar": ("صحيح", "نعم", "لذا", "رقم"),
    "bg": ("правилно", "да", "така", "не"),
    "de": ("richtig", "Ja", "Auch", "Nein"),
    "el": ("σωστός", "Ναί", "Έτσι", "όχι"),
    "en": ("right", "Yes", "Also", "No"),
    "es": ("correcto", "Sí", "Asi que", "No"),
    "fr": ("correct", "Oui", "Aussi", "Non"),
    "hi": ("सही", "हाँ", "इसलिए", "नहीं"),
    "ru": ("правильно", "Да", "Так", "Нет"),
    "sw": ("sahihi", "Ndiyo", "Hivyo", "Hapana"),
    "th": ("ถูกต้อง", "ใช่", "ดังนั้น", "ไม่"),
    "tr": ("doğru", "Evet", "Böylece", "Hayır"),
    "ur": ("صحیح", "جی ہاں", "اس لئے", "نہیں"),
    "vi": ("đúng", "Vâng", "Vì vậy", "Không"),
    "zh": ("正确", "是的", "所以", "不是的"),
}


def xnli_doc_to_choice(lang: str) -> str:
    """lm-eval's ``xnli_<lang>`` ``doc_to_choice``, character for character: the three
    candidates "<premise>, <question word>? <label word>, <hypothesis>" (empty context)."""
    question, *labels = XNLI_PROMPT_WORDS[lang]
    options = ",".join(f'premise+", {question}? {label}, "+hypothesis' for label in labels)
    return "{{[" + options + "]}}"


TYDIQA = Benchmark(
    name="xfer_tydiqa",
    languages=tuple("ar bn en fi id ko ru sw te".split()),
    hub_id="google-research-datasets/tydiqa",
    local_subdir="tydiqa_goldp",
    metrics=("f1", "exact_match", "f1_mlqa", "exact_match_mlqa"),
    loader="xfer_tasks.data.tydiqa:load_task_data",
    local_layout="GoldP SQuAD JSON <language>_tydiqa_dev.json (or XTREME / official files)",
    citation="Clark et al. 2020, TyDi QA (TACL)",
    yaml_folder="tydiqa",
    source=(
        "official TyDiQA-GoldP / SQuAD v1.1 evaluate script: normalised token F1 and EM, max over "
        "gold answers (XTREME); *_mlqa: lm-eval tydiqa_goldp MLQA normalisation"
    ),
)

BUCC = Benchmark(
    name="xfer_bucc",
    languages=("de", "fr", "ru", "zh"),
    hub_id="mteb/bucc-bitext-mining",
    local_subdir="bucc2018",
    metrics=("f1", "precision", "recall", "threshold"),
    source="LASER/XTREME BUCC 2018 margin-based mining; threshold tuned on `sample`, applied to `training`",
    # The threshold is a tuned setting, not a score; precision and recall explain the F1.
    diagnostics=("precision", "recall", "threshold"),
    not_averaged=("threshold",),  # reported per language; a mean of thresholds means nothing
    not_fractions=("threshold",),  # a margin score (cosine ratio), not bounded by 1
    loader="xfer_tasks.data.bucc:load_task_data",
    local_layout="official <l>-en.{sample,training}.{<l>,en,gold}",
    citation="Zweigenbaum et al. 2018, BUCC 2018 shared task",
    yaml_folder="bucc",
    dataset_name="{lang}-en",
    group_comment="BUCC 2018 de/fr/ru/zh. Group scores: unweighted mean over languages (XTREME).",
)

# The 112 language pairs of the LASER Tatoeba release (three-letter codes, each paired with eng).
TATOEBA_ALL = tuple(
    """afr amh ang ara arq arz ast awa aze bel ben ber bos bre bul cat cbk ceb ces cha cmn cor csb
    cym dan deu dsb dtp ell epo est eus fao fin fra fry gla gle glg gsw heb hin hrv hsb hun hye ido
    ile ina ind isl ita jav jpn kab kat kaz khm kor kur kzj lat lfn lit lvs mal mar max mhr mkd mon
    nds nld nno nob nov oci orv pam pes pms pol por ron rus slk slv spa sqi srp swe swg swh tam tat
    tel tgl tha tuk tur tzl uig ukr urd uzb vie war wuu xho yid yue zsm""".split()
)
# The 36 Tatoeba languages XTREME reports (XTREME's two-letter code -> LASER file code).
TATOEBA_XTREME = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "de": "deu", "el": "ell", "es": "spa",
    "et": "est", "eu": "eus", "fa": "pes", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin",
    "hu": "hun", "id": "ind", "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz",
    "ko": "kor", "ml": "mal", "mr": "mar", "nl": "nld", "pt": "por", "ru": "rus", "sw": "swh",
    "ta": "tam", "te": "tel", "th": "tha", "tl": "tgl", "tr": "tur", "ur": "urd", "vi": "vie",
    "zh": "cmn",
}  # fmt: skip
TATOEBA = Benchmark(
    name="xfer_tatoeba",
    languages=tuple(sorted(TATOEBA_XTREME.values())),
    hub_id="mteb/tatoeba-bitext-mining",
    local_subdir="tatoeba",
    metrics=("acc_en2xx", "acc_xx2en", "f1_xx2en"),
    source="XTREME Tatoeba (acc_en2xx) and MTEB BitextMining (acc_xx2en, f1_xx2en)",
    extra_groups={"xfer_tatoeba_all": TATOEBA_ALL},
    loader="xfer_tasks.data.tatoeba:load_task_data",
    local_layout="LASER v1 tatoeba.<xxx>-eng.<xxx> and tatoeba.<xxx>-eng.eng",
    citation="Artetxe & Schwenk 2019 (LASER); Tatoeba",
    yaml_folder="tatoeba",
    dataset_name="{lang}-eng",
    group_comment="Group scores: unweighted mean over languages (as XTREME reports them).",
)

MMMLU = Benchmark(
    name="xfer_mmmlu",
    languages=tuple(
        "ar_xy bn_bd de_de es_la fr_fr hi_in id_id it_it ja_jp ko_kr pt_br sw_ke yo_ng zh_cn".split()
    ),
    hub_id="openai/MMMLU",
    local_subdir="mmmlu",
    metrics=("acc",),
    source="MMLU (Hendrycks et al. 2021) loglikelihood accuracy over A-D; human-translated test set",
    loader="xfer_tasks.data.mmmlu:load_task_data",
    local_layout="openai test/mmlu_<LL-CC>.csv",
    citation="OpenAI 2024, MMMLU (openai/MMMLU)",
    yaml_folder="mmmlu",
)

GLOBAL_MMLU = Benchmark(
    name="xfer_global_mmlu",
    languages=tuple(
        """am ar bn cs de el en es fa fil fr ha he hi id ig it ja ko ky lt mg ms ne nl ny pl pt ro ru
        si sn so sr sv sw te tr uk vi yo zh""".split()
    ),
    hub_id="CohereForAI/Global-MMLU",
    local_subdir="global_mmlu",
    metrics=("acc", "acc_cs", "acc_ca"),
    source="Global-MMLU (Singh et al. 2024): accuracy overall, culturally-sensitive (CS) and -agnostic (CA)",
    loader="xfer_tasks.data.global_mmlu:load_task_data",
    local_layout="Hub parquet <lang>/{test,dev}-00000-of-00001.parquet",
    citation="Singh et al. 2024, Global MMLU",
    yaml_folder="global_mmlu",
)

M_MMLU = Benchmark(
    name="xfer_m_mmlu",
    languages=tuple(
        """ar bn ca da de es eu fr gu hi hr hu hy id is it kn ml mr nb ne nl pt ro ru sk sr sv ta te
        uk vi zh""".split()
    ),
    hub_id="alexandrainst/m_mmlu",
    local_subdir="m_mmlu",
    metrics=("acc",),
    source="Okapi m_mmlu (Lai et al. 2023): MACHINE-TRANSLATED MMLU, loglikelihood accuracy over A-D",
    loader="xfer_tasks.data.m_mmlu:load_task_data",
    local_layout="Okapi <lang>_{dev,val,test}.json",
    citation="Lai et al. 2023, Okapi",
    yaml_folder="m_mmlu",
    machine_translated=True,
)

MMLU_EN = Benchmark(
    name="xfer_mmlu",
    languages=("en",),
    hub_id="cais/mmlu",
    local_subdir="mmlu",
    metrics=("acc",),
    source="MMLU (Hendrycks et al. 2021) from the hendrycks CSV release or cais/mmlu",
    loader="xfer_tasks.data.mmlu:load_task_data",
    local_layout="hendrycks {dev,val,test}/<subject>_<split>.csv",
    citation="Hendrycks et al. 2021, Measuring Massive Multitask Language Understanding",
    yaml_folder="mmlu",
)

# The group a user calls. Language averages inside each group are unweighted means over
# languages, as XTREME reports them.
XTREME_GROUP = "xfer_xtreme"
XTREME_MEMBERS = (XNLI, TYDIQA, BUCC, TATOEBA, MMMLU)

ALL_BENCHMARKS = (XNLI, TYDIQA, BUCC, TATOEBA, MMMLU, GLOBAL_MMLU, M_MMLU, MMLU_EN)

# Local data subfolder of every benchmark (see xfer_tasks.data).
LOCAL_SUBDIRS = {benchmark.name: benchmark.local_subdir for benchmark in ALL_BENCHMARKS}
# Hub id -> pinned revision, for the loaders (xfer_tasks.data._source.load_hub_split).
HUB_REVISIONS = {b.hub_id: b.hub_revision for b in ALL_BENCHMARKS if b.hub_revision}


# --- lm-eval YAMLs written from this catalog -------------------------------------------
# Each family folder in task_yamls/ holds a hand-written ``_template_yaml`` and ``utils.py``;
# the per-language task YAMLs and the group YAML are rendered here, so the committed files
# are a function of the declarations above (tests/task_yamls checks they are up to date).

GENERATED_HEADER = (
    "# Generated by _generate_configs.py from xfer_tasks.catalog; do not edit by hand.\n"
)

# benchmark name -> folder under task_yamls/ (every family with rendered YAMLs)
YAML_FAMILIES = {b.name: b.yaml_folder for b in ALL_BENCHMARKS if b.yaml_folder}
MACHINE_TRANSLATED = {b.name for b in ALL_BENCHMARKS if b.machine_translated}
GROUP_VERSION = 1.0


def benchmark_by_name(name: str) -> Benchmark:
    """The benchmark whose group name is ``name``."""
    for benchmark in ALL_BENCHMARKS:
        if benchmark.name == name:
            return benchmark
    raise KeyError(f"no benchmark named {name!r}; known: {[b.name for b in ALL_BENCHMARKS]}")


def task_yaml(benchmark: Benchmark, lang: str) -> dict:
    """One language's task config (everything else comes from ``_template_yaml``)."""
    config: dict = {"include": "_template_yaml", "task": f"{benchmark.name}_{lang}"}
    if benchmark.machine_translated:
        config["task_alias"] = f"{benchmark.name}_{lang} (machine-translated)"
    if benchmark.dataset_name is not None:
        config["dataset_name"] = benchmark.dataset_name.format(lang=lang)
    else:
        config["dataset_kwargs"] = {"xfer_lang": lang}
    if benchmark.language_config is not None:
        config.update(benchmark.language_config(lang))
    return config


def group_yaml(
    benchmark: Benchmark, name: str | None = None, languages: tuple[str, ...] | None = None
) -> dict:
    """A language group (the family's own, or one of its ``extra_groups``): each averaged
    metric an unweighted mean over languages, as XTREME reports."""
    config: dict = {"group": name or benchmark.name}
    if benchmark.machine_translated:
        config["group_alias"] = f"{config['group']} (machine-translated)"
    config["task"] = benchmark.task_names(languages)
    config["aggregate_metric_list"] = [
        {"metric": metric, "aggregation": "mean", "weight_by_size": False}
        for metric in benchmark.group_metrics
    ]
    config["metadata"] = {"version": GROUP_VERSION}
    return config


def xtreme_group_yaml() -> dict:
    """``xfer_xtreme``: the member groups; no cross-benchmark aggregate (metrics differ)."""
    return {
        "group": XTREME_GROUP,
        "task": [benchmark.name for benchmark in XTREME_MEMBERS],
        "metadata": {"version": GROUP_VERSION},
    }


def _dump(config: dict, comment: str = "") -> str:
    import yaml

    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    return GENERATED_HEADER + (f"# {comment}\n" if comment else "") + text


def family_yaml_files(benchmark_name: str) -> dict[str, str]:
    """``{file name: text}`` of one family folder's generated YAMLs: a task per language
    (including languages only in an extra group), the family group and its extra groups."""
    benchmark = benchmark_by_name(benchmark_name)
    files = {
        f"{benchmark.name}_{lang}.yaml": _dump(task_yaml(benchmark, lang))
        for lang in benchmark.all_languages
    }
    files[f"_{benchmark.name}.yaml"] = _dump(group_yaml(benchmark), benchmark.group_comment)
    for group, languages in benchmark.extra_groups.items():
        files[f"_{group}.yaml"] = _dump(
            group_yaml(benchmark, group, languages), benchmark.group_comment
        )
    return files


def xtreme_yaml_text() -> str:
    """The text of ``task_yamls/xfer_xtreme.yaml``."""
    return _dump(xtreme_group_yaml())


def write_family(benchmark_name: str, folder: str | Path) -> list[Path]:
    """Write one family's generated YAMLs into ``folder``; returns the paths written."""
    folder = Path(folder)
    benchmark = benchmark_by_name(benchmark_name)
    for old in folder.glob(f"{benchmark.name}_*.yaml"):  # a language removed from the catalog
        old.unlink()
    written = []
    for name, text in family_yaml_files(benchmark_name).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def main() -> int:
    """Rewrite every family's generated YAMLs and ``xfer_xtreme.yaml``."""
    from xfer_tasks.paths import tasks_path

    root = tasks_path()
    for benchmark_name, folder in YAML_FAMILIES.items():
        for path in write_family(benchmark_name, root / folder):
            print(path)
    (root / "xfer_xtreme.yaml").write_text(xtreme_yaml_text(), encoding="utf-8")
    print(root / "xfer_xtreme.yaml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
