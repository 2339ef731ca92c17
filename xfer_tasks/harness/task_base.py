"""The lm-eval Task behind the retrieval tasks: embedding requests in, corpus-level scores out.

A retrieval score is a property of the whole candidate pool, not a mean over documents, so:

- ``construct_requests`` emits ``xfer_embed`` Instances (``(text, spec)``, the task's
  :class:`~xfer_tasks.embed_spec.EmbedSpec` as a :class:`~xfer_tasks.embed_spec.SpecArgument`),
  one per sentence of the document; lm-eval hands them to ``lm.xfer_embed`` (see ``backends``);
- ``process_results`` returns, for every metric, the SAME per-document item (ids, side and the
  :class:`~xfer_tasks.harness.vectors.Embedding` objects); lm-eval gathers these lists on rank
  0 in data-parallel runs (``gather_object``), then calls each metric's aggregation once;
- the aggregation rebuilds the embedding matrices and calls the retrieval library; all metrics
  of a task share one computation, memoised on a content key (hash of the item keys and the
  vector bytes), so e.g. BUCC mines once for f1, precision, recall and threshold;
- standard errors: the aggregation of every metric in ``STDERR_METRICS`` carries an
  ``xfer_stderr(items, bootstrap_iters)`` attribute, which the hook installed by
  :mod:`xfer_tasks.harness.stderr_hook` hands to lm-eval as that metric's stderr function. It
  bootstraps the memoised per-query results (:mod:`xfer_tasks.retrieval.bootstrap`) without
  searching again; ``--bootstrap_iters 0`` disables it, other metrics stay ``N/A``.

Per-layer metrics (``embed_layer`` ``all``/``dev``): when the embeddings carry every hidden
state (a :class:`~xfer_tasks.harness.vectors.LayerStore`), ``process_results`` also returns
``<metric>_L<i>`` for every hidden_states index i (0 = the embedding output), aggregated by
scoring the pool again on layer i's vectors (read from disk one layer at a time); these have
no stderr (``N/A``). The headline metrics use the resolved layer (``auto``/preset), or with
``dev`` the layer with the best mean F1 on the BUCC ``sample`` splits of the same run (the
run's :class:`~xfer_tasks.harness.dev_layer.DevLayerChoice`, which comes with the embeddings). ``dump_config`` records the layer used and why.

The class is an ``lm_eval.api.task.Task`` (not ``ConfigurableTask``, whose constructor only
accepts lm-eval's four output types); YAMLs reach it with ``class: !function utils.<Class>``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from lm_eval.api.instance import Instance
from lm_eval.api.task import Task
from lm_eval.config.task import TaskConfig
from lm_eval.filters import build_filter_ensemble

from xfer_tasks.catalog import layer_metric, split_layer_metric
from xfer_tasks.embed_spec import EmbedSpec
from xfer_tasks.harness.dev_layer import DevLayerChoice
from xfer_tasks.harness.vectors import Embedding, stack_layer
from xfer_tasks.metadata import check_retrieval_metadata

log = logging.getLogger(__name__)

REQUEST_TYPE = "xfer_embed"


_TASK_CONFIG_FIELDS = {f.name for f in dataclasses.fields(TaskConfig)}


@dataclasses.dataclass(frozen=True)
class PoolScores:
    """What ``compute_scores`` returns for one candidate pool: every metric's value, and the
    bootstrap standard errors as a function of the number of replicates (``None``: no
    stderr for any metric). ``bootstrap(iters)`` must use the same retrieval results as
    ``scores`` (the subclasses close over them), so the two cannot diverge."""

    scores: Mapping[str, float]
    bootstrap: Callable[[int], Mapping[str, float]] | None = None


class EmbeddingRetrievalTask(Task):
    """Base class: subclasses define ``METRICS`` (and ``STDERR_METRICS``, those with a
    bootstrap stderr), ``load_docs``, ``doc_sentences``, ``make_item`` and ``compute_scores``."""

    VERSION: int | str = 1
    OUTPUT_TYPE = REQUEST_TYPE
    METRICS: tuple[str, ...] = ()
    STDERR_METRICS: tuple[str, ...] = ()
    HIGHER_IS_BETTER: Mapping[str, bool | None] = {}

    def __init__(self, config: Mapping[str, Any] | None = None, **_ignored: Any) -> None:
        raw = {k: v for k, v in dict(config or {}).items() if k != "class"}
        unknown = sorted(set(raw) - _TASK_CONFIG_FIELDS)
        if unknown:
            raise ValueError(
                f"{raw.get('task', type(self).__name__)}: unknown task config key(s) {unknown}; "
                "put task options under 'metadata'"
            )
        raw["output_type"] = REQUEST_TYPE
        raw.setdefault("num_fewshot", 0)
        self._config = TaskConfig(**raw)
        self.metadata: dict[str, Any] = dict(self._config.metadata or {})
        # keys and values, as xfer check-data checks them; parsed here, once, and passed down:
        # the EmbedSpec object travels in every request to the model side
        options = check_retrieval_metadata(self.metadata, task_kind=self.TASK_KIND)
        if "version" in self.metadata:
            self.VERSION = self.metadata["version"]
        self.spec: EmbedSpec = options.embed
        self.search_options: dict[str, Any] = options.search_options
        self._training_docs = None
        self._fewshot_docs = None
        self._instances: list[Instance] | None = None
        self._filters = [build_filter_ensemble("none", [["take_first", None]])]
        self.fewshot_rnd = None
        self._pool: tuple[str, PoolScores] | None = None  # (content key, scores): latest pool
        self._key_memo: tuple[tuple[Any, ...], str] | None = None  # (items, content key)
        self._stderrs: dict[int, Mapping[str, float]] = {}  # iters -> stderrs of that pool
        self._embedding_info: dict[str, Any] | None = None
        self._n_states: int | None = None  # hidden states pooled (embed_layer all/dev)
        self._dev_choice: DevLayerChoice | None = None  # the run's (embed_layer dev)
        self._layer_scores: dict[tuple[str, int], Mapping[str, float]] = {}
        self._headline_layer: int | None = None  # the layer the headline metrics used
        # Load (and validate) the data now: a missing dataset fails before any inference.
        self._docs: list[dict[str, Any]] = self.load_docs()
        if not self._docs:
            raise ValueError(f"{self.task_name}: the dataset has no sentences")

    # ------------------------------------------------------------------ subclass hooks
    def load_docs(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def doc_sentences(self, doc: Mapping[str, Any]) -> list[str]:
        """The sentences of ``doc`` to embed, in request order."""
        raise NotImplementedError

    def make_item(self, doc: Mapping[str, Any], embeddings: Sequence[Embedding]) -> Any:
        """The per-document item every metric receives (must be picklable, compact repr)."""
        raise NotImplementedError

    def item_key(self, item: Any) -> str:
        raise NotImplementedError

    def item_vectors(self, item: Any) -> Sequence[Embedding]:
        raise NotImplementedError

    def compute_scores(self, items: Sequence[Any], layer: int | None = None) -> PoolScores:
        """All metrics of the pool (one retrieval run) and their bootstrap, on the items'
        headline vectors (``layer`` None) or on hidden_states[``layer``] (see :meth:`matrix`)."""
        raise NotImplementedError

    TASK_KIND: str | None = None  # "tatoeba" / "bucc": presets differ per task

    @staticmethod
    def matrix(embeddings: Sequence[Embedding], layer: int | None) -> Any:
        """The (n, dim) float32 matrix of ``embeddings``: their headline vectors, or hidden
        state ``layer`` read from their layer store."""
        import numpy as np

        if layer is None:
            return np.stack([emb.vector for emb in embeddings])
        return stack_layer(embeddings, layer)

    # ------------------------------------------------------------------ lm-eval Task API
    def has_training_docs(self) -> bool:
        return False

    def has_validation_docs(self) -> bool:
        return False

    def has_test_docs(self) -> bool:
        return True

    def test_docs(self) -> list[dict[str, Any]]:
        return self._docs

    def doc_to_text(self, doc: Mapping[str, Any]) -> str:
        return self.doc_sentences(doc)[0]

    def fewshot_context(
        self, doc: Mapping[str, Any], num_fewshot: int = 0, *args: Any, **kwargs: Any
    ) -> str:
        if num_fewshot:
            raise ValueError(
                f"{self.task_name}: retrieval tasks are zero-shot (num_fewshot must be 0)"
            )
        return ""

    def build_all_requests(
        self, *, limit: int | None = None, samples: list[int] | None = None, **kwargs: Any
    ) -> None:
        if limit is not None or samples is not None:
            log.warning(
                "%s: --limit/--samples shrinks the retrieval candidate pool (%s of %d documents); "
                "the scores are NOT comparable with full-set scores",
                self.task_name,
                limit if limit is not None else f"{len(samples or [])} selected",
                len(self._docs),
            )
        super().build_all_requests(limit=limit, samples=samples, **kwargs)

    def construct_requests(self, doc: Mapping[str, Any], ctx: str, **kwargs: Any) -> list[Instance]:
        spec = self.spec.request_argument()  # the parsed object, logged as a plain dict
        metadata = kwargs.get("metadata", (self.task_name, None, 1))
        return [
            Instance(
                request_type=REQUEST_TYPE, doc=doc, arguments=(text, spec), idx=i, metadata=metadata
            )
            for i, text in enumerate(self.doc_sentences(doc))
        ]

    def process_results(self, doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, Any]:
        embeddings = list(results)
        expected = len(self.doc_sentences(doc))
        if len(embeddings) != expected or not all(isinstance(e, Embedding) for e in embeddings):
            raise TypeError(
                f"{self.task_name}: expected {expected} Embedding responses per document, got "
                f"{[type(e).__name__ for e in embeddings]}"
            )
        item = self.make_item(doc, embeddings)
        stores = {e.n_states for e in embeddings}
        if len(stores) != 1:
            raise TypeError(
                f"{self.task_name}: a document mixes all-layer and one-layer embeddings"
            )
        n_states = stores.pop()
        if n_states is not None:
            self._n_states = n_states
            store = embeddings[0].store
            self._dev_choice = store.dev_choice if store is not None else None
            self.on_layered_item(item)
            return dict.fromkeys(self.all_metric_names(), item)
        return dict.fromkeys(self.METRICS, item)

    def on_layered_item(self, item: Any) -> None:
        """Called for each item that carries every hidden state (BUCC registers dev items)."""

    def all_metric_names(self) -> list[str]:
        """The headline metrics, then ``<metric>_L<i>`` for every pooled hidden state."""
        names = list(self.METRICS)
        for layer in range(self._n_states or 0):
            names += [layer_metric(metric, layer) for metric in self.METRICS]
        return names

    def _split_metric(self, name: str) -> tuple[str, int | None]:
        return split_layer_metric(name, self.METRICS)

    def aggregation(self) -> dict[str, Any]:
        functions = {}
        for name in self.all_metric_names():
            metric, layer = self._split_metric(name)
            if layer is not None:
                functions[name] = partial(self._aggregate_layer, metric, layer)
                continue
            function = partial(self._aggregate, metric)
            if metric in self.STDERR_METRICS:
                function.xfer_stderr = partial(self._bootstrap_stderr, metric)  # type: ignore[attr-defined]
            functions[name] = function
        return functions

    def higher_is_better(self) -> dict[str, bool | None]:
        return {
            name: self.HIGHER_IS_BETTER.get(self._split_metric(name)[0], True)
            for name in self.all_metric_names()
        }

    def _content_key(self, items: Sequence[Any]) -> str:
        """A hash of the pool: item keys, headline vector bytes and layer-store rows.

        lm-eval hands every metric its own list of the SAME item objects, and a layered run
        has ``(1 + hidden states) x metrics`` of them per task, so the hash of the latest
        pool is memoised on the items' identities (the items are never mutated)."""
        memo = self._key_memo
        if (
            memo is not None
            and len(memo[0]) == len(items)
            and all(a is b for a, b in zip(memo[0], items, strict=True))
        ):
            return memo[1]
        digest = hashlib.blake2b(digest_size=20)
        for item in items:
            digest.update(self.item_key(item).encode("utf-8"))
            for emb in self.item_vectors(item):
                digest.update(emb.vector.tobytes())
                if emb.store is not None:
                    digest.update(f"|{emb.store.path}|{emb.row}".encode())
        key = digest.hexdigest()
        self._key_memo = (tuple(items), key)
        return key

    def headline_layer(self, items: Sequence[Any]) -> int | None:
        """None: the items' own vectors (the resolved layer); with ``embed_layer`` ``dev``
        the hidden_states index chosen on BUCC's sample split (the run's choice, which the
        embeddings carry)."""
        if self.spec.layer != "dev":
            return None
        first = self.item_vectors(items[0])[0]
        if first.store is None:
            raise TypeError(f"{self.task_name}: embed_layer 'dev' needs all-layer embeddings")
        if first.store.dev_choice is None:
            raise TypeError(f"{self.task_name}: embed_layer 'dev' needs the run's layer choice")
        return first.store.dev_choice.choose()[0]

    def _pool_scores(self, items: Sequence[Any]) -> PoolScores:
        key = self._content_key(items)
        if self._pool is None or self._pool[0] != key:
            first = self.item_vectors(items[0])[0]
            self._embedding_info = first.describe()
            layer = self.headline_layer(items)
            self._headline_layer = first.layer if layer is None else layer
            self._pool = (key, self.compute_scores(items, layer))  # keep only the latest pool
            self._stderrs = {}
            self._layer_scores = {}
        return self._pool[1]

    def _aggregate(self, metric: str, items: Sequence[Any]) -> float:
        return float(self._pool_scores(items).scores[metric])

    def _aggregate_layer(self, metric: str, layer: int, items: Sequence[Any]) -> float:
        """``metric`` on hidden_states[``layer``] (every metric of a layer: one retrieval run)."""
        key = self._content_key(items)
        if (key, layer) not in self._layer_scores:
            self._layer_scores = {k: v for k, v in self._layer_scores.items() if k[0] == key}
            self._layer_scores[(key, layer)] = self.compute_scores(items, layer).scores
        return float(self._layer_scores[(key, layer)][metric])

    def _bootstrap_stderr(self, metric: str, items: Sequence[Any], bootstrap_iters: int) -> float:
        """``metric``'s bootstrap stderr with ``effective_iters(bootstrap_iters)`` replicates
        (memoised per pool and replicate count; lm-eval asks once per metric)."""
        from xfer_tasks.retrieval.bootstrap import effective_iters

        iters = effective_iters(bootstrap_iters)
        if iters == 0:
            raise ValueError(f"{self.task_name}: bootstrap stderr requested with 0 iterations")
        pool = self._pool_scores(items)
        if pool.bootstrap is None:
            raise TypeError(f"{self.task_name}: compute_scores gave no bootstrap for {metric}")
        if iters not in self._stderrs:
            self._stderrs[iters] = pool.bootstrap(iters)
        return float(self._stderrs[iters][metric])

    def dump_config(self) -> dict[str, Any]:
        config = self.config.to_dict()
        info = self._embedding_info or {}
        config.update(
            {
                "embed_layer": self.spec.layer,
                "embed_layer_used": self._headline_layer
                if self._headline_layer is not None
                else info.get("layer"),
                "embed_layer_reason": info.get("reason"),
                "embed_n_states": self._n_states,
                "embed_preset": self.spec.preset,
                "embed_pooling": self.spec.pooling,
                "embed_pooling_used": info.get("pooling"),
                "embed_max_length": info.get("max_length", self.spec.max_length or "auto"),
                "embed_batch_size": self.spec.batch_size or "lm-eval --batch_size",
                "embed_precision": info.get("precision", self.spec.precision),
                "embed_dim": info.get("dim"),
                "search_options": self.search_options,
            }
        )
        chosen = self._dev_choice.chosen if self._dev_choice is not None else None
        if self.spec.layer == "dev" and chosen is not None:
            layer, means, tasks = chosen
            config["embed_layer_reason"] = (
                f"dev: best mean F1 on the BUCC sample split of {', '.join(tasks)}"
            )
            config["embed_dev_sample_f1"] = {layer_metric("f1", i): f for i, f in enumerate(means)}
        return config
