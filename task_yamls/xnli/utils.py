"""lm-eval hook of the xfer_xnli_<lang> tasks: the data comes from xfer_tasks.data.xnli."""

from xfer_tasks.data import xnli


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs."""
    return xnli.load_task_data(xfer_lang, metadata)
