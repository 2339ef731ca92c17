"""BUCC under a small ``--limit``: every side of both splits keeps a sentence, so ``--limit 2``
over ``xfer_xtreme`` (the real-size benchmark's call) scores BUCC instead of failing the run."""

from __future__ import annotations

import logging
import math

import lm_eval
from harness_helpers import task_manager

from xfer_tasks.harness.bucc_task import _interleave


def test_interleave_puts_one_document_of_every_list_first():
    lists = [[{"l": name, "i": i} for i in range(n)] for name, n in (("a", 3), ("b", 40), ("c", 1), ("d", 400))]
    order = _interleave(lists)
    assert [d["l"] for d in order[:4]] == ["a", "b", "c", "d"]
    assert sorted((d["l"], d["i"]) for d in order) == sorted((d["l"], d["i"]) for docs in lists for d in docs)
    # the rest keeps the proportional interleaving: after 10% of the documents, ~10% of each list
    first = order[: len(order) // 10]
    assert 3 <= sum(d["l"] == "b" for d in first) <= 6 and 38 <= sum(d["l"] == "d" for d in first) <= 42


def test_limit_below_four_is_raised_with_a_warning(tiny_hflm, bucc_root, caplog):
    with caplog.at_level(logging.WARNING):
        out = lm_eval.simple_evaluate(
            model=tiny_hflm, tasks=["xfer_bucc_de"], task_manager=task_manager(data_dir=str(bucc_root)),
            limit=2, bootstrap_iters=0,
        )  # fmt: skip
    result = out["results"]["xfer_bucc_de"]
    assert all(math.isfinite(result[f"{m},none"]) for m in ("f1", "precision", "recall"))
    assert any("--limit 2 would leave a side" in r.getMessage() for r in caplog.records)
