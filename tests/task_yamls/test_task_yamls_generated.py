"""The committed YAMLs are exactly what the generators write from xfer_tasks.catalog."""

from __future__ import annotations

import importlib.util

import pytest
import yaml

from xfer_tasks import catalog
from xfer_tasks.paths import tasks_path


@pytest.mark.parametrize("benchmark_name", sorted(catalog.YAML_FAMILIES))
def test_committed_family_yamls_are_generated(benchmark_name):
    folder = tasks_path() / catalog.YAML_FAMILIES[benchmark_name]
    expected = catalog.family_yaml_files(benchmark_name)
    committed = {
        path.name: path.read_text(encoding="utf-8")
        for path in folder.glob("*.yaml")
        if path.name.startswith((benchmark_name, f"_{benchmark_name}"))
    }
    assert committed == expected, f"run python task_yamls/{folder.name}/_generate_configs.py"


@pytest.mark.parametrize("benchmark_name", sorted(catalog.YAML_FAMILIES))
def test_generator_script_writes_its_family(benchmark_name, tmp_path, monkeypatch):
    folder = tasks_path() / catalog.YAML_FAMILIES[benchmark_name]
    written = []
    monkeypatch.setattr(
        catalog, "write_family", lambda name, out: written.append((name, out)) or []
    )
    spec = importlib.util.spec_from_file_location("__main__", folder / "_generate_configs.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert written == [(benchmark_name, folder)]


def test_xtreme_group_yaml():
    text = (tasks_path() / "xfer_xtreme.yaml").read_text(encoding="utf-8")
    assert text == catalog.xtreme_yaml_text()
    config = yaml.safe_load(text)
    assert config["task"] == ["xfer_xnli", "xfer_tydiqa", "xfer_bucc", "xfer_tatoeba", "xfer_mmmlu"]


def test_group_yamls_average_languages_unweighted():
    for benchmark_name, folder in catalog.YAML_FAMILIES.items():
        config = yaml.safe_load((tasks_path() / folder / f"_{benchmark_name}.yaml").read_text())
        assert {m["metric"] for m in config["aggregate_metric_list"]} == set(
            catalog.benchmark_by_name(benchmark_name).group_metrics
        )
        assert all(m["weight_by_size"] is False for m in config["aggregate_metric_list"])


def test_xtreme_group_resolves_in_lm_eval():
    pytest.importorskip("lm_eval")
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(tasks_path()), include_defaults=False)
    missing = [name for name in ("xfer_bucc", "xfer_tatoeba") if name not in manager.all_groups]
    if missing:
        pytest.skip(
            f"groups {missing} (task_yamls/bucc, task_yamls/tatoeba) are not in this checkout yet"
        )
    assert "xfer_xtreme" in manager.all_groups
    for name in (
        "xfer_xnli",
        "xfer_tydiqa",
        "xfer_mmmlu",
        "xfer_global_mmlu",
        "xfer_m_mmlu",
        "xfer_mmlu",
    ):
        assert name in manager.all_groups
