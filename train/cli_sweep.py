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

from .cli_train import apply_overrides

EXIT_USAGE = 2


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="xfer sweep",
        description="Train the task-count scaling sweep: nested task subsets k = 0..N, several seeds.",
    )
    parser.add_argument("--config", required=True, type=Path, help="sweep config YAML (see train/configs/sweep.yaml)")
    parser.add_argument("--output-dir", type=Path, help="sweep folder (default: the config's output_dir)")
    parser.add_argument("--overwrite", action="store_true", help="retrain points that are already complete")
    parser.add_argument("--k", type=_ints, help="only these task counts, e.g. 0,1,3")
    parser.add_argument("--seeds", type=_ints, help="only these seeds, e.g. 0,1")
    parser.add_argument("--model", help="override model.name_or_path")
    parser.add_argument("--data-dir", help="override data_dir")
    parser.add_argument("--dry-run", action="store_true", help="list the points and exit")
    args = parser.parse_args(argv)

    from xfer_tasks.data import DataFormatError, DataMissingError

    from .checkpoint_io import OutputExistsError, is_complete, write_json_durable
    from .config import ConfigError
    from .run import ConfigChangedError, _is_main, config_fingerprint, train_checkpoint
    from .sweep import load_sweep_config, point_config, sweep_points
    from .task_spec import TaskSpecError

    try:
        cfg = load_sweep_config(args.config)
        out = args.output_dir or (Path(cfg.output_dir) if cfg.output_dir else None)
        if out is None:
            print("xfer sweep: no output folder: pass --output-dir or set output_dir", file=sys.stderr)
            return EXIT_USAGE
        out = out.resolve()
        points = [
            p
            for p in sweep_points(cfg)
            if (args.k is None or p.k in args.k) and (args.seeds is None or p.seed in args.seeds)
        ]
        plan = []
        for point in points:
            config = apply_overrides(point_config(cfg, point), args.model, args.data_dir, None)
            plan.append((point, config, out / point.name))
        if args.dry_run:
            for point, _, path in plan:
                state = "complete" if is_complete(path) else ("partial" if path.with_name(path.name + ".work").exists() else "todo")
                print(f"{point.name}\t{state}\t{','.join(str(t if isinstance(t, str) else t['name']) for t in point.tasks) or '-'}")
            return 0
        if _is_main():
            out.mkdir(parents=True, exist_ok=True)
            write_json_durable(
                out / "sweep.json",
                {
                    "config_file": str(args.config),
                    "points": [
                        {"name": p.name, "k": p.k, "seed": p.seed, "tasks": p.order[: p.k], "order": p.order}
                        for p, _, _ in plan
                    ],
                },
            )
        done = skipped = 0
        for point, config, path in plan:
            fingerprint = config_fingerprint(config)
            if is_complete(path) and not args.overwrite:
                old = json.loads((path / "xfer_manifest.json").read_text()).get("sweep") or {}
                if old.get("config_fingerprint") not in (None, fingerprint):
                    raise ConfigChangedError(
                        f"{path} was trained from a different config; pass --overwrite to retrain it"
                    )
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
                "sweep_config": str(args.config),
            }
            train_checkpoint(config, path, overwrite=args.overwrite, sweep=sweep_info)
            done += 1
    except (ConfigError, TaskSpecError, OutputExistsError, ConfigChangedError, DataMissingError, DataFormatError) as err:
        print(f"xfer sweep: {err}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, (ConfigError, TaskSpecError)) else 1
    print(f"[xfer sweep] {done} trained, {skipped} already complete: {out}", file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
