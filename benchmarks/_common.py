"""Shared helpers of the benchmark scripts: machine facts and appending tables to RESULTS.md.

Every benchmark prints its table and appends it, with the date and these machine facts, to
``benchmarks/RESULTS.md`` (override the file with ``$XFER_BENCH_RESULTS``).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    return "RAM unknown"


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load avg {one:.1f}/{five:.1f} (1/5 min)"
    except OSError:
        return "load unknown"


def _gpu() -> str:
    try:
        import torch  # optional; only to report the accelerator

        if torch.cuda.is_available():
            return f"GPU: {torch.cuda.get_device_name(0)}"
    except Exception:  # noqa: BLE001 - any import/driver problem just means "no GPU"
        pass
    return "no GPU"


def machine_facts() -> str:
    """One line: CPU model, cores, RAM, GPU, Python/OS and current load."""
    cores = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    return (
        f"{_cpu_model()}, {usable} usable core(s) of {cores}, {_memory_gib()}, {_gpu()}, "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}, {_load()}"
    )


def append_results(title: str, table_markdown: str) -> Path:
    """Append ``## title`` with the UTC date, machine facts and the table; return the file."""
    path = Path(os.environ.get("XFER_BENCH_RESULTS", RESULTS_PATH))
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = f"\n## {title}\n\n_{stamp}; {machine_facts()}_\n\n{table_markdown.rstrip()}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("# Benchmark results\n\nAppended by the scripts in benchmarks/.\n", encoding="utf-8")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(block)
    return path


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A GitHub markdown table from a header and rows (values formatted with str())."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
