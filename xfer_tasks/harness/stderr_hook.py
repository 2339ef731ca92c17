"""Let a task's aggregation function bring its own standard error into lm-eval's results.

lm-eval 0.4.13 writes ``<metric>_stderr,<filter>`` in ``evaluator_utils._compute_task_aggregations``
from ``stderr_for_metric(metric=<aggregation fn>, bootstrap_iters=...)``, which only knows its
own aggregations (``mean``, ``acc_all``, a fixed bootstrappable list) and returns ``None``, i.e.
``"N/A"``, for any other. :func:`install` (called by :func:`xfer_tasks.harness.install`)
replaces that name, where ``evaluator_utils`` looks it up (and in ``lm_eval.api.metrics``),
by :func:`stderr_for_metric`: an aggregation function with an ``xfer_stderr`` attribute gets
``xfer_stderr(items, bootstrap_iters=...)`` as its stderr function; every other aggregation
goes to lm-eval's original, unchanged. ``bootstrap_iters <= 0`` gives ``None`` as in lm-eval
(lm-eval does not even ask then: ``--bootstrap_iters 0`` writes ``N/A``).

Group rows (``xfer_tatoeba``, ``xfer_bucc``) then pool the members' stderrs as lm-eval does for
any metric (``unweighted_mean_stderr`` for their unweighted means).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

STDERR_ATTRIBUTE = "xfer_stderr"


def make_stderr_for_metric(original: Callable[..., Any]) -> Callable[..., Any]:
    """lm-eval's ``stderr_for_metric`` with the ``xfer_stderr`` attribute honoured first."""

    def stderr_for_metric(
        metric: Callable[[Sequence[Any]], float], bootstrap_iters: int
    ) -> Callable[[Sequence[Any]], float] | None:
        own = getattr(metric, STDERR_ATTRIBUTE, None)
        if own is None:
            return original(metric, bootstrap_iters)
        if bootstrap_iters <= 0:
            return None
        return partial(own, bootstrap_iters=bootstrap_iters)

    stderr_for_metric.__wrapped__ = original  # type: ignore[attr-defined]
    stderr_for_metric.xfer_hook = True  # type: ignore[attr-defined]
    return stderr_for_metric


def install() -> None:
    """Install the hook in ``lm_eval.evaluator_utils`` and ``lm_eval.api.metrics`` (idempotent)."""
    import lm_eval.api.metrics as metrics
    import lm_eval.evaluator_utils as evaluator_utils

    for module in (evaluator_utils, metrics):
        current = module.stderr_for_metric
        if not getattr(current, "xfer_hook", False):
            module.stderr_for_metric = make_stderr_for_metric(current)
