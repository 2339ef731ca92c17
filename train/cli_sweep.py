"""``xfer sweep --config FILE``: train every (k, seed) point of a task-count sweep.

Idempotent: complete points are skipped, an interrupted point resumes from its last Trainer
checkpoint. ``--k`` / ``--seeds`` restrict the run to some points (e.g. one machine per
seed). Multi-GPU: ``torchrun --nproc_per_node N -m xfer_tasks.train.cli_sweep --config FILE``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .cli_train import EXIT_INTERRUPTED, apply_overrides, os_error_line, resume_command

EXIT_USAGE = 2


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _check_selection(what: str, flag: str, chosen: list[int] | None, available: list[int], source: str) -> None:
    """Refuse ``--k``/``--seeds`` values that are not points of the sweep (nothing would run)."""
    from .config import ConfigError

    if chosen is None:
        return
    if not chosen:
        raise ConfigError(f"{flag}: no values given")
    missing = [v for v in chosen if v not in available]
    if missing:
        raise ConfigError(
            f"{flag} {','.join(map(str, missing))}: not {what} of this sweep "
            f"({source} has {what} {','.join(map(str, available))})"
        )


def point_state(path: Path, fingerprint: str) -> str:
    """``complete``, ``partial``, ``todo``, or ``complete-changed`` / ``partial-changed`` when
    the point on disk was trained from a different config (a run refuses those without
    ``--overwrite``, exactly as :func:`~xfer_tasks.train.run.train_checkpoint` does)."""
    from .checkpoint_io import RUN_FILE, has_progress, is_complete, work_dir
    from .manifest import MANIFEST_FILE

    if is_complete(path):
        try:
            old = json.loads((path / MANIFEST_FILE).read_text()).get("sweep") or {}
        except (OSError, json.JSONDecodeError):
            old = {}
        changed = old.get("config_fingerprint") not in (None, fingerprint)
        return "complete-changed" if changed else "complete"
    work = work_dir(path)
    if not work.exists():
        return "todo"
    try:
        previous = json.loads((work / RUN_FILE).read_text()).get("config_fingerprint")
    except (OSError, json.JSONDecodeError):
        previous = None
    changed = previous not in (None, fingerprint) and has_progress(work)
    return "partial-changed" if changed else "partial"


def run_sweep(
    cfg: Any,
    out: Path,
    *,
    k: list[int] | None = None,
    seeds: list[int] | None = None,
    overwrite: bool = False,
    model: str | None = None,
    data_dir: str | None = None,
    dry_run: bool = False,
    config_file: str | None = None,
) -> tuple[int, int]:
    """Train the points of the typed sweep config ``cfg`` (restricted to ``k`` / ``seeds``)
    into ``out``; returns (trained, already complete). What `xfer sweep` runs and what a
    study's training unit calls; errors are raised (ConfigError, ConfigChangedError, data
    errors), not printed."""
    from .checkpoint_io import write_json_durable
    from .common import is_main_process
    from .run import ConfigChangedError, config_fingerprint, train_checkpoint
    from .sweep import point_config, sweep_points

    out = Path(out).resolve()
    source = config_file or cfg.source
    _check_selection("k values", "--k", k, cfg.k_values, source)
    _check_selection("seeds", "--seeds", seeds, cfg.seeds, source)
    points = [
        p
        for p in sweep_points(cfg)
        if (k is None or p.k in k) and (seeds is None or p.seed in seeds)
    ]
    plan = []
    for point in points:
        config = apply_overrides(point_config(cfg, point), model, data_dir, None)
        fingerprint = config_fingerprint(config)
        path = out / point.name
        plan.append((point, config, path, fingerprint, point_state(path, fingerprint)))
    changed = [path for _, _, path, _, state in plan if state.endswith("-changed")]
    if dry_run:
        for point, _, _, _, state in plan:
            shown = state if not (overwrite and state != "todo") else f"{state} (--overwrite: retrain)"
            tasks = ",".join(str(t if isinstance(t, str) else t["name"]) for t in point.tasks) or "-"
            print(f"{point.name}\t{shown}\t{tasks}")
    if changed and not overwrite:
        raise ConfigChangedError(
            f"{len(changed)} point(s) on disk were trained from a different config "
            f"({', '.join(p.name for p in changed)} in {out}); pass --overwrite to retrain them"
        )
    if dry_run:
        return 0, 0
    if is_main_process():
        out.mkdir(parents=True, exist_ok=True)
        write_json_durable(
            out / "sweep.json",
            {
                "config_file": source,
                "points": [
                    {"name": p.name, "k": p.k, "seed": p.seed, "tasks": p.order[: p.k], "order": p.order}
                    for p, *_ in plan
                ],
            },
        )
    done = skipped = 0
    for point, config, path, fingerprint, state in plan:
        if state == "complete" and not overwrite:
            print(f"[xfer sweep] {point.name}: complete, skipped", file=sys.stderr)
            skipped += 1
            continue
        print(f"[xfer sweep] {point.name}: training on {point.order[: point.k] or 'no tasks'}", file=sys.stderr)
        sweep_info = {
            "k": point.k,
            "seed": point.seed,
            "order": point.order,
            "point": point.name,
            "config_fingerprint": fingerprint,
            "sweep_config": source,
        }
        train_checkpoint(config, path, overwrite=overwrite, sweep=sweep_info)
        done += 1
    return done, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="xfer sweep",
        description="Train the task-count scaling sweep: nested task subsets k = 0..N, several seeds.",
    )
    parser.add_argument("--config", required=True, type=Path, help="sweep config YAML (see train/configs/sweep.yaml)")
    parser.add_argument("--output-dir", type=Path, help="sweep folder (default: the config's output_dir)")
    parser.add_argument("--overwrite", action="store_true", help="retrain points that are already complete")
    parser.add_argument("--k", type=_ints, help="only these task counts, e.g. 0,1,3 (each one of the config's k)")
    parser.add_argument("--seeds", type=_ints, help="only these seeds, e.g. 0,1 (each one of the config's seeds)")
    parser.add_argument("--model", help="override model.name_or_path")
    parser.add_argument("--data-dir", help="override data_dir")
    parser.add_argument(
        "--dry-run", action="store_true",
        help="list the points and their state and exit (1 when a run would refuse a point)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    from xfer_tasks.data import DataFormatError, DataMissingError

    from .checkpoint_io import OutputExistsError
    from .config import ConfigError
    from .run import ConfigChangedError
    from .sweep import load_sweep_config
    from .task_spec import TaskSpecError

    try:
        cfg = load_sweep_config(args.config)
        out = args.output_dir or (Path(cfg.output_dir) if cfg.output_dir else None)
        if out is None:
            print("xfer sweep: no output folder: pass --output-dir or set output_dir", file=sys.stderr)
            return EXIT_USAGE
        done, skipped = run_sweep(
            cfg, out, k=args.k, seeds=args.seeds, overwrite=args.overwrite, model=args.model,
            data_dir=args.data_dir, dry_run=args.dry_run, config_file=str(args.config),
        )  # fmt: skip
        if args.dry_run:
            return 0
        out = out.resolve()
    except (ConfigError, TaskSpecError, OutputExistsError, ConfigChangedError, DataMissingError, DataFormatError) as err:
        print(f"xfer sweep: {err}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, (ConfigError, TaskSpecError)) else 1
    except OSError as err:  # a read-only or full output folder
        print(f"xfer sweep: {os_error_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"xfer sweep: interrupted; run `{resume_command('xfer sweep', argv)}` again: complete points "
              "are kept, the interrupted one resumes from its last Trainer checkpoint", file=sys.stderr)  # fmt: skip
        return EXIT_INTERRUPTED
    print(f"[xfer sweep] {done} trained, {skipped} already complete: {out}", file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
