"""lm-eval entry point of the BUCC tasks (importing the harness installs ``xfer_embed``)."""

from xfer_tasks.harness.bucc_task import BuccTask

__all__ = ["BuccTask"]
