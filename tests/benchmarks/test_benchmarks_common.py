"""The benchmark load guard: a table timed under load is not appended as a comparable figure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

COMMON = Path(__file__).resolve().parents[2] / "benchmarks" / "_common.py"


@pytest.fixture()
def common(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("bench_common_under_test", COMMON)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    monkeypatch.setenv("XFER_BENCH_RESULTS", str(tmp_path / "RESULTS.md"))
    monkeypatch.delenv(module.ALLOW_LOAD_ENV, raising=False)
    monkeypatch.setattr(module, "usable_cores", lambda: 2)
    return module


def _time_under(common, monkeypatch, loads: list[float], label: str = "baseline") -> None:
    readings = iter(loads)
    monkeypatch.setattr(common, "load_1min", lambda: next(readings))
    with common.timed_section(label):
        pass


def test_loaded_machine_is_refused_with_one_line(common, monkeypatch, tmp_path, capsys):
    """The 66.6x Tatoeba row was measured at load 8.6 on 2 cores and appended as a result."""
    _time_under(common, monkeypatch, [8.6, 9.2])
    assert common.append_results("Tatoeba scoring", "| a |\n|---|\n| 1 |") is None
    assert not (tmp_path / "RESULTS.md").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NOT appended" in err[0]
    assert "load average up to 9.2 on 2 core(s) during baseline (limit 1 per core)" in err[0]


def test_allow_load_marks_the_block_not_comparable(common, monkeypatch, tmp_path):
    monkeypatch.setenv(common.ALLOW_LOAD_ENV, "1")
    _time_under(common, monkeypatch, [0.5, 3.1], "ours")
    path = common.append_results("Tatoeba scoring", "| a |\n|---|\n| 1 |")
    text = path.read_text(encoding="utf-8")
    assert "## Tatoeba scoring (under load, not comparable)" in text
    assert "**Under load, not comparable:**" in text and "ours 0.5->3.1" in text


def test_quiet_machine_appends_with_the_loads_recorded(common, monkeypatch, tmp_path):
    _time_under(common, monkeypatch, [0.4, 1.9], "baseline")
    _time_under(common, monkeypatch, [1.2, 2.0], "ours")  # 1 per core: the benchmark's own threads
    path = common.append_results("Tatoeba scoring", "| a |\n|---|\n| 1 |")
    text = path.read_text(encoding="utf-8")
    assert "load avg (1 min) before->after each timed section: baseline 0.4->1.9; ours 1.2->2.0" in text
    assert "not comparable" not in text


def test_settle_waits_for_the_load_to_fall_and_gives_up_at_the_deadline(common, monkeypatch):
    """The benchmark's own load (its threads keep the cores busy) decays before a section."""
    readings = iter([1.9, 1.4, 0.9, 0.9])  # limit 0.5 per core x 2 cores = 1.0
    sleeps: list[float] = []
    monkeypatch.setattr(common, "load_1min", lambda: next(readings))
    monkeypatch.setattr(common.time, "sleep", sleeps.append)
    assert common.settle() == 0.9
    assert sleeps == [5, 5]

    clock = iter([0.0, 0.0, 10.0, 100.0])  # deadline 0 + 60 s: stops waiting, load stays high
    monkeypatch.setattr(common, "load_1min", lambda: 3.0)
    monkeypatch.setattr(common.time, "monotonic", lambda: next(clock))
    sleeps.clear()
    assert common.settle(max_wait_s=60) == 3.0
    assert sleeps == [5, 5]
