"""Causal-LM SFT: answer-only loss masking, packing equivalence, training on real data
(loss goes down), the manifest and model card, LoRA merge, and output-folder safety."""

from __future__ import annotations

import json
import re

import pytest
import torch
from train_helpers import tiny_config, write_config
from train_official_files import write_multinli_jsonl
from xfer_tasks.train.checkpoint_io import OutputExistsError, is_complete
from xfer_tasks.train.common import encode_pair, load_tokenizer
from xfer_tasks.train.config import ConfigError, parse_config
from xfer_tasks.train.manifest import MANIFEST_FILE
from xfer_tasks.train.run import ConfigChangedError, train_checkpoint
from xfer_tasks.train.sft import answer_loss, load_causal_lm, make_collator, merge_rows, pack_bins

REAL_TASKS = [
    {
        "name": "anli",
        "local": {
            "files": {"validation": ["ANLI_analysis_r1_dev.csv", "ANLI_analysis_r2_dev.csv", "ANLI_analysis_r3_dev.csv"]},
            "fields": {"premise": "context", "hypothesis": "statement", "label": "gold_label"},
        },
    },
    "commonsenseqa",
    "cosmosqa",
    {"name": "hellaswag", "local": {"format": "hellaswag_text", "files": {"validation": ["hellaswag_val_full.txt.bz2"]}}},
    {"name": "squad", "local": {"files": {"validation": ["xquad.en.json"]}}},
]


def test_packed_batches_give_the_same_loss_as_padded_ones(tiny_lm):
    """Packing must not let examples attend to each other (block-diagonal mask from positions)."""
    tok = load_tokenizer(str(tiny_lm))
    model = load_causal_lm(str(tiny_lm), None, None, bf16=False)
    pairs = [("A long premise about cats and dogs and rain.", " yes"), ("Short?", " no"), ("Mid length one.", " maybe")]
    rows = [encode_pair(tok, p, a, 128) for p, a in pairs]
    packed_row = merge_rows(rows)
    padded = answer_loss(model, rows, make_collator("group_by_length", tok, 128), batch_size=3)
    packed = answer_loss(model, [packed_row], make_collator("packed", tok, 128), batch_size=1)
    one_by_one = answer_loss(model, rows, make_collator("padded", tok, 128), batch_size=1)
    assert packed == pytest.approx(padded, abs=1e-5) and padded == pytest.approx(one_by_one, abs=1e-5)
    # the training forward (train mode, labels, the loaded model's config) agrees too, with a
    # second, shorter packed row padded in the same batch
    model.train()
    batch = make_collator("packed", tok, 128)([packed_row, merge_rows(rows[1:2])])
    assert batch["input_ids"].shape[0] == 2 and "attention_mask" not in batch
    both = rows + rows[1:2]
    train_padded = model(**make_collator("group_by_length", tok, 128)(both)).loss
    assert float(model(**batch).loss) == pytest.approx(float(train_padded), abs=1e-5)


def test_pack_bins_fills_rows_without_overflow():
    import random

    rng = random.Random(0)
    lengths = [rng.randint(5, 120) for _ in range(500)]
    bins = pack_bins(lengths, 128)
    assert sorted(i for b in bins for i in b) == list(range(500))  # every example exactly once
    assert all(sum(lengths[i] for i in b) <= 128 for b in bins)
    assert sum(lengths) / (128 * len(bins)) > 0.95  # nearly no padding left
    assert bins == pack_bins(lengths, 128)


@pytest.fixture(scope="module")
def real_run(tiny_lm, shared_data, tmp_path_factory):
    """One 5-task run on the real English data (dev files as training data)."""
    out = tmp_path_factory.mktemp("real") / "ckpt"
    data = tiny_config(tiny_lm, REAL_TASKS, total=48, batch=6, learning_rate=3e-3)
    data.update(split="validation", data_dir=str(shared_data), mixture={"strategy": "temperature", "temperature": 2.0, "cap": 2000})
    train_checkpoint(parse_config(data, "real-run"), out)
    return out


def test_loss_goes_down_on_real_task_data(real_run):
    metrics = json.loads((real_run / "xfer_manifest.json").read_text())["phases"][0]["metrics"]
    assert metrics["examples"] == 48 and metrics["global_step"] == -(-metrics["packed_rows"] // 6)
    assert metrics["answer_loss_after"] < metrics["answer_loss_before"] - 0.3, metrics
    losses = [h["loss"] for h in metrics["log_history"]]
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3, losses


def test_checkpoint_is_a_plain_hf_folder_with_manifest_and_card(real_run, tiny_lm):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert is_complete(real_run)
    model = AutoModelForCausalLM.from_pretrained(real_run)
    AutoTokenizer.from_pretrained(real_run)
    base = AutoModelForCausalLM.from_pretrained(tiny_lm)
    assert not torch.equal(model.lm_head.weight, base.lm_head.weight)
    m = json.loads((real_run / "xfer_manifest.json").read_text())
    assert m["base_model"]["name_or_path"] == str(tiny_lm)
    assert m["intermediate_tasks"] == ["anli", "commonsenseqa", "cosmosqa", "hellaswag", "squad"] and m["k"] == 5
    assert m["seed"] == 0 and m["model_kind"] == "causal"
    phase = m["phases"][0]
    assert phase["budget"] == {"kind": "examples", "total": 48, "epochs": 1.0}
    assert phase["mixture"] == {"strategy": "temperature", "cap": 2000, "temperature": 2.0}
    realised = phase["mixture_realised"]
    assert sum(s["drawn"] for s in realised.values()) == 48
    assert realised["commonsenseqa"]["available"] == 1221
    assert all(fp[0].startswith("sha256:") for fp in m["data_fingerprints"].values())
    assert m["software"]["xfer_tasks"] and m["software"]["transformers"] and "commit" in m["software"]["git"]
    assert m["hardware"]["processes"] == 1 and "cuda" in m["hardware"]
    card = (real_run / "README.md").read_text()
    assert card.startswith("---\nbase_model:") and "| commonsenseqa | multiple_choice | 1221 |" in card


def test_existing_output_is_not_overwritten_without_the_flag(real_run, tiny_lm, tmp_path):
    from xfer_tasks.train.cli_train import main

    before = (real_run / "model.safetensors").read_bytes()
    config = write_config(tmp_path / "c.yaml", tiny_config(tiny_lm, ["mnli"]))
    assert main(["--config", str(config), "--output-dir", str(real_run)]) == 2
    assert (real_run / "model.safetensors").read_bytes() == before
    plain = tmp_path / "somebody-elses"
    plain.mkdir()
    with pytest.raises(OutputExistsError, match="not an xfer checkpoint"):
        train_checkpoint(parse_config(tiny_config(tiny_lm, ["mnli"]), "c"), plain)


def test_overwrite_replaces_and_changed_config_is_not_resumed(tiny_lm, tmp_path):
    write_multinli_jsonl(tmp_path / "data", n=16)
    data = tiny_config(tiny_lm, ["mnli"], total=8, batch=4)
    data["data_dir"] = str(tmp_path / "data")
    out = tmp_path / "ck"
    train_checkpoint(parse_config(data, "a"), out)
    first = (out / "model.safetensors").read_bytes()
    data["training"]["learning_rate"] = 5e-3
    train_checkpoint(parse_config(data, "b"), out, overwrite=True)
    assert is_complete(out) and (out / "model.safetensors").read_bytes() != first
    # an interrupted run of another config is not silently resumed
    work = tmp_path / "ck2.work"
    (work / "phase-0-intermediate" / "trainer" / "checkpoint-3").mkdir(parents=True)
    (work / "run.json").write_text(json.dumps({"config_fingerprint": "other"}))
    with pytest.raises(ConfigChangedError, match="different config"):
        train_checkpoint(parse_config(data, "c"), tmp_path / "ck2")


def test_lora_is_merged_into_a_plain_checkpoint(tiny_lm, tmp_path):
    from transformers import AutoModelForCausalLM

    write_multinli_jsonl(tmp_path / "data", n=16)
    data = tiny_config(tiny_lm, ["mnli"], total=8, batch=4)
    data["data_dir"] = str(tmp_path / "data")
    data["model"]["lora"] = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
    data["training"]["learning_rate"] = 1e-2
    out = train_checkpoint(parse_config(data, "lora"), tmp_path / "ck")
    assert (out / "adapter" / "adapter_config.json").is_file()
    from safetensors.torch import load_file

    keys = load_file(str(out / "model.safetensors")).keys()
    assert not any("lora" in k for k in keys)
    merged = AutoModelForCausalLM.from_pretrained(out)
    base = AutoModelForCausalLM.from_pretrained(tiny_lm)
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged.state_dict()[q], base.state_dict()[q])
    assert torch.equal(merged.state_dict()["model.layers.0.mlp.up_proj.weight"], base.state_dict()["model.layers.0.mlp.up_proj.weight"])
    assert json.loads((out / "xfer_manifest.json").read_text())["lora"]["r"] == 4


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ({"model": {"name_or_path": "x", "kind": "seq2seq"}}, "model.kind"),
        ({"training": {"batching": "bucket"}}, "training.batching"),
        ({"training": {"lr": 1}}, "training.lr"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_config_names_the_key(patch, key, tiny_lm):
    data = {**tiny_config(tiny_lm, ["mnli"]), **patch}
    with pytest.raises(ConfigError, match=f"cfg.yaml: {re.escape(key)}:"):
        parse_config(data, "cfg.yaml")


def test_shipped_example_configs_parse():
    from xfer_tasks.train.config import load_config
    from xfer_tasks.train.sweep import load_sweep_config

    from xfer_tasks.paths import train_path

    configs = sorted((train_path() / "configs").rglob("*.yaml"))
    assert len(configs) >= 6
    for path in configs:
        if "sweep" in path.name:
            load_sweep_config(path)
        else:
            load_config(path)


def test_target_phase_follows_the_intermediate_phase(tiny_lm, shared_data, tmp_path):
    from transformers import AutoModelForCausalLM

    write_multinli_jsonl(tmp_path / "data", n=16)
    (tmp_path / "data" / "commonsenseqa").symlink_to(shared_data / "commonsenseqa")
    data = tiny_config(tiny_lm, [{"name": "commonsenseqa", "local": {"files": {"train": ["dev_rand_split.jsonl"]}}}], total=8, batch=4)
    data["data_dir"] = str(tmp_path / "data")
    data["target_phase"] = {"tasks": ["mnli"], "budget": {"kind": "examples", "total": 8}, "training": {"learning_rate": 5e-3}}
    out = train_checkpoint(parse_config(data, "target"), tmp_path / "ck")
    m = json.loads((out / "xfer_manifest.json").read_text())
    assert [p["name"] for p in m["phases"]] == ["intermediate", "target"]
    assert m["intermediate_tasks"] == ["commonsenseqa"] and m["k"] == 1
    target = m["phases"][1]
    assert target["tasks"] == ["mnli"] and target["initialised_from"] == "phase 0 output"
    assert target["training"]["learning_rate"] == 5e-3 and m["phases"][0]["training"]["learning_rate"] == 1e-3
    assert target["metrics"]["examples"] == 8 and list(target["mixture_realised"]) == ["mnli"]
    assert target["metrics"]["global_step"] == -(-target["metrics"]["packed_rows"] // 4)
    AutoModelForCausalLM.from_pretrained(out)


def _one_mnli_phase(tiny_lm, tmp_path, records: int, batch: int, budget: dict) -> dict:
    """Train a checkpoint on ``records`` MNLI records under ``budget``; its manifest's phase."""
    write_multinli_jsonl(tmp_path / "data", n=records)
    data = tiny_config(tiny_lm, ["mnli"], batch=batch)
    data.update(data_dir=str(tmp_path / "data"), budget=budget)
    out = train_checkpoint(parse_config(data, budget["kind"]), tmp_path / "ck")
    return json.loads((out / MANIFEST_FILE).read_text())["phases"][0]


def test_token_budget_end_to_end(tiny_lm, tmp_path):
    phase = _one_mnli_phase(tiny_lm, tmp_path, records=40, batch=4, budget={"kind": "tokens", "total": 600})
    realised = phase["mixture_realised"]["mnli"]
    from xfer_tasks.train.pool import load_task

    tok = load_tokenizer(str(tiny_lm))
    examples = load_task("mnli", "train", tmp_path / "data").examples
    longest = max(len(encode_pair(tok, e.prompt, e.answer, 128)["input_ids"]) for e in examples)
    assert 600 <= realised["tokens"] < 600 + longest  # stops at the first example past the share
    assert phase["metrics"]["tokens_per_epoch"] == realised["tokens"]  # what was trained on


def test_steps_budget_runs_exactly_that_many_steps_with_packed_rows(tiny_lm, tmp_path):
    phase = _one_mnli_phase(tiny_lm, tmp_path, records=30, batch=2, budget={"kind": "steps", "total": 5})
    assert phase["metrics"]["global_step"] == 5
    assert phase["metrics"]["packed_rows"] >= 5 * 2  # enough rows for 5 steps of 2 rows, drawn once
    assert phase["budget"] == {"kind": "steps", "total": 5, "epochs": 1.0} and "packed" in phase["pool_note"]
