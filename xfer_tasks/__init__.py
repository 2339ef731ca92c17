"""xfer: does English intermediate-task training transfer to other languages?

The library behind the ``xfer`` command: data loaders that work offline, reference-exact
metrics, a FAISS retrieval evaluator, the lm-eval glue that lets one ``lm_eval`` call score
XNLI, TyDiQA-GoldP, BUCC, Tatoeba and multilingual MMLU, and tools to compare checkpoints.
"""

__version__ = "0.1.0"
