"""lm-eval hooks of the xfer_m_mmlu_<lang> tasks: data from xfer_tasks.data.m_mmlu, lm-eval's prompt."""

from xfer_tasks.check_data import load_checked
from xfer_tasks.data import m_mmlu
from xfer_tasks.data.mmlu_common import format_question
from xfer_tasks.harness.choice_tasks import MMLUFamilyTask


class OkapiMMLUTask(MMLUFamilyTask):
    """The task class; few-shot examples: the first k questions of the dev split (lm-eval's m_mmlu rule)."""

    SAME_SUBJECT_SHOTS = False


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs;
    the metadata is checked, then the family's loader runs."""
    return load_checked(m_mmlu, xfer_lang, metadata)


def doc_to_text(doc: dict) -> str:
    """The question, its choices A-D and ``Answer:`` (the header is the description)."""
    return format_question(doc)
