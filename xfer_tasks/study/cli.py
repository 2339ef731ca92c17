"""``xfer study --config STUDY.yaml --output-dir DIR``: a whole task-count study in one command.

Trains every (k, seed) point of every base model's sweep, evaluates every checkpoint with one
``lm_eval`` call, then runs the scaling analysis (``xfer compare``) and prints its summary.
Every stage is idempotent: run the command again after a crash, a kill or a change of
launcher, and it picks up where the study stands. ``--dry-run`` prints, per stage and unit,
what is done, what is partial (and what it resumes from) and what remains, and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .config import LAUNCHERS, StudyConfig, StudyConfigError, load_study_config
from .stages import STAGES, Study, StudyError, say, summaries

# submitit (.launchers), torch, transformers and lm_eval are imported where a stage needs
# them, not here: a config error costs only python + pydantic + yaml (well under 2 s).

EXIT_USAGE = 2


def build_parser(prog: str = "xfer study") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train the task-count sweep, evaluate every checkpoint with lm_eval, "
        "compare: a whole study, resumable, inline or as submitit/SLURM jobs.",
    )
    parser.add_argument("--config", required=True, type=Path, help="study config YAML (see docs/study.md)")
    add_run_options(parser)
    return parser


def add_run_options(parser: argparse.ArgumentParser, default_output: str | None = None) -> None:
    """The options `xfer study` and `xfer demo` share."""
    parser.add_argument(
        "--output-dir", type=Path, default=default_output,
        help="the study folder" + (f" (default: {default_output})" if default_output else " (default: the config's output_dir)"),
    )  # fmt: skip
    parser.add_argument(
        "--launcher", choices=LAUNCHERS, default="inline",
        help="inline: one unit after the other here (default); submitit-local: each unit a "
        "submitit job on this machine; slurm: SLURM job arrays (launcher.slurm in the config)",
    )  # fmt: skip
    parser.add_argument(
        "--check", action="store_true",
        help="check everything the study needs (config, tasks, models, data, launcher) and exit; writes nothing",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true",
        help="check the study as --check does, print every stage's state and exit; writes nothing",
    )  # fmt: skip
    parser.add_argument(
        "--no-wait", action="store_true",
        help="submitit launchers: submit what can be submitted and exit; run again to continue",
    )  # fmt: skip


def plan_rows(study: Study, launcher_name: str | None = None) -> list[tuple[str, str, str, str, str]]:
    """(stage, model, point, state, detail) for every unit, then one analysis row per model."""
    launcher = None
    if launcher_name not in (None, "inline"):
        from .launchers import make_launcher

        launcher = make_launcher(launcher_name, study.config.launcher)
    rows = []
    for stage in ("train", "evaluate"):
        for unit in study.units(stage):
            state, detail = study.state(unit)
            if state != "done" and launcher is not None:
                record = launcher._read_record(study, unit)
                if record is not None and launcher.alive(unit, record):
                    state, detail = "running", launcher.describe(unit, record)
            rows.append((stage, unit.model, unit.point, state, detail))
    for spec in study.config.models:
        state, detail = study.analysis_state(spec.name)
        rows.append(("analysis", spec.name, "-", state, detail))
    return rows


def print_plan(study: Study, launcher_name: str | None = None) -> None:
    rows = plan_rows(study, launcher_name)
    print(f"study {study.root} ({study.config.source})")
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for stage, model, point, state, detail in rows:
        line = f"{stage:<{widths[0]}}  {model:<{widths[1]}}  {point:<{widths[2]}}  {state:<8}"
        print(f"{line}  {detail}".rstrip())
    for spec in study.config.models:
        same = study.same_base_points(spec.name)
        if same:
            first = next(iter(same.values()))
            print(f"{spec.name}: {', '.join(same)}: the untrained base model, as {first}: trained and evaluated once")
    for stage in STAGES:
        counts: dict[str, int] = {}
        for row in rows:
            if row[0] == stage:
                counts[row[3]] = counts.get(row[3], 0) + 1
        print(f"{stage}: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))


def run_study(config: StudyConfig, root: Path, launcher_name: str = "inline", wait: bool = True) -> int:
    """Run every stage that is not done; 0 when the study is complete (or, --no-wait, submitted)."""
    study = Study(config, root)
    for stage in ("train", "evaluate"):  # refuse points made from another config, before any work
        for unit in study.units(stage):
            study.state(unit)
    study.prepare()
    from .launchers import make_launcher

    launcher = make_launcher(launcher_name, config.launcher)
    say(f"{config.description or 'study'} in {study.root} ({launcher_name} launcher)")
    for stage in ("train", "evaluate"):
        units = study.units(stage)
        todo = [u for u in units if study.state(u)[0] != "done"]
        say(f"{stage}: {len(units) - len(todo)} of {len(units)} done, {len(todo)} to run")
        if not launcher.run(study, todo, wait):
            say(f"{stage}: jobs submitted or still running; run the same command again to continue")
            return 0
    run_analysis_and_print(study)
    return 0


def run_analysis_and_print(study: Study) -> None:
    from .stages import run_analysis

    reports = run_analysis(study)
    for name, text in summaries(study).items():
        print(f"\n== {name}: scaling analysis ==")
        if text is None:
            print(f"(one k only: no trend to state; the comparison is in {study.report(name) / 'report.html'})")
        else:
            print(text.rstrip())
    print(f"\nReport: {study.root / 'report' / 'index.html'} ({len(reports)} model(s))")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded("xfer study", lambda: execute(load_study_config(args.config), args), _resume_hint(argv))


def _resume_hint(argv: list[str] | None) -> str:
    import shlex

    return "xfer study " + shlex.join(list(sys.argv[1:] if argv is None else argv))


EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


def guarded(prog: str, run: Any, resume: str) -> int:
    """Run ``run()``; every expected failure is one line on stderr (shared with `xfer demo`):
    a bad config (exit 2), a failed stage (1), an OS error such as a full or read-only disk
    (1), Ctrl-C (130, saying how to resume)."""
    try:
        return run()
    except StudyConfigError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return EXIT_USAGE
    except StudyError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        print(f"{prog}: {err.strerror or err}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing finished is lost: run `{resume}` again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


def execute(config: StudyConfig, args: Any) -> int:
    """Dry-run or run ``config`` with parsed options (shared with `xfer demo`)."""
    output = args.output_dir or (Path(config.output_dir) if config.output_dir else None)
    if output is None:
        raise StudyConfigError(f"{config.source}: no study folder: pass --output-dir or set output_dir")
    from .preflight import check_study

    check_study(config, args.launcher)  # before anything is written: a bad study writes nothing
    if getattr(args, "check", False):
        print(f"xfer study: {config.source}: every check passed ({len(config.models)} model(s)); nothing written")
        return 0
    if args.dry_run:
        print_plan(Study(config, Path(output)), args.launcher)
        return 0
    return run_study(config, Path(output), args.launcher, wait=not args.no_wait)


if __name__ == "__main__":
    raise SystemExit(main())
