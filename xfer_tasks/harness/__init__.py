"""The lm-eval glue: sentence embeddings from the model ``--model hf`` loaded, and retrieval tasks.

The only sub-package that imports ``lm_eval``; everything else in xfer_tasks works without it.
"""
