"""lm-eval hooks of the xfer_mmlu_<lang> tasks: data from xfer_tasks.data.mmlu, lm-eval's prompt."""

from xfer_tasks.check_data import load_checked
from xfer_tasks.data import mmlu
from xfer_tasks.data.mmlu_common import format_question
from xfer_tasks.harness.choice_tasks import MMLUFamilyTask


class MMLUTask(MMLUFamilyTask):
    """The task class; few-shot examples: the first k dev questions of the same subject (lm-eval's rule)."""

    SAME_SUBJECT_SHOTS = True


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs;
    the metadata is checked, then the family's loader runs."""
    return load_checked(mmlu, xfer_lang, metadata)


def doc_to_text(doc: dict) -> str:
    """The question, its choices A-D and ``Answer:`` (the header is the description)."""
    return format_question(doc)
