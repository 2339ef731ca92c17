"""Teach lm-eval's model classes the ``xfer_embed`` request type (done on import of the package).

lm-eval 0.4.13's evaluator runs each request bucket as ``getattr(lm, request_type)(requests)``
without checking the type, so a task can ask for ``xfer_embed`` as long as the model object
has such a method. :func:`install` adds, explicitly:

- ``HFLM.xfer_embed``      -> :func:`xfer_tasks.harness.hf_embed.hflm_xfer_embed`
  (embeds with the model ``--model hf`` already loaded; nothing is loaded again);
- ``CachingLM.xfer_embed`` -> :func:`xfer_tasks.harness.embed_cache.caching_xfer_embed`
  (``--use_cache``; keyed by a model fingerprint, see that module);
- ``LM.xfer_embed``        -> raises :class:`UnsupportedBackendError` for every other backend.

It also installs :mod:`xfer_tasks.harness.stderr_hook`, so the retrieval tasks' bootstrap
standard errors reach the results file instead of ``N/A``.

Subclasses of HFLM inherit the HF method; any class that defines its own ``xfer_embed`` keeps it.
"""

from __future__ import annotations

from typing import Any


class UnsupportedBackendError(TypeError):
    """The retrieval tasks were run with a model backend that cannot give embeddings."""


def unsupported_xfer_embed(self: Any, requests: Any) -> list:
    raise UnsupportedBackendError(
        f"xfer retrieval tasks need --model hf; got {type(self).__name__}"
    )


def install() -> None:
    """Install the three methods and the stderr hook (idempotent)."""
    from lm_eval.api.model import LM, CachingLM
    from lm_eval.models.huggingface import HFLM

    from xfer_tasks.harness import stderr_hook
    from xfer_tasks.harness.embed_cache import caching_xfer_embed
    from xfer_tasks.harness.hf_embed import hflm_xfer_embed

    stderr_hook.install()

    if "xfer_embed" not in LM.__dict__:
        LM.xfer_embed = unsupported_xfer_embed
    HFLM.xfer_embed = hflm_xfer_embed
    CachingLM.xfer_embed = caching_xfer_embed
