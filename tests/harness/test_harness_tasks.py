"""The retrieval tasks through lm-eval's own evaluator (simple_evaluate / evaluate), in process.

Scores are recomputed here from embeddings taken directly (embed_texts) and the retrieval
library, so these tests check the lm-eval plumbing (requests, ordering, aggregation, groups,
sample logging, data-parallel gathering), not the metric definitions (tests/retrieval does).
"""

from __future__ import annotations

import json
import logging
import threading

import numpy as np
import pytest
import torch
from harness_helpers import embedded_bucc_splits, task_manager

from xfer_tasks.catalog import TATOEBA, TATOEBA_ALL
from xfer_tasks.data.tatoeba import load_tatoeba_pair
from xfer_tasks.embed_spec import EmbedSpec
from xfer_tasks.harness.hf_embed import embed_texts
from xfer_tasks.retrieval import bucc_metrics, tatoeba_metrics

lm_eval = pytest.importorskip("lm_eval")
LIMIT = 25


def _numbers_only(value, path="$"):
    """Assert no list of more than 3 numbers anywhere in a JSON-like value (no raw vectors)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _numbers_only(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        assert not (len(value) > 3 and all(isinstance(v, (int, float)) for v in value)), path
        for i, item in enumerate(value):
            _numbers_only(item, f"{path}[{i}]")


@pytest.fixture(scope="module")
def tatoeba_run(tiny_hflm, shared_data):
    return lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_tatoeba_deu", "xfer_tatoeba_cmn"],
        task_manager=task_manager(data_dir=str(shared_data), embed_layer=-2, embed_pooling="last"),
        limit=LIMIT,
        log_samples=True,
        bootstrap_iters=0,
    )


def test_tatoeba_scores_equal_direct_computation(tatoeba_run, tiny_hflm, shared_data):
    spec = EmbedSpec(layer=-2, pooling="last")
    for code in ("deu", "cmn"):
        result = tatoeba_run["results"][f"xfer_tatoeba_{code}"]
        xx, en = load_tatoeba_pair(shared_data / "tatoeba", code)
        xx_emb, _ = embed_texts(tiny_hflm, xx[:LIMIT], spec, progress=False)
        en_emb, _ = embed_texts(tiny_hflm, en[:LIMIT], spec, progress=False)
        expected = tatoeba_metrics(xx_emb, en_emb)
        assert result["sample_len"] == LIMIT
        for metric in TATOEBA.metrics:
            assert result[f"{metric},none"] == pytest.approx(expected[metric], abs=1e-12)
            assert 0.0 <= result[f"{metric},none"] <= 1.0


def test_embedding_choices_recorded_in_results(tatoeba_run):
    config = tatoeba_run["configs"]["xfer_tatoeba_deu"]
    assert config["output_type"] == "xfer_embed"
    assert (config["embed_layer"], config["embed_pooling"]) == (-2, "last")
    assert (config["embed_max_length"], config["embed_dim"], config["embed_precision"]) == (
        512,
        64,
        "float32",
    )
    assert config["metadata"]["embed_layer"] == -2 and config["metadata"]["embed_pooling"] == "last"


def test_logged_samples_hold_no_vectors(tatoeba_run):
    from lm_eval.utils import handle_non_serializable, sanitize_list

    samples = tatoeba_run["samples"]["xfer_tatoeba_deu"]
    assert len(samples) == LIMIT
    first = samples[0]
    assert sanitize_list(first["resps"]) == [["<embedding dim=64 layer=1 pooling=last>"]] * 2
    assert str(first["acc_en2xx"]) == "<tatoeba pair 0: 2 embeddings dim=64>"
    # what EvaluationTracker writes: json.dumps(default=handle_non_serializable)
    written = json.loads(json.dumps(samples, default=handle_non_serializable))
    _numbers_only(written)


def test_limit_warns_scores_not_comparable(tiny_hflm, shared_data, caplog):
    with caplog.at_level(logging.WARNING):
        lm_eval.simple_evaluate(
            model=tiny_hflm,
            tasks=["xfer_tatoeba_afr"],
            task_manager=task_manager(data_dir=str(shared_data)),
            limit=3,
            bootstrap_iters=0,
        )
    assert any(
        "NOT comparable" in r.getMessage() and "xfer_tatoeba_afr" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.slow  # builds all 112 Tatoeba tasks and runs the 36 XTREME ones
def test_groups_are_unweighted_means(tiny_hflm, shared_data):
    manager = task_manager(data_dir=str(shared_data))
    loaded = manager.load(["xfer_tatoeba_all"])
    assert sorted(loaded["tasks"]) == sorted(f"xfer_tatoeba_{c}" for c in TATOEBA_ALL)
    out = lm_eval.simple_evaluate(
        model=tiny_hflm, tasks=["xfer_tatoeba"], task_manager=manager, limit=4, bootstrap_iters=0
    )
    members = [f"xfer_tatoeba_{c}" for c in TATOEBA.languages]
    assert len(members) == 36 and set(members) <= set(out["results"])
    group = out["groups"]["xfer_tatoeba"]
    for metric in TATOEBA.metrics:
        values = [out["results"][m][f"{metric},none"] for m in members]
        assert group[f"{metric},none"] == pytest.approx(float(np.mean(values)), abs=1e-12)


def test_bucc_mines_once_and_equals_direct_computation(tiny_hflm, bucc_root, monkeypatch):
    from xfer_tasks.harness.bucc_task import BuccTask

    calls = []
    original = BuccTask.compute_scores
    monkeypatch.setattr(
        BuccTask, "compute_scores", lambda self, items, layer=None: calls.append(1) or original(self, items, layer)
    )
    out = lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_bucc_de"],
        task_manager=task_manager(data_dir=str(bucc_root)),
        bootstrap_iters=0,
    )
    assert calls == [1]  # f1, precision, recall, threshold from one mining run
    result = out["results"]["xfer_bucc_de"]
    assert result["sample_len"] == 2 * (40 + 50)

    splits = embedded_bucc_splits(tiny_hflm, bucc_root, "de")
    expected = bucc_metrics(splits["sample"], splits["training"])
    for metric in ("f1", "precision", "recall", "threshold"):
        assert result[f"{metric},none"] == pytest.approx(expected[metric], abs=1e-12)


def test_other_backends_get_one_clear_error(bucc_root):
    from lm_eval.api.model import LM

    from xfer_tasks.harness import UnsupportedBackendError

    class DummyLM(LM):
        def loglikelihood(self, requests):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests):
            raise NotImplementedError

        def generate_until(self, requests):
            raise NotImplementedError

    with pytest.raises(
        UnsupportedBackendError, match=r"^xfer retrieval tasks need --model hf; got DummyLM$"
    ):
        lm_eval.simple_evaluate(
            model=DummyLM(), tasks=["xfer_bucc_de"], task_manager=task_manager(data_dir=str(bucc_root))
        )


class _ThreadWorld:
    """Two 'ranks' as threads exchanging objects like torch.distributed collectives."""

    def __init__(self, size: int = 2):
        self.size = size
        self.slots: list = [None] * size
        self.barrier = threading.Barrier(size)

    def exchange(self, rank, obj):
        self.slots[rank] = obj
        self.barrier.wait()
        everything = list(self.slots)
        self.barrier.wait()
        return everything


class _RankView:
    """A shared HFLM seen as rank ``rank`` of a data-parallel world (what accelerate gives HFLM)."""

    def __init__(self, lm, rank, world):
        self._lm, self._rank, self._world = lm, rank, world

    rank = property(lambda self: self._rank)
    world_size = property(lambda self: self._world.size)

    def __getattr__(self, name):
        return getattr(self._lm, name)

    def xfer_embed(self, requests):
        return self._lm.xfer_embed(requests)

    def all_gather(self, tensor):
        return torch.stack([t.reshape(()) for t in self._world.exchange(self._rank, tensor)])

    def gather_object(self, obj, dst=0):
        gathered = self._world.exchange(self._rank, obj)
        return gathered if self._rank == dst else None

    def barrier(self):
        self._world.barrier.wait()


@pytest.mark.slow  # three evaluate() runs
def test_data_parallel_gathers_embeddings_and_scores_once_on_rank0(
    tiny_hflm, shared_data, bucc_root
):
    from lm_eval.evaluator import evaluate

    tasks = ["xfer_tatoeba_fra", "xfer_bucc_de"]
    metadata = {"data_dir": str(shared_data)}
    single = evaluate(
        lm=tiny_hflm, task_dict=task_manager(**metadata).load(tasks[:1]), limit=LIMIT, bootstrap_iters=0
    )
    single_bucc = evaluate(
        lm=tiny_hflm, task_dict=task_manager(data_dir=str(bucc_root)).load(tasks[1:]), bootstrap_iters=0
    )

    world = _ThreadWorld(2)
    outputs, errors = [None, None], []

    def run(rank):
        try:
            lm = _RankView(tiny_hflm, rank, world)
            outputs[rank] = (
                evaluate(
                    lm=lm,
                    task_dict=dicts[rank][0],
                    limit=LIMIT,
                    bootstrap_iters=0,
                    log_samples=True,
                ),
                evaluate(lm=lm, task_dict=dicts[rank][1], bootstrap_iters=0, log_samples=False),
            )
        except BaseException as err:  # surfaced below
            errors.append(err)
            world.barrier.abort()

    dicts = [
        (task_manager(**metadata).load(tasks[:1]), task_manager(data_dir=str(bucc_root)).load(tasks[1:]))
        for _ in range(2)
    ]
    threads = [threading.Thread(target=run, args=(r,)) for r in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert outputs[1] == (None, None)  # only rank 0 aggregates
    tatoeba, bucc = outputs[0]
    got, want = tatoeba["results"]["xfer_tatoeba_fra"], single["results"]["xfer_tatoeba_fra"]
    assert got["sample_len"] == LIMIT and len(tatoeba["samples"]["xfer_tatoeba_fra"]) == LIMIT
    for metric in TATOEBA.metrics:
        assert got[f"{metric},none"] == pytest.approx(want[f"{metric},none"], abs=1e-6)
    for metric in ("f1", "precision", "recall", "threshold"):
        assert bucc["results"]["xfer_bucc_de"][f"{metric},none"] == pytest.approx(
            single_bucc["results"]["xfer_bucc_de"][f"{metric},none"], abs=1e-6
        )
