"""Helpers shared by the harness tests: a TaskManager over our YAMLs, direct reference runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xfer_tasks.data.bucc import load_bucc_split
from xfer_tasks.embed_spec import EmbedSpec
from xfer_tasks.harness.hf_embed import embed_texts
from xfer_tasks.paths import tasks_path
from xfer_tasks.retrieval import BitextSide, BuccSplit


def task_manager(**metadata: Any):
    """lm-eval's TaskManager over task_yamls/ only (no built-in tasks: faster to index)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(tasks_path()), include_defaults=False, metadata=metadata)


def embedded_bucc_splits(hflm: Any, root: Path, lang: str) -> dict[str, BuccSplit]:
    """Both BUCC splits under ``root/bucc2018`` embedded directly (default EmbedSpec), outside
    lm-eval: the reference the harness tasks' numbers are compared with."""
    splits = {}
    for split in ("sample", "training"):
        src_ids, src_texts, trg_ids, trg_texts, gold = load_bucc_split(root / "bucc2018", lang, split)
        src_emb, _ = embed_texts(hflm, src_texts, EmbedSpec(), progress=False)
        trg_emb, _ = embed_texts(hflm, trg_texts, EmbedSpec(), progress=False)
        splits[split] = BuccSplit(
            BitextSide(src_ids, src_texts, src_emb), BitextSide(trg_ids, trg_texts, trg_emb), gold
        )
    return splits
