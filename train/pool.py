"""Assemble the training examples of one phase: load tasks, apply the budget and the mixture.

``build_pool`` is deterministic given the seed: each task draws from its own generator seeded
by (seed, task name), so a task contributes the same examples whichever other tasks are in
the run (nested sweeps differ only where the mixture shares differ). The pool is then
shuffled with the seed. The returned stats are the realised mixture the manifest records.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .budget import BudgetSpec, example_total
from .formatting import Example, build_examples
from .mixture import MixtureSpec, allocate, draw, rates
from .sources import load_raw
from .task_spec import TaskSpec, load_task_spec


@dataclass
class TaskData:
    """One training task's examples, where they came from and what was dropped (and why)."""

    spec: TaskSpec
    examples: list[Example]
    origins: list[str]
    fingerprints: list[str]
    dropped: Counter = field(default_factory=Counter)


@dataclass
class Pool:
    examples: list[Example]
    stats: dict[str, dict[str, Any]]  # per task: available, drawn, rate, fraction, tokens, origin, ...


def load_task(ref: Any, split: str, data_dir: str | Path | None) -> TaskData:
    """All examples of one task (a union task loads each component)."""
    spec = load_task_spec(ref)
    if spec.components:
        parts = [load_task(name, split, data_dir) for name in spec.components]
        examples = [
            Example(spec.name, e.type, e.fields, e.prompt, e.answer) for p in parts for e in p.examples
        ]
        dropped: Counter = Counter()
        for p in parts:
            dropped.update({f"{p.spec.name}:{k}": v for k, v in p.dropped.items()})
        return TaskData(
            spec,
            examples,
            [o for p in parts for o in p.origins],
            [f"{p.spec.name}={f}" for p in parts for f in p.fingerprints],
            dropped,
        )
    raw = load_raw(spec, split, data_dir)
    examples, dropped = build_examples(spec, raw.source, raw.records, raw.origin)
    if not examples:
        raise ValueError(f"{spec.name}: no usable examples in {raw.origin} (dropped: {dict(dropped)})")
    return TaskData(spec, examples, [raw.origin], [raw.fingerprint], dropped)


def build_pool(
    tasks: list[TaskData],
    mixture: MixtureSpec,
    budget: BudgetSpec,
    seed: int,
    effective_batch: int = 1,
    length_of: Callable[[Example], int] | None = None,
) -> Pool:
    """The examples one phase trains on, and the realised mixture."""
    if not tasks:
        return Pool([], {})
    sizes = {t.spec.name: len(t.examples) for t in tasks}
    if len(sizes) != len(tasks):
        raise ValueError("a task is listed twice in the same phase")
    rate = rates(sizes, mixture)
    rngs = {name: random.Random(f"{seed}:{name}") for name in sizes}
    drawn: dict[str, list[Example]] = {}
    token_counts: dict[str, int] = {}
    total = example_total(budget, sizes, effective_batch)
    if budget.kind in ("examples", "steps"):
        counts = allocate(rate, int(total))
        for t in tasks:
            drawn[t.spec.name] = draw(t.examples, counts[t.spec.name], rngs[t.spec.name])
    elif budget.kind == "per_task_examples":
        for t in tasks:
            drawn[t.spec.name] = draw(t.examples, int(budget.per_task), rngs[t.spec.name])
    elif budget.kind == "full":
        for t in tasks:
            drawn[t.spec.name] = draw(t.examples, len(t.examples), rngs[t.spec.name])
    elif budget.kind == "tokens":
        if length_of is None:
            raise ValueError("a token budget needs the tokenizer to measure examples")
        shares = allocate(rate, int(budget.total))
        for t in tasks:
            name, picked, used = t.spec.name, [], 0
            cap = 100 * len(t.examples) + 1  # guards a share far beyond the data
            stream = draw(t.examples, min(cap, len(t.examples)), rngs[name])
            while used < shares[name] and len(picked) < cap:
                if not stream:
                    stream = draw(t.examples, len(t.examples), rngs[name])
                example = stream.pop(0)
                picked.append(example)
                used += length_of(example)
            drawn[name] = picked
            token_counts[name] = used
    if length_of is not None and not token_counts:
        token_counts = {name: sum(length_of(e) for e in ex) for name, ex in drawn.items()}
    examples = [e for t in tasks for e in drawn[t.spec.name]]
    random.Random(seed).shuffle(examples)
    n = max(1, len(examples))
    stats = {}
    for t in tasks:
        name = t.spec.name
        stats[name] = {
            "type": t.spec.type,
            "available": sizes[name],
            "rate": rate[name],
            "drawn": len(drawn[name]),
            "fraction": len(drawn[name]) / n,
            "passes_over_data": len(drawn[name]) / sizes[name],
            "dropped_records": dict(t.dropped),
            "origin": t.origins,
            "fingerprint": t.fingerprints,
            "hub_id": t.spec.hub_id,
            "task_file": t.spec.source_file,
        }
        if token_counts:
            stats[name]["tokens"] = token_counts[name]
    return Pool(examples, stats)
