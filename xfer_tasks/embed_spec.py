"""How a sentence embedding is taken from a model: hidden layer, pooling, max length, batch size.

The retrieval tasks read these choices from their lm-eval ``metadata`` (``--metadata`` on the
command line, merged into every task by lm-eval) ONCE, into one :class:`EmbedSpec`
(:func:`xfer_tasks.metadata.check_metadata` parses and returns it), and put that object into
each request (:meth:`EmbedSpec.request_argument`); the model side
(:mod:`xfer_tasks.harness.hf_embed`, :mod:`xfer_tasks.harness.embed_cache`) takes it from the
request (:func:`spec_of`), resolves it against the loaded model
(:mod:`xfer_tasks.harness.layers`) and follows it. This module imports neither lm-eval nor
torch: ``xfer check-data`` and the metadata check use it without them. Keys:

``embed_layer``       ``auto`` (default), an int, ``all`` or ``dev``.
                      int: index into the model's ``hidden_states`` tuple as Hugging Face
                      returns it: 0 = token embeddings, i = output of block i, -1 = the last
                      entry (for models with a final norm, e.g. Llama, that entry is after
                      the norm). Negative indexes count from the end.
                      ``auto``: XTREME's/jiant's layer for the model families they used,
                      else the measured rule of :mod:`xfer_tasks.harness.layers`.
                      ``all``: one forward pass, every hidden layer pooled; the headline
                      metrics use the ``auto`` layer and every metric is also reported per
                      layer as ``<metric>_L<i>``.
                      ``dev``: as ``all``, and the headline layer is the one with the best
                      F1 on BUCC's ``sample`` split (XTREME's dev) in the same run.
``embed_pooling``     ``mean`` (default; average over the attention mask; for decoder-only
                      models the token(s) the tokenizer prepends, e.g. BOS, are left out),
                      ``mean_with_special`` (average over every token of the attention mask,
                      BOS included), ``cls`` (first token), ``last`` (last non-padding token).
``embed_max_length``  int tokens, default: the model's maximum length capped at 512.
``embed_batch_size``  int sentences per forward pass; default: lm-eval's ``--batch_size``
                      (``auto`` starts at ``--max_batch_size`` and halves on out-of-memory).
``embed_precision``   ``auto`` (default: bf16 autocast on CUDA when the model is fp32 and the
                      GPU supports bf16, else the model's own dtype), ``model`` (always the
                      model's own dtype, no autocast) or ``bfloat16`` (bf16 autocast).
                      The model is never cast or copied: it is loaded once, by lm-eval.
``embed_preset``      ``xtreme``: layer, pooling and max length exactly as XTREME's retrieval
                      scripts for the loaded model family (see ``layers.XTREME_PRESETS``);
                      an error for a family XTREME did not use, and an error when combined
                      with ``embed_layer``, ``embed_pooling`` or ``embed_max_length``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "DEFAULT_MAX_LENGTH_CAP", "LAYER_MODES", "METADATA_KEYS", "POOLINGS", "PRECISIONS", "PRESETS",
    "TASK_KINDS", "EmbedSpec", "EmbedSpecError", "SpecArgument", "spec_of",
]  # fmt: skip

POOLINGS = ("mean", "mean_with_special", "cls", "last")
PRECISIONS = ("auto", "model", "bfloat16")
LAYER_MODES = ("auto", "all", "dev")  # besides integer indexes
PRESETS = ("xtreme",)
TASK_KINDS = ("tatoeba", "bucc")  # which retrieval task asks (presets differ per task)
DEFAULT_MAX_LENGTH_CAP = 512
# Every ``embed_*`` metadata key the retrieval tasks read (the single list of them).
METADATA_KEYS = (
    "embed_layer",
    "embed_pooling",
    "embed_max_length",
    "embed_batch_size",
    "embed_precision",
    "embed_preset",
)


class EmbedSpecError(ValueError):
    """A ``embed_*`` metadata value is not of the expected kind."""


@dataclass(frozen=True)
class EmbedSpec:
    layer: int | str = "auto"
    pooling: str = "mean"
    max_length: int | None = None  # None: the model's maximum, capped at 512
    batch_size: int | None = None  # None: lm-eval's --batch_size
    precision: str = "auto"
    preset: str | None = None
    task_kind: str | None = None  # set by the task: "tatoeba" / "bucc" (presets differ)

    def __post_init__(self) -> None:
        if isinstance(self.layer, str):
            if self.layer not in LAYER_MODES:
                raise EmbedSpecError(
                    f"embed_layer: expected an integer or one of {', '.join(LAYER_MODES)}, "
                    f"got {self.layer!r}"
                )
        elif isinstance(self.layer, bool) or not isinstance(self.layer, int):
            raise EmbedSpecError(
                f"embed_layer: expected an integer or one of {', '.join(LAYER_MODES)}, "
                f"got {self.layer!r}"
            )
        if self.pooling not in POOLINGS:
            raise EmbedSpecError(
                f"embed_pooling: expected one of {', '.join(POOLINGS)}, got {self.pooling!r}"
            )
        for key, value in (
            ("embed_max_length", self.max_length),
            ("embed_batch_size", self.batch_size),
        ):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise EmbedSpecError(f"{key}: expected a positive integer, got {value!r}")
        if self.precision not in PRECISIONS:
            raise EmbedSpecError(
                f"embed_precision: expected one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        if self.preset is not None and self.preset not in PRESETS:
            raise EmbedSpecError(
                f"embed_preset: expected one of {', '.join(PRESETS)}, got {self.preset!r}"
            )
        if self.task_kind is not None and self.task_kind not in TASK_KINDS:
            raise EmbedSpecError(
                f"task kind: expected one of {', '.join(TASK_KINDS)}, got {self.task_kind!r}"
            )

    @property
    def all_layers(self) -> bool:
        """True when every hidden layer is pooled (``all`` / ``dev``)."""
        return self.layer in ("all", "dev")

    @classmethod
    def from_metadata(
        cls, metadata: Mapping[str, Any] | None, task_kind: str | None = None
    ) -> EmbedSpec:
        """Read the ``embed_*`` keys (see the module docstring); absent keys take defaults."""
        metadata = metadata or {}

        def _int(key: str) -> Any:
            value = metadata.get(key)
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)  # model_args-style strings
            return value

        values: dict[str, Any] = {"task_kind": task_kind}
        if metadata.get("embed_layer") is not None:
            layer = _int("embed_layer")
            values["layer"] = layer.strip().lower() if isinstance(layer, str) else layer
        if metadata.get("embed_pooling") is not None:
            values["pooling"] = str(metadata["embed_pooling"]).lower()
        if metadata.get("embed_max_length") is not None:
            values["max_length"] = _int("embed_max_length")
        if metadata.get("embed_batch_size") is not None:
            values["batch_size"] = _int("embed_batch_size")
        if metadata.get("embed_precision") is not None:
            values["precision"] = str(metadata["embed_precision"]).lower()
        if metadata.get("embed_preset") is not None:
            values["preset"] = str(metadata["embed_preset"]).lower()
            clash = [
                key
                for key in ("embed_pooling", "embed_max_length")
                if metadata.get(key) is not None
            ]
            if isinstance(values.get("layer"), int) or values.get("layer") == "auto":
                clash.insert(0, "embed_layer")
            if clash:
                raise EmbedSpecError(
                    f"embed_preset={values['preset']!r} sets the layer, pooling and max length "
                    f"itself; remove {', '.join(clash)} (only embed_layer 'all'/'dev' combine "
                    "with a preset)"
                )
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmbedSpec:
        return cls(**dict(data))

    def request_argument(self) -> SpecArgument:
        """This spec as the second argument of an ``xfer_embed`` request (see :class:`SpecArgument`)."""
        return SpecArgument(self)


class SpecArgument(dict):
    """An ``xfer_embed`` request's spec argument: the spec's fields as a plain dict (what
    lm-eval writes into the samples file with ``--log_samples``) that also carries the
    :class:`EmbedSpec` object itself (``.spec``), so the model side uses the object the task
    parsed from its metadata instead of parsing the dict again."""

    def __init__(self, spec: EmbedSpec):
        super().__init__(spec.to_dict())
        self.spec = spec


def spec_of(argument: EmbedSpec | Mapping[str, Any]) -> EmbedSpec:
    """The :class:`EmbedSpec` of a request's spec argument: the object a task put there, or
    (a request built by other code with a plain dict) the dict's fields, validated."""
    if isinstance(argument, EmbedSpec):
        return argument
    carried = getattr(argument, "spec", None)
    if isinstance(carried, EmbedSpec):
        return carried
    return EmbedSpec.from_dict(argument)
