"""``embed_layer: dev``: the layer chosen on BUCC's ``sample`` split (XTREME's dev), per run.

One :class:`DevLayerChoice` belongs to ONE ``xfer_embed`` call, i.e. one lm-eval run: the model
side (:func:`xfer_tasks.harness.hf_embed.hflm_xfer_embed`, or the ``--use_cache`` path) makes it
when a request's spec asks for ``dev`` and hands it to every
:class:`~xfer_tasks.harness.vectors.LayerStore` of the call, so it travels with the run's
embeddings to the tasks: the BUCC tasks register their ``sample``-split items in it
(``process_results``), and at aggregation every retrieval task of the run (BUCC's test split,
Tatoeba) asks it for the layer, computed once. No module state: a later run has its own.
"""

from __future__ import annotations

from typing import Any


class DevLayerChoice:
    """The BUCC ``sample``-split items of one run, by task, and the layer chosen from them."""

    def __init__(self) -> None:
        self._samples: dict[str, tuple[Any, list[Any]]] = {}
        self.chosen: tuple[int, list[float], list[str]] | None = None

    def register(self, task: Any, item: Any) -> None:
        """Keep a BUCC ``sample``-split item of ``task`` (which has ``sample_f1_per_layer``)."""
        entry = self._samples.setdefault(task.task_name, (task, []))
        entry[1].append(item)
        self.chosen = None

    def choose(self) -> tuple[int, list[float], list[str]]:
        """``(layer, mean sample F1 per layer, BUCC tasks used)``: the hidden_states index
        with the best F1 on the BUCC ``sample`` splits (XTREME's dev), the F1 of each
        language's sample split with its own tuned threshold, averaged over the BUCC languages
        of the run; ties go to the lowest index. Never uses a test split."""
        if self.chosen is not None:
            return self.chosen
        try:
            import torch.distributed as dist

            distributed = (
                dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1
            )
        except ImportError:  # pragma: no cover - torch is a dependency
            distributed = False
        if distributed:
            raise RuntimeError(
                "embed_layer 'dev' is not supported in data-parallel runs (each rank sees only "
                "its share of the BUCC sample split); run on one process or pick the layer "
                "with 'all'"
            )
        if not self._samples:
            raise ValueError(
                "embed_layer 'dev' chooses the layer on BUCC's sample split: add an "
                "xfer_bucc_<l> task (or the xfer_bucc group) to the same lm-eval run"
            )
        per_task = [task.sample_f1_per_layer(items) for task, items in self._samples.values()]
        n_states = min(len(f1s) for f1s in per_task)
        means = [float(sum(f1s[i] for f1s in per_task) / len(per_task)) for i in range(n_states)]
        best = max(range(n_states), key=lambda i: (means[i], -i))
        self.chosen = (best, means, sorted(self._samples))
        return self.chosen
