"""How a sentence embedding is taken from a model: hidden layer, pooling, max length, batch size.

The retrieval tasks read these choices from their lm-eval ``metadata`` (``--metadata`` on the
command line, merged into every task by lm-eval), put them into each request, and the model
side (:mod:`xfer_tasks.harness.hf_embed`) follows them. Keys:

``embed_layer``       int, default -1. Index into the model's ``hidden_states`` tuple as
                      Hugging Face returns it: 0 = token embeddings, i = output of block i,
                      -1 = the last entry (for models with a final norm, e.g. Llama, that
                      entry is after the norm). Negative indexes count from the end.
``embed_pooling``     ``mean`` (default; average over the attention mask), ``cls`` (first
                      token), ``last`` (last non-padding token; the usual choice for causal LMs).
``embed_max_length``  int tokens, default: the model's maximum length capped at 512.
``embed_batch_size``  int sentences per forward pass; default: lm-eval's ``--batch_size``
                      (``auto`` starts at ``--max_batch_size`` and halves on out-of-memory).
``embed_precision``   ``auto`` (default: bf16 autocast on CUDA when the model is fp32 and the
                      GPU supports bf16, else the model's own dtype), ``model`` (always the
                      model's own dtype, no autocast) or ``bfloat16`` (bf16 autocast).
                      The model is never cast or copied: it is loaded once, by lm-eval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

POOLINGS = ("mean", "cls", "last")
PRECISIONS = ("auto", "model", "bfloat16")
DEFAULT_MAX_LENGTH_CAP = 512
METADATA_KEYS = (
    "embed_layer",
    "embed_pooling",
    "embed_max_length",
    "embed_batch_size",
    "embed_precision",
)


class EmbedSpecError(ValueError):
    """A ``embed_*`` metadata value is not of the expected kind."""


@dataclass(frozen=True)
class EmbedSpec:
    layer: int = -1
    pooling: str = "mean"
    max_length: int | None = None  # None: the model's maximum, capped at 512
    batch_size: int | None = None  # None: lm-eval's --batch_size
    precision: str = "auto"

    def __post_init__(self) -> None:
        if isinstance(self.layer, bool) or not isinstance(self.layer, int):
            raise EmbedSpecError(f"embed_layer: expected an integer, got {self.layer!r}")
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

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> EmbedSpec:
        """Read the ``embed_*`` keys (see the module docstring); absent keys take defaults."""
        metadata = metadata or {}

        def _int(key: str) -> Any:
            value = metadata.get(key)
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)  # model_args-style strings
            return value

        values: dict[str, Any] = {}
        if metadata.get("embed_layer") is not None:
            values["layer"] = _int("embed_layer")
        if metadata.get("embed_pooling") is not None:
            values["pooling"] = str(metadata["embed_pooling"]).lower()
        if metadata.get("embed_max_length") is not None:
            values["max_length"] = _int("embed_max_length")
        if metadata.get("embed_batch_size") is not None:
            values["batch_size"] = _int("embed_batch_size")
        if metadata.get("embed_precision") is not None:
            values["precision"] = str(metadata["embed_precision"]).lower()
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmbedSpec:
        return cls(**dict(data))

    def cache_identity(self) -> dict[str, Any]:
        """The fields that change the vectors (batch size does not)."""
        return {"layer": self.layer, "pooling": self.pooling, "max_length": self.max_length}
