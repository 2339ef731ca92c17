"""The training budget: how much data a run sees, whatever the number of tasks.

A scaling sweep compares checkpoints trained on 1, 2, ... N tasks. If every task brought all
its data, "more tasks" would also mean "more data"; a fixed budget keeps the amount constant
and lets the mixture decide how it is shared. Kinds:

- ``examples``: ``total`` training examples across all tasks (shared by the mixture rates);
- ``tokens``: ``total`` training tokens (prompt + answer, after truncation) across all tasks;
  each task gets ``rate * total`` tokens and contributes examples in its seeded order until
  its share is reached;
- ``steps``: ``total`` optimizer steps; the pool holds ``steps * effective batch size``
  examples, mixed by the rates;
- ``per_task_examples``: ``per_task`` examples from every task (so the total grows with k;
  use it to study the other side of the question);
- ``full``: every example of every task once (no control; the mixture is ignored).

``epochs`` (default 1) is how many passes the run makes over the drawn pool. The resolved
budget (kind, requested, realised examples and tokens per task) goes to the manifest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("examples", "tokens", "steps", "per_task_examples", "full")


@dataclass(frozen=True)
class BudgetSpec:
    kind: str = "examples"
    total: int | None = None
    per_task: int | None = None
    epochs: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"budget.kind: expected one of {KINDS}, got {self.kind!r}")
        if self.kind in ("examples", "tokens", "steps") and (not self.total or self.total <= 0):
            raise ValueError(f"budget.total: budget kind {self.kind!r} needs a positive total")
        if self.kind == "per_task_examples" and (not self.per_task or self.per_task <= 0):
            raise ValueError("budget.per_task: kind 'per_task_examples' needs a positive per_task")
        if self.epochs <= 0:
            raise ValueError(f"budget.epochs: expected > 0, got {self.epochs}")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> BudgetSpec:
        data = dict(data or {})
        unknown = set(data) - {"kind", "total", "per_task", "epochs"}
        if unknown:
            raise ValueError(f"budget: unknown keys {sorted(unknown)}")
        return cls(**data)


def example_total(budget: BudgetSpec, sizes: dict[str, int], effective_batch: int) -> int | None:
    """How many examples to draw for the ``examples``/``steps`` kinds (None: decided per task)."""
    if budget.kind == "examples":
        return int(budget.total)
    if budget.kind == "steps":
        return int(budget.total) * effective_batch
    return None
