"""Multi-process data parallelism: the same command under ``torchrun`` (2 CPU processes, gloo)."""

from __future__ import annotations

import json
import socket
import sys

import pytest
from train_helpers import run_group, subprocess_env, tiny_config, write_config
from train_official_files import write_multinli_jsonl
from xfer_tasks.train.checkpoint_io import is_complete


@pytest.mark.slow
def test_two_process_cpu_ddp_run(tmp_path, tiny_lm):
    write_multinli_jsonl(tmp_path / "data", n=40)
    data = tiny_config(tiny_lm, ["mnli"], total=32, batch=4, save_steps=2)
    data["data_dir"] = str(tmp_path / "data")
    config = write_config(tmp_path / "ddp.yaml", data)
    out = tmp_path / "ckpt"
    with socket.socket() as sock:  # a free port for the rendezvous
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    run = run_group(
        [
            sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", port,
            "-m", "xfer_tasks.train.cli_train", "--config", str(config), "--output-dir", str(out),
        ],
        subprocess_env(),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    assert is_complete(out)
    metrics = json.loads((out / "xfer_manifest.json").read_text())["phases"][0]["metrics"]
    assert metrics["world_size"] == 2
    assert metrics["effective_batch_size"] == 8 and metrics["examples"] == 32
    assert metrics["global_step"] == -(-metrics["packed_rows"] // 8)  # rows shared by 2 processes
    assert metrics["answer_loss_after"] < metrics["answer_loss_before"]
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(out)
