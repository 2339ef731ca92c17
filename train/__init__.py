"""Intermediate-task training: how the checkpoints a study compares are made.

This folder is the package ``xfer_tasks.train``: ``pyproject.toml`` maps the top-level
``train/`` to that import name (``package-dir``), so ``train/run.py`` is imported as
``xfer_tasks.train.run``, and grepping for ``xfer_tasks.train`` finds its users.

"Task" here always means a TRAINING (intermediate) task, declared in ``train/tasks/*.yaml``;
the evaluation tasks are lm-eval's, in ``task_yamls/``.

- commands: ``cli_train.py`` (``xfer train``), ``cli_sweep.py`` (``xfer sweep``), thin wrappers
  that share ``cli_common.py`` and never import each other;
- configs: ``config.py`` (a run, and the command-line overrides), ``sweep.py`` (the sweep's
  points and ``run_sweep``, which the study calls), ``mixture.py``,
  ``budget.py``;
- the runner: ``run.py`` (one checkpoint: phases in order, resumable, published atomically);
- the recipes, which never import each other: ``sft.py`` (causal LM), ``encoder.py``
  (encoder with a head per task);
- what they share: ``common.py`` (tokens, ``TrainingArguments``, process rank),
  ``checkpoint_io.py`` (crash-safe folders, durable JSON), ``manifest.py``
  (``xfer_manifest.json``), ``resume_metrics.py``;
- training data: ``task_spec.py`` (the task YAML schema), ``sources.py`` (Hub or local
  files), ``formatting.py`` (records to examples), ``pool.py`` (the budgeted mixture);
- ``tiny_model.py``: a tiny random causal LM for offline tests and the demo.
"""
