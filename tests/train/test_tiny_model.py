"""The tiny test model: loads with transformers and lm-eval's HFLM, deterministic, CLI guards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from xfer_tasks.train.tiny_model import build_tiny_causal_lm, main


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny") / "model")


def test_loads_with_auto_classes_and_tokenizes_any_script(tiny_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    assert model.config.num_hidden_layers == 2 and model.config.hidden_size == 64
    assert tokenizer.bos_token == "<s>" and tokenizer.eos_token == "</s>"
    assert tokenizer.pad_token == "<pad>" and tokenizer.unk_token == "<unk>"
    assert len(tokenizer) == 512 == model.config.vocab_size
    text = "猫 Кошка ሰላም 🐱 niño"  # Ethiopic and emoji are not in the training corpus
    ids = tokenizer(text)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == text
    with torch.inference_mode():
        logits = model(torch.tensor([ids])).logits
    assert logits.shape == (1, len(ids), 512)


def test_same_seed_same_files_other_seed_other_weights(tmp_path, tiny_dir):
    again = build_tiny_causal_lm(tmp_path / "again")
    other = build_tiny_causal_lm(tmp_path / "other", seed=1)
    assert _digest(again) == _digest(tiny_dir)
    assert _digest(other)["model.safetensors"] != _digest(tiny_dir)["model.safetensors"]
    assert _digest(other)["tokenizer.json"] == _digest(tiny_dir)["tokenizer.json"]


def test_loads_through_lm_eval_hflm(tiny_dir):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(tiny_dir), device="cpu", batch_size=2)
    request = Instance("loglikelihood", {}, ("Le chat", " dort"), 0)
    ((logprob, is_greedy),) = lm.loglikelihood([request])
    assert logprob < 0 and isinstance(is_greedy, bool)


def test_cli_refuses_non_empty_folder_without_force(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main([str(out), "--layers", "1"]) == 0
    assert (out / "config.json").is_file()
    with pytest.raises(SystemExit) as exc:
        main([str(out)])
    assert exc.value.code == 2
    assert "not empty; pass --force" in capsys.readouterr().err
    assert main([str(out), "--force", "--layers", "1"]) == 0


def test_rejects_bad_sizes(tmp_path):
    with pytest.raises(ValueError, match="divisible"):
        build_tiny_causal_lm(tmp_path / "x", hidden_size=30, heads=4)
    with pytest.raises(ValueError, match="vocab_size"):
        build_tiny_causal_lm(tmp_path / "y", vocab_size=100)
