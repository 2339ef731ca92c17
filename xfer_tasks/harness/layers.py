"""Which hidden layer, pooling and max length an embedding uses for the loaded model.

Layer indexes are indexes into Hugging Face's ``hidden_states`` tuple (0 = the embedding
output, i = the output of block i, ``n_layers`` = the last, after the final norm where the
model has one). :func:`resolve` turns an :class:`~xfer_tasks.embed_spec.EmbedSpec` into a
:class:`Resolved` choice for one model.

XTREME's retrieval scripts (google-research/xtreme at 838c13b)
---------------------------------------------------------------
``third_party/evaluate_retrieval.py`` ``extract_embeddings`` runs the model with
``output_hidden_states=True``, keeps ``all_layer_outputs[-args.num_layers:]`` (the LAST
``num_layers`` entries of ``hidden_states``; ``--num_layers`` defaults to 12, line 373) and
pools entry ``--specific_layer`` of that list (default 7, line 453; Tatoeba loop line 806,
BUCC line 487). So ``specific_layer`` s with ``num_layers`` N and a model of L blocks is
``hidden_states[L + 1 - N + s]``. Pooling (lines 279-299): ``mean`` averages over
``pool_mask``, which is the attention mask (``[CLS]``/``<s>`` and ``[SEP]``/``</s>``
included) because the scripts do not pass ``--pool_skip_special_token`` (lines 107-110);
``cls`` takes position 0. Sentences are truncated to ``max_seq_length - 2`` tokens plus the
two special tokens (lines 85-93).

- ``scripts/run_tatoeba.sh``: ``MAXL=512`` (l. 26), ``LAYER=7``, ``NLAYER=12`` (l. 28-29);
  for ``xlm-roberta-large``/``-base``: ``NLAYER=24``, ``LAYER=13`` (l. 37-41); no
  ``--pool_type``, so ``mean`` (default, evaluate_retrieval.py l. 331); ``--num_layers
  $NLAYER --specific_layer $LAYER`` (l. 62-64).
  mBERT: hidden_states[12 + 1 - 12 + 7] = **hidden_states[8]**, mean, 512.
  XLM-R large: hidden_states[24 + 1 - 24 + 13] = **hidden_states[14]**, mean, 512.
- ``scripts/run_bucc2018.sh``: ``MAXL=512`` (l. 26), ``--pool_type cls`` (l. 66),
  ``--specific_layer 7`` (l. 75) and NO ``--num_layers`` (so 12, whatever the model).
  mBERT: **hidden_states[8]**, cls, 512.  XLM-R large: hidden_states[24 + 1 - 12 + 7] =
  **hidden_states[20]**, cls, 512.
- XLM-R base: both scripts set ``DIM=1024`` for ``xlm-roberta-base`` (Tatoeba l. 39, BUCC
  l. 40) although base is 768-wide, so ``extract_embeddings`` fails when it copies a
  768-wide batch into the 1024-wide array; the Tatoeba branch's ``NLAYER=24, LAYER=13``
  also points past base's 13 hidden states. The scripts therefore never produced a base
  number. xfer's ``xtreme`` preset for base applies the same arithmetic with base's own
  sizes: BUCC ``hidden_states[12 + 1 - 12 + 7] = [8]``, cls (exactly the script's BUCC
  arithmetic); Tatoeba ``hidden_states[8]``, mean (the 12-layer ``LAYER=7, NLAYER=12``
  setting the Tatoeba script uses for every 12-layer model it supports).

jiant's XTREME guide (nyu-mll/jiant at daa5a258), which Phang et al. (2020) used
-------------------------------------------------------------------------------
``jiant/scripts/benchmarks/xtreme/xtreme_runconfig_writer.py`` l. 56 ``retrieval_layer``
default 14 and l. 120-124 ``{"pooler_type": "mean", "layer": args.retrieval_layer}`` for
BOTH bucc2018 and tatoeba ("The reference implementation from the XTREME paper uses layer 14
for the retrieval representation"); ``jiant/proj/main/modeling/taskmodels.py`` l. 336-340
pools ``hidden_states[self.layer]`` with ``MeanPoolerHead`` (``heads.py`` l. 308-315: sum
over ``input_mask`` / its length, special tokens included); ``guides/benchmarks/xtreme.md``
tokenizes bucc2018/tatoeba with ``--max_seq_length 512`` (l. 142, 154). For XLM-R large:
**hidden_states[14]**, mean, 512 on both tasks.

The ``auto`` rule (default)
---------------------------
1. A model family XTREME/jiant used (:func:`model_family`): the paper's layer
   (:data:`AUTO_FAMILY_LAYERS`): mBERT hidden_states[8] (XTREME Tatoeba), XLM-R large
   hidden_states[14] (XTREME Tatoeba and jiant, both tasks), XLM-R base hidden_states[8]
   (see above). Pooling stays ``embed_pooling`` (default ``mean``, special tokens included
   for these encoders, as XTREME's Tatoeba and jiant pool).
2. Every other model: see :func:`auto_layer` (rule and measurement in docs/harness.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xfer_tasks.embed_spec import DEFAULT_MAX_LENGTH_CAP, EmbedSpec, EmbedSpecError

# mBERT's vocabulary sizes (bert-base-multilingual-cased / -uncased); a fine-tuned mBERT keeps them.
MBERT_VOCAB_SIZES = (119547, 105879)

# family -> task kind -> (hidden_states index, pooling, max length): XTREME's scripts, derived
# in the module docstring (file/line references there).
XTREME_PRESETS: dict[str, dict[str, tuple[int, str, int]]] = {
    "mbert": {"tatoeba": (8, "mean_with_special", 512), "bucc": (8, "cls", 512)},
    "xlm-roberta-large": {"tatoeba": (14, "mean_with_special", 512), "bucc": (20, "cls", 512)},
    "xlm-roberta-base": {"tatoeba": (8, "mean_with_special", 512), "bucc": (8, "cls", 512)},
}
# family -> the ``auto`` layer (module docstring, rule 1).
AUTO_FAMILY_LAYERS: dict[str, tuple[int, str]] = {
    "mbert": (8, "XTREME run_tatoeba.sh specific_layer 7 of the last 12"),
    "xlm-roberta-large": (14, "jiant retrieval_layer 14 = XTREME run_tatoeba.sh layer 13 of 24"),
    "xlm-roberta-base": (8, "XTREME 12-layer setting (specific_layer 7 of 12)"),
}


def model_family(config: Any) -> str | None:
    """``mbert``, ``xlm-roberta-base``, ``xlm-roberta-large`` or None (any other model).

    Decided from the config, so fine-tuned checkpoints of these models (e.g. after STILTs
    intermediate training) keep their family: mBERT = BERT with 12 layers and mBERT's
    vocabulary; XLM-R = ``model_type`` ``xlm-roberta`` with 12 (base) or 24 (large) layers.
    """
    model_type = getattr(config, "model_type", None)
    layers = getattr(config, "num_hidden_layers", None)
    if (
        model_type == "bert"
        and layers == 12
        and getattr(config, "vocab_size", None) in MBERT_VOCAB_SIZES
    ):
        return "mbert"
    if model_type == "xlm-roberta" and layers in (12, 24):
        return "xlm-roberta-base" if layers == 12 else "xlm-roberta-large"
    return None


def is_decoder_only(model: Any) -> bool:
    """True for a causal (decoder-only) LM: every position attends only to earlier ones.

    A model type that transformers lists as a causal LM but not as a masked LM (Llama, GPT-2,
    Qwen, ...), or any config with ``is_decoder=True``. BERT/RoBERTa/XLM-R loaded as
    ``*ForCausalLM`` by lm-eval stay bidirectional (``is_decoder`` False) and count as
    encoders; an encoder-decoder model is embedded by its (bidirectional) encoder.
    """
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    config = getattr(model, "config", None)
    if config is None or getattr(config, "is_encoder_decoder", False):
        return False
    if getattr(config, "is_decoder", False):
        return True
    model_type = getattr(config, "model_type", None)
    return (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    )


def auto_layer(n_states: int, decoder_only: bool) -> tuple[int, str]:
    """The ``auto`` layer for a model outside :data:`AUTO_FAMILY_LAYERS` (rule 2).

    Encoders: the last layer. Measured in docs/harness.md ("The auto rule"): on the 36
    XTREME Tatoeba languages all-MiniLM-L6-v2, a sentence-embedding encoder trained on its
    last layer's mean, scores best at its last layer (and the last layer was the default
    before, so encoder results outside the XTREME families do not move).
    Decoder-only models: the middle of the stack, ``hidden_states[n_layers // 2]``. The last
    layer of a causal LM is the one specialised for predicting the next token; XTREME and
    jiant pool the middle of the stack (hidden_states[8] of 12, [14] of 24) for the same
    reason. The tiny random causal LM measured here cannot confirm this for trained LMs
    (its weights are random: only the embedding layer's bag of tokens carries signal), and
    no trained decoder installs offline here; ``embed_layer: "all"`` reports every layer, so
    the choice is checked per model, and ``"dev"`` picks it on BUCC's sample split.
    """
    n_layers = n_states - 1
    if decoder_only and n_layers >= 2:
        return n_layers // 2, f"auto: decoder-only, middle layer {n_layers // 2} of {n_layers}"
    return n_layers, f"auto: encoder, last layer {n_layers}"


@dataclass(frozen=True)
class Resolved:
    """One model's concrete embedding choice (what the vectors and the cache key depend on)."""

    layer: int  # headline hidden_states index, 0..n_states-1
    n_states: int  # len(hidden_states) = blocks + 1
    all_layers: bool  # pool every hidden state (embed_layer all/dev)
    pooling: str  # mean, mean_no_bos, mean_with_special, cls or last
    max_length: int
    reason: str  # where the layer came from (recorded in the results)

    def describe(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "n_states": self.n_states,
            "all_layers": self.all_layers,
            "pooling": self.pooling,
            "max_length": self.max_length,
            "reason": self.reason,
        }


def check_layer(layer: int, n_states: int) -> int:
    """``layer`` as a non-negative index into ``n_states`` hidden states (one-line error)."""
    if not -n_states <= layer < n_states:
        raise EmbedSpecError(
            f"embed_layer={layer} is out of range: the model returns {n_states} hidden states "
            f"(embeddings + {n_states - 1} layers), valid indexes are {-n_states}..{n_states - 1}"
        )
    return layer % n_states


def resolve(
    spec: EmbedSpec,
    *,
    config: Any,
    n_states: int,
    decoder_only: bool,
    prepends_tokens: bool,
    model_max_length: int,
) -> Resolved:
    """Resolve ``spec`` for a model: headline layer, all-layers flag, pooling, max length.

    ``prepends_tokens``: the tokenizer puts special token(s) (e.g. BOS) before the text;
    for a decoder-only model ``mean`` then leaves them out (``mean_no_bos``): under causal
    attention the BOS hidden state is the same for every sentence, a constant vector mixed
    into every mean with weight 1/length. ``model_max_length`` is the model's own limit
    (already capped at 512) used when ``embed_max_length`` is absent.
    """
    family = model_family(config)
    pooling, max_length = spec.pooling, spec.max_length
    if spec.preset == "xtreme":
        if family is None:
            raise EmbedSpecError(
                "embed_preset 'xtreme': XTREME's retrieval scripts were run with mBERT and "
                f"XLM-R base/large only; this model ({getattr(config, 'model_type', '?')}, "
                f"{n_states - 1} layers) is none of them; set embed_layer/embed_pooling instead"
            )
        kind = spec.task_kind or "tatoeba"
        layer, pooling, max_length = XTREME_PRESETS[family][kind]
        reason = f"embed_preset xtreme: {family} {kind} (scripts/run_{'bucc2018' if kind == 'bucc' else kind}.sh)"
    elif isinstance(spec.layer, int):
        layer, reason = check_layer(spec.layer, n_states), "embed_layer"
    elif family is not None:
        layer, why = AUTO_FAMILY_LAYERS[family]
        layer, reason = check_layer(layer, n_states), f"auto: {family}, {why}"
    else:
        layer, reason = auto_layer(n_states, decoder_only)
    if pooling == "mean" and decoder_only and prepends_tokens:
        pooling = "mean_no_bos"
    elif pooling == "mean_with_special" or (pooling == "mean" and not decoder_only):
        pooling = "mean"  # every token of the attention mask (XTREME / jiant for encoders)
    return Resolved(
        layer=layer,
        n_states=n_states,
        all_layers=spec.all_layers,
        pooling=pooling,
        max_length=max_length
        if max_length is not None
        else min(model_max_length, DEFAULT_MAX_LENGTH_CAP),
        reason=reason,
    )
