"""lm-eval hooks of the xfer_xnli_<lang> tasks: data from xfer_tasks.data.xnli, lm-eval's xnli prompt."""

from xfer_tasks.check_data import load_checked
from xfer_tasks.data import xnli
from xfer_tasks.harness.choice_tasks import XNLITask

__all__ = ["XNLITask", "load"]


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs;
    the metadata is checked, then the family's loader runs."""
    return load_checked(xnli, xfer_lang, metadata)
