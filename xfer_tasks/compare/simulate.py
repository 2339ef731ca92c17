"""Simulated task-count studies where the truth is known: for calibration and power analysis.

A study is a sweep over k = 0..K intermediate tasks with S training seeds. Per benchmark, L
languages of n test items each. Run r (one k, one seed) answers item i of language l
correctly with probability

    p_{r,l,i} = base_{l,i} + slope * k_r + u_r + v_{r,l}

- base_{l,i} ~ Uniform(lo, hi): item difficulty, shared by every run (the fixed test set);
- u_r ~ N(0, seed_sd): the training run's effect on every language (training-seed noise);
- v_{r,l} ~ N(0, seed_lang_sd): its language-specific part;
- each answer is a Bernoulli draw (item noise), independent across runs given p.

The k = 0 point is the base model: one checkpoint, no training, so no seed effect; with
``base_model_at_k0`` it is evaluated once per seed and gives identical scores, as a real sweep
does (``xfer sweep`` re-saves the base model at k = 0). The planted slope is then exactly the
slope of the expected test-set score over k. Probabilities are kept inside [0, 1] by choosing
(lo, hi) away from the bounds; ``simulate_study`` refuses settings that would need clipping at
more than 6 standard deviations of the noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class BenchmarkTruth:
    name: str
    slope: float  # planted change in expected accuracy per added task (fraction, not points)
    languages: tuple[str, ...] = ("en", "de", "fr", "sw", "zh")
    items: int = 400


@dataclass(frozen=True)
class StudyDesign:
    benchmarks: tuple[BenchmarkTruth, ...]
    k_values: tuple[int, ...] = tuple(range(10))
    seeds: int = 3
    seed_sd: float = 0.01
    seed_lang_sd: float = 0.005
    difficulty: tuple[float, float] = (0.25, 0.75)
    base_model_at_k0: bool = True


@dataclass
class SimulatedRun:
    """One run's per-item 0/1 results: ``items[(benchmark, language)]`` is a length-n array."""

    label: str
    k: int
    seed: int
    items: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def accuracy(self, benchmark: str, language: str) -> float:
        return float(self.items[(benchmark, language)].mean())


def simulate_study(design: StudyDesign, rng: np.random.Generator) -> list[SimulatedRun]:
    """Draw one study (see module doc); runs are ordered by seed, then k."""
    lo, hi = design.difficulty
    span = max(abs(b.slope) for b in design.benchmarks) * max(design.k_values)
    noise = 6 * (design.seed_sd + design.seed_lang_sd)
    if lo - noise - (span if any(b.slope < 0 for b in design.benchmarks) else 0) < 0 or (
        hi + noise + span > 1
    ):
        raise ValueError("difficulty range too close to 0 or 1 for this slope and noise")
    difficulty = {
        (b.name, lang): rng.uniform(lo, hi, size=b.items)
        for b in design.benchmarks
        for lang in b.languages
    }
    base_items = (
        {key: rng.random(p.size) < p for key, p in difficulty.items()}
        if design.base_model_at_k0
        else None
    )
    runs = []
    for seed in range(design.seeds):
        for k in design.k_values:
            run = SimulatedRun(label=f"k{k:02d}-seed{seed}", k=k, seed=seed)
            if k == 0 and base_items is not None:
                run.items = {key: hits.astype(float) for key, hits in base_items.items()}
                runs.append(run)
                continue
            u = rng.normal(0.0, design.seed_sd)
            for bench in design.benchmarks:
                for lang in bench.languages:
                    v = rng.normal(0.0, design.seed_lang_sd)
                    p = difficulty[(bench.name, lang)] + bench.slope * k + u + v
                    run.items[(bench.name, lang)] = (rng.random(p.size) < p).astype(float)
            runs.append(run)
    return runs


def score_table(
    runs: list[SimulatedRun], metric: str = "acc", base_model_at_k0: bool = True
) -> tuple[list, dict]:
    """The runs as :func:`xfer_tasks.compare.scaling.analyze_table` takes them: StudyRun
    records and ``table[label][(benchmark, language, metric)] = accuracy``."""
    from xfer_tasks.compare.scaling import StudyRun

    study = [
        StudyRun(label=r.label, k=r.k, seed=r.seed, order=None, results_file="", checkpoint=None,
                 untrained=r.k == 0 and base_model_at_k0)  # fmt: skip
        for r in runs
    ]
    table = {
        r.label: {(b, lang, metric): float(v.mean()) for (b, lang), v in r.items.items()}
        for r in runs
    }
    return study, table
