"""Where the real-data demo's time goes, per stage: training, lm_eval start-up, embedding,
model scoring, metric scoring, analysis.

Runs ``xfer demo --data-dir DATA --output-dir OUT --fresh`` (the study of
``xfer_tasks/study/configs/demo_real.yaml``) as a subprocess and stamps every line of its
output with the time it arrived; the stages are cut from the study's own log lines:

- ``[xfer study] train M P`` ... ``[xfer study] train-M-P: trained``: **training** of one point
  (reading the task files, building the pool, the Trainer's steps, saving). The Trainer's own
  ``train_runtime`` (its final log dict) splits it into **optimizer steps** and the rest;
- ``[xfer study] evaluate M P`` to lm-eval's first ``Running <kind> requests`` line: **lm_eval
  start-up** (interpreter, imports, task building and data loading, model load);
- ``Running xfer_embed requests`` to the next line after its progress bar: **embedding**
  (Tatoeba/BUCC sentences through the encoder); ``Running loglikelihood`` /
  ``Running generate_until`` requests likewise: **LM inference** (XNLI, TyDiQA);
- inference phases take the progress bars' own elapsed times (output reaches a pipe in bursts);
- the rest of the lm_eval process (retrieval search and metrics, aggregation, bootstrap
  standard errors, writing results and samples, exit): **scoring**;
- ``[xfer study] analysis M: ...`` to the next analysis or the end: **analysis** (xfer compare,
  scaling statistics, plots, report).

Usage::

    python benchmarks/bench_demo_stages.py --data-dir ../shared/data          # runs the demo
    python benchmarks/bench_demo_stages.py --from-log demo.log               # a stamped log
    # (lines stamped `[t=S]` or `HH:MM:SS`; its `uptime` lines before/after give the load)
    python benchmarks/bench_demo_stages.py --data-dir ../shared/data -- --tatoeba deu,fra

It prints the table and appends it to ``benchmarks/RESULTS.md`` (``_common.append_results``:
refused when the load average went above 1 per core, unless ``XFER_BENCH_ALLOW_LOAD=1``,
which marks it "under load, not comparable"), then names the largest cost that is not model
compute and the cheapest change that would cut it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SectionLoad, append_results, markdown_table, timed_section  # noqa: E402

_STAMP = re.compile(r"^\[t=(\d+\.\d+)\] ?(.*)$")
_CLOCK = re.compile(r"^(\d\d):(\d\d):(\d\d) (.*)$")  # HH:MM:SS stamps (e.g. `ts '%H:%M:%S'`)
_TRAIN_START = re.compile(r"\[xfer study\] train (\S+) (\S+)$")
_TRAIN_END = re.compile(r"\[xfer study\] train-(\S+?)-(k\d+-seed\d+): (trained|already complete)")
_EVAL_START = re.compile(r"\[xfer study\] evaluate (\S+) (\S+): ")
_EVAL_END = re.compile(r"\[xfer study\] evaluate-(\S+?)-(k\d+-seed\d+): (evaluated|already evaluated)")
_RUNNING = re.compile(r"\] Running (\w+) requests\s*$")  # lm-eval's log line, not its bar
_ANALYSIS = re.compile(r"\[xfer study\] analysis (\S+): ")
_RUNTIME = re.compile(r"'train_runtime': '?([\d.]+)")
_LOAD = re.compile(r"load average: ([\d.]+)")  # `uptime` lines around a logged run
_STAGE_END = re.compile(r"\[xfer study\] (train|evaluate|analysis)[: ]|^== |^Report: |THE ANSWER")

STAGES = (
    "training: optimizer steps",
    "training: data, model load, save",
    "lm_eval start-up",
    "embedding (encoder forward)",
    "LM inference (loglikelihood, generation)",
    "scoring (search, metrics, stderr, writing)",
    "analysis (xfer compare, plots)",
)
MODEL_STAGES = {STAGES[0], STAGES[3], STAGES[4]}
# The cheapest change known to cut each non-model stage, with why (see docs/case_study.md).
REMEDIES = {
    STAGES[1]: "read each task's release once per study instead of once per point (the HellaSwag "
    "text alone is 10k items), e.g. a pooled-examples cache keyed by the data fingerprint",
    STAGES[2]: "evaluate a model's checkpoints in one Python process through lm-eval's "
    "simple_evaluate (every lm_eval call imports torch/transformers, indexes lm-eval's ~15k "
    "built-in task configs and builds its tasks again; the untrained k = 0 point is already "
    "evaluated once per model, Study.same_base_points)",
    STAGES[5]: "skip lm-eval's bootstrap standard errors in the study's calls (--bootstrap_iters 0): "
    "the scaling analysis uses runs, not per-run standard errors",
    STAGES[6]: "draw fewer plots per report (one report per model; the delta heatmap and tables "
    "are rebuilt from every results file)",
}


@dataclass
class Timeline:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    units: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wall: float = 0.0
    evaluations: int = 0
    trainings: int = 0


def stamped_lines(text: str) -> list[tuple[float, str]]:
    """``(seconds, line)`` from a log stamped ``[t=S]`` (this script) or ``HH:MM:SS``; a line
    without a stamp gets the previous line's."""
    out: list[tuple[float, str]] = []
    offset = 0.0
    last = None
    for line in text.split("\n"):  # a progress bar's \r updates stay inside one line
        m = _STAMP.match(line)
        if m:
            out.append((float(m.group(1)), m.group(2)))
            continue
        c = _CLOCK.match(line)
        if c:
            t = int(c.group(1)) * 3600 + int(c.group(2)) * 60 + int(c.group(3))
            if last is not None and t + offset < last - 3600:  # past midnight
                offset += 86400
            last = t + offset
            out.append((t + offset, c.group(4)))
        elif out and line.strip():  # an unstamped line (after a \r) belongs to the last stamp
            out.append((out[-1][0], line))
    return out


def timeline(lines: list[tuple[float, str]]) -> Timeline:
    """Cut the stamped lines into stages (see the module doc)."""
    tl = Timeline()
    if not lines:
        return tl
    tl.wall = lines[-1][0] - lines[0][0]
    i = 0
    while i < len(lines):
        t, line = lines[i]
        if _TRAIN_START.search(line):
            end, runtime = t, None
            j = i + 1
            while j < len(lines) and not _TRAIN_END.search(lines[j][1]):
                r = _RUNTIME.search(lines[j][1])
                if r:
                    runtime = float(r.group(1))
                j += 1
            if j < len(lines):
                end = lines[j][0]
            total = end - t
            steps = min(runtime or 0.0, total)
            tl.seconds[STAGES[0]] += steps
            tl.seconds[STAGES[1]] += total - steps
            tl.units["training"].append(total)
            tl.trainings += 1
            i = j + 1
            continue
        if _EVAL_START.search(line):
            j = i + 1
            phases: list[tuple[str, float]] = []  # (kind, start)
            while j < len(lines) and not _EVAL_END.search(lines[j][1]) and not _STAGE_END.search(lines[j][1]):
                r = _RUNNING.search(lines[j][1])
                if r:
                    phases.append((r.group(1), lines[j][0]))
                j += 1
            end = lines[j][0] if j < len(lines) else lines[-1][0]
            if phases:
                tl.seconds[STAGES[2]] += phases[0][1] - t
                done = phases[0][1]
                for n, (kind, start) in enumerate(phases):
                    stop = phases[n + 1][1] if n + 1 < len(phases) else end
                    # the progress bars' own elapsed times: output may reach the log in bursts
                    spent = _bar_seconds(lines, start, stop) or (stop - start)
                    stage = STAGES[3] if kind == "xfer_embed" else STAGES[4]
                    tl.seconds[stage] += spent
                    done = start + spent
                tl.seconds[STAGES[5]] += max(0.0, end - done)
            else:
                tl.seconds[STAGES[2]] += end - t
            tl.units["evaluation"].append(end - t)
            tl.evaluations += 1
            i = j + (1 if j < len(lines) and _EVAL_END.search(lines[j][1]) else 0)
            continue
        if _ANALYSIS.search(line):
            j = i + 1
            while j < len(lines) and not _STAGE_END.search(lines[j][1]):
                j += 1
            end = lines[j][0] if j < len(lines) else lines[-1][0]
            tl.seconds[STAGES[6]] += end - t
            i = j
            continue
        i += 1
    return tl


_BAR = re.compile(r"^\s*(.*?):?\s*\d+%\|.*?\|\s*\d+/\d+ \[(?:(\d+):)?(\d+):(\d+)<")


def _bar_seconds(lines: list[tuple[float, str]], start: float, stop: float) -> float:
    """Seconds the progress bars between ``start`` and ``stop`` report (tqdm's elapsed time,
    the largest per bar description, summed over descriptions)."""
    longest: dict[str, float] = {}
    for t, line in lines:
        if t < start or t > stop:
            continue
        for part in line.split("\r"):
            m = _BAR.match(part)
            if m:
                seconds = int(m.group(2) or 0) * 3600 + int(m.group(3)) * 60 + int(m.group(4))
                longest[m.group(1).strip()] = max(longest.get(m.group(1).strip(), 0.0), seconds)
    return float(sum(longest.values()))


def table(tl: Timeline) -> str:
    rows = []
    total = sum(tl.seconds.values()) or 1.0
    for stage in STAGES:
        s = tl.seconds.get(stage, 0.0)
        rows.append([stage, f"{s:.0f}", f"{100 * s / total:.0f}%", "model" if stage in MODEL_STAGES else "overhead"])
    rows.append(["**all stages**", f"{total:.0f}", "100%", ""])
    rows.append(["wall (first to last line)", f"{tl.wall:.0f}", "", ""])
    units = []
    for name, values in sorted(tl.units.items()):
        units.append(f"{name}: {len(values)} units, median {statistics.median(values):.0f} s, max {max(values):.0f} s")
    return markdown_table(["stage", "seconds", "share", "kind"], rows) + "\n\n" + "; ".join(units)


def largest_overhead(tl: Timeline) -> str:
    overheads = [(tl.seconds.get(s, 0.0), s) for s in STAGES if s not in MODEL_STAGES]
    seconds, stage = max(overheads)
    total = sum(tl.seconds.values()) or 1.0
    return (
        f"Largest non-model cost: {stage}, {seconds:.0f} s ({100 * seconds / total:.0f}% of the "
        f"stages). Cheapest change that would cut it: {REMEDIES[stage]}."
    )


def run_demo(data_dir: str, output_dir: str, extra: list[str]) -> str:
    """Run the real-data demo, stamping each output line with seconds since the start."""
    command = [sys.executable, "-u", "-m", "xfer_tasks.cli", "demo", "--data-dir", data_dir,
               "--output-dir", output_dir, "--fresh", *extra]  # fmt: skip
    start = time.monotonic()
    out = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            stamped = f"[t={time.monotonic() - start:.3f}] {line.rstrip()}"
            out.append(stamped)
            print(line, end="", flush=True)
        code = proc.wait()
    if code != 0:
        raise SystemExit(f"bench_demo_stages: xfer demo exited {code}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/data", help="real data folder (default ../shared/data)")
    parser.add_argument("--output-dir", default="bench_demo_real", help="the demo's study folder (default bench_demo_real)")
    parser.add_argument("--from-log", type=Path, help="cut an existing stamped log instead of running the demo")
    parser.add_argument("--save-log", type=Path, help="write the stamped log here")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    parser.add_argument("extra", nargs="*", help="after --: more `xfer demo` options")
    args = parser.parse_args(argv)
    if args.from_log:
        text = args.from_log.read_text(encoding="utf-8", errors="replace")
        what = f"stamped log {args.from_log.name}"
        loads = [float(x) for x in _LOAD.findall(text)]
        # the load of a logged run is known only from `uptime` lines before and after it
        sections = [SectionLoad("xfer demo (logged)", loads[0], loads[-1])] if loads else None
    else:
        if not Path(args.data_dir).is_dir():
            print(f"bench_demo_stages: --data-dir {args.data_dir}: not a folder", file=sys.stderr)
            return 2
        with timed_section("xfer demo --data-dir"):
            text = run_demo(args.data_dir, args.output_dir, args.extra)
        what = f"`xfer demo --data-dir {args.data_dir} --fresh {' '.join(args.extra)}`".replace(" `", "`")
        sections = None
        if args.save_log:
            args.save_log.write_text(text + "\n", encoding="utf-8")
    tl = timeline(stamped_lines(text))
    if not tl.trainings and not tl.evaluations:
        print("bench_demo_stages: no study stage found in the log", file=sys.stderr)
        return 1
    body = (
        f"{table(tl)}\n\n{what}: {tl.trainings} training points, {tl.evaluations} lm_eval calls. "
        f"Stages are cut from the study's own log lines (see the script's docstring).\n\n"
        f"{largest_overhead(tl)}"
    )
    print("\n" + body)
    if args.from_log and sections is None and not args.no_append:
        print("bench_demo_stages: the log records no load average (`uptime` before and after): "
              "not appended", file=sys.stderr)
    elif not args.no_append:
        append_results("Real-data demo: where the time goes, per stage", body, sections)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
