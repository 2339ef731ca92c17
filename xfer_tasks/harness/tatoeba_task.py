"""``xfer_tatoeba_<xxx>``: Tatoeba bitext retrieval (XTREME and MTEB definitions) inside lm-eval.

Documents are the aligned pairs of one LASER Tatoeba language pair (line i of
``tatoeba.<xxx>-eng.<xxx>`` with line i of ``tatoeba.<xxx>-eng.eng``); each asks for two
embeddings. Scores come from :func:`xfer_tasks.retrieval.tatoeba_metrics` over the whole pool:

- ``acc_en2xx``: XTREME -- English queries search the foreign side (top-1 accuracy);
- ``acc_xx2en``: MTEB BitextMining -- foreign queries search the English side (accuracy);
- ``f1_xx2en``: MTEB BitextMining -- scikit-learn weighted F1 (zero_division=0) of those
  foreign-to-English predictions.

Data: ``<data_dir>/tatoeba/`` in the LASER layout when a data folder is configured
(``XFER_DATA_DIR`` or ``--metadata data_dir``) and present, else the Hub dataset
``mteb/tatoeba-bitext-mining`` (config ``<xxx>-eng``, split ``test``; ``sentence1`` is the
foreign side, ``sentence2`` English -- the LASER files, row for row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from xfer_tasks.data.tatoeba import FAMILY as TATOEBA
from xfer_tasks.data.tatoeba import load_task_data
from xfer_tasks.harness.task_base import EmbeddingRetrievalTask, PoolScores
from xfer_tasks.harness.vectors import Embedding


class TatoebaPair:
    """One aligned pair's embeddings (row ``index`` of both sides)."""

    __slots__ = ("index", "xx", "en")

    def __init__(self, index: int, xx: Embedding, en: Embedding):
        self.index, self.xx, self.en = int(index), xx, en

    def __getstate__(self) -> dict[str, Any]:
        return {"index": self.index, "xx": self.xx, "en": self.en}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.index, self.xx, self.en = state["index"], state["xx"], state["en"]

    def __repr__(self) -> str:
        return f"<tatoeba pair {self.index}: 2 embeddings dim={self.xx.dim}>"

    __str__ = __repr__


class TatoebaTask(EmbeddingRetrievalTask):
    TASK_KIND = "tatoeba"
    METRICS = TATOEBA.metrics  # declared once, in the family's module
    STDERR_METRICS = METRICS  # bootstrap over aligned pairs (xfer_tasks.retrieval.bootstrap)

    @property
    def language(self) -> str:
        name = self.config.dataset_name or ""
        code = name.split("-")[0]
        if not code:
            raise ValueError(f"{self.config.task}: dataset_name must be '<xxx>-eng', got {name!r}")
        return code

    def load_docs(self) -> list[dict[str, Any]]:
        xx, en = load_task_data(self.language, self.metadata)
        return [
            {"index": i, "lang": self.language, "xx": x, "en": e}
            for i, (x, e) in enumerate(zip(xx, en, strict=True))
        ]

    def doc_sentences(self, doc: Mapping[str, Any]) -> list[str]:
        return [doc["xx"], doc["en"]]

    def doc_to_target(self, doc: Mapping[str, Any]) -> str:
        return doc["en"]

    def make_item(self, doc: Mapping[str, Any], embeddings: Sequence[Embedding]) -> TatoebaPair:
        return TatoebaPair(doc["index"], embeddings[0], embeddings[1])

    def item_key(self, item: TatoebaPair) -> str:
        return str(item.index)

    def item_vectors(self, item: TatoebaPair) -> Sequence[Embedding]:
        return (item.xx, item.en)

    def compute_scores(self, items: Sequence[TatoebaPair], layer: int | None = None) -> PoolScores:
        from xfer_tasks.retrieval.bootstrap import tatoeba_bootstrap_stderr
        from xfer_tasks.retrieval.tatoeba import tatoeba_predictions

        ordered = sorted(items, key=lambda item: item.index)
        indexes = [item.index for item in ordered]
        if len(set(indexes)) != len(indexes):
            raise ValueError(f"{self.task_name}: a Tatoeba pair was scored twice")
        xx = self.matrix([item.xx for item in ordered], layer)
        en = self.matrix([item.en for item in ordered], layer)
        predictions = tatoeba_predictions(xx, en, **self.search_options)
        return PoolScores(
            predictions.metrics(),
            lambda iters: tatoeba_bootstrap_stderr(predictions.en2xx, predictions.xx2en, iters),
        )
