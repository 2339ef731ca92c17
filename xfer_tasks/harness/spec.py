"""Moved to :mod:`xfer_tasks.embed_spec` (importable without lm-eval); kept for scripts that
import it from here (``benchmarks/``)."""

from xfer_tasks.embed_spec import *  # noqa: F403
from xfer_tasks.embed_spec import __all__  # noqa: F401
