"""``xfer sweep --config FILE``: train every (k, seed) point of a task-count sweep.

Idempotent: complete points are skipped, an interrupted point resumes from its last Trainer
checkpoint. ``--k`` / ``--seeds`` restrict the run to some points (e.g. one machine per
seed). Multi-GPU: ``torchrun --nproc_per_node N -m xfer_tasks.train.cli_sweep --config FILE``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import EXIT_USAGE, report_errors
from .sweep import run_sweep


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


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

    def work() -> int:
        from .sweep import load_sweep_config

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
        print(f"[xfer sweep] {done} trained, {skipped} already complete: {out.resolve()}", file=sys.stderr)
        print(out.resolve())
        return 0

    return report_errors(
        "xfer sweep", argv, work,
        "complete points are kept, the interrupted one resumes from its last Trainer checkpoint",
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
