"""Adding an evaluation family is one module and its YAML folder (docs/tasks.md, "Adding a
family"): a toy family written that way under tmp_path -- declaration and loader in one module,
``_template_yaml``, ``utils.py`` and the two-line ``_generate_configs.py`` -- renders its YAMLs
and runs through lm-eval with a tiny model; its scores are recomputed from the logged samples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import lm_eval
import pytest

TOY_MODULE = '''
"""The toy family: its declaration and its loader (local JSON lines only)."""

import json

from xfer_tasks.data._source import local_folder, missing_local_file, to_dataset_dict
from xfer_tasks.data.family import EvalFamily

FAMILY = EvalFamily(
    name="xfer_toy",
    languages=("aa", "bb"),
    hub_id="example/toy",
    local_subdir="toy",
    metrics=("acc",),
    source="accuracy over the choices, test split",
    local_layout="<lang>.jsonl: question, choices, answer",
    yaml_folder="toy",
)


def load_task_data(lang, metadata=None):
    folder, has_local = local_folder(FAMILY.local_subdir, metadata)
    path = (folder / f"{lang}.jsonl") if folder is not None else None
    if not has_local or not path.is_file():
        raise missing_local_file("toy", FAMILY.hub_id, [path])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return to_dataset_dict({"eval": rows, "fewshot": []}, features_from="eval", dataset="toy")
'''

TEMPLATE = """\
custom_dataset: !function utils.load
output_type: multiple_choice
test_split: eval
fewshot_split: fewshot
doc_to_text: "{{question}}"
doc_to_choice: "{{choices}}"
doc_to_target: answer
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""

UTILS = '''
import toy_family

from xfer_tasks.check_data import load_checked


def load(xfer_lang, **metadata):
    return load_checked(toy_family, xfer_lang, metadata)
'''

GENERATOR = '''
from pathlib import Path

import toy_family

from xfer_tasks.catalog import write_family

if __name__ == "__main__":
    for path in write_family(toy_family.FAMILY, Path(__file__).resolve().parent):
        print(path)
'''


def _rows(lang: str) -> list[dict]:
    return [
        {"question": f"{lang} question {i}?", "choices": [f"yes {i}", f"no {i}", "maybe"], "answer": i % 3}
        for i in range(3 if lang == "aa" else 4)
    ]


@pytest.fixture()
def toy_family(tmp_path, monkeypatch):
    """The toy family's module, YAML folder and data root under ``tmp_path``."""
    (tmp_path / "toy_family.py").write_text(textwrap.dedent(TOY_MODULE), encoding="utf-8")
    folder = tmp_path / "tasks" / "toy"
    folder.mkdir(parents=True)
    (folder / "_template_yaml").write_text(TEMPLATE, encoding="utf-8")
    (folder / "utils.py").write_text(textwrap.dedent(UTILS), encoding="utf-8")
    (folder / "_generate_configs.py").write_text(textwrap.dedent(GENERATOR), encoding="utf-8")
    data = tmp_path / "data" / "toy"
    data.mkdir(parents=True)
    for lang in ("aa", "bb"):
        lines = [json.dumps(row) for row in _rows(lang)]
        (data / f"{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_a_new_family_is_one_module_and_its_yaml_folder(toy_family, tiny_model):
    import torch
    import toy_family as module
    from lm_eval.tasks import TaskManager

    folder = toy_family / "tasks" / "toy"
    env = {**os.environ, "PYTHONPATH": str(toy_family)}
    done = subprocess.run(
        [sys.executable, str(folder / "_generate_configs.py")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = sorted(path.name for path in folder.glob("*.yaml"))
    assert written == ["_xfer_toy.yaml", "xfer_toy_aa.yaml", "xfer_toy_bb.yaml"]
    from xfer_tasks.catalog import family_yaml_files

    for name, text in family_yaml_files(module.FAMILY).items():
        assert (folder / name).read_text(encoding="utf-8") == text

    # the hook runs xfer's metadata check before the family's loader, as every family's does
    from xfer_tasks.check_data import load_checked
    from xfer_tasks.data import MetadataError

    with pytest.raises(MetadataError, match="'xfer_toy_splt' is not an xfer option"):
        load_checked(module, "aa", {"xfer_toy_splt": "dev"})

    manager = TaskManager(
        include_path=str(toy_family / "tasks"), include_defaults=False,
        metadata={"data_dir": str(toy_family / "data")},
    )  # fmt: skip
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = lm_eval.simple_evaluate(
            model="hf", model_args={"pretrained": str(tiny_model), "dtype": "float32"},
            tasks=["xfer_toy"], task_manager=manager, batch_size=16, device="cpu",
            log_samples=True, bootstrap_iters=0,
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)

    per_language = {}
    for lang in ("aa", "bb"):
        samples = out["samples"][f"xfer_toy_{lang}"]
        assert len(samples) == len(_rows(lang))
        correct = []
        for sample in samples:
            lls = [float(resp[0][0]) for resp in sample["resps"]]
            correct.append(float(max(range(len(lls)), key=lambda i: lls[i]) == sample["target"]))
        per_language[lang] = sum(correct) / len(correct)
        assert out["results"][f"xfer_toy_{lang}"]["acc,none"] == pytest.approx(per_language[lang])
    # the group the renderer wrote: an unweighted mean over languages (3 and 4 questions)
    assert out["results"]["xfer_toy"]["acc,none"] == pytest.approx(
        (per_language["aa"] + per_language["bb"]) / 2
    )


def test_the_toy_module_needs_no_lm_eval(toy_family):
    """The family module is data and a loader: it imports without lm-eval (a subprocess
    that refuses lm_eval, torch and transformers)."""
    code = (
        "import sys\n"
        "for name in ('lm_eval', 'torch', 'transformers'):\n"
        "    sys.modules[name] = None\n"
        "import toy_family\n"
        "print(toy_family.FAMILY.task_names())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(toy_family)}, cwd=Path(toy_family),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['xfer_toy_aa', 'xfer_toy_bb']"
