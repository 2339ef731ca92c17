"""Simulated task-count studies where the truth is known: for calibration and power analysis.

A study is a sweep over k = 0..K intermediate tasks with S training seeds. Per benchmark, L
languages of n test items each. Run r (one k, one seed, the first k tasks of its order) answers
item i of language l correctly with probability

    p_{r,l,i} = base_{l,i} + (slope + g_l) * k_r + jump * [k_r >= 1] + sum_{t in tasks_r} tau_t
                + m(k_r) * (u_r + v_{r,l})

- base_{l,i} ~ Uniform(lo, hi): item difficulty, shared by every run (the fixed test set);
- g_l ~ N(0, language_slope_sd): a language's own slope (mean zero over languages in general);
- jump: a step at k = 1 (then flat when slope = 0);
- tau_t ~ N(0, task_effect_sd), centred to mean zero over the K tasks: what task t itself does;
  the tasks come in one order for every seed, or with ``order_per_seed`` a random order each;
- u_r ~ N(0, seed_sd): the training run's effect on every language (training-seed noise);
- v_{r,l} ~ N(0, seed_lang_sd): its language-specific part;
- m(k) = (k / K) ** noise_growth: seed noise that grows with k (1 everywhere by default);
- each answer is a Bernoulli draw (item noise), independent across runs given p.

The k = 0 point is the base model: one checkpoint, no training, so no seed effect; with
``base_model_at_k0`` it is evaluated once per seed and gives identical scores, as a real sweep
does (``xfer sweep`` re-saves the base model at k = 0), or with ``base_eval_jitter`` > 0 each
re-evaluation re-draws that fraction of its items (evaluation nondeterminism). Each run keeps
``expected[(benchmark, language)]``, the mean of its p over the items: the truth a study
estimates (the planted slope is the slope of these over k). Probabilities are kept inside
[0, 1] by choosing (lo, hi) away from the bounds; ``simulate_study`` refuses settings that
would need clipping at more than 6 standard deviations of the noise.

:func:`write_lmeval_study` writes a study as lm-eval results files and ``xfer_manifest.json``
files, so a calibration can go through ``results.load_runs`` and ``scaling.analyze`` exactly
as real runs do.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xfer_tasks.train.manifest import MANIFEST_FILE


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
    noise_growth: float = 0.0  # seed noise sd x (k / K) ** noise_growth
    base_eval_jitter: float = 0.0  # fraction of items re-drawn per re-evaluation of the base
    task_effect_sd: float = 0.0  # each task's own effect (centred to mean zero)
    order_per_seed: bool = False  # one random task order per seed (else one shared order)
    language_slope_sd: float = 0.0  # language-specific slopes (mean zero)
    jump: float = 0.0  # a step at k = 1


@dataclass
class SimulatedRun:
    """One run's per-item 0/1 results: ``items[(benchmark, language)]`` is a length-n array."""

    label: str
    k: int
    seed: int
    items: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    expected: dict[tuple[str, str], float] = field(default_factory=dict)  # mean p: the truth
    tasks: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    untrained: bool = False

    def accuracy(self, benchmark: str, language: str) -> float:
        return float(self.items[(benchmark, language)].mean())


def simulate_study(design: StudyDesign, rng: np.random.Generator) -> list[SimulatedRun]:
    """Draw one study (see module doc); runs are ordered by seed, then k."""
    lo, hi = design.difficulty
    kmax = max(design.k_values)
    span = max(
        abs(b.slope) * kmax + abs(design.jump) + 3 * design.language_slope_sd * kmax
        + 3 * design.task_effect_sd * math.sqrt(max(kmax, 1))
        for b in design.benchmarks
    )  # fmt: skip
    noise = 6 * (design.seed_sd + design.seed_lang_sd)
    falls = any(b.slope < 0 for b in design.benchmarks) or design.jump < 0 or (
        design.language_slope_sd > 0 or design.task_effect_sd > 0
    )
    if lo - noise - (span if falls else 0) < 0 or hi + noise + span > 1:
        raise ValueError("difficulty range too close to 0 or 1 for this slope and noise")
    difficulty = {
        (b.name, lang): rng.uniform(lo, hi, size=b.items)
        for b in design.benchmarks
        for lang in b.languages
    }
    pool = [f"task{i}" for i in range(kmax)]
    tau = {}
    for b in design.benchmarks:
        effects = rng.normal(0.0, design.task_effect_sd, size=kmax) if kmax else np.zeros(0)
        tau[b.name] = dict(zip(pool, effects - effects.mean() if kmax else effects, strict=True))
    lang_slope = {
        (b.name, lang): b.slope + rng.normal(0.0, design.language_slope_sd)
        if design.language_slope_sd > 0 else b.slope
        for b in design.benchmarks
        for lang in b.languages
    }  # fmt: skip
    shared = list(rng.permutation(pool)) if pool else []
    base_items = (
        {key: rng.random(p.size) < p for key, p in difficulty.items()}
        if design.base_model_at_k0
        else None
    )
    runs = []
    for seed in range(design.seeds):
        order = list(rng.permutation(pool)) if design.order_per_seed and pool else shared
        for k in design.k_values:
            run = SimulatedRun(label=f"k{k:02d}-seed{seed}", k=k, seed=seed,
                               tasks=[str(t) for t in order[:k]], order=[str(t) for t in order])  # fmt: skip
            if k == 0 and base_items is not None:
                run.untrained = True
                for key, hits in base_items.items():
                    hits = hits.copy()
                    if seed > 0 and design.base_eval_jitter > 0:
                        redo = rng.random(hits.size) < design.base_eval_jitter
                        hits[redo] = rng.random(int(redo.sum())) < difficulty[key][redo]
                    run.items[key] = hits.astype(float)
                    run.expected[key] = float(difficulty[key].mean())
                runs.append(run)
                continue
            scale = (k / kmax) ** design.noise_growth if kmax else 1.0
            u = rng.normal(0.0, design.seed_sd) * scale
            for bench in design.benchmarks:
                shift = design.jump * (k >= 1) + sum(tau[bench.name][t] for t in run.tasks)
                for lang in bench.languages:
                    v = rng.normal(0.0, design.seed_lang_sd) * scale
                    key = (bench.name, lang)
                    mean = difficulty[key] + lang_slope[key] * k + shift
                    p = np.clip(mean + u + v, 0.0, 1.0)
                    run.items[key] = (rng.random(p.size) < p).astype(float)
                    run.expected[key] = float(mean.mean())
            runs.append(run)
    return runs


def write_lmeval_study(
    runs: list[SimulatedRun], root: str | Path, *, metric: str = "acc", phases: bool = True
) -> Path:
    """Write a simulated study as lm-eval 0.4 results files (``<root>/results/<label>/
    results_<date>.json``, no per-document samples) whose ``model_args.pretrained`` is a
    checkpoint folder with the ``xfer_manifest.json`` ``xfer sweep`` writes (base model, tasks,
    k, seed, sweep order; with ``phases`` the phase list, the base model's phase marked
    skipped). Task names are ``<benchmark>_<language>``. Returns ``<root>/results``."""
    root = Path(root)
    for run in runs:
        checkpoint = root / "ckpts" / run.label
        checkpoint.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, Any] = {
            "xfer_manifest_version": 1,
            "base_model": {"name_or_path": "simulated-base", "revision": None},
            "intermediate_tasks": run.tasks,
            "k": run.k,
            "seed": run.seed,
            "sweep": {"k": run.k, "seed": run.seed, "order": run.order, "point": run.label},
        }
        if phases:
            manifest["phases"] = [
                {"name": "intermediate", "tasks": run.tasks}
                | ({"skipped": "no tasks (k = 0)"} if run.untrained else {})
            ]
        (checkpoint / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
        results: dict[str, Any] = {}
        counts: dict[str, Any] = {}
        for (benchmark, language), hits in run.items.items():
            task = f"{benchmark}_{language}"
            n = int(hits.size)
            value = float(hits.mean())
            stderr = float(hits.std(ddof=1) / math.sqrt(n)) if n > 1 else "N/A"
            results[task] = {"alias": task, f"{metric},none": value, f"{metric}_stderr,none": stderr}
            counts[task] = {"original": n, "effective": n}
        folder = root / "results" / run.label
        folder.mkdir(parents=True, exist_ok=True)
        data = {
            "results": results,
            "group_subtasks": {},
            "n-samples": counts,
            "config": {"model": "hf", "model_args": {"pretrained": str(checkpoint)}, "limit": None},
        }
        (folder / "results_2026-01-01T00-00-00.000000.json").write_text(
            json.dumps(data), encoding="utf-8"
        )
    return root / "results"


def score_table(
    runs: list[SimulatedRun], metric: str = "acc", base_model_at_k0: bool = True
) -> tuple[list, dict]:
    """The runs as :func:`xfer_tasks.compare.scaling.analyze_table` takes them: StudyRun
    records and ``table[label][(benchmark, language, metric)] = accuracy``."""
    from xfer_tasks.compare.scaling import StudyRun

    study = [
        StudyRun(label=r.label, k=r.k, seed=r.seed, order=r.order or None, results_file="",
                 checkpoint=None, untrained=r.k == 0 and base_model_at_k0, tasks=r.tasks,
                 base_model="simulated-base" if r.k == 0 and base_model_at_k0 else None)  # fmt: skip
        for r in runs
    ]
    table = {
        r.label: {(b, lang, metric): float(v.mean()) for (b, lang), v in r.items.items()}
        for r in runs
    }
    return study, table
