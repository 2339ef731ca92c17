"""xfer_tasks.catalog is the one declaration per family: naming, preflight and the YAML renderer
read it, and metric roles (BUCC's threshold is not a score) are written there only."""

from __future__ import annotations

from pathlib import Path

import yaml

from xfer_tasks import catalog
from xfer_tasks.compare import naming
from xfer_tasks.paths import tasks_path

REPO = Path(__file__).resolve().parents[1]


def test_metric_roles_come_from_the_catalog():
    assert naming.NON_SCORE_METRICS == {"threshold", "precision", "recall"}
    assert catalog.BUCC.score_metrics == ("f1",)
    assert naming.score_metrics("xfer_bucc", ["threshold", "recall", "f1"]) == ["f1"]
    assert naming.HEADLINE_METRIC == {
        "xfer_xnli": "acc", "xfer_tydiqa": "f1", "xfer_bucc": "f1", "xfer_tatoeba": "acc_en2xx",
        "xfer_mmmlu": "acc", "xfer_global_mmlu": "acc", "xfer_m_mmlu": "acc", "xfer_mmlu": "acc",
    }  # fmt: skip
    assert naming.score_metrics("xfer_tydiqa", ["f1", "f1_mlqa", "exact_match"]) == [
        "f1",
        "exact_match",
        "f1_mlqa",
    ]


def test_threshold_rule_is_written_once():
    """No reader hard-codes which BUCC metrics are scores or averaged."""
    readers = [REPO / "xfer_tasks" / "compare" / "naming.py"]
    readers += sorted((REPO / "task_yamls").glob("*/_generate_configs.py"))
    for path in readers:
        assert '"threshold"' not in path.read_text(encoding="utf-8"), path
    group = yaml.safe_load((tasks_path() / "bucc" / "_xfer_bucc.yaml").read_text("utf-8"))
    assert [m["metric"] for m in group["aggregate_metric_list"]] == ["f1", "precision", "recall"]


def test_every_family_declares_its_loader_and_yaml_folder():
    """Each family is one module (declaration FAMILY + load_task_data) and its YAML folder;
    the registry imports the modules (no "module:function" strings)."""
    assert [m.FAMILY for m in catalog.FAMILY_MODULES] == list(catalog.ALL_FAMILIES)
    assert len({b.name for b in catalog.ALL_FAMILIES}) == len(catalog.ALL_FAMILIES)
    for module in catalog.FAMILY_MODULES:
        benchmark = module.FAMILY
        assert module.__name__.startswith("xfer_tasks.data.")
        assert catalog.loader(benchmark.name) is module.load_task_data
        assert (tasks_path() / benchmark.yaml_folder / "_template_yaml").is_file()
        assert benchmark.citation and benchmark.local_layout and benchmark.source
        assert set(benchmark.diagnostics) <= set(benchmark.metrics)
        assert set(benchmark.not_averaged) <= set(benchmark.metrics)


def test_adding_a_language_is_one_declaration(monkeypatch):
    """A new language in the declaration gives its task YAML and group entry, nothing else."""
    import dataclasses

    extended = dataclasses.replace(catalog.XNLI, languages=(*catalog.XNLI.languages, "en2"))
    monkeypatch.setattr(catalog, "ALL_FAMILIES", (extended, *catalog.ALL_FAMILIES[1:]))
    monkeypatch.setitem(catalog.XNLI_PROMPT_WORDS, "en2", catalog.XNLI_PROMPT_WORDS["en"])
    files = catalog.family_yaml_files("xfer_xnli")
    task = yaml.safe_load(files["xfer_xnli_en2.yaml"])
    assert task["task"] == "xfer_xnli_en2" and task["dataset_kwargs"] == {"xfer_lang": "en2"}
    assert "xfer_xnli_en2" in yaml.safe_load(files["_xfer_xnli.yaml"])["task"]


def test_hub_revisions_reach_the_hub_loader(monkeypatch):
    import dataclasses

    import datasets

    from xfer_tasks.data._source import load_hub_split

    seen = {}

    def fake(path, name=None, split=None, **kwargs):
        seen.update(kwargs)
        return [{"x": 1}]

    monkeypatch.setattr(datasets, "load_dataset", fake)
    assert load_hub_split("XNLI", "facebook/xnli", "de", "test", None, "0123abc") == [{"x": 1}]
    assert seen == {"revision": "0123abc"}
    # a family's loader asks for the revision its declaration pins
    from xfer_tasks.data import xnli

    seen.clear()
    monkeypatch.setattr(
        datasets, "load_dataset",
        lambda *a, **kw: seen.update(kw) or [{"premise": "p", "hypothesis": "h", "label": 0}],
    )  # fmt: skip
    monkeypatch.setattr(xnli, "FAMILY", dataclasses.replace(catalog.XNLI, hub_revision="0123abc"))
    assert xnli.load_split("de", "test", None)[0]["label"] == 0
    assert seen["revision"] == "0123abc"
