"""Shared helpers of the benchmark scripts: machine facts, load guard, appending to RESULTS.md.

Every benchmark prints its table and appends it, with the date and these machine facts, to
``benchmarks/RESULTS.md`` (override the file with ``$XFER_BENCH_RESULTS``).

Load guard. A timing taken while other jobs run is not a property of the code: a 66.6x
Tatoeba "speed-up" measured at load average 8.6 on 2 cores was 3.4x on a quiet machine, as
the contention slowed the torch baseline far more than FAISS. So every timed section runs
inside :func:`timed_section`, which records the 1-minute load average before and after it,
and :func:`append_results` refuses to append a table when any recorded load exceeded
:data:`MAX_LOAD_PER_CORE` per usable core (the benchmark's own threads count too, so a
benchmark alone on the machine stays at or below 1 per core). The table is still printed;
``XFER_BENCH_ALLOW_LOAD=1`` appends it anyway, headed "under load, not comparable". The
loads recorded go into RESULTS.md with the table either way.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"
MAX_LOAD_PER_CORE = 1.0
ALLOW_LOAD_ENV = "XFER_BENCH_ALLOW_LOAD"


@dataclass(frozen=True)
class SectionLoad:
    """The 1-minute load average just before and just after one timed section."""

    label: str
    before: float
    after: float


SECTIONS: list[SectionLoad] = []  # every timed section of this process, in order


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_1min() -> float:
    """The 1-minute load average (``nan`` where the OS does not report one)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


@contextlib.contextmanager
def timed_section(label: str) -> Iterator[None]:
    """Record the load average before and after the timed code inside (see the module doc)."""
    before = load_1min()
    try:
        yield
    finally:
        SECTIONS.append(SectionLoad(label, before, load_1min()))


def settle(max_wait_s: float = 180.0, below_per_core: float = 0.5) -> float:
    """Wait until the 1-minute load average is below ``below_per_core`` per core (at most
    ``max_wait_s`` seconds) and return it. A benchmark that keeps every core busy drives the
    load average towards the core count by itself; settling before each timed section lets
    that decay, so the "before" figure shows what else runs on the machine."""
    limit = below_per_core * usable_cores()
    deadline = time.monotonic() + max_wait_s
    while load_1min() >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return load_1min()


def too_loaded(sections: list[SectionLoad], cores: int | None = None) -> list[SectionLoad]:
    """The sections whose load before or after exceeded ``MAX_LOAD_PER_CORE`` per core."""
    limit = MAX_LOAD_PER_CORE * (cores or usable_cores())
    return [s for s in sections if s.before > limit or s.after > limit]


def load_summary(sections: list[SectionLoad]) -> str:
    """One line: each section's load before -> after."""
    if not sections:
        return "no timed section recorded its load"
    parts = [f"{s.label} {s.before:.1f}->{s.after:.1f}" for s in sections]
    return "load avg (1 min) before->after each timed section: " + "; ".join(parts)


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
    usable = usable_cores()
    return (
        f"{_cpu_model()}, {usable} usable core(s) of {cores}, {_memory_gib()}, {_gpu()}, "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}, {_load()}"
    )


def append_results(
    title: str, table_markdown: str, sections: list[SectionLoad] | None = None
) -> Path | None:
    """Append ``## title`` with the UTC date, machine facts, the loads and the table; return
    the file, or ``None`` (nothing appended, a line on stderr) when the machine was loaded
    (see the module docstring). ``sections`` defaults to every section timed so far."""
    sections = list(SECTIONS if sections is None else sections)
    path = Path(os.environ.get("XFER_BENCH_RESULTS", RESULTS_PATH))
    loaded = too_loaded(sections)
    cores = usable_cores()
    if loaded:
        worst = max(max(s.before, s.after) for s in loaded)
        why = (
            f"load average up to {worst:.1f} on {cores} core(s) during "
            f"{', '.join(s.label for s in loaded)} (limit {MAX_LOAD_PER_CORE:g} per core)"
        )
        if os.environ.get(ALLOW_LOAD_ENV, "") in ("", "0"):
            print(
                f"benchmark: NOT appended to {path}: {why}; re-run on a quiet machine "
                f"(or set {ALLOW_LOAD_ENV}=1 to append it marked 'under load, not comparable')",
                file=sys.stderr,
            )
            return None
        title = f"{title} (under load, not comparable)"
        note = f"**Under load, not comparable:** {why}.\n\n"
    else:
        note = ""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"\n## {title}\n\n_{stamp}; {machine_facts()}; {load_summary(sections)}_\n\n"
        f"{note}{table_markdown.rstrip()}\n"
    )
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
