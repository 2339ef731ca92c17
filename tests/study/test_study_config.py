"""The study config: validation errors are one line naming the file and the key."""

from __future__ import annotations

import pytest
import yaml
from study_helpers import write_tiny_study

from xfer_tasks.study.cli import main
from xfer_tasks.study.config import StudyConfigError, load_study_config


def _edit(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return path


def test_tiny_study_parses_and_paths_are_absolute(tmp_path, tiny_lm):
    config = load_study_config(write_tiny_study(tmp_path, tiny_lm, [0, 1]))
    (spec,) = config.models
    assert spec.name == "tiny" and spec.evaluation.tasks == ["xfer_xnli_en"]
    assert spec.evaluation.limit == 2 and spec.sweep["sweep"]["k"] == [0, 1]
    # the resolved config is what jobs read back: it parses again to the same thing
    (tmp_path / "again.yaml").write_text(yaml.safe_dump(config.resolved()))
    again = load_study_config(tmp_path / "again.yaml")
    assert again.resolved() == config.resolved()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(extra=1), "study.yaml: extra: unknown key"),
        (lambda d: d.update(evaluaton={}), "evaluaton: unknown key (did you mean 'evaluation'?)"),
        (lambda d: d.pop("models"), "study.yaml: models: required"),
        (lambda d: d["evaluation"].update(tasks=[]), "evaluation.tasks: expected a non-empty list"),
        (lambda d: d["evaluation"].update(batch_size=0), "study.yaml: evaluation.batch_size: expected a positive integer"),
        (lambda d: d["evaluation"].update(data_dir="/nonexistent/x"), "is not a folder"),
        (lambda d: d["models"]["tiny"]["sweep"].update(k=[7]), "models.tiny.sweep.k: expected 'all' or"),
        (lambda d: d["models"]["tiny"].pop("sweep"), "models.tiny.sweep: required"),
        (lambda d: d["launcher"].update(slurm={"gpus": 2}), "launcher.slurm.gpus: unknown key"),
        (lambda d: d["launcher"].update(slurm={"multi_gpu": "mpi"}), "launcher.slurm.multi_gpu: expected one of"),
        (lambda d: d["models"]["tiny"]["base"].update(data_dir="${NOT_A_VARIABLE_XYZ}"), "models.tiny.base.data_dir: ${NOT_A_VARIABLE_XYZ}"),
        (lambda d: d["models"].update({"bad name": {}}), "models.bad name"),
        # issue 16: each of these was accepted, then failed after hours (or never)
        (lambda d: d["models"]["tiny"]["sweep"].update(seeds=[0, -1]), "models.tiny.sweep.seeds[1]: expected an integer >= 0, got -1"),
        (lambda d: d["models"]["tiny"]["sweep"].update(order_per_seed="no"), "models.tiny.sweep.order_per_seed: expected true or false, got 'no'"),
        (lambda d: d["models"]["tiny"]["sweep"].update(order_seed="abc"), "models.tiny.sweep.order_seed: expected an integer, got 'abc'"),
        (lambda d: d["models"]["tiny"]["sweep"].update(sead=[0]), "models.tiny.sweep.sead: unknown key (did you mean 'seeds'?)"),
        (lambda d: d.update(analysis={"alpha": "high"}), "analysis.alpha: expected a number, got 'high'"),
        (lambda d: d.update(analysis={"alpha": 1.5}), "analysis.alpha: expected a number < 1"),
        (lambda d: d.update(analysis={"bootstrap_iters": -5}), "analysis.bootstrap_iters: expected an integer >= 1, got -5"),
        (lambda d: d["evaluation"].update(device=5), "evaluation.device: expected a string, got 5"),
        (lambda d: d["evaluation"].update(device="gpu"), "evaluation.device: expected a device such as cpu"),
        (lambda d: d["evaluation"].update(model_args={"pretrained": "x"}), "evaluation.model_args: pretrained: xfer sets it"),
        (lambda d: d["evaluation"].update(extra_args=["--model_args", "pretrained=gpt2"]), "evaluation.extra_args: --model_args: xfer sets it"),
        (lambda d: d["evaluation"].update(extra_args=["--output_path=/tmp/elsewhere"]), "evaluation.extra_args: --output_path: xfer sets it"),
        (lambda d: d["launcher"].update(poll_s="fast"), "launcher.poll_s: expected a number, got 'fast'"),
        (lambda d: d["launcher"].update(slurm={"mem_gb": "lots"}), "launcher.slurm.mem_gb: expected a number, got 'lots'"),
        (lambda d: d["launcher"].update(local={"timeout_min": "x"}), "launcher.local.timeout_min: expected an integer, got 'x'"),
        (lambda d: d["launcher"].update(local={"max_parallel": 0}), "launcher.local.max_parallel: expected an integer >= 1, got 0"),
        (lambda d: d["launcher"].update(slurm={"max_num_timeout": -1}), "launcher.slurm.max_num_timeout: expected an integer >= 0"),
        (lambda d: d["models"]["tiny"]["base"]["training"].update(trainer_args={"output_dir": "/tmp/x"}), "trainer_args.output_dir: not allowed under trainer_args"),
        (lambda d: d["models"]["tiny"]["base"]["training"].update(trainer_args={"warmup_ratioo": 0.1}), "trainer_args.warmup_ratioo: not a transformers TrainingArguments option"),
        (lambda d: d["models"]["tiny"]["base"]["training"].update(trainer_args={"optim": "adamw_torh"}), "trainer_args.optim: expected one of adamw_torch"),
        (lambda d: d["models"]["tiny"]["base"]["training"].update(trainer_args={"adam_epsilon": "small"}), "trainer_args.adam_epsilon: expected a number, got 'small'"),
        (lambda d: d["models"]["tiny"]["base"]["training"].update(seed=-1), "training.seed: expected an integer >= 0"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, tiny_lm, change, message, capsys):
    path = _edit(write_tiny_study(tmp_path, tiny_lm, [0]), change)
    with pytest.raises(StudyConfigError) as err:
        load_study_config(path)
    assert str(path) in str(err.value) and message in str(err.value)
    # the command: exit 2, one line, nothing written
    out = tmp_path / "out"
    assert main(["--config", str(path), "--output-dir", str(out)]) == 2
    stderr = capsys.readouterr().err.strip().splitlines()
    assert len(stderr) == 1 and stderr[0].startswith("xfer study: ") and not out.exists()


def test_sweep_config_file_and_variables(tmp_path, tiny_lm, monkeypatch):
    """`sweep_config:` names an `xfer sweep` file (relative to the study); ${VAR} from the environment."""
    study = write_tiny_study(tmp_path, tiny_lm, [0, 2])
    data = yaml.safe_load(study.read_text())
    sweep = data["models"]["tiny"]
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "base.yaml").write_text(yaml.safe_dump(sweep["base"]))
    (tmp_path / "sweeps" / "sweep.yaml").write_text(
        yaml.safe_dump({"base_config": "base.yaml", "sweep": sweep["sweep"], "output_dir": "ignored"})
    )
    data["models"]["tiny"] = {"sweep_config": "sweeps/sweep.yaml", "evaluation": {"tasks": "${EVAL_TASKS}"}}
    study.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("EVAL_TASKS", "xfer_xnli_en,xfer_xnli_de")
    (spec,) = load_study_config(study).models
    assert spec.sweep["base"]["model"]["name_or_path"] == str(tiny_lm)
    assert spec.sweep["sweep"]["k"] == [0, 2] and "output_dir" not in spec.sweep
    assert spec.evaluation.tasks == ["xfer_xnli_en", "xfer_xnli_de"]


def test_shipped_configs_parse(tmp_path, tiny_lm):
    from xfer_tasks.demo import DEMO_DATA, DEMO_STUDY

    variables = {"XFER_DEMO_DATA": str(DEMO_DATA), "XFER_DEMO_TINY_LM": str(tiny_lm), "XFER_DEMO_ENCODER": "x"}
    demo = load_study_config(DEMO_STUDY, variables)
    assert [m.name for m in demo.models] == ["causal-lm", "encoder"]
    example = DEMO_STUDY.with_name("slurm_example.yaml")
    config = load_study_config(example)
    assert config.launcher["slurm"]["partition"] == "gpu"
    assert len(config.models[0].sweep["sweep"]["seeds"]) == 3


def test_readme_study_config_parses(tmp_path):
    """The README's "study in three commands" config is a valid study of 5 x 3 points, whose
    three k = 0 points are one untrained base model: 13 units to train and evaluate."""
    import re
    from pathlib import Path

    from xfer_tasks.study.stages import Study

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"cat > study.yaml <<'YAML'\n(.*?)\nYAML", readme, re.S)
    assert block, "the README's study config block is missing"
    (tmp_path / "study.yaml").write_text(block.group(1))
    study = Study(load_study_config(tmp_path / "study.yaml"), tmp_path / "out")
    assert len(study.points("qwen05")) == 15 and study.config.models[0].evaluation.tasks == ["xfer_xtreme", "xfer_mmlu"]
    assert study.same_base_points("qwen05") == {"k00-seed1": "k00-seed0", "k00-seed2": "k00-seed0"}
    for stage in ("train", "evaluate"):
        points = [u.point for u in study.units(stage)]
        assert len(points) == 13 and "k00-seed0" in points and "k00-seed1" not in points


def test_a_target_phase_keeps_every_seeds_k0_point(tmp_path):
    """With a target-task phase each seed trains its own k = 0 model: nothing is shared."""
    import yaml

    from xfer_tasks.study.stages import Study

    base = {"model": {"kind": "causal", "name_or_path": "m"}, "budget": {"kind": "examples", "total": 8},
            "target_phase": {"tasks": ["squad"]}}  # fmt: skip
    config = {"models": {"m": {"base": base, "sweep": {"tasks": ["mnli", "squad"], "seeds": [0, 1]}}},
              "evaluation": {"tasks": ["xfer_xnli_en"]}}  # fmt: skip
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(config))
    study = Study(load_study_config(tmp_path / "study.yaml"), tmp_path / "out")
    assert study.same_base_points("m") == {}
    assert [u.point for u in study.units("evaluate")].count("k00-seed1") == 1


def test_duplicate_model_name_is_refused(tmp_path, tiny_lm, capsys):
    """A model given twice: the last one used to win silently."""
    path = write_tiny_study(tmp_path, tiny_lm, [0])
    text = path.read_text()
    models = text[text.index("models:\n") + len("models:\n") : text.index("evaluation:")]
    path.write_text(text.replace(models, models + models))
    out = tmp_path / "out"
    assert main(["--config", str(path), "--output-dir", str(out), "--dry-run"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"xfer study: {path}: key 'tiny' is given twice") and not out.exists()


def test_ctrl_c_is_one_line_exit_130(tmp_path, tiny_lm, capsys, monkeypatch):
    from xfer_tasks.study import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_study", interrupted)
    path = write_tiny_study(tmp_path, tiny_lm, [0])
    assert main(["--config", str(path), "--output-dir", str(tmp_path / "out")]) == 130
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("xfer study: interrupted;") and f"xfer study --config {path}" in line


def test_a_models_evaluation_metadata_adds_to_the_top_levels_key_by_key(tmp_path, tiny_lm):
    """A model's metadata used to replace the top-level one: xnli_split: validation was lost
    and the run would have scored another split without a word."""
    path = _edit(write_tiny_study(tmp_path, tiny_lm, [0]),
                 lambda d: d["models"]["tiny"].update(evaluation={"metadata": {"embed_batch_size": 4},
                                                                  "model_args": {"dtype": "float32"}}))  # fmt: skip
    data = yaml.safe_load(path.read_text())
    data["evaluation"]["model_args"] = {"trust_remote_code": True}
    path.write_text(yaml.safe_dump(data))
    (spec,) = load_study_config(path).models
    assert spec.evaluation.metadata == {"xnli_split": "validation", "embed_batch_size": 4}
    assert spec.evaluation.model_args == {"trust_remote_code": True, "dtype": "float32"}
