"""xfer's own errors inside ``lm_eval``: one ``xfer: <message>`` line, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xfer_tasks import errors
from xfer_tasks.data import DataFormatError
from xfer_tasks.metadata import MetadataError

REPO = Path(__file__).resolve().parents[1]
DEMO_EVAL = REPO / "xfer_tasks" / "demo_data" / "eval"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop(errors.TRACEBACK_ENV, None)
    env.update(OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", **extra)
    return env


def test_hook_prints_ours_as_one_line_and_passes_the_rest_on(monkeypatch, capsys):
    seen = []
    hook = errors.make_excepthook(lambda *args: seen.append(args[0]))
    monkeypatch.setattr(errors, "in_lm_eval", lambda: True)
    monkeypatch.delenv(errors.TRACEBACK_ENV, raising=False)
    hook(MetadataError, MetadataError("metadata key 'embed_layr' is not an xfer option"), None)
    assert capsys.readouterr().err.startswith("xfer: metadata key 'embed_layr' is not an xfer option")
    hook(ValueError, ValueError("lm-eval's own"), None)  # not ours: lm-eval's behaviour
    assert seen == [ValueError]
    monkeypatch.setenv(errors.TRACEBACK_ENV, "1")
    hook(DataFormatError, DataFormatError("x"), None)
    assert seen == [ValueError, DataFormatError]
    monkeypatch.delenv(errors.TRACEBACK_ENV)
    monkeypatch.setattr(errors, "in_lm_eval", lambda: False)  # a user's own script: untouched
    hook(DataFormatError, DataFormatError("x"), None)
    assert seen == [ValueError, DataFormatError, DataFormatError]


def _fake_lm_eval(tmp_path: Path, raise_line: str) -> Path:
    """A script named ``lm_eval`` that imports xfer_tasks and raises, as a task would."""
    script = tmp_path / "lm_eval"
    script.write_text(
        "import sys\nimport xfer_tasks\n"
        "from xfer_tasks.data import DataFormatError\n"
        f"{raise_line}\n",
        encoding="utf-8",
    )
    return script


@pytest.mark.parametrize(
    ("raise_line", "ours"),
    [("raise DataFormatError('/d/dev-en.tsv:3: bad row')", True), ("raise ValueError('not ours')", False)],
)
def test_uncaught_error_in_an_lm_eval_process(tmp_path, raise_line, ours):
    script = _fake_lm_eval(tmp_path, raise_line)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=_env(), timeout=60)
    assert run.returncode == 1
    if ours:
        assert run.stderr.splitlines() == [
            "xfer: /d/dev-en.tsv:3: bad row  (set XFER_TRACEBACK=1 for the traceback)"
        ]
    else:
        assert run.stderr.startswith("Traceback") and "ValueError: not ours" in run.stderr
    shown = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True,
        env=_env(**{errors.TRACEBACK_ENV: "1"}), timeout=60,
    )  # fmt: skip
    assert shown.returncode == 1 and shown.stderr.startswith("Traceback")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "metadata", "expected"),
    [
        ("xfer_tatoeba_deu", {"embed_layr": -2}, "xfer: metadata key 'embed_layr' is not an xfer option"),
        ("xfer_xnli_de", {"xnli_split": "validation"}, None),  # control: the same call works
    ],
)
def test_lm_eval_reports_our_error_in_one_line(tmp_path, task, metadata, expected):
    """The real ``lm_eval`` command on a tiny model: an xfer error is one stderr line, exit 1."""
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    from xfer_tasks.paths import tasks_path

    model = build_tiny_causal_lm(tmp_path / "model", seed=0)
    cmd = [
        sys.executable, "-m", "lm_eval", "--model", "hf",
        "--model_args", f"pretrained={model},dtype=float32", "--device", "cpu",
        "--include_path", str(tasks_path()), "--tasks", task, "--limit", "2",
        "--metadata", json.dumps({"data_dir": str(DEMO_EVAL), **metadata}),
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
    if expected is None:
        assert run.returncode == 0, run.stderr[-2000:]
        return
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    ours = [line for line in run.stderr.splitlines() if line.startswith("xfer: ")]
    assert len(ours) == 1 and ours[0].startswith(expected), run.stderr[-2000:]
    assert run.stderr.rstrip().endswith("(set XFER_TRACEBACK=1 for the traceback)")
