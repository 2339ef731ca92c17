"""Compare checkpoints' lm-eval results and gate CI on score regressions.

Python entry point: ``compare_runs(paths, baseline=...) -> Comparison`` (see ``comparison``);
``report.write_report(comparison, out_dir)`` writes Markdown, CSV, JSON, plots and HTML.
Commands: ``xfer compare`` (``cli_compare``) and ``xfer regress`` (``cli_regress``).
"""

from xfer_tasks.compare.comparison import Comparison, compare_runs

__all__ = ["Comparison", "compare_runs"]
