"""--use_cache: embeddings are cached per MODEL (fingerprint), never shared between checkpoints."""

from __future__ import annotations

import sqlite3

import pytest
from helpers import synthetic_sentences, write_tatoeba_pair
from xfer_tasks.train.tiny_model import build_tiny_causal_lm

from xfer_tasks.harness.embed_cache import embed_cache_path
from xfer_tasks.paths import tasks_path

lm_eval = pytest.importorskip("lm_eval")
N = 12


def _rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache-data")
    en = synthetic_sentences(N, seed=3)
    write_tatoeba_pair(root / "tatoeba", "deu", [s.upper() for s in en], en)
    return root


def _run(model_dir, data_root, cache):
    from lm_eval.tasks import TaskManager

    out = lm_eval.simple_evaluate(
        model="hf",
        model_args={"pretrained": str(model_dir), "dtype": "float32"},
        tasks=["xfer_tatoeba_deu"],
        task_manager=TaskManager(
            include_path=str(tasks_path()),
            include_defaults=False,
            metadata={"data_dir": str(data_root)},
        ),
        device="cpu",
        batch_size=4,
        use_cache=None if cache is None else str(cache),
        bootstrap_iters=0,
    )
    return {k: v for k, v in out["results"]["xfer_tatoeba_deu"].items() if k.endswith(",none")}


def test_two_checkpoints_never_share_cached_embeddings(tmp_path, data_root):
    first = build_tiny_causal_lm(tmp_path / "first", seed=0)
    second = build_tiny_causal_lm(tmp_path / "second", seed=1)
    cache = tmp_path / "cache" / "lm"
    db = embed_cache_path(f"{cache}_rank0.db")
    assert db.name == "lm_rank0.xfer_embed.sqlite"

    first_scores = _run(first, data_root, cache)
    assert _rows(db) == 2 * N  # every (distinct) sentence of both sides

    # a different checkpoint: no hits, its own rows, its own (uncached) scores
    second_scores = _run(second, data_root, cache)
    assert _rows(db) == 4 * N
    assert second_scores == _run(second, data_root, None)

    # the same checkpoint again: served from the cache (no new rows), same scores
    assert _run(first, data_root, cache) == first_scores
    assert _rows(db) == 4 * N

    # new weights at the SAME path (re-trained in place): a new fingerprint, no stale vectors
    build_tiny_causal_lm(first, seed=2)
    third_scores = _run(first, data_root, cache)
    assert _rows(db) == 6 * N
    assert third_scores == _run(first, data_root, None)


def test_cached_vectors_equal_fresh_ones(tmp_path, tiny_hflm):
    from lm_eval.api.instance import Instance
    from lm_eval.api.model import CachingLM

    from xfer_tasks.embed_spec import EmbedSpec

    requests = [
        Instance("xfer_embed", {}, (text, EmbedSpec(layer=-2).to_dict()), i)
        for i, text in enumerate(synthetic_sentences(6, seed=9))
    ]
    caching = CachingLM(tiny_hflm, str(tmp_path / "c_rank0.db"))
    fresh = caching.xfer_embed(requests)
    again = caching.xfer_embed(requests)
    direct = tiny_hflm.xfer_embed(requests)
    assert [e.describe() for e in again] == [e.describe() for e in direct]
    for a, b, c in zip(fresh, again, direct, strict=True):
        assert (a.vector == b.vector).all() and (b.vector == c.vector).all()


def test_all_layer_embeddings_are_cached_under_their_own_keys(tmp_path, tiny_hflm):
    from lm_eval.api.instance import Instance
    from lm_eval.api.model import CachingLM

    from xfer_tasks.embed_spec import EmbedSpec
    from xfer_tasks.harness.vectors import stack_layer

    texts = synthetic_sentences(6, seed=11)

    def requests(spec):
        return [Instance("xfer_embed", {}, (t, spec.to_dict()), i) for i, t in enumerate(texts)]

    db = tmp_path / "a_rank0.db"
    caching = CachingLM(tiny_hflm, str(db))
    fresh = caching.xfer_embed(requests(EmbedSpec(layer="all")))
    assert _rows(embed_cache_path(db)) == 6
    again = caching.xfer_embed(requests(EmbedSpec(layer="all")))
    assert _rows(embed_cache_path(db)) == 6  # served from the cache
    assert again[0].store is not fresh[0].store  # hits come back through a new layer store
    for layer in range(3):
        assert (stack_layer(again, layer) == stack_layer(fresh, layer)).all()
    assert [e.describe() for e in again] == [e.describe() for e in fresh]
    # the single-layer request for the auto layer is another key (1-D entries)
    single = caching.xfer_embed(requests(EmbedSpec()))
    assert _rows(embed_cache_path(db)) == 12
    assert single[0].store is None and single[0].layer == fresh[0].layer
    assert all((s.vector == f.vector).all() for s, f in zip(single, fresh, strict=True))
