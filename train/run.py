"""One checkpoint from one config: phases in order, resumable, published atomically.

``train_checkpoint`` is what ``xfer train`` and every sweep point run:

1. refuse an existing ``out`` unless ``overwrite`` (a sweep skips complete points instead);
2. in ``<out>.work/``, check the config fingerprint (a changed config is not resumed);
3. for each phase (intermediate, then the optional English target phase): load its tasks,
   draw the budgeted mixture, train (causal SFT or encoder multi-task), and save the phase's
   model to ``phase-N-<name>/final`` (published atomically, so a finished phase is not
   redone after a crash); the next phase starts from it;
4. copy the last phase's model to ``<out>.tmp-<pid>``, add ``xfer_manifest.json``, the model
   card and ``COMPLETE``, rename to ``out``, and delete the work folder.

A phase without tasks (k = 0 of a sweep) trains nothing: the checkpoint is the base model,
saved the same way with its manifest, so every sweep point is evaluated alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from .budget import BudgetSpec
from .checkpoint_io import (
    RUN_FILE,
    check_output,
    has_progress,
    is_complete,
    phase_dir,
    publish,
    remove_stale_staging,
    staging_dir,
    work_dir,
    write_json_durable,
)
from .common import PhaseJob, encode_pair, is_main_process, load_tokenizer, wait_for_everyone
from .config import PhaseConfig, RunConfig
from .manifest import MANIFEST_FILE, build_manifest, model_card
from .pool import build_pool, load_task

PHASE_INFO = "xfer_phase.json"


class ConfigChangedError(RuntimeError):
    """A work folder from a different config exists."""


def config_fingerprint(config: RunConfig) -> str:
    data = {k: v for k, v in config.raw.items() if k != "output_dir"}
    data["model"] = config.model
    data["data_dir"] = config.data_dir
    blob = json.dumps(data, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def _save_base_model(config: RunConfig, dest: Path) -> None:
    """k = 0: the base model itself, re-saved as a plain folder."""
    revision = config.model.get("revision")
    if config.kind == "encoder":
        from transformers import AutoModel

        model = AutoModel.from_pretrained(config.model["name_or_path"], revision=revision)
    else:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(config.model["name_or_path"], revision=revision)
    model.save_pretrained(str(dest))
    load_tokenizer(config.model["name_or_path"], revision).save_pretrained(str(dest))


def _effective_batch(phase: PhaseConfig) -> int:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    t = phase.training
    return int(t["per_device_train_batch_size"]) * int(t["gradient_accumulation_steps"]) * world


def _run_phase(
    config: RunConfig, phase: PhaseConfig, index: int, init_from: str, work: Path, is_main: bool
) -> dict[str, Any]:
    folder = phase_dir(work, index, phase.name)
    final = folder / "final"
    if is_complete(final):
        return json.loads((final / PHASE_INFO).read_text())
    tasks = [load_task(ref, phase.split, config.data_dir) for ref in phase.tasks]
    length_of = None
    if phase.budget.kind == "tokens" or config.kind == "causal":
        tokenizer = load_tokenizer(init_from, config.model.get("revision"))
        max_len = int(config.model["max_seq_length"])

        def length_of(example):  # noqa: F811 - tokens the model will see for this example
            return len(encode_pair(tokenizer, example.prompt, example.answer, max_len)["input_ids"])

    budget, pool_note = phase.budget, None
    if budget.kind == "steps" and config.kind == "causal" and phase.training["batching"] == "packed":
        # a packed batch is rows of up to max_seq_length tokens: fill steps x batch rows
        total = int(budget.total) * _effective_batch(phase) * int(config.model["max_seq_length"])
        budget = BudgetSpec("tokens", total=total, epochs=budget.epochs)
        pool_note = f"steps budget with packed rows: pool drawn as {total} tokens (steps x batch x max_seq_length)"
    pool = build_pool(tasks, phase.mixture, budget, int(phase.training["seed"]), _effective_batch(phase), length_of)
    staged = folder / f"final.tmp-{os.getpid()}"
    if is_main:
        remove_stale_staging(final)
    if config.kind == "encoder":  # the runner picks the recipe; recipes never import each other
        from .encoder import train_phase
    else:
        from .sft import train_phase
    job = PhaseJob(
        init_from=init_from,
        revision=config.model.get("revision") if index == 0 else None,
        model=config.model,
        phase=phase,
        examples=pool.examples,
        run_dir=folder / "trainer",
        save_to=staged,
        is_main=is_main,
    )
    metrics = train_phase(job)
    info = {
        **phase.describe(),
        "initialised_from": init_from if index == 0 else f"phase {index - 1} output",
        "mixture_realised": pool.stats,
        "total_examples": len(pool.examples),
        "pool_note": pool_note,
        "metrics": metrics,
    }
    if is_main:
        write_json_durable(staged / PHASE_INFO, info)
        (staged / MANIFEST_FILE).write_text("{}\n")  # makes is_complete() true once COMPLETE lands
        publish(staged, final, overwrite=True)
    wait_for_everyone()
    return info


def train_checkpoint(
    config: RunConfig,
    out: Path,
    *,
    overwrite: bool = False,
    sweep: dict[str, Any] | None = None,
) -> Path:
    """Train ``config`` into the checkpoint folder ``out`` (see the module docstring)."""
    out = Path(out).resolve()
    is_main = is_main_process()
    check_output(out, overwrite)
    work = work_dir(out)
    fingerprint = config_fingerprint(config)
    run_file = work / RUN_FILE
    if is_main:
        remove_stale_staging(out)
        if work.exists() and not run_file.is_file() and not has_progress(work):
            print(f"[xfer train] clearing {work}: left by a run that saved nothing", file=sys.stderr)
            shutil.rmtree(work)
        if run_file.is_file():
            previous = json.loads(run_file.read_text())
            if previous.get("config_fingerprint") != fingerprint:
                if not overwrite and has_progress(work):
                    raise ConfigChangedError(
                        f"{work} holds an interrupted run of a different config; "
                        "pass --overwrite to discard it and start again"
                    )
                shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
        write_json_durable(run_file, {"config_fingerprint": fingerprint, "config": config.raw})
    wait_for_everyone()

    current = config.model["name_or_path"]
    phases_info: list[dict[str, Any]] = []
    try:
        for index, phase in enumerate(config.phases):
            if not phase.tasks:
                phases_info.append({**phase.describe(), "skipped": "no tasks (k = 0)"})
                continue
            info = _run_phase(config, phase, index, current, work, is_main)
            phases_info.append(info)
            current = str(phase_dir(work, index, phase.name) / "final")
    except BaseException:
        # a run that fails before saving anything (missing data, a bad option the Trainer
        # refuses) leaves no work folder for the fixed rerun to trip over; one with saved
        # progress keeps it (the rerun resumes from it)
        if is_main and not has_progress(work):
            shutil.rmtree(work, ignore_errors=True)
        raise

    if is_main:
        staged = staging_dir(out)
        if current == config.model["name_or_path"]:
            staged.mkdir(parents=True)
            _save_base_model(config, staged)
        else:
            shutil.copytree(current, staged)
            (staged / PHASE_INFO).unlink(missing_ok=True)
            (staged / "COMPLETE").unlink(missing_ok=True)
        base = {"name_or_path": config.model["name_or_path"], "revision": config.model.get("revision")}
        manifest = build_manifest(config=config, phases=phases_info, base_model=base, sweep=sweep)
        (staged / "README.md").write_text(model_card(manifest), encoding="utf-8")
        write_json_durable(staged / MANIFEST_FILE, manifest)
        publish(staged, out, overwrite=overwrite)
        shutil.rmtree(work, ignore_errors=True)
    wait_for_everyone()
    return out
