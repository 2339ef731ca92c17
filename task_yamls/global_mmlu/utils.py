"""lm-eval hooks of the xfer_global_mmlu_<lang> tasks: data from xfer_tasks.data.global_mmlu, lm-eval's prompt."""

from xfer_tasks.check_data import load_checked
from xfer_tasks.data import global_mmlu
from xfer_tasks.data.mmlu_common import format_question
from xfer_tasks.harness.choice_tasks import MMLUFamilyTask
from xfer_tasks.metrics.choice import choice_accuracy, cultural_split_metrics


class GlobalMMLUTask(MMLUFamilyTask):
    """The task class; few-shot examples: the first k dev questions of the same subject (lm-eval's rule)."""

    SAME_SUBJECT_SHOTS = True


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs;
    the metadata is checked, then the family's loader runs."""
    return load_checked(global_mmlu, xfer_lang, metadata)


def doc_to_text(doc: dict) -> str:
    """The question, its choices A-D and ``Answer:`` (the header is the description)."""
    return format_question(doc)


def process_results(doc: dict, results: list[tuple[float, bool]]) -> dict[str, float]:
    """``acc`` for every question, plus ``acc_cs`` or ``acc_ca`` for the annotated ones only.

    A key absent from the returned dict contributes nothing to that metric's mean, so
    acc_cs is the accuracy over CS questions and acc_ca over CA questions.
    """
    correct = choice_accuracy([loglikelihood for loglikelihood, _ in results], doc["answer"])
    return cultural_split_metrics(correct, doc["cultural_sensitivity_label"])
