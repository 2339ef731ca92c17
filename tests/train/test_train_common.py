"""What the recipes share (train/common.py): an example's tokens, the process rank, and the
import rule that keeps the recipes siblings (no recipe imports another)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from xfer_tasks.train.common import (
    IGNORE_INDEX,
    encode_pair,
    is_main_process,
    load_tokenizer,
    use_bf16,
)

TRAIN = Path(__file__).resolve().parents[2] / "train"
RECIPES = {"sft", "encoder"}
# what sits above the recipes: the runner, the sweep and the commands
ABOVE_RECIPES = {"run", "sweep", "cli_train", "cli_sweep"}
SHARED = {"common", "checkpoint_io", "manifest", "resume_metrics"}


def _sibling_imports(module: str) -> list[tuple[str, list[str]]]:
    """(sibling module, imported names) for every import of a train/ module in ``module``,
    at module level or inside a function."""
    tree = ast.parse((TRAIN / f"{module}.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 1 and node.module:
            target = node.module.split(".")[0]
        elif node.level == 0 and (node.module or "").startswith("xfer_tasks.train."):
            target = node.module.split(".")[2]
        else:
            continue
        found.append((target, [alias.name for alias in node.names]))
    return found


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_no_recipe_imports_another_or_what_sits_above_it(recipe):
    imported = {target for target, _ in _sibling_imports(recipe)}
    assert not imported & (RECIPES | ABOVE_RECIPES), f"train/{recipe}.py imports {imported & (RECIPES | ABOVE_RECIPES)}"


@pytest.mark.parametrize("module", sorted(SHARED))
def test_shared_modules_import_no_recipe_runner_or_command(module):
    imported = {target for target, _ in _sibling_imports(module)}
    assert not imported & (RECIPES | ABOVE_RECIPES), f"train/{module}.py imports {imported & (RECIPES | ABOVE_RECIPES)}"


def test_no_module_imports_a_private_name_of_another():
    private = [
        f"{path.stem} <- {target}.{name}"
        for path in sorted(TRAIN.glob("*.py"))
        for target, names in _sibling_imports(path.stem)
        for name in names
        if name.startswith("_")
    ]
    assert private == []


def test_the_import_rule_sees_an_import_inside_a_function():
    """The checks above read function-level imports too (the recipes import lazily)."""
    assert ("task_spec", ["load_task_spec"]) in _sibling_imports("encoder")
    assert ("encoder", ["train_phase"]) in _sibling_imports("run")  # the runner picks the recipe


def test_labels_mask_the_prompt_exactly(tiny_lm):
    tok = load_tokenizer(str(tiny_lm))
    prompt, answer = "Premise: The cat sleeps.\nAnswer:", " yes"
    row = encode_pair(tok, prompt, answer, max_length=128)
    p = tok(prompt, add_special_tokens=False)["input_ids"]
    a = tok(answer, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    assert row["input_ids"] == p + a
    assert row["labels"] == [IGNORE_INDEX] * len(p) + a


def test_truncation_drops_prompt_from_the_left_never_the_answer(tiny_lm):
    tok = load_tokenizer(str(tiny_lm))
    prompt, answer = "word " * 200, " the answer"
    row = encode_pair(tok, prompt, answer, max_length=32)
    a = tok(answer, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    assert len(row["input_ids"]) == 32
    assert row["labels"][-len(a) :] == a and row["labels"][: 32 - len(a)] == [IGNORE_INDEX] * (32 - len(a))


def test_only_rank_zero_is_the_main_process(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    assert is_main_process()  # a single process
    monkeypatch.setenv("RANK", "0")
    assert is_main_process()
    monkeypatch.setenv("RANK", "1")
    assert not is_main_process()


def test_bf16_auto_is_off_on_cpu_and_an_explicit_setting_is_kept():
    assert use_bf16("auto", use_cpu=True) is False
    assert use_bf16(True, use_cpu=True) is True and use_bf16(False, use_cpu=False) is False
