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

from .cli_common import EXIT_INTERRUPTED, EXIT_USAGE, os_error_line, resume_command


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
    from xfer_tasks.data import DataFormatError, DataMissingError

    from .checkpoint_io import OutputExistsError
    from .config import ConfigError, apply_overrides, load_config
    from .run import ConfigChangedError, train_checkpoint
    from .task_spec import TaskSpecError

    try:
        config = apply_overrides(load_config(args.config), args.model, args.data_dir, args.seed)
        out = args.output_dir or (Path(config.output_dir) if config.output_dir else None)
        if out is None:
            print("xfer train: no output folder: pass --output-dir or set output_dir in the config", file=sys.stderr)
            return EXIT_USAGE
        path = train_checkpoint(config, out, overwrite=args.overwrite)
    except (ConfigError, TaskSpecError, OutputExistsError, ConfigChangedError, DataMissingError, DataFormatError) as err:
        print(f"xfer train: {err}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, (ConfigError, TaskSpecError, OutputExistsError)) else 1
    except OSError as err:  # a read-only or full output folder, a file that vanished
        print(f"xfer train: {os_error_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"xfer train: interrupted; run `{resume_command('xfer train', argv)}` again to resume "
              "from the last Trainer checkpoint", file=sys.stderr)  # fmt: skip
        return EXIT_INTERRUPTED
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
