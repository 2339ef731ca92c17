"""Every evaluation task of the suite, declared as data in one place.

A benchmark is a name, its languages, where its data lives (Hub id and local subfolder) and
what it reports. The generator scripts beside the YAMLs in ``task_yamls/`` read this module,
so adding a language is a one-line change here plus re-running the generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Benchmark:
    name: str  # group name; each language's task is f"{name}_{lang}"
    languages: tuple[str, ...]
    hub_id: str
    local_subdir: str
    metrics: tuple[str, ...]
    source: str  # the reference definition the metrics follow
    extra_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def task_names(self, languages: tuple[str, ...] | None = None) -> list[str]:
        return [f"{self.name}_{lang}" for lang in (languages or self.languages)]


XNLI = Benchmark(
    name="xfer_xnli",
    languages=tuple("ar bg de el en es fr hi ru sw th tr ur vi zh".split()),
    hub_id="facebook/xnli",
    local_subdir="xnli",
    metrics=("acc",),
    source="XTREME (Hu et al. 2020): accuracy over the three NLI labels, test split",
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
)

MMLU_EN = Benchmark(
    name="xfer_mmlu",
    languages=("en",),
    hub_id="cais/mmlu",
    local_subdir="mmlu",
    metrics=("acc",),
    source="MMLU (Hendrycks et al. 2021) from the hendrycks CSV release or cais/mmlu",
)

# The group a user calls. Language averages inside each group are unweighted means over
# languages, as XTREME reports them.
XTREME_GROUP = "xfer_xtreme"
XTREME_MEMBERS = (XNLI, TYDIQA, BUCC, TATOEBA, MMMLU)

ALL_BENCHMARKS = (XNLI, TYDIQA, BUCC, TATOEBA, MMMLU, GLOBAL_MMLU, M_MMLU, MMLU_EN)

# Local data subfolder of every benchmark (see xfer_tasks.data).
LOCAL_SUBDIRS = {benchmark.name: benchmark.local_subdir for benchmark in ALL_BENCHMARKS}


# --- lm-eval YAMLs written from this catalog -------------------------------------------
# Each family folder in task_yamls/ holds a hand-written ``_template_yaml`` and ``utils.py``;
# the per-language task YAMLs and the group YAML are rendered here, so the committed files
# are a function of the declarations above (tests/task_yamls checks they are up to date).

GENERATED_HEADER = (
    "# Generated by _generate_configs.py from xfer_tasks.catalog; do not edit by hand.\n"
)

# benchmark name -> folder under task_yamls/
YAML_FAMILIES = {
    XNLI.name: "xnli",
    TYDIQA.name: "tydiqa",
    MMMLU.name: "mmmlu",
    GLOBAL_MMLU.name: "global_mmlu",
    M_MMLU.name: "m_mmlu",
    MMLU_EN.name: "mmlu",
}
MACHINE_TRANSLATED = {M_MMLU.name}
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
    if benchmark.name in MACHINE_TRANSLATED:
        config["task_alias"] = f"{benchmark.name}_{lang} (machine-translated)"
    config["dataset_kwargs"] = {"xfer_lang": lang}
    if benchmark.name == XNLI.name:
        config["doc_to_choice"] = xnli_doc_to_choice(lang)
    return config


def group_yaml(benchmark: Benchmark) -> dict:
    """The language group: each metric an unweighted mean over languages, as XTREME reports."""
    config: dict = {"group": benchmark.name}
    if benchmark.name in MACHINE_TRANSLATED:
        config["group_alias"] = f"{benchmark.name} (machine-translated)"
    config["task"] = benchmark.task_names()
    config["aggregate_metric_list"] = [
        {"metric": metric, "aggregation": "mean", "weight_by_size": False}
        for metric in benchmark.metrics
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


def _dump(config: dict) -> str:
    import yaml

    return GENERATED_HEADER + yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def family_yaml_files(benchmark_name: str) -> dict[str, str]:
    """``{file name: text}`` of one family folder's generated YAMLs."""
    benchmark = benchmark_by_name(benchmark_name)
    files = {
        f"{benchmark.name}_{lang}.yaml": _dump(task_yaml(benchmark, lang))
        for lang in benchmark.languages
    }
    files[f"_{benchmark.name}.yaml"] = _dump(group_yaml(benchmark))
    return files


def xtreme_yaml_text() -> str:
    """The text of ``task_yamls/xfer_xtreme.yaml``."""
    return _dump(xtreme_group_yaml())


def write_family(benchmark_name: str, folder: str | Path) -> list[Path]:
    """Write one family's generated YAMLs into ``folder``; returns the paths written."""
    folder = Path(folder)
    written = []
    for name, text in family_yaml_files(benchmark_name).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def main() -> int:
    """Rewrite every generated YAML of the XNLI/TyDiQA/MMLU families and ``xfer_xtreme.yaml``."""
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
