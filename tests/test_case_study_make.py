"""docs/case_study/make.py rewrites only the generated block of the case study, from a run's files."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import yaml

MAKE = Path(__file__).resolve().parents[1] / "docs" / "case_study" / "make.py"


@pytest.fixture()
def make(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("case_study_make_under_test", MAKE)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path / "figs")
    monkeypatch.setattr(module, "DOC", tmp_path / "case_study.md")
    (tmp_path / "figs").mkdir()
    return module


def _run(root: Path) -> Path:
    study = {"models": {"encoder": {
        "base": {"model": {"kind": "encoder", "name_or_path": "/x/gt/model", "max_seq_length": 128},
                 "split": "validation", "mixture": {"strategy": "uniform"},
                 "budget": {"kind": "examples", "total": 128},
                 "training": {"per_device_train_batch_size": 8, "learning_rate": 5e-5}},
        "sweep": {"tasks": ["anli", "squad"], "order": "random", "order_per_seed": True, "k": [0, 2], "seeds": [0, 1, 2]},
        "evaluation": {"tasks": ["xfer_tatoeba_deu"]},
    }}}  # fmt: skip
    (root / "report" / "encoder").mkdir(parents=True)
    (root / "study.yaml").write_text(yaml.safe_dump(study), encoding="utf-8")
    (root / "report" / "index.html").write_text("<html>", encoding="utf-8")
    (root / "report" / "encoder" / "summary.md").write_text(
        "# How scores change\n\n- xfer_tatoeba acc_en2xx: +0.50 points per added task (95% CI +0.1 to +0.9)\n"
        "  - the score rises with more tasks\n\n## Trends\n", encoding="utf-8")  # fmt: skip
    trend = {"benchmark": "xfer_tatoeba", "metric": "acc_en2xx", "languages": "deu", "k_values": [0, 2],
             "means": [0.16, 0.17], "slope_per_task": 0.005, "slope_ci": [0.001, 0.009], "p_value": 0.01,
             "q_value": 0.01, "n_runs": 4}  # fmt: skip
    scaling = {"smoke_scale": None, "trends": [{**trend, "languages": "all"}], "language_trends": [trend], "notes": []}
    (root / "report" / "encoder" / "scaling.json").write_text(json.dumps(scaling), encoding="utf-8")
    (root / "report" / "encoder" / "scaling_curve.png").write_bytes(b"\x89PNG fake")
    return root


def test_only_the_generated_block_changes_and_figures_are_copied(make, tmp_path):
    make.DOC.write_text(f"# Title\nby hand\n{make.BEGIN}\nold numbers\n{make.END}\nkept\n", encoding="utf-8")
    assert make.main([str(_run(tmp_path / "run"))]) == 0
    text = make.DOC.read_text(encoding="utf-8")
    assert text.startswith("# Title\nby hand\n") and text.endswith(f"{make.END}\nkept\n")
    assert "old numbers" not in text
    assert "+0.50 points per added task" in text  # the printed answer, verbatim
    assert "**Tatoeba: 1 of the 36 XTREME languages only** (deu" in text
    assert "Moving after correction: deu +0.50" in text
    assert "| xfer_tatoeba acc_en2xx | all | k=0: 16.00, k=2: 17.00 |" in text
    assert (make.HERE / "encoder_scaling_curve.png").read_bytes() == b"\x89PNG fake"


def test_refuses_a_folder_that_is_not_a_finished_study(make, tmp_path, capsys):
    make.DOC.write_text(f"{make.BEGIN}\n{make.END}\n", encoding="utf-8")
    assert make.main([str(tmp_path)]) == 2
    assert "not a finished study folder" in capsys.readouterr().err
    make.DOC.write_text("no markers\n", encoding="utf-8")
    assert make.main([str(_run(tmp_path / "run"))]) == 2
    assert make.DOC.read_text(encoding="utf-8") == "no markers\n"


def test_task_effects_are_a_table_and_their_absence_says_why(make, tmp_path):
    make.DOC.write_text(f"{make.BEGIN}\n{make.END}\n", encoding="utf-8")
    run = _run(tmp_path / "run")
    scaling_file = run / "report" / "encoder" / "scaling.json"
    data = json.loads(scaling_file.read_text(encoding="utf-8"))
    data["task_effects"] = [{"benchmark": "xfer_tatoeba", "metric": "acc_en2xx", "task": "anli", "effect": 0.004,
                             "ci": [0.001, 0.007], "p_value": 0.01, "q_value": 0.02, "n_runs_with": 5}]  # fmt: skip
    scaling_file.write_text(json.dumps(data), encoding="utf-8")
    assert make.main([str(run)]) == 0
    assert "| xfer_tatoeba acc_en2xx | anli | +0.40 (+0.10 to +0.70) | 0.01 | 0.02 | 5 |" in make.DOC.read_text(encoding="utf-8")
    data["task_effects"] = []
    data["notes"] = ["xfer_tatoeba: the runs' task sets cannot separate the tasks' own contributions (too few runs or orders)"]
    scaling_file.write_text(json.dumps(data), encoding="utf-8")
    assert make.main([str(run)]) == 0
    assert "Per-task contributions: not estimated; the runs' task sets cannot separate" in make.DOC.read_text(encoding="utf-8")
