"""How many examples each task contributes to a multi-task run.

Three sampling rates, as in T5 (Raffel et al. 2020, section 3.5.2):

- ``proportional``: examples-proportional mixing with an artificial cap K,
  ``r_i = min(n_i, K) / sum_j min(n_j, K)`` (no cap: plain proportional);
- ``temperature``: ``r_i ∝ n_i ** (1 / T)`` (optionally on capped sizes); T = 1 is
  proportional and T -> infinity is uniform;
- ``uniform``: ``r_i = 1 / k``.

``allocate`` turns rates and a total into integer counts that sum exactly to the total
(largest-remainder rounding, ties broken by task order), and ``draw`` picks that many
examples from each task: a seeded permutation, repeated (a new permutation per pass) when a
task must contribute more examples than it has. Both are deterministic given the seed, and
the realised counts and fractions are what the manifest records.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
STRATEGIES = ("proportional", "temperature", "uniform")


@dataclass(frozen=True)
class MixtureSpec:
    strategy: str = "proportional"
    cap: int | None = None  # examples-proportional cap K (also applied before temperature)
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"mixture.strategy: expected one of {STRATEGIES}, got {self.strategy!r}")
        if self.cap is not None and self.cap <= 0:
            raise ValueError(f"mixture.cap: expected a positive integer, got {self.cap}")
        if self.temperature <= 0:
            raise ValueError(f"mixture.temperature: expected > 0, got {self.temperature}")


def rates(sizes: dict[str, int], spec: MixtureSpec) -> dict[str, float]:
    """Sampling rate of each task (sums to 1)."""
    if not sizes:
        return {}
    empty = [name for name, n in sizes.items() if n <= 0]
    if empty:
        raise ValueError(f"tasks without examples cannot be mixed: {empty}")
    if spec.strategy == "uniform":
        return {name: 1.0 / len(sizes) for name in sizes}
    capped = {name: min(n, spec.cap) if spec.cap else n for name, n in sizes.items()}
    power = 1.0 / spec.temperature if spec.strategy == "temperature" else 1.0
    weights = {name: float(n) ** power for name, n in capped.items()}
    total = sum(weights.values())
    return {name: w / total for name, w in weights.items()}


def allocate(rate: dict[str, float], total: int) -> dict[str, int]:
    """Integer counts summing to ``total``, as close to ``rate * total`` as possible."""
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    exact = {name: r * total for name, r in rate.items()}
    counts = {name: math.floor(x) for name, x in exact.items()}
    left = total - sum(counts.values())
    order = sorted(rate, key=lambda name: (-(exact[name] - counts[name]), list(rate).index(name)))
    for name in order[:left]:
        counts[name] += 1
    return counts


def draw(items: Sequence[T], count: int, rng: random.Random) -> list[T]:
    """``count`` items: whole seeded permutations, then part of one more."""
    if count and not items:
        raise ValueError("cannot draw from an empty task")
    out: list[T] = []
    while len(out) < count:
        order = list(range(len(items)))
        rng.shuffle(order)
        out.extend(items[i] for i in order[: count - len(out)])
    return out
