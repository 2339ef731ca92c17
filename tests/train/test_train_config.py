"""Every training config value is type- and range-checked before anything is written:
exit 2, one line naming the file, the key and the expected value."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import tiny_config, write_config
from xfer_tasks.train.cli_train import main as train_main
from xfer_tasks.train.config import ConfigError, parse_config


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("training", "learning_rate", "fast", "expected a number, got 'fast'"),
        ("training", "learning_rate", 0, "expected a number > 0"),
        ("training", "per_device_train_batch_size", 0, "expected an integer >= 1, got 0"),
        ("training", "per_device_train_batch_size", 2.5, "expected an integer >= 1, got 2.5"),
        ("training", "gradient_accumulation_steps", "two", "expected an integer >= 1"),
        ("training", "warmup_steps", 1.5, "expected an integer >= 0 (steps) or a fraction in [0, 1)"),
        ("training", "weight_decay", -0.1, "expected a number >= 0"),
        ("training", "seed", "zero", "expected an integer >= 0"),
        ("training", "save_steps", 0, "expected an integer >= 1"),
        ("training", "logging_steps", None, "expected an integer >= 1"),
        ("training", "use_cpu", "yes", "expected true or false"),
        ("training", "bf16", "sometimes", "expected auto, true or false"),
        ("training", "lr_scheduler_type", "wavy", "expected one of linear"),
        ("training", "trainer_args", ["x"], "expected a mapping of TrainingArguments options"),
        ("model", "max_seq_length", 0, "expected an integer >= 8, got 0"),
        ("model", "max_seq_length", "long", "expected an integer >= 8"),
        ("model", "lora", {"r": 0}, "expected an integer >= 1"),
        ("budget", "total", "lots", "expected an integer >= 1, got 'lots'"),
        ("budget", "epochs", 0, "expected a number > 0"),
        ("budget", "kind", "hours", "expected one of 'examples', 'tokens'"),
    ],
)
def test_bad_value_is_one_line_exit_2_before_any_output(tmp_path, tiny_lm, capsys, section, key, value, expected):
    data = tiny_config(tiny_lm, ["mnli"])
    data[section][key] = value
    config = write_config(tmp_path / "cfg.yaml", data)
    out = tmp_path / "ck"
    assert train_main(["--config", str(config), "--output-dir", str(out)]) == 2
    line = _one_line(capsys)
    named = "model.lora.r" if key == "lora" else f"{section}.{key}"
    assert line.startswith(f"xfer train: {config}: {named}: ")
    assert expected in line
    assert not out.exists() and not (tmp_path / "ck.work").exists()


def test_target_phase_training_is_checked_too(tiny_lm):
    data = tiny_config(tiny_lm, ["mnli"])
    data["target_phase"] = {"tasks": ["mnli"], "training": {"learning_rate": "slow"}}
    with pytest.raises(ConfigError, match="target_phase.training.learning_rate: expected a number"):
        parse_config(data, "cfg.yaml")


def test_numeric_strings_are_numbers(tiny_lm):
    """YAML 1.1 reads ``2e-5`` (no dot) as a string; it is a learning rate all the same."""
    data = tiny_config(tiny_lm, ["mnli"])
    data["training"]["learning_rate"] = "2e-5"
    assert parse_config(data, "cfg.yaml").phases[0].training["learning_rate"] == 2e-5


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("/nonexistent/checkpoints/mnli", "folder /nonexistent/checkpoints/mnli does not exist"),
        ("./ckpt/x", "folder ./ckpt/x does not exist"),
        ("not a hub id!", "is neither an existing folder nor a Hub id"),
        ("a/b/c", "folder a/b/c does not exist"),
    ],
)
def test_model_that_is_neither_folder_nor_hub_id(tmp_path, tiny_lm, capsys, model, expected):
    """It used to reach from_pretrained and end in an HFValidationError traceback about repo ids."""
    config = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"]))
    code = train_main(["--config", str(config), "--output-dir", str(tmp_path / "ck"), "--model", model])
    line = _one_line(capsys)
    assert code == 2
    assert "model.name_or_path (--model):" in line and expected in line
    assert not (tmp_path / "ck").exists()


def test_a_file_is_not_a_model_folder(tmp_path, tiny_lm, capsys):
    (tmp_path / "weights.bin").write_bytes(b"x")
    data = tiny_config(tiny_lm, ["mnli"])
    data["model"]["name_or_path"] = str(tmp_path / "weights.bin")
    config = write_config(tmp_path / "cfg.yaml", data)
    assert train_main(["--config", str(config), "--output-dir", str(tmp_path / "ck")]) == 2
    assert "is a file; expected a model folder or a Hub id" in _one_line(capsys)


def test_a_plausible_hub_id_passes_the_check():
    from xfer_tasks.train.config import check_model_source

    for name in ("Qwen/Qwen2.5-0.5B", "gpt2", "FacebookAI/xlm-roberta-base"):
        check_model_source(name, "cfg.yaml")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: "Qwen/Qwen2.5-0.5B", "cannot load model 'Qwen/Qwen2.5-0.5B'"),  # offline, not cached
        (lambda tmp: str((tmp / "empty").mkdir() or tmp / "empty"), "has no config.json: not a saved model"),
    ],
)
def test_model_that_cannot_be_loaded_fails_before_the_work_folder(tmp_path, tiny_lm, capsys, make, expected):
    """A plausible Hub id offline used to end in an OSError traceback after <out>.work was made."""
    model = make(tmp_path)
    config = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"]))
    code = train_main(["--config", str(config), "--output-dir", str(tmp_path / "ck"), "--model", model])
    line = _one_line(capsys)
    assert code == 2 and expected in line
    assert not (tmp_path / "ck").exists() and not (tmp_path / "ck.work").exists()


# ---- issue 16: inputs that ended in tracebacks or left a work folder behind ----------------
def test_negative_seed_override_is_one_line(tmp_path, tiny_lm, capsys):
    config = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"]))
    out = tmp_path / "ck"
    assert train_main(["--config", str(config), "--output-dir", str(out), "--seed", "-1"]) == 2
    assert _one_line(capsys) == "xfer train: --seed: expected an integer >= 0, got -1"
    assert not out.exists() and not out.with_name("ck.work").exists()


@pytest.mark.parametrize(
    ("trainer_args", "expected"),
    [
        ({"output_dir": "/elsewhere"}, "training.trainer_args.output_dir: not allowed under trainer_args: xfer puts"),
        ({"max_steps": 3}, "training.trainer_args.max_steps: not allowed under trainer_args"),
        ({"learning_rate": 0.1}, "training.trainer_args.learning_rate: set it as training.learning_rate"),
        ({"warmup_ratioo": 0.1}, "training.trainer_args.warmup_ratioo: not a transformers TrainingArguments option"),
    ],
)
def test_trainer_args_xfer_controls_or_unknown_are_refused(tmp_path, tiny_lm, capsys, trainer_args, expected):
    config = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"], trainer_args=trainer_args))
    out = tmp_path / "ck"
    assert train_main(["--config", str(config), "--output-dir", str(out)]) == 2
    assert expected in _one_line(capsys) and not out.exists()


def test_a_real_trainer_args_option_passes(tiny_lm):
    parse_config(tiny_config(tiny_lm, ["mnli"], trainer_args={"adam_beta2": 0.98}), "cfg.yaml")


@pytest.mark.parametrize(
    ("trainer_args", "expected"),
    [
        ({"adam_epsilon": "tiny"}, "training.trainer_args.adam_epsilon: expected a number, got 'tiny'"),
        ({"dataloader_num_workers": 2.5}, "training.trainer_args.dataloader_num_workers: expected an integer, got 2.5"),
        ({"eval_strategy": "stepz"}, "expected one of no, steps, epoch, got 'stepz' (did you mean 'steps'?)"),
        ({"optim": "adamw_torh"}, "training.trainer_args.optim: expected one of adamw_torch, "),
        ({"gradient_checkpointing_kwargs": [1]}, "gradient_checkpointing_kwargs: expected a mapping or a string or null, got [1]"),
        ({"eval_strategy": False}, "eval_strategy: expected one of no, steps, epoch, got False (YAML reads unquoted no"),
        ({"adam_beta1": True}, "training.trainer_args.adam_beta1: expected a number, got True"),
        ({"run_name": 2024}, "run_name: expected a string or null, got 2024 (quote it to give a string)"),
    ],
)
def test_trainer_args_values_are_checked_before_training(tmp_path, tiny_lm, capsys, trainer_args, expected):
    """A wrong value under trainer_args is refused at load, not when the Trainer starts (hours
    into a study whose first point waits in a queue)."""
    config = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"], trainer_args=trainer_args))
    out = tmp_path / "ck"
    assert train_main(["--config", str(config), "--output-dir", str(out)]) == 2
    assert expected in _one_line(capsys) and not out.exists()


def test_trainer_args_numbers_and_bools_written_as_strings_are_given_as_such(tiny_lm):
    """YAML 1.1 reads ``1e-8`` as a string: passed on, the optimizer fails on it; ``"false"``
    passed on would read as true. Both reach the Trainer as what they say."""
    args = {"adam_epsilon": "1e-8", "dataloader_drop_last": "false", "optim": "adamw_torch", "report_to": "none"}
    config = parse_config(tiny_config(tiny_lm, ["mnli"], trainer_args=args), "cfg.yaml")
    given = config.phases[0].training["trainer_args"]
    assert given == {"adam_epsilon": 1e-8, "dataloader_drop_last": False, "optim": "adamw_torch", "report_to": "none"}
    assert isinstance(given["adam_epsilon"], float) and given["dataloader_drop_last"] is False


def test_trainer_args_the_trainer_takes_beyond_their_annotation_pass(tiny_lm):
    """``fsdp`` is annotated ``str`` but documented as ``true`` or a list too; an integer-valued
    float is the integer."""
    for args in ({"fsdp": True}, {"fsdp": ["full_shard", "auto_wrap"]}, {"fsdp": "full_shard auto_wrap"},
                 {"report_to": ["wandb"]}, {"deepspeed": {"zero_optimization": {"stage": 2}}}):  # fmt: skip
        given = parse_config(tiny_config(tiny_lm, ["mnli"], trainer_args=args), "cfg.yaml").phases[0].training
        assert given["trainer_args"] == args
    config = parse_config(tiny_config(tiny_lm, ["mnli"], trainer_args={"dataloader_num_workers": 4.0}), "cfg.yaml")
    assert type(config.phases[0].training["trainer_args"]["dataloader_num_workers"]) is int


def test_duplicate_key_and_unknown_key_did_you_mean(tmp_path, tiny_lm, capsys):
    text = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"])).read_text()
    dup = tmp_path / "dup.yaml"
    dup.write_text(text + "split: train\n")
    assert train_main(["--config", str(dup), "--output-dir", str(tmp_path / "ck")]) == 2
    assert "key 'split' is given twice" in _one_line(capsys)
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("budget:", "budgett:"))
    assert train_main(["--config", str(typo), "--output-dir", str(tmp_path / "ck")]) == 2
    assert "budgett: unknown key (did you mean 'budget'?)" in _one_line(capsys)


def test_failed_run_leaves_no_work_folder_and_fixed_rerun_trains(tmp_path, tiny_lm, capsys):
    """A run that fails before saving anything (here: its data folder is empty) removes
    ``<out>.work/``; so does a rerun finding one left by an older xfer."""
    empty = tmp_path / "empty-data"
    (empty / "mnli").mkdir(parents=True)
    data = tiny_config(tiny_lm, ["mnli"])
    data["data_dir"] = str(empty)
    config = write_config(tmp_path / "cfg.yaml", data)
    out = tmp_path / "ck"
    assert train_main(["--config", str(config), "--output-dir", str(out)]) == 1
    assert "mnli" in _one_line(capsys)
    assert not out.exists() and not (tmp_path / "ck.work").exists()


def test_unwritable_output_folder_is_one_line(tmp_path, tiny_lm, capsys, monkeypatch):
    import errno

    from xfer_tasks.train import run as run_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "ck.work" / "run.json"))

    monkeypatch.setattr(run_module, "write_json_durable", full)
    config = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"]))
    assert train_main(["--config", str(config), "--output-dir", str(tmp_path / "ck")]) == 1
    assert _one_line(capsys) == f"xfer train: No space left on device: {tmp_path / 'ck.work' / 'run.json'}"


def test_ctrl_c_is_one_line_saying_how_to_resume(tmp_path, tiny_lm, capsys, monkeypatch):
    from xfer_tasks.train import run as run_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "_run_phase", interrupted)
    config = write_config(tmp_path / "cfg.yaml", tiny_config(tiny_lm, ["mnli"]))
    argv = ["--config", str(config), "--output-dir", str(tmp_path / "ck")]
    assert train_main(argv) == 130
    line = _one_line(capsys)
    assert line.startswith("xfer train: interrupted; run `xfer train --config") and "again to resume" in line


# ---- issue 16: the pydantic schema refuses what the hand checks let through ----------------
# Each case below was accepted by parse_config before the schema (silently ignored, or only
# failing once training had started); now it is one line naming the key path.
def _parse(change) -> str:
    data = tiny_config(Path("some-org/some-model"), ["mnli", "squad"])  # parse only: no model load
    change(data)
    with pytest.raises(ConfigError) as err:
        parse_config(data, "cfg.yaml")
    (line,) = str(err.value).splitlines()
    return line


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # a parameter its mixture strategy or budget kind does not read: it was silently ignored
        (lambda d: d.update(mixture={"temperature": 2.0}),
         "mixture.temperature: only read by strategy: temperature (this mixture is 'proportional')"),
        (lambda d: d.update(mixture={"strategy": "uniform", "cap": 1000}), "mixture.cap: not read by strategy: uniform"),
        (lambda d: d.update(budget={"kind": "full", "total": 1000}), "budget.total: not read by kind 'full'"),
        (lambda d: d.update(budget={"kind": "examples", "total": 64, "per_task": 8}),
         "budget.per_task: only read by kind 'per_task_examples'"),
        # a task listed twice had its examples drawn twice
        (lambda d: d["tasks"].append({"name": "mnli"}), "tasks[2]: task 'mnli' is listed twice"),
        (lambda d: d["tasks"].append({"name": 5}), "tasks[2]: expected a task name or a mapping with a 'name', got {'name': 5}"),
        # `lora: {}` is falsy: it trained without LoRA; alpha 0.5 became int(0.5) = 0 in peft
        (lambda d: d["model"].update(lora={}), "model.lora: an empty mapping would train without LoRA"),
        (lambda d: d["model"].update(lora={"r": 8, "alpha": 0.5}), "model.lora.alpha: expected a whole number >= 1"),
        # an encoder with LoRA failed only after the work folder and the data were made
        (lambda d: d["model"].update(kind="encoder", lora={"r": 8}), "model.lora: LoRA is implemented for causal LMs only"),
        # a target phase without tasks was accepted
        (lambda d: d.update(target_phase={"tasks": []}), "target_phase.tasks: expected at least one task"),
        # key paths inside target_phase: named as the run's `training.*` or without the key
        (lambda d: d.update(target_phase={"tasks": ["mnli"], "training": {"learnin_rate": 1e-5}}),
         "target_phase.training.learnin_rate: unknown key (did you mean 'learning_rate'?)"),
        (lambda d: d.update(target_phase={"tasks": ["mnli"], "trainig": {}}),
         "target_phase.trainig: unknown key (did you mean 'training'?)"),
        (lambda d: d.update(description=["not", "text"]), "description: expected a string"),
    ],
)
def test_schema_refuses_what_was_accepted(change, expected):
    line = _parse(change)
    assert line.startswith("cfg.yaml: ") and expected in line, line


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["training"].update(learning_rate=-2e-5), "training.learning_rate: expected a number > 0, got -2e-05"),
        (lambda d: d["training"].update(learning_rate=float("nan")), "training.learning_rate: expected a finite number"),
        (lambda d: d["training"].update(per_device_train_batch_size=True), "training.per_device_train_batch_size: expected an integer >= 1, got True"),
        (lambda d: d["budget"].update(total="100"), "budget.total: expected an integer >= 1, got '100'"),
        (lambda d: d.update(mixture={"strategy": "temprature"}), "mixture.strategy: expected one of 'proportional', 'temperature' or 'uniform'"),
        (lambda d: d.update(mixture={"strategy": "temperature", "temperature": "2"}), "mixture.temperature: expected a number, got '2'"),
        (lambda d: d["training"].update(warmup_ratio=0.1), "training.warmup_ratio: unknown key"),
        (lambda d: d["model"].update(lora={"r": 8, "dropuot": 0.1}), "model.lora.dropuot: unknown key (did you mean 'dropout'?)"),
        (lambda d: d.update(target_phase={"tasks": ["mnli"], "split": ""}),
         "target_phase.split: expected a split name such as 'train', got ''"),
        (lambda d: d.pop("tasks"), "tasks: required (an empty list trains nothing: k = 0)"),
        (lambda d: d.pop("model"), "model.name_or_path: required: a Hub id or a local checkpoint folder"),
    ],
)
def test_types_ranges_and_enums_are_one_line(change, expected):
    """Strings for numbers, bools for integers, negative rates, unknown enum values and nested
    unknown keys: one line each, with the key path. (The hand checks refused these too, some
    in other words; a NaN learning rate is now "a finite number".)"""
    line = _parse(change)
    assert line.startswith("cfg.yaml: ") and expected in line, line


def test_training_section_keeps_its_values_and_defaults(tmp_path):
    """What a parsed config hands to training is what the hand-checked loader handed to it
    (the run's fingerprint and every manifest depend on it)."""
    from xfer_tasks.train.config import TRAINING_DEFAULTS

    data = tiny_config(Path("some-org/some-model"), ["mnli"], warmup_steps="0.1", weight_decay=0)
    data["model"]["lora"] = {"r": 4, "alpha": 8}
    data["target_phase"] = {"tasks": ["mnli"], "training": {"learning_rate": "1e-5", "warmup_steps": 10}}
    config = parse_config(data, "cfg.yaml")
    first, target = (p.training for p in config.phases)
    assert list(first) == list(TRAINING_DEFAULTS)
    assert first["warmup_steps"] == 0.1 and first["weight_decay"] == 0.0 and isinstance(first["weight_decay"], float)
    assert first["learning_rate"] == 1e-3 and first["seed"] == 0 and first["trainer_args"] == {}
    assert target["learning_rate"] == 1e-5 and target["warmup_steps"] == 10 and target["batching"] == "packed"
    assert [p.split for p in config.phases] == ["train", "train"]
    assert config.phases[1].budget.kind == "full" and config.phases[0].mixture.strategy == "proportional"
    assert config.model == {**data["model"], "kind": "causal", "max_seq_length": 128}
    assert config.raw["model"] == config.model and config.raw["training"] == data["training"]
