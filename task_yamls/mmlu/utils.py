"""lm-eval hooks of the xfer_mmlu_<lang> tasks: data from xfer_tasks.data.mmlu, MMLU's prompt."""

from xfer_tasks.data import mmlu
from xfer_tasks.data.mmlu_common import format_question


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs."""
    return mmlu.load_task_data(xfer_lang, metadata)


def doc_to_text(doc: dict) -> str:
    """The question, its choices A-D and ``Answer:`` (the header is the description)."""
    return format_question(doc)
