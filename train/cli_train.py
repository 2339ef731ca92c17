"""``xfer train --config FILE``: train one intermediate-task checkpoint.

Multi-GPU: ``accelerate launch -m xfer_tasks.train.cli_train --config FILE`` or
``torchrun --nproc_per_node N -m xfer_tasks.train.cli_train --config FILE`` (the Trainer
picks up the distributed environment). Running the same command again after a crash
resumes from the last complete Trainer checkpoint.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_USAGE = 2


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


def apply_overrides(config, model: str | None, data_dir: str | None, seed: int | None):
    """Command-line overrides, recorded in the config (so in the manifest and fingerprint)."""
    if model:
        config.model["name_or_path"] = model
        config.raw.setdefault("model", {})["name_or_path"] = model
    if data_dir:
        config.data_dir = data_dir
        config.raw["data_dir"] = data_dir
    if seed is not None:
        from .config import ConfigError

        if seed < 0:
            raise ConfigError(f"--seed: expected an integer >= 0, got {seed}")
        for phase in config.phases:
            phase.training["seed"] = seed
        config.raw.setdefault("training", {})["seed"] = seed
    config.model["name_or_path"] = _expand(config.model["name_or_path"], "model.name_or_path", config)
    from .config import check_model_loadable, check_model_source

    key = "model.name_or_path" + (" (--model)" if model else "")
    check_model_source(config.model["name_or_path"], config.source, key)
    check_model_loadable(config.model["name_or_path"], config.model.get("revision"), config.source, key)
    if config.data_dir:
        config.data_dir = _expand(config.data_dir, "data_dir", config)
    return config


def _expand(value: str, key: str, config) -> str:
    from .config import ConfigError

    expanded = os.path.expandvars(str(value))
    if "$" in expanded:
        raise ConfigError(f"{config.source}: {key}: environment variable in {value!r} is not set")
    return expanded


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from xfer_tasks.data import DataFormatError, DataMissingError

    from .checkpoint_io import OutputExistsError
    from .config import ConfigError, load_config
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


EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for Ctrl-C


def os_error_line(err: OSError) -> str:
    """An OSError (disk full, read-only folder, permission) as one line naming the path."""
    where = f": {err.filename}" if getattr(err, "filename", None) else ""
    return f"{err.strerror or err}{where}"


def resume_command(prog: str, argv: list[str] | None) -> str:
    import shlex

    return f"{prog} {shlex.join(list(sys.argv[1:] if argv is None else argv))}".strip()


if __name__ == "__main__":
    raise SystemExit(main())
