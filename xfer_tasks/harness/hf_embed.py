"""Sentence embeddings from the model lm-eval's ``--model hf`` (HFLM) already loaded.

:func:`embed_texts` runs the model's transformer backbone WITHOUT its LM head (``base_model``
of a ``*ForCausalLM`` / ``*LMHeadModel``, the encoder of an encoder-decoder, the wrapped
model of a PEFT adapter), takes one hidden layer and pools it over the attention mask:

- texts are tokenized once (the tokenizer's own special tokens, truncated to the max length),
  de-duplicated by token sequence, sorted by token length (longest first) and cut into
  batches, right-padded per batch, so little compute goes to padding;
- ``torch.inference_mode``; on CUDA an fp32 model runs under bf16 autocast (``embed_precision``);
- only the blocks up to the requested layer run (:class:`LayerReader` stops the forward pass);
  with ``embed_layer`` ``all``/``dev`` ONE full forward pass pools every hidden state
  (:class:`AllLayersReader`, same capture points as :class:`LayerReader`, so each layer's
  vectors are bit-identical to a single-layer call) and the per-layer vectors are streamed
  to a :class:`~xfer_tasks.harness.vectors.LayerStore` on disk;
- the layer, pooling and max length are resolved for the model by
  :func:`xfer_tasks.harness.layers.resolve` (``auto`` layer, ``xtreme`` preset, BOS left out
  of decoder-only means);
- ``batch_size="auto"`` starts at HFLM's ``max_batch_size`` and halves on out-of-memory;
- pooling is done in float32 and the vectors are returned unnormalised (the retrieval
  library normalises: cosine similarity).

``hflm_xfer_embed`` is the method :mod:`xfer_tasks.harness.backends` installs on HFLM as
``xfer_embed``: lm-eval calls it with every ``xfer_embed`` request of the run.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from xfer_tasks.embed_spec import DEFAULT_MAX_LENGTH_CAP, EmbedSpec, EmbedSpecError, spec_of
from xfer_tasks.harness.dev_layer import DevLayerChoice
from xfer_tasks.harness.layers import Resolved, check_layer, is_decoder_only, resolve
from xfer_tasks.harness.vectors import Embedding, LayerStore, check_spill_dir
from xfer_tasks.metadata import check_run

log = logging.getLogger(__name__)


def backbone_of(model: Any) -> Any:
    """The module that maps token ids to hidden states, without the LM head."""
    if hasattr(model, "peft_config") and hasattr(model, "get_base_model"):
        model = model.get_base_model()  # PEFT wrapper -> the adapted transformers model
    config = getattr(model, "config", None)
    if getattr(config, "is_encoder_decoder", False) and hasattr(model, "get_encoder"):
        return model.get_encoder()
    base = getattr(model, "base_model", None)
    if base is not None and base is not model:
        return base
    if hasattr(model, "get_decoder"):
        decoder = model.get_decoder()
        if decoder is not None and decoder is not model:
            return decoder
    return model  # already a bare transformer (AutoModel)


def resolve_max_length(lm: Any, spec: EmbedSpec) -> int:
    """``embed_max_length``, else the model's max length (HFLM.max_length) capped at 512."""
    if spec.max_length is not None:
        return spec.max_length
    return model_max_length(lm)


def model_max_length(lm: Any) -> int:
    """The model's max length (HFLM.max_length) capped at 512."""
    model_max = getattr(lm, "max_length", None)
    try:
        model_max = int(model_max) if model_max else DEFAULT_MAX_LENGTH_CAP
    except (TypeError, ValueError):
        model_max = DEFAULT_MAX_LENGTH_CAP
    return max(1, min(model_max, DEFAULT_MAX_LENGTH_CAP))


def _model_dtype(module: Any):
    import torch

    for parameter in module.parameters():
        if parameter.is_floating_point():
            return parameter.dtype
    return torch.float32


def resolve_precision(lm: Any, spec: EmbedSpec) -> str:
    """``bfloat16-autocast`` or the model's dtype name (e.g. ``float32``)."""
    import torch

    dtype = _model_dtype(backbone_of(lm.model))
    device = torch.device(lm.device)
    if spec.precision == "bfloat16":
        return "bfloat16-autocast"
    if (
        spec.precision == "auto"
        and device.type == "cuda"
        and dtype == torch.float32
        and torch.cuda.is_available()
        and torch.cuda.is_bf16_supported()
    ):
        return "bfloat16-autocast"
    return str(dtype).removeprefix("torch.")


def resolve_batch_size(lm: Any, spec: EmbedSpec) -> tuple[int, bool]:
    """``(batch size, adaptive)``; adaptive (halve on OOM) when lm-eval's batch size is auto."""
    if spec.batch_size is not None:
        return spec.batch_size, False
    value = getattr(lm, "batch_size", 1)
    if isinstance(value, str):  # "auto" / "auto:N"
        return int(getattr(lm, "max_batch_size", None) or 64), True
    return max(1, int(value)), False


def pool(hidden, mask, pooling: str, mean_mask=None):
    """Pool ``hidden`` (B, L, D) over ``mask`` (B, L) in float32 -> (B, D).

    ``mean``/``mean_with_special``: average over ``mask``; ``mean_no_bos``: average over
    ``mean_mask`` (the attention mask with the prepended special tokens zeroed, see
    :func:`mean_mask_without_prefix`); ``cls``: first non-padding token; ``last``: last
    non-padding token.
    """
    import torch

    hidden = hidden.float()
    if pooling in ("mean", "mean_with_special", "mean_no_bos"):
        if pooling == "mean_no_bos":
            if mean_mask is None:
                raise EmbedSpecError("embed_pooling mean_no_bos needs the mask without the BOS")
            mask = mean_mask
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    positions = torch.arange(mask.shape[1], device=mask.device)
    if pooling == "cls":  # first non-padding token
        index = (mask * (mask.shape[1] - positions)).argmax(dim=1)
    elif pooling == "last":  # last non-padding token
        index = (mask * (positions + 1)).argmax(dim=1)
    else:
        raise EmbedSpecError(f"embed_pooling: unknown pooling {pooling!r}")
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), index]


def _is_oom(err: BaseException) -> bool:
    import torch

    return isinstance(err, torch.OutOfMemoryError) or "out of memory" in str(err).lower()


def _tokenize(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[list[int]]:
    encoded = tokenizer(
        list(texts), add_special_tokens=True, truncation=True, max_length=max_length
    )["input_ids"]
    fallback = next(
        (
            t
            for t in (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id)
            if t is not None
        ),
        0,
    )
    return [ids if len(ids) else [fallback] for ids in encoded]


def _pad(batch: list[list[int]], pad_id: int, device):
    import torch

    width = max(len(ids) for ids in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, ids in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[row, : len(ids)] = 1
    return input_ids.to(device), mask.to(device)


class _StopForward(Exception):
    """Raised by a hook once the requested layer's output exists (skips the later layers)."""

    def __init__(self, hidden: Any):
        super().__init__("stop")
        self.hidden = hidden


def transformer_blocks(backbone: Any) -> Any | None:
    """The ``ModuleList`` of the backbone's ``num_hidden_layers`` blocks, if it has one."""
    import torch

    n_layers = getattr(getattr(backbone, "config", None), "num_hidden_layers", None)
    if not isinstance(n_layers, int) or n_layers < 1:
        return None
    for module in backbone.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == n_layers:
            return module
    return None


class LayerReader:
    """Runs the backbone and returns ``hidden_states[layer]`` as Hugging Face defines it.

    The last layer is ``last_hidden_state`` (after the final norm where the model has one).
    For an earlier layer i, a hook on block i-1 (or before block 0 for i = 0) captures the
    hidden states and stops the forward pass, so blocks after it are not computed. Models
    whose blocks cannot be located fall back to ``output_hidden_states=True``.
    """

    def __init__(self, backbone: Any, layer: int):
        import inspect

        self.backbone = backbone
        self.blocks = transformer_blocks(backbone)
        params = inspect.signature(backbone.forward).parameters
        self.extra = {"use_cache": False} if "use_cache" in params else {}
        self.layer = layer
        self.index: int | None = None  # resolved non-negative index once known
        if self.blocks is not None:
            n_states = len(self.blocks) + 1
            self.index = check_layer(layer, n_states)
            self.is_last = self.index == n_states - 1
        else:
            self.is_last = layer == -1

    def _hook(self):
        if self.index == 0:

            def pre_hook(module, args, kwargs):
                hidden = args[0] if args else kwargs["hidden_states"]
                raise _StopForward(hidden)

            return self.blocks[0].register_forward_pre_hook(pre_hook, with_kwargs=True)

        def hook(module, args, output):
            raise _StopForward(output[0] if isinstance(output, (tuple, list)) else output)

        return self.blocks[self.index - 1].register_forward_hook(hook)

    def __call__(self, input_ids: Any, mask: Any) -> Any:
        kwargs = {"input_ids": input_ids, "attention_mask": mask, "return_dict": True, **self.extra}
        if self.is_last:
            return self.backbone(**kwargs).last_hidden_state
        if self.blocks is None:
            states = self.backbone(output_hidden_states=True, **kwargs).hidden_states
            return states[check_layer(self.layer, len(states))]
        handle = self._hook()
        try:
            self.backbone(**kwargs)
        except _StopForward as stop:
            return stop.hidden
        finally:
            handle.remove()
        raise RuntimeError(f"embed_layer={self.layer}: the hooked block never ran")


class AllLayersReader:
    """Runs the backbone ONCE and returns every ``hidden_states`` entry, taken at the same
    points :class:`LayerReader` takes them (so each is bit-identical to a single-layer
    read): state 0 before block 0, state i (0 < i < last) the output of block i-1, the last
    state ``last_hidden_state``. Models whose blocks cannot be located fall back to
    ``output_hidden_states=True`` with ``last_hidden_state`` as the last entry."""

    def __init__(self, backbone: Any):
        import inspect

        self.backbone = backbone
        self.blocks = transformer_blocks(backbone)
        params = inspect.signature(backbone.forward).parameters
        self.extra = {"use_cache": False} if "use_cache" in params else {}

    def __call__(self, input_ids: Any, mask: Any) -> list[Any]:
        kwargs = {"input_ids": input_ids, "attention_mask": mask, "return_dict": True, **self.extra}
        if self.blocks is None:
            out = self.backbone(output_hidden_states=True, **kwargs)
            return [*out.hidden_states[:-1], out.last_hidden_state]
        captured: list[Any] = [None] * len(self.blocks)

        def pre_hook(module, args, kwargs):
            captured[0] = args[0] if args else kwargs["hidden_states"]

        def make_hook(i: int):
            def hook(module, args, output):
                captured[i] = output[0] if isinstance(output, (tuple, list)) else output

            return hook

        handles = [self.blocks[0].register_forward_pre_hook(pre_hook, with_kwargs=True)]
        handles += [
            self.blocks[i - 1].register_forward_hook(make_hook(i))
            for i in range(1, len(self.blocks))
        ]
        try:
            last = self.backbone(**kwargs).last_hidden_state
        finally:
            for handle in handles:
                handle.remove()
        return [*captured, last]


def special_prefix(tokenizer: Any) -> tuple[int, ...]:
    """The token ids the tokenizer puts BEFORE the text (e.g. ``(bos_id,)`` for Llama; ``()``
    for GPT-2 or a tokenizer without a BOS template): the ids of ``"x"`` with special tokens
    up to where the ids without them start."""
    probe = "x"
    with_special = list(tokenizer(probe, add_special_tokens=True)["input_ids"])
    plain = list(tokenizer(probe, add_special_tokens=False)["input_ids"])
    if not plain:
        return ()
    for start in range(len(with_special) - len(plain) + 1):
        if with_special[start : start + len(plain)] == plain:
            return tuple(with_special[:start])
    return ()


def mean_mask_without_prefix(batch: list[list[int]], mask: Any, prefix: tuple[int, ...]) -> Any:
    """``mask`` with the first ``len(prefix)`` positions zeroed in every row that starts with
    ``prefix`` and has other tokens (a row that is only the prefix keeps it, so its mean is
    defined)."""
    out = mask.clone()
    width = len(prefix)
    if width:
        for row, ids in enumerate(batch):
            if len(ids) > width and tuple(ids[:width]) == prefix:
                out[row, :width] = 0
    return out


def n_hidden_states(backbone: Any) -> int:
    """``len(hidden_states)`` of the backbone: blocks + 1."""
    blocks = transformer_blocks(backbone)
    if blocks is not None:
        return len(blocks) + 1
    n_layers = getattr(getattr(backbone, "config", None), "num_hidden_layers", None)
    if isinstance(n_layers, int) and n_layers > 0:
        return n_layers + 1
    raise EmbedSpecError(
        f"cannot tell how many hidden layers {type(backbone).__name__} has (no num_hidden_layers)"
    )


def _hidden_size(backbone: Any) -> int | None:
    """The width of the hidden states from the config (None when it does not say)."""
    config = getattr(backbone, "config", None)
    for name in ("hidden_size", "d_model", "n_embd"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def resolve_for(lm: Any, spec: EmbedSpec) -> Resolved:
    """:func:`xfer_tasks.harness.layers.resolve` for HFLM ``lm``'s model and tokenizer."""
    backbone = backbone_of(lm.model)
    decoder_only = is_decoder_only(backbone) or is_decoder_only(lm.model)
    return resolve(
        spec,
        config=getattr(lm.model, "config", None) or getattr(backbone, "config", None),
        n_states=n_hidden_states(backbone),
        decoder_only=decoder_only,
        prepends_tokens=bool(special_prefix(lm.tokenizer)) if decoder_only else False,
        model_max_length=model_max_length(lm),
    )


def embed_texts(
    lm: Any,
    texts: Sequence[str],
    spec: EmbedSpec,
    *,
    progress: bool = True,
    resolved: Resolved | None = None,
    call_id: str = "",
    dev_choice: DevLayerChoice | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Embed ``texts`` with HFLM ``lm``'s model: ``(float32 array (n, dim), how-it-was-taken)``.

    The array holds the resolved headline layer. With ``embed_layer`` ``all``/``dev`` the
    info also carries ``store`` (a :class:`LayerStore` with every hidden state) and ``rows``
    (each text's row in it); the forward pass is the same single pass either way.
    """
    import contextlib

    import torch
    from tqdm import tqdm

    if not texts:
        raise ValueError("embed_texts: no texts to embed")
    resolved = resolved or resolve_for(lm, spec)
    tokenizer, model = lm.tokenizer, lm.model
    backbone = backbone_of(model)
    read_all = AllLayersReader(backbone) if resolved.all_layers else None
    read_layer = None if read_all else LayerReader(backbone, resolved.layer)
    device = torch.device(lm.device)
    max_length = resolved.max_length
    precision = resolve_precision(lm, spec)
    batch_size, adaptive = resolve_batch_size(lm, spec)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    prefix = special_prefix(tokenizer) if resolved.pooling == "mean_no_bos" else ()

    # Texts that tokenize identically (e.g. different words that all become [UNK]) are
    # embedded once, so they get bit-identical vectors and retrieval ties stay exact ties
    # (broken by the lowest index, as the references do), whatever the batching.
    row_of_ids: dict[tuple[int, ...], int] = {}
    text_rows = [
        row_of_ids.setdefault(tuple(ids), len(row_of_ids))
        for ids in _tokenize(tokenizer, texts, max_length)
    ]
    token_ids = [list(ids) for ids in row_of_ids]
    if read_all:  # a read-only or full spill folder fails now, not after the forward passes
        check_spill_dir(len(token_ids), resolved.n_states, _hidden_size(backbone))
    order = sorted(range(len(token_ids)), key=lambda i: -len(token_ids[i]))
    result: np.ndarray | None = None
    store: LayerStore | None = None
    store_row = np.empty(len(token_ids), dtype=np.int64)
    layer_label = "all" if read_all else resolved.layer
    bar = tqdm(
        total=len(order),
        desc=f"xfer_embed layer={layer_label} pooling={resolved.pooling}",
        unit="sent",
        disable=not progress or getattr(lm, "rank", 0) != 0,
    )
    start = 0
    with torch.inference_mode():
        while start < len(order):
            rows = order[start : start + batch_size]
            batch = [token_ids[i] for i in rows]
            input_ids, mask = _pad(batch, pad_id, device)
            autocast = (
                torch.autocast(device_type=device.type, dtype=torch.bfloat16)
                if precision == "bfloat16-autocast"
                else contextlib.nullcontext()
            )
            try:
                with autocast:
                    hidden = read_all(input_ids, mask) if read_all else read_layer(input_ids, mask)
            except (RuntimeError, torch.OutOfMemoryError) as err:
                if not (adaptive and _is_oom(err) and batch_size > 1):
                    raise
                del err
                batch_size = max(1, batch_size // 2)
                if device.type == "cuda":
                    torch.cuda.empty_cache()
                log.warning("xfer_embed: out of memory, retrying with batch size %d", batch_size)
                continue
            mean_mask = mean_mask_without_prefix(batch, mask, prefix) if prefix else None
            if read_all:
                per_layer = [
                    pool(h, mask, resolved.pooling, mean_mask).cpu().numpy() for h in hidden
                ]
                if store is None:
                    store = LayerStore(
                        len(per_layer), per_layer[0].shape[1], call_id=call_id,
                        expected_rows=len(token_ids), dev_choice=dev_choice,
                    )  # fmt: skip
                store_row[rows] = np.asarray(store.append(per_layer))
                pooled = per_layer[resolved.layer]
            else:
                pooled = pool(hidden, mask, resolved.pooling, mean_mask).cpu().numpy()
            if result is None:
                result = np.empty((len(token_ids), pooled.shape[1]), dtype=np.float32)
            result[rows] = pooled
            start += len(rows)
            bar.update(len(rows))
    bar.close()
    assert result is not None
    result = result[np.asarray(text_rows)]
    info: dict[str, Any] = {
        "layer": resolved.layer,
        "pooling": resolved.pooling,
        "max_length": max_length,
        "precision": precision,
        "reason": resolved.reason,
    }
    if store is not None:
        store.close()
        info["store"] = store
        info["rows"] = store_row[np.asarray(text_rows)]
    return result, info


def hflm_xfer_embed(
    self: Any,
    requests: Sequence[Any],
    call_id: str | None = None,
    dev_choice: DevLayerChoice | None = None,
) -> list[Embedding]:
    """HFLM.xfer_embed: one :class:`Embedding` per request ``(text, spec)`` (the task's
    :class:`EmbedSpec`, see :func:`~xfer_tasks.embed_spec.spec_of`).

    Requests whose specs resolve to the same layer(s), pooling and max length for this model
    are embedded together (each distinct text once)."""
    by_spec: dict[EmbedSpec, list[int]] = defaultdict(list)
    for position, request in enumerate(requests):
        by_spec[spec_of(request.args[1])].append(position)
    if any(spec.layer == "dev" for spec in by_spec):
        # before any inference: this call holds every embedding request of the lm-eval run,
        # so its task names are the run's (the check xfer study's preflight runs too)
        check_run(sorted({str(getattr(r, "task_name", "")) for r in requests}), {"embed_layer": "dev"})
        # the run's layer choice travels with its embeddings (every store of this call)
        dev_choice = dev_choice or DevLayerChoice()
    groups: dict[tuple[Resolved, str, EmbedSpec], list[int]] = defaultdict(list)
    for spec, positions in by_spec.items():
        # batch size/precision stay per spec; task kind and preset only matter through `resolved`
        key_spec = EmbedSpec(batch_size=spec.batch_size, precision=spec.precision)
        groups[(resolve_for(self, spec), resolve_precision(self, spec), key_spec)].extend(positions)
    out: list[Embedding | None] = [None] * len(requests)
    call_id = call_id or uuid.uuid4().hex  # ties this call's (one lm-eval run's) stores together
    for (resolved, _precision, key_spec), positions in groups.items():
        texts = [requests[p].args[0] for p in positions]
        unique = list(dict.fromkeys(texts))
        vectors, info = embed_texts(
            self, unique, key_spec, resolved=resolved, call_id=call_id, dev_choice=dev_choice
        )
        store, rows = info.pop("store", None), info.pop("rows", None)
        row_of = {text: row for row, text in enumerate(unique)}
        for position, text in zip(positions, texts, strict=True):
            row = row_of[text]
            out[position] = Embedding(
                vectors[row],
                **info,
                store=store,
                row=None if rows is None else int(rows[row]),
            )
    return out  # type: ignore[return-value]
