"""The lm-eval glue: sentence embeddings from the model ``--model hf`` loaded, and retrieval tasks.

The only sub-package that imports ``lm_eval``; everything else in xfer_tasks works without it.

Importing this package installs the ``xfer_embed`` request type on lm-eval's model classes
(:func:`xfer_tasks.harness.backends.install`, explicit and idempotent): HFLM embeds with its
already-loaded model, CachingLM caches by model fingerprint, every other backend raises
:class:`~xfer_tasks.harness.backends.UnsupportedBackendError`. The task YAMLs under
``task_yamls/tatoeba`` and ``task_yamls/bucc`` import it through their ``utils.py``.
"""

from xfer_tasks.embed_spec import EmbedSpec, EmbedSpecError
from xfer_tasks.harness.backends import UnsupportedBackendError, install
from xfer_tasks.harness.vectors import Embedding

install()

__all__ = ["EmbedSpec", "EmbedSpecError", "Embedding", "UnsupportedBackendError", "install"]
