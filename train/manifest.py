"""What every checkpoint says about itself: ``xfer_manifest.json`` and a model card.

:data:`MANIFEST_FILE` is the file's one name: the checkpoint folders (``checkpoint_io``), the
sweep and ``xfer compare`` (``xfer_tasks.compare.results``) all read it from here.

The manifest is what makes checkpoints comparable later: base model, tasks, realised
mixture, budget, seed, data fingerprints (sha256 of local files or the Hub ``datasets``
fingerprint), package version and git commit, library versions, and training metrics.
``README.md`` is a Hugging Face model card rendered from the same data.
"""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST_FILE = "xfer_manifest.json"
MANIFEST_VERSION = 1
_LIBRARIES = ("torch", "transformers", "datasets", "accelerate", "peft", "lm_eval")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist.replace("_", "-"))
    except metadata.PackageNotFoundError:
        return None


def git_commit(folder: Path | None = None) -> dict[str, Any]:
    """The commit of the xfer source tree (and whether it had local changes), if it is a repo."""
    folder = folder or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return {"commit": None}
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}


def software() -> dict[str, Any]:
    from xfer_tasks import __version__

    return {
        "xfer_tasks": __version__,
        "git": git_commit(),
        "python": platform.python_version(),
        **{lib: _version(lib) for lib in _LIBRARIES},
    }


def hardware() -> dict[str, Any]:
    import os

    import torch

    cuda = torch.cuda.is_available()
    return {
        "cuda": cuda,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "gpu_count": torch.cuda.device_count() if cuda else 0,
        "processes": int(os.environ.get("WORLD_SIZE", "1")),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }


def build_manifest(
    *,
    config: Any,
    phases: list[dict[str, Any]],
    base_model: dict[str, Any],
    sweep: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest dict; ``phases`` holds each phase's description, realised mixture and metrics."""
    intermediate = next((p for p in phases if p["name"] == "intermediate"), None)
    tasks = intermediate["tasks"] if intermediate else []
    fingerprints = {
        name: stats["fingerprint"] for p in phases for name, stats in p.get("mixture_realised", {}).items()
    }
    return {
        "xfer_manifest_version": MANIFEST_VERSION,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model_kind": config.kind,
        "base_model": base_model,
        "lora": config.model.get("lora"),
        "intermediate_tasks": tasks,
        "k": len(tasks),
        "seed": config.seed,
        "phases": phases,
        "data_fingerprints": fingerprints,
        "sweep": sweep,
        "software": software(),
        "hardware": hardware(),
        "config": config.raw,
        "config_file": config.source,
    }


def model_card(manifest: dict[str, Any]) -> str:
    """A Hugging Face model card (YAML front matter + summary tables)."""
    base = manifest["base_model"]["name_or_path"]
    lines = [
        "---",
        f"base_model: {base}",
        "library_name: transformers",
        "tags: [xfer, intermediate-task-training, stilts]",
        "---",
        "",
        f"# {base} + English intermediate tasks ({manifest['k']} task(s))",
        "",
        f"Model kind: {manifest['model_kind']}. Seed: {manifest['seed']}. "
        f"Made by xfer {manifest['software']['xfer_tasks']} "
        f"(git {manifest['software']['git'].get('commit') or 'unknown'}) "
        f"on {manifest['created_utc']}.",
        "",
    ]
    if manifest.get("sweep"):
        s = manifest["sweep"]
        lines += [f"Sweep point: k = {s.get('k')}, order = {s.get('order')}, seed = {s.get('seed')}.", ""]
    if manifest.get("model_kind") == "encoder":
        lines += [
            "The folder holds the shared ENCODER only (AutoModel + tokenizer), as Phang et al. (2020)",
            "score BUCC/Tatoeba on intermediate checkpoints; task heads are in `xfer_heads.pt`.",
            "",
        ]
    if manifest.get("lora"):
        lines += ["Trained with LoRA; the adapter is merged into these weights (raw adapter in `adapter/`).", ""]
    for phase in manifest["phases"]:
        lines += [f"## Phase: {phase['name']}", ""]
        budget = phase["budget"]
        lines += [f"Budget: {budget}. Mixture: {phase['mixture']}.", ""]
        realised = phase.get("mixture_realised", {})
        if realised:
            lines += [
                "| task | type | available | drawn | fraction | data |",
                "|---|---|---|---|---|---|",
            ]
            for name, s in realised.items():
                lines.append(
                    f"| {name} | {s['type']} | {s['available']} | {s['drawn']} | {s['fraction']:.3f} | {s['hub_id']} |"
                )
            lines.append("")
        m = phase.get("metrics") or {}
        if m:
            keys = ("global_step", "train_loss", "answer_loss_before", "answer_loss_after", "train_tokens_per_s")
            lines += [", ".join(f"{k}: {m[k]:.4g}" if isinstance(m.get(k), float) else f"{k}: {m.get(k)}" for k in keys if k in m), ""]
    lines += [
        "Evaluate with lm-eval, e.g. `lm_eval --model hf --model_args pretrained=THIS_FOLDER "
        "--include_path $(xfer tasks-path) --tasks xfer_xnli`.",
        "",
        "Full provenance: `xfer_manifest.json`.",
        "",
    ]
    return "\n".join(lines)
