"""``xfer_bucc_<l>``: BUCC 2018 bitext mining as LASER/XTREME do it, inside lm-eval.

Every sentence of the official ``sample`` and ``training`` splits of ``<l>-en`` is a document
asking for one embedding. The aggregation rebuilds both splits and calls
:func:`xfer_tasks.retrieval.bucc_metrics`: margin-based (ratio, k=4) candidate mining, the
decision threshold tuned for F1 on the ``sample`` gold and applied to ``training``
(XTREME's dev/test). Metrics: ``f1``, ``precision``, ``recall`` on ``training`` and the
``threshold`` used. All four come from one mining run (memoised).

Data: the official files in ``<data_dir>/bucc2018/`` (``<l>-en.{sample,training}.{<l>,en,gold}``,
lines ``id<TAB>sentence`` / ``src_id<TAB>trg_id``; a ``<l>-en/`` subfolder also works). The
Hub copy ``mteb/bucc-bitext-mining`` is NOT used: it has neither the ``sample``/``training``
splits nor the sentence ids this protocol needs, so a missing local folder is an error that
names it.

Document order puts the first sentence of each of the four lists first, then interleaves the
rest proportionally, so ``--limit N`` keeps about the same fraction of each (gold pairs whose
two sentences both survive stay in the gold) and every side has a sentence from N = 4 on.
A smaller ``--limit`` (``--limit 2`` over ``xfer_xtreme``) is raised to 4 for BUCC, with a
warning: with fewer documents a side of a split is empty and mining is undefined.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from xfer_tasks.data.bucc import FAMILY as BUCC
from xfer_tasks.data.bucc import load_task_data
from xfer_tasks.harness.task_base import EmbeddingRetrievalTask, PoolScores
from xfer_tasks.harness.vectors import Embedding

SIDES = ("src", "trg")
log = logging.getLogger(__name__)


class BuccSentence:
    """One BUCC sentence's embedding and where it belongs (split, side, file position, id)."""

    __slots__ = ("split", "side", "position", "id", "text", "gold", "emb")

    def __init__(
        self,
        split: str,
        side: str,
        position: int,
        sid: str,
        text: str,
        gold: Sequence[str],
        emb: Embedding,
    ):
        self.split, self.side, self.position = split, side, int(position)
        self.id, self.text, self.gold, self.emb = sid, text, list(gold), emb

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, state[name])

    def __repr__(self) -> str:
        return f"<bucc {self.split} {self.side} {self.id}: embedding dim={self.emb.dim}>"

    __str__ = __repr__


def _interleave(lists: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One document of every list first (any limit >= len(lists) keeps all sides), then the rest
    by relative position, so a prefix keeps about the same fraction of every list."""
    heads = [docs[0] for docs in lists if docs]
    keyed = [
        ((pos + 0.5) / len(docs), rank, pos, doc)
        for rank, docs in enumerate(lists)
        for pos, doc in enumerate(docs)
        if pos > 0
    ]
    keyed.sort(key=lambda entry: entry[:3])
    return heads + [entry[3] for entry in keyed]


class BuccTask(EmbeddingRetrievalTask):
    TASK_KIND = "bucc"
    # metric roles are declared once, in the family's module: the threshold is BUCC's one metric the
    # language group does not average; it is a tuned setting, so it has no direction and no
    # stderr (the bootstrap resamples test-split source sentences with the threshold held fixed)
    METRICS = BUCC.metrics
    HIGHER_IS_BETTER = {m: (True if m in BUCC.group_metrics else None) for m in BUCC.metrics}
    STDERR_METRICS = BUCC.group_metrics

    def _at_least_one_per_side(self, limit: int | None) -> int | None:
        minimum = 2 * len(SIDES)  # one sentence of each side of both splits
        if limit is None or int(limit) >= minimum:
            return limit
        if not getattr(self, "_warned_limit", False):
            log.warning(
                "%s: --limit %s would leave a side of a BUCC split empty; using %d documents",
                self.task_name, limit, minimum,
            )  # fmt: skip
            self._warned_limit = True
        return minimum

    # lm-eval applies --limit where it builds the requests and again where it collects the
    # results (through doc_iterator): both see the raised limit.
    def build_all_requests(self, *, limit: int | None = None, **kwargs: Any) -> None:
        super().build_all_requests(limit=self._at_least_one_per_side(limit), **kwargs)

    def doc_iterator(self, *, limit: int | None = None, **kwargs: Any):
        return super().doc_iterator(limit=self._at_least_one_per_side(limit), **kwargs)

    @property
    def language(self) -> str:
        name = self.config.dataset_name or ""
        code = name.split("-")[0]
        if not code:
            raise ValueError(f"{self.config.task}: dataset_name must be '<l>-en', got {name!r}")
        return code

    def load_docs(self) -> list[dict[str, Any]]:
        lists: list[list[dict[str, Any]]] = []
        for split, (src_ids, src_texts, trg_ids, trg_texts, gold) in load_task_data(
            self.language, self.metadata
        ).items():
            partners: dict[str, list[str]] = {}
            for s, t in sorted(gold):
                partners.setdefault(s, []).append(t)
            for side, ids, texts in (("src", src_ids, src_texts), ("trg", trg_ids, trg_texts)):
                lists.append(
                    [
                        {
                            "split": split,
                            "side": side,
                            "position": pos,
                            "id": sid,
                            "text": text,
                            "gold": partners.get(sid, []) if side == "src" else [],
                        }
                        for pos, (sid, text) in enumerate(zip(ids, texts, strict=True))
                    ]
                )
        return _interleave(lists)

    def doc_sentences(self, doc: Mapping[str, Any]) -> list[str]:
        return [doc["text"]]

    def doc_to_target(self, doc: Mapping[str, Any]) -> str:
        return " ".join(doc["gold"])

    def make_item(self, doc: Mapping[str, Any], embeddings: Sequence[Embedding]) -> BuccSentence:
        return BuccSentence(
            doc["split"],
            doc["side"],
            doc["position"],
            doc["id"],
            doc["text"],
            doc["gold"],
            embeddings[0],
        )

    def item_key(self, item: BuccSentence) -> str:
        return f"{item.split}\t{item.side}\t{item.id}"

    def item_vectors(self, item: BuccSentence) -> Sequence[Embedding]:
        return (item.emb,)

    def on_layered_item(self, item: BuccSentence) -> None:
        """With ``embed_layer`` ``dev``, keep sample-split items for the run's layer choice."""
        store = item.emb.store
        if self.spec.layer == "dev" and item.split == "sample" and store is not None:
            if store.dev_choice is None:
                raise TypeError(f"{self.task_name}: embed_layer 'dev' needs the run's layer choice")
            store.dev_choice.register(self, item)

    def sample_f1_per_layer(self, items: Sequence[BuccSentence]) -> list[float]:
        """F1 on the ``sample`` split for every hidden state: mine it on that layer, tune the
        threshold on the sample gold (as for the headline), score the sample extraction."""
        from xfer_tasks.retrieval.bucc import (
            extract,
            mine_candidates,
            score_extraction,
            tune_threshold,
        )
        from xfer_tasks.retrieval.search import SearchConfig

        config = SearchConfig.from_options(dict(self.search_options))  # as bucc_extraction
        n_states = items[0].emb.n_states or 0
        f1s = []
        for layer in range(n_states):
            sample = self.build_split("sample", items, layer)
            candidates = mine_candidates(sample, config=config)
            threshold = tune_threshold(candidates, sample.gold)
            f1s.append(score_extraction(extract(candidates, threshold), sample.gold)["f1"])
        return f1s

    def build_split(self, split: str, items: Sequence[BuccSentence], layer: int | None = None):
        from xfer_tasks.retrieval import BitextSide, BuccSplit

        sides = {}
        for side in SIDES:
            chosen = sorted(
                (i for i in items if i.split == split and i.side == side), key=lambda i: i.position
            )
            if not chosen:
                raise ValueError(
                    f"{self.task_name}: no {split} {side} sentences were embedded (is --limit too small?); "
                    "BUCC needs both sides of the sample and training splits"
                )
            sides[side] = BitextSide(
                ids=[i.id for i in chosen],
                texts=[i.text for i in chosen],
                emb=self.matrix([i.emb for i in chosen], layer),
                name=f"{self.task_name} {split} {side}",
            )
        trg_ids = set(sides["trg"].ids)
        gold = {
            (i.id, t)
            for i in items
            if i.split == split and i.side == "src"
            for t in i.gold
            if t in trg_ids
        }
        return BuccSplit(
            src=sides["src"], trg=sides["trg"], gold=gold, name=f"{self.task_name} {split}"
        )

    def compute_scores(self, items: Sequence[BuccSentence], layer: int | None = None) -> PoolScores:
        from xfer_tasks.retrieval.bootstrap import bucc_bootstrap_stderr
        from xfer_tasks.retrieval.bucc import bucc_extraction

        sample = self.build_split("sample", items, layer)
        test = self.build_split("training", items, layer)
        found = bucc_extraction(sample, test, **self.search_options)
        return PoolScores(
            found.metrics(),
            lambda iters: bucc_bootstrap_stderr(found.src_ids, found.extracted, found.gold, iters),
        )
