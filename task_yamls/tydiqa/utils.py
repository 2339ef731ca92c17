"""lm-eval hooks of the xfer_tydiqa_<lang> tasks: data from xfer_tasks.data.tydiqa, SQuAD v1.1 scores."""

from xfer_tasks.data import tydiqa
from xfer_tasks.metrics.squad import squad_scores


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs."""
    return tydiqa.load_task_data(xfer_lang, metadata)


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    """Exact match and F1 of the generated answer, each the max over the gold answers."""
    return squad_scores(results[0], doc["answers"]["text"])
