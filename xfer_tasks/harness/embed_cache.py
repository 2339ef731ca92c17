"""``--use_cache`` for embeddings, keyed by a fingerprint of the model's weights.

lm-eval's own response cache (``CachingLM``) keys a response by the request arguments only,
with no model identity: two checkpoints evaluated with the same ``--use_cache`` path would
share answers. Embeddings therefore get their own SQLite file next to lm-eval's
(``<use_cache>_rank<R>.db`` -> ``<use_cache>_rank<R>.xfer_embed.sqlite``), and each vector's
key is::

    sha256(json([EMBED_CODE_VERSION, MODEL_FINGERPRINT,
                 {"layer", "n_states", "all_layers", "pooling", "max_length"},
                 resolved_precision, text]))

where the middle part is the RESOLVED choice for this model (:func:`xfer_tasks.harness.layers.resolve`:
the ``auto``/preset layer as an index, ``mean_no_bos`` for decoder-only means, the max length
in tokens), so ``auto`` and the explicit index it stands for share vectors, and an all-layer
entry (``all_layers`` true: every hidden state, ``n_states x dim`` float32 values) never
answers a single-layer request or the reverse. All-layer hits are written into a fresh
:class:`~xfer_tasks.harness.vectors.LayerStore` (disk), not kept in RAM.

where MODEL_FINGERPRINT (:func:`model_fingerprint`) is the sha256 of

1. the backbone class name, HFLM's ``pretrained`` (path or Hub name), ``revision``, ``peft``
   and ``delta`` arguments;
2. ``model.config.to_json_string(use_diff=False)``;
3. the tokenizer (its serialised fast-tokenizer JSON, else its sorted vocabulary);
4. every tensor of the backbone's ``state_dict`` (the part that produces embeddings; the LM
   head is excluded because it is never used and may be randomly initialised at load), in
   name order: name, dtype, shape and bytes -- ALL bytes when the backbone holds at most
   256 MiB, otherwise 65,536 evenly strided elements of each tensor.

So two different checkpoints never share embeddings, even at the same path: a weight change
anywhere in a small model, or in any sampled element of a large one, changes the key. The
fingerprint is computed once per loaded model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xfer_tasks.embed_spec import EmbedSpec, spec_of
from xfer_tasks.harness.dev_layer import DevLayerChoice
from xfer_tasks.harness.hf_embed import backbone_of, hflm_xfer_embed, resolve_for, resolve_precision
from xfer_tasks.harness.layers import Resolved
from xfer_tasks.harness.vectors import Embedding, LayerStore, stack_layer

log = logging.getLogger(__name__)

# Bumped whenever the embedding computation changes, so old cached vectors are not reused.
EMBED_CODE_VERSION = "xfer-embed-3"
FULL_HASH_LIMIT_BYTES = 256 * 1024 * 1024
SAMPLED_ELEMENTS_PER_TENSOR = 65536
_FINGERPRINT_ATTR = "_xfer_model_fingerprint"


def _tensor_bytes(tensor: Any, full: bool) -> bytes:
    import torch

    flat = tensor.detach().reshape(-1)
    if not full and flat.numel() > SAMPLED_ELEMENTS_PER_TENSOR:
        step = flat.numel() // SAMPLED_ELEMENTS_PER_TENSOR
        flat = flat[::step][:SAMPLED_ELEMENTS_PER_TENSOR]
    return flat.contiguous().cpu().view(torch.uint8).numpy().tobytes()


def _tokenizer_identity(tokenizer: Any) -> bytes:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and hasattr(backend, "to_str"):
        return backend.to_str().encode("utf-8")
    return json.dumps(sorted(tokenizer.get_vocab().items())).encode("utf-8")


def model_fingerprint(lm: Any) -> str:
    """The sha256 fingerprint described in the module docstring (memoised on ``lm``)."""
    cached = getattr(lm, _FINGERPRINT_ATTR, None)
    if cached is not None:
        return cached
    backbone = backbone_of(lm.model)
    digest = hashlib.sha256(b"xfer-embed-fingerprint-v1\0")
    pretrained = getattr(lm, "pretrained", None)
    if not isinstance(pretrained, str):
        pretrained = getattr(
            getattr(lm.model, "config", None), "_name_or_path", repr(type(lm.model))
        )
    identity = {
        "backbone": type(backbone).__name__,
        "pretrained": pretrained,
        "revision": getattr(lm, "revision", None),
        "peft": getattr(lm, "peft", None),
        "delta": getattr(lm, "delta", None),
    }
    digest.update(json.dumps(identity, sort_keys=True, default=str).encode("utf-8"))
    config = getattr(lm.model, "config", None)
    if config is not None:
        digest.update(config.to_json_string(use_diff=False).encode("utf-8"))
    digest.update(_tokenizer_identity(lm.tokenizer))
    state = backbone.state_dict()
    total = sum(t.numel() * t.element_size() for t in state.values())
    full = total <= FULL_HASH_LIMIT_BYTES
    for name in sorted(state):
        tensor = state[name]
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
        digest.update(_tensor_bytes(tensor, full))
    value = digest.hexdigest()
    try:
        setattr(lm, _FINGERPRINT_ATTR, value)
    except AttributeError:
        pass
    return value


def embed_cache_path(cache_db: str | Path) -> Path:
    """``<x>.db`` (lm-eval's cache file) -> ``<x>.xfer_embed.sqlite`` beside it."""
    path = Path(cache_db)
    stem = path.name[:-3] if path.name.endswith(".db") else path.name
    return path.with_name(f"{stem}.xfer_embed.sqlite")


def request_key(fingerprint: str, resolved: Resolved, precision: str, text: str) -> str:
    identity = {k: v for k, v in resolved.describe().items() if k != "reason"}
    material = json.dumps(
        [EMBED_CODE_VERSION, fingerprint, identity, precision, text], ensure_ascii=False
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A SQLite table ``key -> (float32 vector bytes, JSON of how it was taken)``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL, info TEXT NOT NULL)"
        )
        self._db.commit()

    def get_many(
        self, keys: Sequence[str], call_id: str = "", dev_choice: DevLayerChoice | None = None
    ) -> dict[str, Embedding]:
        """The cached embeddings of ``keys``; all-layer entries go into one new LayerStore."""
        found: dict[str, Embedding] = {}
        stores: dict[tuple[int, int], LayerStore] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vector, info FROM embeddings WHERE key IN ({marks})", chunk
            )
            for key, blob, info in rows:
                meta = json.loads(info)
                values = np.frombuffer(blob, dtype=np.float32)
                n_states, headline = meta.pop("n_states", None), meta.pop("headline", None)
                if n_states is None:
                    found[key] = Embedding(values.copy(), **meta)
                    continue
                matrix = values.reshape(n_states, -1)
                store = stores.get(matrix.shape)
                if store is None:
                    store = stores[matrix.shape] = LayerStore(
                        *matrix.shape, call_id=call_id, dev_choice=dev_choice
                    )
                (row,) = store.append([matrix[i : i + 1] for i in range(n_states)])
                found[key] = Embedding(matrix[headline].copy(), **meta, store=store, row=row)
        for store in stores.values():
            store.close()
        return found

    def put_many(self, items: dict[str, Embedding]) -> None:
        """Store ``items``; an all-layer embedding stores every hidden state (layer-major)."""
        single = [(key, emb) for key, emb in items.items() if emb.store is None]
        layered = [(key, emb) for key, emb in items.items() if emb.store is not None]
        rows = [
            (key, emb.vector.astype(np.float32).tobytes(), self._info(emb)) for key, emb in single
        ]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)
        for start in range(0, len(layered), 4096):  # bounded RAM: 4096 x n_states x dim floats
            chunk = layered[start : start + 4096]
            embs = [emb for _, emb in chunk]
            n_states = embs[0].n_states or 0
            stacked = np.stack([stack_layer(embs, i) for i in range(n_states)], axis=1)
            rows = [
                (key, stacked[j].tobytes(), self._info(emb, headline=emb.layer))
                for j, (key, emb) in enumerate(chunk)
            ]
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)

    @staticmethod
    def _info(emb: Embedding, headline: int | None = None) -> str:
        info = {k: v for k, v in emb.describe().items() if k not in ("dim", "n_states")}
        if headline is not None:
            info.update(n_states=emb.n_states, headline=headline)
        return json.dumps(info)

    def close(self) -> None:
        self._db.close()


def caching_xfer_embed(self: Any, requests: Sequence[Any]) -> list[Embedding]:
    """CachingLM.xfer_embed: serve cached vectors of THIS model, embed and store the rest."""
    lm = self.lm
    if not hasattr(lm, "model") or not hasattr(lm, "tokenizer"):
        return lm.xfer_embed(requests)  # non-HF backends raise their clear error there
    fingerprint = model_fingerprint(lm)
    cache = EmbeddingCache(embed_cache_path(self.cache_db))
    call_id = uuid.uuid4().hex
    try:
        keys = []
        resolved_of: dict[EmbedSpec, tuple[Resolved, str]] = {}
        for request in requests:
            text, argument = request.args
            spec = spec_of(argument)
            if spec not in resolved_of:
                resolved_of[spec] = (resolve_for(lm, spec), resolve_precision(lm, spec))
            keys.append(request_key(fingerprint, *resolved_of[spec], text))
        # one embed_layer "dev" choice for the run, cached and fresh embeddings alike
        dev_choice = DevLayerChoice() if any(s.layer == "dev" for s in resolved_of) else None
        hits = cache.get_many(keys, call_id=call_id, dev_choice=dev_choice)
        missing = [i for i, key in enumerate(keys) if key not in hits]
        log.info(
            "xfer_embed cache %s (model %s...): %d cached, %d to embed",
            cache.path,
            fingerprint[:12],
            len(requests) - len(missing),
            len(missing),
        )
        if (
            missing
            and getattr(type(lm).xfer_embed, "__func__", type(lm).xfer_embed) is hflm_xfer_embed
        ):
            fresh = hflm_xfer_embed(
                lm, [requests[i] for i in missing], call_id=call_id, dev_choice=dev_choice
            )
        else:
            fresh = lm.xfer_embed([requests[i] for i in missing]) if missing else []
        new_items = {keys[i]: emb for i, emb in zip(missing, fresh, strict=True)}
        cache.put_many(new_items)
        hits.update(new_items)
        return [hits[key] for key in keys]
    finally:
        cache.close()
