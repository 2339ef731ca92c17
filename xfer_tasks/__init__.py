"""xfer: does English intermediate-task training transfer to other languages?

The library behind the ``xfer`` command: data loaders that work offline, reference-exact
metrics, a FAISS retrieval evaluator, the lm-eval glue that lets one ``lm_eval`` call score
XNLI, TyDiQA-GoldP, BUCC, Tatoeba and multilingual MMLU, and tools to compare checkpoints.
"""

__version__ = "0.1.0"

from xfer_tasks.errors import install_excepthook as _install_excepthook  # noqa: E402

# Inside `lm_eval` only, an uncaught xfer error prints one line (see xfer_tasks.errors).
_install_excepthook()
