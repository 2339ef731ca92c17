"""Real model size on CPU: a Qwen2-0.5B-shaped model through `xfer train` (LoRA and full), a
kill and resume, and one `lm_eval --limit 2` call over `xfer_xtreme`.

Every other test uses models under 1M parameters; this one runs the same code at the size a
study trains. Stages, each in its own process so that peak memory is per stage:

1. ``build``: a ``Qwen2ForCausalLM`` with the Qwen2-0.5B shape (24 layers, hidden 896, MLP
   4864, 14 query / 2 key-value heads, vocabulary 151,936, tied embeddings; about 494M
   parameters), random weights (seed 0), saved in bf16 as the Hub checkpoint is, and a
   byte-level BPE tokenizer trained here on local text (the demo data and, when present, the
   shared Tatoeba files): no Hub.
2. ``train-lora`` / ``train-full``: ``train_checkpoint`` (what `xfer train` and every sweep
   point run) for 2 optimizer steps on the demo MNLI data, packed rows, a Trainer checkpoint
   after every step. The process is SIGKILLed as soon as checkpoint-1 is complete, then run
   again: it must resume from checkpoint-1, train step 2 and publish the checkpoint.
3. ``harness``: the README's call, ``lm_eval --model hf --model_args pretrained=<full
   checkpoint> --include_path $(xfer tasks-path) --tasks xfer_xtreme --limit 2
   --log_samples``, on local data: the shared XNLI, TyDiQA-GoldP and Tatoeba files, BUCC files
   in the official layout built from shared Tatoeba pairs, and MMMLU rows in openai's layout.

Figures: peak resident memory of each process (VmHWM, read from /proc while it runs, so the
killed process is measured too), seconds per optimizer step (Trainer ``on_step_begin`` to
``on_step_end``: forward, backward and the AdamW step), and wall time. Seconds are not a result
on a loaded machine: the load average is recorded with them and rows are marked "under load,
not comparable" when it is above the number of cores.

    python benchmarks/bench_real_size.py                      # all stages, appends to RESULTS.md
    python benchmarks/bench_real_size.py --harness-tasks xfer_xnli,xfer_tatoeba   # a subset
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The Qwen2-0.5B shape (its config.json on the Hub), used with random weights.
QWEN2_05B = dict(
    vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
    num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
    rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True, hidden_act="silu",
)  # fmt: skip
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
STEP_LOG = "xfer_bench_steps.jsonl"


def _shared() -> Path:
    return Path(os.environ.get("XFER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


# ---- stage 1: the model -----------------------------------------------------------------------
def _corpus() -> list[str]:
    from xfer_tasks.train.tiny_model import BUILTIN_CORPUS

    from xfer_tasks.demo import DEMO_DATA

    lines = list(BUILTIN_CORPUS)
    for path in sorted(DEMO_DATA.rglob("*")):
        if path.is_file() and path.suffix in {".jsonl", ".json", ".tsv", ".txt", ".csv", ""}:
            lines += path.read_text(encoding="utf-8", errors="ignore").splitlines()
    tatoeba = _shared() / "tatoeba"
    if tatoeba.is_dir():
        for path in sorted(tatoeba.glob("tatoeba.*-eng.*"))[:80]:
            lines += path.read_text(encoding="utf-8").splitlines()[:300]
    return [line for line in lines if line.strip()]


def build(out: Path, vocab: int) -> dict:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from xfer_tasks.train.tiny_model import train_tokenizer

    corpus = _corpus()
    tokenizer = train_tokenizer(corpus, vocab)
    tokenizer.model_max_length = 32768
    config = Qwen2Config(
        **QWEN2_05B, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    params = sum(p.numel() for p in model.parameters())
    model.to(torch.bfloat16).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"parameters": params, "tokenizer_vocab": len(tokenizer), "corpus_lines": len(corpus)}


# ---- stage 2: training ------------------------------------------------------------------------
def _install_step_timer(log: Path) -> None:
    """Time every optimizer step of the Trainer that `xfer train` builds (appends to ``log``)."""
    import xfer_tasks.train.sft as sft

    real = sft.completion_marker_callback

    def timed():
        marker = real()

        class StepTimer(type(marker)):
            def on_step_begin(self, args, state, control, **kwargs):
                self._t0 = time.perf_counter()
                return control

            def on_step_end(self, args, state, control, **kwargs):
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"step": state.global_step, "s": time.perf_counter() - self._t0}) + "\n")
                return control

        return StepTimer()

    sft.completion_marker_callback = timed


def train(base: Path, out: Path, mode: str, steps: int, seq_len: int, batch: int) -> dict:
    from xfer_tasks.train.config import parse_config
    from xfer_tasks.train.manifest import MANIFEST_FILE
    from xfer_tasks.train.run import train_checkpoint

    from xfer_tasks.demo import DEMO_DATA

    _install_step_timer(out.parent / f"{mode}_{STEP_LOG}")
    config = parse_config(
        {
            "model": {
                "kind": "causal", "name_or_path": str(base), "max_seq_length": seq_len,
                "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"} if mode == "lora" else None,
            },
            "data_dir": str(DEMO_DATA / "train"),
            "tasks": ["mnli"],
            "budget": {"kind": "steps", "total": steps},
            "training": {
                "learning_rate": 1.0e-5, "per_device_train_batch_size": batch, "batching": "packed",
                "save_steps": 1, "save_total_limit": 1, "logging_steps": 1, "use_cpu": True,
            },
        },
        f"bench_real_size {mode}",
    )  # fmt: skip
    train_checkpoint(config, out)
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    return {"manifest_metrics": manifest["phases"][0]["metrics"]}


# ---- stage 3: the harness ---------------------------------------------------------------------
def harness_data(root: Path) -> Path:
    """XFER_DATA_DIR for xfer_xtreme: shared real files, BUCC and MMMLU in their release layouts."""
    from xfer_tasks.catalog import BUCC, MMMLU
    from xfer_tasks.data.release_files import write_mmmlu_csv

    shared = _shared()
    root.mkdir(parents=True, exist_ok=True)
    for name in ("xnli", "tydiqa_goldp", "tatoeba"):
        link = root / name
        if not link.exists():
            if not (shared / name).is_dir():
                raise SystemExit(f"bench_real_size: {shared / name} missing (set XFER_SHARED_DATA)")
            link.symlink_to(shared / name, target_is_directory=True)
    laser = {"de": "deu", "fr": "fra", "ru": "rus", "zh": "cmn"}
    for lang in BUCC.languages:  # official BUCC layout, sentences from the Tatoeba pair
        xx = (shared / "tatoeba" / f"tatoeba.{laser[lang]}-eng.{laser[lang]}").read_text(encoding="utf-8").splitlines()
        en = (shared / "tatoeba" / f"tatoeba.{laser[lang]}-eng.eng").read_text(encoding="utf-8").splitlines()
        for split, start in (("sample", 0), ("training", 100)):
            stem = root / "bucc2018" / f"{lang}-en.{split}"
            stem.parent.mkdir(parents=True, exist_ok=True)
            src = [(f"{lang}-{split[:2]}{i:06d}", xx[start + i]) for i in range(20)]
            trg = [(f"en-{split[:2]}{i:06d}", en[start + i]) for i in range(10)] + [
                (f"en-{split[:2]}{i:06d}", en[start + 50 + i]) for i in range(10, 30)
            ]
            Path(f"{stem}.{lang}").write_text("".join(f"{i}\t{t}\n" for i, t in src), encoding="utf-8")
            Path(f"{stem}.en").write_text("".join(f"{i}\t{t}\n" for i, t in trg), encoding="utf-8")
            Path(f"{stem}.gold").write_text("".join(f"{src[i][0]}\t{trg[i][0]}\n" for i in range(10)), encoding="utf-8")
    for i, locale in enumerate(MMMLU.languages):
        rows = [
            {"Question": f"Question {i}.{q}?", "A": "one", "B": "two", "C": "three", "D": "four",
             "Answer": "ABCD"[(i + q) % 4], "Subject": "virology"}
            for q in range(3)
        ]  # fmt: skip
        write_mmmlu_csv(root / "mmmlu", locale, rows)
    return root


def harness_command(checkpoint: Path, tasks: str, limit: float, output: Path) -> list[str]:
    from xfer_tasks.paths import tasks_path

    return [
        sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", f"pretrained={checkpoint}",
        "--include_path", str(tasks_path()), "--tasks", tasks, "--metadata", json.dumps({"xnli_split": "validation"}),
        "--device", "cpu", "--batch_size", "2", "--limit", str(limit), "--output_path", str(output), "--log_samples",
    ]  # fmt: skip


# ---- the driver -------------------------------------------------------------------------------
def _peak_rss_gib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        return None
    return None


def run_child(command: list[str], env: dict[str, str], kill_when: Path | None = None, log: Path | None = None) -> dict:
    """Run ``command``; peak RSS from /proc while it runs; SIGKILL it once ``kill_when`` exists."""
    started = time.monotonic()
    handle = open(log, "a", encoding="utf-8") if log else None  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT if handle else None)
    peak, killed = 0.0, False
    while process.poll() is None:
        peak = max(peak, _peak_rss_gib(process.pid) or 0.0)
        if kill_when is not None and kill_when.exists():
            process.send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.2)
    if handle:
        handle.close()
    return {"code": process.returncode, "killed": killed, "peak_rss_gib": peak, "wall_s": time.monotonic() - started}


def _steps(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/xfer_bench_real_size"), help="scratch folder (several GB)")
    parser.add_argument("--modes", default="lora,full", help="training modes, comma-separated")
    parser.add_argument("--seq-len", type=int, default=256, help="max_seq_length (packed rows)")
    parser.add_argument("--batch", type=int, default=2, help="per_device_train_batch_size (rows)")
    parser.add_argument("--vocab", type=int, default=16000, help="size of the locally trained tokenizer")
    parser.add_argument("--harness-tasks", default="xfer_xtreme")
    parser.add_argument("--limit", type=float, default=2)
    parser.add_argument("--skip-harness", action="store_true")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # internal: run one stage in this process
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for key, value in OFFLINE.items():
        os.environ.setdefault(key, value)

    if args.stage == "build":
        (args.work / "build.json").write_text(json.dumps(build(args.out, args.vocab)))
        return 0
    if args.stage == "train":
        result = train(args.work / "base", args.out, args.mode, 2, args.seq_len, args.batch)
        (args.out.parent / f"{args.mode}_result.json").write_text(json.dumps(result, default=str))
        return 0

    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **OFFLINE}
    me = [sys.executable, str(Path(__file__).resolve()), "--work", str(work), "--seq-len", str(args.seq_len),
          "--batch", str(args.batch), "--vocab", str(args.vocab)]  # fmt: skip
    log = work / "bench.log"
    rows: list[list[object]] = []
    loads: list[float] = []

    def load_now() -> float:
        value = os.getloadavg()[0]
        loads.append(value)
        return value

    base = work / "base"
    if not (base / "config.json").is_file():
        load = load_now()
        child = run_child([*me, "--stage", "build", "--out", str(base)], env, log=log)
        if child["code"] != 0:
            print(f"build failed; see {log}", file=sys.stderr)
            return 1
        rows.append(["build Qwen2-0.5B shape + tokenizer", "-", f"{child['peak_rss_gib']:.2f}", "-", f"{child['wall_s']:.0f}", f"{load:.1f}", "random init, saved bf16"])
    built = json.loads((work / "build.json").read_text())

    checkpoints = {}
    for mode in [m for m in args.modes.split(",") if m]:
        out = work / f"ckpt-{mode}"
        marker_glob = out.with_name(out.name + ".work") / "phase-0-intermediate" / "trainer" / "checkpoint-1" / "XFER_CHECKPOINT_COMPLETE"
        steps_file = work / f"{mode}_{STEP_LOG}"
        if not (out / "COMPLETE").is_file():
            steps_file.unlink(missing_ok=True)
            load = load_now()
            first = run_child([*me, "--stage", "train", "--mode", mode, "--out", str(out)], env, kill_when=marker_glob, log=log)
            if not first["killed"]:
                print(f"train {mode}: the first run was not killed at checkpoint-1 (exit {first['code']}); see {log}", file=sys.stderr)
                return 1
            load2 = load_now()
            second = run_child([*me, "--stage", "train", "--mode", mode, "--out", str(out)], env, log=log)
            if second["code"] != 0 or not (out / "COMPLETE").is_file():
                print(f"train {mode}: the resumed run failed (exit {second['code']}); see {log}", file=sys.stderr)
                return 1
            metrics = json.loads((work / f"{mode}_result.json").read_text())["manifest_metrics"]
            steps = _steps(steps_file)
            per_step = {s["step"]: s["s"] for s in steps}
            note = f"killed after checkpoint-1; resumed from {metrics.get('resumed_from')}, global_step {metrics.get('global_step')}"
            rows.append([f"train {mode}: run 1 (step 1, save, SIGKILL)", "1", f"{first['peak_rss_gib']:.2f}",
                         f"{per_step.get(1, float('nan')):.1f}", f"{first['wall_s']:.0f}", f"{load:.1f}", "killed at checkpoint-1"])  # fmt: skip
            rows.append([f"train {mode}: run 2 (resume, step 2, publish)", "2", f"{second['peak_rss_gib']:.2f}",
                         f"{per_step.get(2, float('nan')):.1f}", f"{second['wall_s']:.0f}", f"{load2:.1f}", note])  # fmt: skip
        checkpoints[mode] = out

    if not args.skip_harness:
        target = checkpoints.get("full") or checkpoints.get("lora")
        if target is None:
            print("no checkpoint to evaluate", file=sys.stderr)
            return 1
        data = harness_data(work / "data")
        output = work / "harness"
        load = load_now()
        child = run_child(harness_command(target, args.harness_tasks, args.limit, output), {**env, "XFER_DATA_DIR": str(data)}, log=log)
        results = sorted(output.glob("**/results_*.json"))
        tasks = len(json.loads(results[-1].read_text())["results"]) if results and child["code"] == 0 else 0
        status = f"{tasks} tasks/groups scored" if child["code"] == 0 else f"FAILED (exit {child['code']}), see {log}"
        rows.append([f"lm_eval --tasks {args.harness_tasks} --limit {args.limit:g}", "-", f"{child['peak_rss_gib']:.2f}", "-",
                     f"{child['wall_s']:.0f}", f"{load:.1f}", status])  # fmt: skip

    from _common import markdown_table

    cores = len(os.sched_getaffinity(0))
    comparable = max(loads, default=0.0) <= cores
    header = ["stage", "step", "peak RSS GiB", "s/step", "wall s", "load avg (1 min)", "notes"]
    table = markdown_table(header, rows)
    table += (
        f"\n\nQwen2-0.5B shape, random weights: {built['parameters'] / 1e6:.0f}M parameters (tied embeddings), tokenizer "
        f"of {built['tokenizer_vocab']} byte-level BPE tokens trained on {built['corpus_lines']} local lines; fp32 on CPU, "
        f"max_seq_length {args.seq_len}, batch {args.batch} packed rows, AdamW; LoRA r=16 on all linear layers. "
        f"s/step = one optimizer step (forward, backward, AdamW) between Trainer on_step_begin/on_step_end; wall s "
        f"includes interpreter start, model load and saves. Peak RSS = VmHWM of the stage's process. "
        + ("" if comparable else f"**Seconds: under load, not comparable** (load average up to {max(loads):.1f} on {cores} cores; "
           "peak memory is still valid).")
    )
    print(table)
    if not args.no_append:
        from _common import append_results

        print(f"appended to {append_results('Real size on CPU: Qwen2-0.5B shape, LoRA and full, resume, harness', table)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
