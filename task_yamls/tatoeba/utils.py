"""lm-eval entry point of the Tatoeba tasks (importing the harness installs ``xfer_embed``)."""

from xfer_tasks.harness.tatoeba_task import TatoebaTask

__all__ = ["TatoebaTask"]
