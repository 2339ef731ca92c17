"""A tiny study for the study tests: a tiny random LM, the shipped demo training data, one XNLI
language of the shipped demo evaluation data, ``--limit 2``."""

from __future__ import annotations

from pathlib import Path

import yaml

from xfer_tasks.demo import DEMO_DATA


def write_tiny_study(folder: Path, model: Path, k: list[int], seeds: list[int] | None = None, **launcher) -> Path:
    """Write ``study.yaml`` in ``folder``; ``model`` is a tiny causal LM folder."""
    config = {
        "description": "tiny study",
        "models": {
            "tiny": {
                "base": {
                    "model": {"kind": "causal", "name_or_path": str(model), "max_seq_length": 96},
                    "data_dir": str(DEMO_DATA / "train"),
                    "mixture": {"strategy": "uniform"},
                    "budget": {"kind": "examples", "total": 8},
                    "training": {
                        "learning_rate": 1.0e-3, "per_device_train_batch_size": 4,
                        "logging_steps": 1, "use_cpu": True, "batching": "packed", "save_steps": 1,
                    },
                },
                "sweep": {"tasks": ["mnli", "squad", "commonsenseqa"], "k": k, "seeds": seeds or [0]},
            }
        },
        "evaluation": {
            "tasks": ["xfer_xnli_en"],
            "data_dir": str(DEMO_DATA / "eval"),
            "metadata": {"xnli_split": "validation"},
            "limit": 2,
            "device": "cpu",
        },
        "launcher": {"poll_s": 0.5, **launcher},
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
