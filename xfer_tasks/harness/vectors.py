"""A sentence embedding as lm-eval carries it: a picklable box whose text form hides the values.

lm-eval stores each response in ``Instance.resps``, writes them with ``--log_samples`` through
``str()`` (``sanitize_list``) and ``json.dumps(default=str)``, and pickles them to rank 0 in
data-parallel runs. :class:`Embedding` pickles its vector but prints only its shape and how it
was taken, so sample logs never contain raw vectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Embedding:
    """One sentence vector (float32, 1-D) plus the layer/pooling/max length that produced it."""

    __slots__ = ("vector", "layer", "pooling", "max_length", "precision")

    def __init__(
        self,
        vector: np.ndarray,
        *,
        layer: int,
        pooling: str,
        max_length: int,
        precision: str = "float32",
    ) -> None:
        vector = np.asarray(vector, dtype=np.float32)
        if vector.ndim != 1:
            raise ValueError(f"an embedding is one 1-D vector, got shape {vector.shape}")
        self.vector = vector
        self.layer = int(layer)
        self.pooling = str(pooling)
        self.max_length = int(max_length)
        self.precision = str(precision)

    @property
    def dim(self) -> int:
        return int(self.vector.shape[0])

    def describe(self) -> dict[str, Any]:
        """How the vector was taken (for the results file), without the values."""
        return {
            "dim": self.dim,
            "layer": self.layer,
            "pooling": self.pooling,
            "max_length": self.max_length,
            "precision": self.precision,
        }

    def __repr__(self) -> str:
        return f"<embedding dim={self.dim} layer={self.layer} pooling={self.pooling}>"

    __str__ = __repr__

    # explicit state so pickling works the same on Python 3.10 (slots, no __dict__)
    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, state[name])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Embedding):
            return NotImplemented
        return self.describe() == other.describe() and np.array_equal(self.vector, other.vector)

    __hash__ = None  # mutable numpy payload
