"""The real lm-eval path on a tiny causal LM, with local data and --limit.

Every score lm-eval reports is recomputed here from the logged per-sample model outputs
with xfer_tasks.metrics (which the metric tests check against hand-computed cases), and
every group score is recomputed as the unweighted mean over its languages.
"""

from __future__ import annotations

import math

import pytest

from xfer_tasks.catalog import GLOBAL_MMLU, MMMLU, TYDIQA, XNLI, XNLI_PROMPT_WORDS
from xfer_tasks.data.mmlu_common import HEADER, format_question
from xfer_tasks.metrics.choice import choice_accuracy, cultural_split_scores
from xfer_tasks.metrics.mlqa import mlqa_scores
from xfer_tasks.metrics.squad import squad_scores
from xfer_tasks.paths import tasks_path

lm_eval = pytest.importorskip("lm_eval")

# Fast: a few languages of each family, and the Global-MMLU group (42 small files of unequal
# sizes, so a size-weighted mean would differ from the unweighted one). Slow: every language.
FAST_TASKS = [
    "xfer_xnli_de",
    "xfer_xnli_sw",
    "xfer_tydiqa_en",
    "xfer_mmlu",
    "xfer_m_mmlu_de",
    "xfer_mmmlu_de_de",
    "xfer_mmmlu_yo_ng",
    "xfer_global_mmlu",
]
SLOW_TASKS = ["xfer_xnli", "xfer_tydiqa", "xfer_mmmlu"]
LIMIT = 5  # >= the largest Global-MMLU file, so every written item is scored
METADATA = {"xnli_split": "validation", "m_mmlu_split": "validation"}


def evaluate(tiny_model, data_root, tasks: list[str], limit: int):
    import torch
    from lm_eval.tasks import TaskManager

    metadata = {"data_dir": str(data_root), **METADATA}
    manager = TaskManager(include_path=str(tasks_path()), include_defaults=False, metadata=metadata)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 64-wide model gains nothing from threads on a shared machine
    try:
        return lm_eval.simple_evaluate(
            model="hf",
            model_args={"pretrained": str(tiny_model), "dtype": "float32"},
            tasks=tasks,
            task_manager=manager,
            limit=limit,
            batch_size=32,
            device="cpu",
            log_samples=True,
            bootstrap_iters=1000,  # every aggregation is a mean: closed-form stderr, no bootstrap
            gen_kwargs={"max_gen_toks": 16},  # the random model never stops early; keep it short
        )
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def run(tiny_model, data_root):
    return evaluate(tiny_model, data_root, FAST_TASKS, LIMIT)


@pytest.fixture(scope="module")
def run_all_languages(tiny_model, data_root):
    return evaluate(tiny_model, data_root, SLOW_TASKS, 2)


def _lls(sample) -> list[float]:
    return [ll for ll, _ in sample["filtered_resps"]]


def _score(run, task: str, metric: str) -> float:
    return run["results"][task][f"{metric},none"]


def test_xnli_prompt_and_accuracy(run):
    for lang in ("de", "sw"):
        samples = run["samples"][f"xfer_xnli_{lang}"]
        assert len(samples) == LIMIT
        for sample in samples:
            doc = sample["doc"]
            # lm-eval's xnli_<lang> prompt: empty context, one candidate sentence per label
            question, *labels = XNLI_PROMPT_WORDS[lang]
            assert {arg[0] for arg in sample["arguments"]} == {""}
            assert [arg[1] for arg in sample["arguments"]] == [
                f" {doc['premise']}, {question}? {label}, {doc['hypothesis']}" for label in labels
            ]
        expected = sum(choice_accuracy(_lls(s), s["doc"]["label"]) for s in samples) / LIMIT
        assert _score(run, f"xfer_xnli_{lang}", "acc") == pytest.approx(expected)


@pytest.mark.slow
def test_every_language_and_group_means(run_all_languages):
    run = run_all_languages
    for group, tasks, metrics in (
        ("xfer_xnli", [f"xfer_xnli_{lang}" for lang in XNLI.languages], ["acc"]),
        (
            "xfer_tydiqa",
            [f"xfer_tydiqa_{lang}" for lang in TYDIQA.languages],
            ["exact_match", "f1"],
        ),
        ("xfer_mmmlu", [f"xfer_mmmlu_{locale}" for locale in MMMLU.languages], ["acc"]),
    ):
        for metric in metrics:
            per_language = [_score(run, task, metric) for task in tasks]
            assert all(0.0 <= value <= 1.0 for value in per_language)
            assert _score(run, group, metric) == pytest.approx(
                sum(per_language) / len(per_language)
            )


def test_tydiqa_generation_scored_with_squad_v11(run):
    for lang in ("en",):
        samples = run["samples"][f"xfer_tydiqa_{lang}"]
        assert len(samples) == LIMIT
        recomputed = [
            squad_scores(s["filtered_resps"][0], s["doc"]["answers"]["text"])
            | mlqa_scores(s["filtered_resps"][0], s["doc"]["answers"]["text"], lang)
            for s in samples
        ]
        for metric in ("exact_match", "f1", "exact_match_mlqa", "f1_mlqa"):
            expected = sum(r[metric] for r in recomputed) / LIMIT
            assert _score(run, f"xfer_tydiqa_{lang}", metric) == pytest.approx(expected)
        sample = samples[0]
        assert sample["arguments"][0][0].endswith(
            f"\n\nQuestion: {sample['doc']['question']}\nAnswer:"
        )
        assert sample["arguments"][0][1]["until"] == ["\n"]
        assert sample["arguments"][0][1]["do_sample"] is False


def test_english_mmlu_prompt_is_mmlus(run):
    samples = run["samples"]["xfer_mmlu_en"]
    for sample in samples:
        doc = sample["doc"]
        prompt = HEADER.format(subject_name=doc["subject_name"]) + format_question(doc)
        assert {arg[0] for arg in sample["arguments"]} == {prompt}
        assert [arg[1] for arg in sample["arguments"]] == [" A", " B", " C", " D"]
    assert samples[0]["arguments"][0][0].startswith(
        "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
    )
    expected = sum(choice_accuracy(_lls(s), s["doc"]["answer"]) for s in samples) / LIMIT
    assert _score(run, "xfer_mmlu_en", "acc") == pytest.approx(expected)
    assert _score(run, "xfer_mmlu", "acc") == pytest.approx(expected)  # group of one language


def test_m_mmlu_is_labelled_machine_translated(run):
    assert "machine-translated" in run["results"]["xfer_m_mmlu_de"]["alias"]
    samples = run["samples"]["xfer_m_mmlu_de"]
    expected = sum(choice_accuracy(_lls(s), s["doc"]["answer"]) for s in samples) / LIMIT
    assert _score(run, "xfer_m_mmlu_de", "acc") == pytest.approx(expected)


def test_mmmlu_locales(run):
    for locale in ("de_de", "yo_ng"):
        samples = run["samples"][f"xfer_mmmlu_{locale}"]
        assert len(samples) == 3
        acc = sum(choice_accuracy(_lls(s), s["doc"]["answer"]) for s in samples) / 3
        assert _score(run, f"xfer_mmmlu_{locale}", "acc") == pytest.approx(acc)


def test_global_mmlu_cs_ca_scores_and_group(run):
    per_language: dict[str, list[float]] = {"acc": [], "acc_cs": [], "acc_ca": []}
    for lang in GLOBAL_MMLU.languages:
        task = f"xfer_global_mmlu_{lang}"
        samples = run["samples"][task]
        items = [
            (choice_accuracy(_lls(s), s["doc"]["answer"]), s["doc"]["cultural_sensitivity_label"])
            for s in samples
        ]
        expected = cultural_split_scores(items)
        assert set(expected) == {"acc", "acc_cs", "acc_ca"}
        for metric, value in expected.items():
            assert _score(run, task, metric) == pytest.approx(value), (task, metric)
            per_language[metric].append(value)
    for metric, values in per_language.items():
        assert _score(run, "xfer_global_mmlu", metric) == pytest.approx(
            sum(values) / len(values)
        ), metric


def test_global_mmlu_stderr_uses_only_the_subset(run):
    # stderr of acc_cs is the standard error of the mean over the CS items alone
    for lang in ("sw", "cs"):  # 2 CS and 2 CA items each
        samples = run["samples"][f"xfer_global_mmlu_{lang}"]
        result = run["results"][f"xfer_global_mmlu_{lang}"]
        for metric, label in (("acc_cs", "CS"), ("acc_ca", "CA")):
            values = [
                choice_accuracy(_lls(s), s["doc"]["answer"])
                for s in samples
                if s["doc"]["cultural_sensitivity_label"] == label
            ]
            n, mean = len(values), sum(values) / len(values)
            assert n == 2
            sample_sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
            assert result[f"{metric}_stderr,none"] == pytest.approx(sample_sd / math.sqrt(n))
    # one CA item (en: CS, CA, -, CS): no standard error can be estimated
    assert run["results"]["xfer_global_mmlu_en"]["acc_ca_stderr,none"] == "N/A"
    assert run["results"]["xfer_global_mmlu"]["acc_ca_stderr,none"] == "N/A"
