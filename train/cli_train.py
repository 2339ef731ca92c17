"""``xfer train --config FILE``: train one intermediate-task checkpoint.

Multi-GPU: ``accelerate launch -m xfer_tasks.train.cli_train --config FILE`` or
``torchrun --nproc_per_node N -m xfer_tasks.train.cli_train --config FILE`` (the Trainer
picks up the distributed environment). Running the same command again after a crash
resumes from the last complete Trainer checkpoint.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import EXIT_USAGE, report_errors


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xfer train",
        description="Train one intermediate-task checkpoint (causal-LM SFT or encoder multi-task) from a YAML config.",
    )
    parser.add_argument("--config", required=True, type=Path, help="run config YAML (see train/configs/)")
    parser.add_argument("--output-dir", type=Path, help="checkpoint folder (default: the config's output_dir)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    parser.add_argument("--model", help="override model.name_or_path")
    parser.add_argument("--data-dir", help="override data_dir (local data root; default $XFER_DATA_DIR)")
    parser.add_argument("--seed", type=int, help="override training.seed")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def work() -> int:
        from .config import apply_overrides, load_config
        from .run import train_checkpoint

        config = apply_overrides(load_config(args.config), args.model, args.data_dir, args.seed)
        out = args.output_dir or (Path(config.output_dir) if config.output_dir else None)
        if out is None:
            print("xfer train: no output folder: pass --output-dir or set output_dir in the config", file=sys.stderr)
            return EXIT_USAGE
        print(train_checkpoint(config, out, overwrite=args.overwrite))
        return 0

    return report_errors("xfer train", argv, work, "from the last Trainer checkpoint")


if __name__ == "__main__":
    raise SystemExit(main())
