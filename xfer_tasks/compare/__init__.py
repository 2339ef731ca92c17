"""Compare checkpoints' lm-eval results and gate CI on score regressions."""
