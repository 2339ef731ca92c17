"""The task-count sweep: nested subsets, one loadable checkpoint per (k, seed), a fixed budget
whatever k is, idempotent re-runs, and a sweep checkpoint scored by lm-eval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from train_helpers import run_group, subprocess_env
from xfer_tasks.train.checkpoint_io import is_complete
from xfer_tasks.train.cli_sweep import main as sweep_main
from xfer_tasks.train.sweep import load_sweep_config, sweep_points

TASKS = [
    "commonsenseqa",
    {"name": "squad", "local": {"files": {"validation": ["xquad.en.json"]}}},
    {
        "name": "anli",
        "local": {
            "files": {"validation": ["ANLI_analysis_r1_dev.csv"]},
            "fields": {"premise": "context", "hypothesis": "statement", "label": "gold_label"},
        },
    },
]


def _sweep_config(tmp_path: Path, tiny_lm: Path, shared_data: Path, **sweep) -> Path:
    data = {
        "base": {
            "model": {"kind": "causal", "name_or_path": str(tiny_lm), "max_seq_length": 128},
            "data_dir": str(shared_data),
            "split": "validation",
            "mixture": {"strategy": "uniform"},
            "budget": {"kind": "examples", "total": 12},
            "training": {"learning_rate": 1e-3, "per_device_train_batch_size": 6, "batching": "packed", "use_cpu": True},
        },
        "sweep": {"tasks": TASKS, "order": "given", "k": [0, 1, 2], "seeds": [0], **sweep},
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_points_are_nested_prefixes_of_one_order(tmp_path, tiny_lm, shared_data):
    cfg = load_sweep_config(
        _sweep_config(tmp_path, tiny_lm, shared_data, order="random", k="all", seeds=[0, 1], order_per_seed=False)
    )
    points = sweep_points(cfg)
    assert [(p.k, p.seed) for p in points] == [(k, s) for s in (0, 1) for k in range(4)]
    orders = {tuple(p.order) for p in points}
    assert len(orders) == 1  # order_per_seed: false: one permutation for all seeds
    for p in points:
        assert [t if isinstance(t, str) else t["name"] for t in p.tasks] == p.order[: p.k]
    # the default (issue 17): one random order per seed, each seed's points nested prefixes of it
    per_seed = load_sweep_config(_sweep_config(tmp_path, tiny_lm, shared_data, order="random", k="all", seeds=[0, 1, 2, 3]))
    assert per_seed.order_per_seed is True
    points = sweep_points(per_seed)
    assert len({tuple(p.order) for p in points}) > 1
    for seed in (0, 1, 2, 3):
        assert len({tuple(p.order) for p in points if p.seed == seed}) == 1


@pytest.fixture(scope="module")
def sweep_dir(tiny_lm, shared_data, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("sweep")
    config = _sweep_config(tmp, tiny_lm, shared_data)
    out = tmp / "out"
    assert sweep_main(["--config", str(config), "--output-dir", str(out), "--k", "0,1"]) == 0
    first = {p.name: (p / "model.safetensors").stat().st_mtime_ns for p in out.glob("k*")}
    assert sorted(first) == ["k00-seed0", "k01-seed0"]
    # the full sweep trains only the missing point
    assert sweep_main(["--config", str(config), "--output-dir", str(out)]) == 0
    again = {p.name: (p / "model.safetensors").stat().st_mtime_ns for p in out.glob("k*")}
    assert sorted(again) == ["k00-seed0", "k01-seed0", "k02-seed0"]
    assert all(again[name] == first[name] for name in first), "complete points must be skipped"
    return out


def test_sweep_checkpoints_load_and_describe_themselves(sweep_dir, tiny_lm):
    import torch
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_lm)
    expected_tasks = {0: [], 1: ["commonsenseqa"], 2: ["commonsenseqa", "squad"]}
    for k, tasks in expected_tasks.items():
        point = sweep_dir / f"k{k:02d}-seed0"
        assert is_complete(point)
        model = AutoModelForCausalLM.from_pretrained(point)
        same = torch.equal(model.lm_head.weight, base.lm_head.weight)
        assert same == (k == 0)  # k = 0 is the base model itself
        m = json.loads((point / "xfer_manifest.json").read_text())
        assert m["k"] == k and m["intermediate_tasks"] == tasks
        assert m["sweep"]["k"] == k and m["sweep"]["seed"] == 0
        if k:
            realised = m["phases"][0]["mixture_realised"]
            assert sum(s["drawn"] for s in realised.values()) == 12  # same budget for every k
            assert {s["drawn"] for s in realised.values()} == {12 // k}
    listing = json.loads((sweep_dir / "sweep.json").read_text())
    assert [p["name"] for p in listing["points"]] == ["k00-seed0", "k01-seed0", "k02-seed0"]


def test_changed_sweep_config_is_not_silently_skipped(sweep_dir, tiny_lm, shared_data, tmp_path):
    config = _sweep_config(tmp_path, tiny_lm, shared_data)
    data = yaml.safe_load(config.read_text())
    data["base"]["training"]["learning_rate"] = 0.5
    config.write_text(yaml.safe_dump(data))
    assert sweep_main(["--config", str(config), "--output-dir", str(sweep_dir), "--k", "1"]) == 1


@pytest.mark.slow
def test_lm_eval_scores_a_sweep_checkpoint(sweep_dir, shared_data, tmp_path):
    """The harness loads a sweep checkpoint with --model hf and scores English XNLI dev."""
    tasks_path = subprocess.run(
        [sys.executable, "-m", "xfer_tasks.cli", "tasks-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not (Path(tasks_path) / "xnli" / "xfer_xnli_en.yaml").is_file():
        pytest.skip("the xfer_xnli_en task is not in task_yamls/ yet")
    out = tmp_path / "results"
    run = run_group(
        [
            sys.executable, "-m", "lm_eval", "--model", "hf",
            "--model_args", f"pretrained={sweep_dir / 'k02-seed0'}",
            "--include_path", tasks_path, "--tasks", "xfer_xnli_en", "--limit", "5",
            "--device", "cpu", "--metadata", json.dumps({"xnli_split": "validation"}),
            "--output_path", str(out),
        ],
        subprocess_env(XFER_DATA_DIR=str(shared_data)),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    (results_file,) = out.rglob("results_*.json")
    results = json.loads(results_file.read_text())["results"]["xfer_xnli_en"]
    assert 0.0 <= results["acc,none"] <= 1.0


def test_dry_run_lists_point_states(sweep_dir, tiny_lm, shared_data, tmp_path, capsys):
    config = _sweep_config(tmp_path, tiny_lm, shared_data, k=[0, 1, 2, 3])
    partial = sweep_dir.parent / "partial"
    (partial / "k03-seed0.work").mkdir(parents=True)
    for p in sweep_dir.glob("k0[012]-seed0"):
        (partial / p.name).symlink_to(p, target_is_directory=True)
    assert sweep_main(["--config", str(config), "--output-dir", str(partial), "--dry-run"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert [(name, state) for name, state, _ in lines] == [
        ("k00-seed0", "complete"), ("k01-seed0", "complete"), ("k02-seed0", "complete"), ("k03-seed0", "partial"),
    ]  # fmt: skip
    assert lines[3][2] == "commonsenseqa,squad,anli"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--k", "7"], "--k 7: not k values of this sweep"),
        (["--k", "0,3"], "--k 3: not k values of this sweep"),  # 3 <= N, but not one of the config's k
        (["--seeds", "5"], "--seeds 5: not seeds of this sweep"),
    ],
)
def test_selection_outside_the_sweep_is_an_error(tmp_path, tiny_lm, shared_data, capsys, args, expected):
    """``--k 7`` with three tasks used to exit 0 having done nothing (and write an empty sweep.json)."""
    config = _sweep_config(tmp_path, tiny_lm, shared_data)
    out = tmp_path / "out"
    assert sweep_main(["--config", str(config), "--output-dir", str(out), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert expected in captured.err
    assert not out.exists()


def test_selection_that_is_not_integers_is_a_usage_error(tmp_path, tiny_lm, shared_data, capsys):
    config = _sweep_config(tmp_path, tiny_lm, shared_data)
    with pytest.raises(SystemExit) as exited:
        sweep_main(["--config", str(config), "--output-dir", str(tmp_path / "out"), "--k", "x"])
    assert exited.value.code == 2
    assert "expected comma-separated integers, got 'x'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_dry_run_reports_points_of_a_different_config(sweep_dir, tiny_lm, shared_data, tmp_path, capsys):
    """--dry-run used to list points trained from a different config as "complete"."""
    config = _sweep_config(tmp_path, tiny_lm, shared_data)
    data = yaml.safe_load(config.read_text())
    data["base"]["training"]["learning_rate"] = 0.5
    config.write_text(yaml.safe_dump(data))
    before = sorted(p.name for p in sweep_dir.iterdir())
    assert sweep_main(["--config", str(config), "--output-dir", str(sweep_dir), "--dry-run"]) == 1
    captured = capsys.readouterr()
    states = [line.split("\t")[1] for line in captured.out.strip().splitlines()]
    assert states == ["complete-changed"] * 3
    assert "3 point(s) on disk were trained from a different config" in captured.err
    assert "--overwrite" in captured.err
    assert sorted(p.name for p in sweep_dir.iterdir()) == before  # a dry run writes nothing
