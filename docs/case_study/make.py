"""Regenerate docs/case_study.md's numbers and figures from a finished real-data demo.

    xfer demo --data-dir ../shared/data --output-dir case_study_run
    python docs/case_study/make.py case_study_run

Copies each model's ``scaling_curve.png`` and ``slope_forest.png`` from
``<run>/report/<model>/`` into ``docs/case_study/`` (as ``<model>_<name>.png``) and rewrites
the block between the ``<!-- generated:begin -->`` and ``<!-- generated:end -->`` markers of
``docs/case_study.md`` with what the run's own files say: the printed answer (each model's
``summary.md`` sentences), the design (seeds, k, each seed's task order, budgets, the data
files and their fingerprints, from ``study.yaml``, ``sweep.json`` and the checkpoints'
manifests), the mean score at each k, the per-language slopes and which languages move, the
per-task contributions when the analysis reports them (``scaling.json``), and the run's wall
time. Nothing in the block is typed by hand, so the doc follows the analysis as it changes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "case_study.md"
BEGIN, END = "<!-- generated:begin -->", "<!-- generated:end -->"
FIGURES = ("scaling_curve.png", "slope_forest.png")


def _pts(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.2f}"


def _ci(t: dict[str, Any]) -> str:
    low, high = t.get("slope_ci") or [None, None]
    if t.get("slope_per_task") is not None and (low is None or high is None):
        why = "the runs tie" if (t.get("n_runs") or 0) >= 3 else "fewer than 3 runs"
        return f"{_pts(t['slope_per_task'])} (no interval: {why})"
    return f"{_pts(t.get('slope_per_task'))} ({_pts(low)} to {_pts(high)})"


def _answer(summary: str) -> list[str]:
    from xfer_tasks.demo import answer_lines

    return answer_lines(summary)


def _design(run: Path, model: str, spec: dict[str, Any]) -> list[str]:
    base, sweep = spec["base"], spec["sweep"]
    batch = int(base["training"]["per_device_train_batch_size"])
    total = int(base["budget"]["total"])
    lines = [
        f"- base model: `{'/'.join(Path(str(base['model']['name_or_path'])).parts[-2:])}` ({base['model']['kind']}, "
        f"max_seq_length {base['model']['max_seq_length']})",
        f"- sweep: k = {sweep['k']} of {len(sweep['tasks'])} tasks ({', '.join(sweep['tasks'])}), "
        f"seeds {sweep['seeds']}, order `{sweep.get('order')}`"
        + (", one random order per seed" if sweep.get("order_per_seed") else ""),
        f"- budget per trained point: {total} examples in batches of {batch} "
        f"(the same at every k), mixture `{base.get('mixture', {}).get('strategy', 'proportional')}`, "
        f"learning rate {base['training']['learning_rate']}",
        f"- training split: `{base['split']}` (the tasks' dev releases)",
        f"- evaluation: {', '.join(f'`{t}`' for t in spec['evaluation']['tasks'])}",
    ]
    tatoeba = [t.removeprefix("xfer_tatoeba_") for t in spec["evaluation"]["tasks"] if t.startswith("xfer_tatoeba_")]
    if tatoeba:  # the pairs one by one: a subset of the 36 (`xfer demo --tatoeba`)
        lines.append(
            f"- **Tatoeba: {len(tatoeba)} of the 36 XTREME languages only** ({', '.join(tatoeba)}; "
            "`xfer demo --tatoeba`): the answer is about these languages, not the 36"
        )
    sweep_json = run / "checkpoints" / model / "sweep.json"
    if sweep_json.is_file():
        orders = {}
        for p in json.loads(sweep_json.read_text(encoding="utf-8"))["points"]:
            orders.setdefault(p["seed"], p["order"])
        for seed, order in sorted(orders.items()):
            lines.append(f"- seed {seed} task order: {' → '.join(order)}")
    manifests = sorted((run / "checkpoints" / model).glob("k*-seed*/xfer_manifest.json"))
    origins: dict[str, tuple[str, str, int]] = {}
    for path in manifests:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for phase in manifest.get("phases") or []:
            for task, stats in (phase.get("mixture_realised") or {}).items():
                files = [Path(f).name for o in stats.get("origin", []) for f in o.split(":", 1)[-1].split(",")]
                prints = ", ".join(str(f)[:19] + "…" for f in stats.get("fingerprint", []))
                origins[task] = (", ".join(files), prints, int(stats.get("available", 0)))
    for task, (files, prints, available) in sorted(origins.items()):
        lines.append(f"- `{task}`: {available} examples read from {files} ({prints})")
    return lines


def _wall(run: Path) -> str:
    start = (run / "study.yaml").stat().st_mtime if (run / "study.yaml").is_file() else None
    end = (run / "report" / "index.html").stat().st_mtime if (run / "report" / "index.html").is_file() else None
    if start is None or end is None:
        return "unknown"
    return (
        f"{(end - start) / 60:.1f} min from the study's last start to its report (a resumed run "
        "counts from its restart; study.yaml is rewritten then)"
    )


def block(run: Path) -> str:
    study = yaml.safe_load((run / "study.yaml").read_text(encoding="utf-8"))
    out = [BEGIN, "", f"_Generated by `python docs/case_study/make.py` from `{run.name}/`; "
           f"wall time of that run: {_wall(run)}._", ""]  # fmt: skip
    for model, spec in study["models"].items():
        report = run / "report" / model
        out += [f"### {model}", "", "The printed answer:", "", "```"]
        summary = report / "summary.md"
        out += _answer(summary.read_text(encoding="utf-8")) if summary.is_file() else ["(no summary.md)"]
        out += ["```", "", "Design:", ""] + _design(run, model, spec) + [""]
        scaling = report / "scaling.json"
        if scaling.is_file():
            data = json.loads(scaling.read_text(encoding="utf-8"))
            out.append(f"Smoke scale: {data.get('smoke_scale') or 'no (every language has at least 100 scored items)'}.")
            out += ["", "| benchmark | languages | mean score at each k (×100) | per task (95% CI) | p | runs |",
                    "|---|---|---|---|---:|---:|"]  # fmt: skip
            for t in data.get("trends", []):
                means = ", ".join(f"k={k}: {100 * m:.2f}" for k, m in zip(t["k_values"], t["means"], strict=True))
                p = "-" if t.get("p_value") is None else f"{t['p_value']:.2g}"
                out.append(f"| {t['benchmark']} {t['metric']} | {t['languages']} | {means} | {_ci(t)} | {p} | {t['n_runs']} |")
            langs = data.get("language_trends", [])
            if langs:
                moving = [t for t in langs if t.get("q_value") is not None and t["q_value"] < 0.05]
                ci_clear = [t for t in langs if None not in (t.get("slope_ci") or [None])
                            and (t["slope_ci"][0] > 0 or t["slope_ci"][1] < 0)]  # fmt: skip
                out += ["", f"Per-language slopes ({len(langs)} languages): "
                        f"{len(ci_clear)} with a 95% CI that excludes 0, {len(moving)} with q < 0.05 "
                        "(Benjamini-Hochberg over the languages of the benchmark)."
                        + (f" Moving after correction: {', '.join(t['languages'] + ' ' + _pts(t['slope_per_task']) for t in moving)}." if moving else ""),
                        "", "| language | per task (95% CI) | p | q |", "|---|---|---:|---:|"]  # fmt: skip
                for t in sorted(langs, key=lambda t: t.get("slope_per_task") or 0.0):
                    p = "-" if t.get("p_value") is None else f"{t['p_value']:.2g}"
                    q = "-" if t.get("q_value") is None else f"{t['q_value']:.2g}"
                    out.append(f"| {t['benchmark']} {t['languages']} | {_ci(t)} | {p} | {q} |")
            effects = data.get("task_effects") or []
            if effects:
                out += ["", "Per-task contributions (`task_effects`: the change in score when the task is "
                        "among a run's tasks; HC2 CIs, BH q within each benchmark):", "",
                        "| benchmark | task | effect (95% CI) | p | q | runs with it |",
                        "|---|---|---|---:|---:|---:|"]  # fmt: skip
                for e in effects:
                    ci = f"{_pts(e['effect'])} ({_pts(e['ci'][0])} to {_pts(e['ci'][1])})"
                    out.append(f"| {e['benchmark']} {e['metric']} | {e['task']} | {ci} | {e['p_value']:.2g} "
                               f"| {e['q_value']:.2g} | {e['n_runs_with']} |")  # fmt: skip
            else:
                why = [n for n in data.get("notes", []) if "contributions" in n]
                out += ["", "Per-task contributions: not estimated"
                        + (f"; {why[0].split(': ', 1)[1]}." if why else ".")]  # fmt: skip
            if data.get("notes"):
                out += ["", "Notes of the analysis:", ""] + [f"- {n}" for n in data["notes"]]
        for name in FIGURES:
            src = report / name
            if src.is_file():
                dst = HERE / f"{model}_{name}"
                shutil.copyfile(src, dst)
                out += ["", f"![{model} {name[:-4].replace('_', ' ')}](case_study/{dst.name})"]
        out.append("")
    out.append(END)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="the study folder of `xfer demo --data-dir ...`")
    args = parser.parse_args(argv)
    if not (args.run / "study.yaml").is_file() or not (args.run / "report").is_dir():
        print(f"make.py: {args.run}: not a finished study folder (no study.yaml or report/)", file=sys.stderr)
        return 2
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"make.py: {DOC}: the {BEGIN} / {END} markers are missing", file=sys.stderr)
        return 2
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + block(args.run.resolve()) + tail, encoding="utf-8")
    print(f"wrote {DOC} and the figures in {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
