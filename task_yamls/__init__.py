"""lm-eval task configs (what is measured). Pass this folder to ``lm_eval --include_path``.

Each family has a ``_template_yaml``, one small YAML per language written by the
``_generate_configs.py`` beside it (which reads ``xfer_tasks.catalog``), and a ``utils.py``.
"""
