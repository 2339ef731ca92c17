"""bench_demo_stages cuts the demo's log into stages: a synthetic stamped log with known times."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_demo_stages.py"

LOG = """\
[t=0.000] [xfer study] demo in /x (inline launcher)
[t=1.000] [xfer study] train encoder k03-seed0
[t=2.000] [xfer sweep] k03-seed0: training on ['anli']
[t=9.000]  50%|#####     | 1/2 [00:03<00:03, 3.0s/it]
[t=11.000] {'train_runtime': '8.0', 'train_loss': '1.2'}
[t=12.000] [xfer study] train-encoder-k03-seed0: trained
[t=12.500] [xfer study] evaluate encoder k03-seed0: lm_eval --model hf --model_args ... (1 task(s))
[t=20.000] 2026-12-04:20:39:39 INFO [evaluator:589] Running xfer_embed requests
[t=30.000] xfer_embed layer=6 pooling=mean:  50%|#####     | 64/128 [00:10<00:10, 6.4sent/s]
[t=40.000] xfer_embed layer=6 pooling=mean: 100%|##########| 128/128 [00:20<00:00, 6.4sent/s]
[t=41.000] hf (pretrained=/x/k03-seed0), gen_kwargs: (None)
[t=45.000] [xfer study] evaluate-encoder-k03-seed0: evaluated
[t=45.500] [xfer study] evaluate causal-lm k00-seed0: lm_eval ...
[t=50.000] 2026-12-04:21:20:13 INFO     [evaluator:589] Running loglikelihood requests
[t=51.000] Running loglikelihood requests:   0%|          | 0/30 [00:00<?, ?it/s]
[t=55.000] Running loglikelihood requests: 100%|##########| 30/30 [00:05<00:00, 6.0it/s]
[t=56.000] 2026-12-04:21:24:22 INFO     [evaluator:589] Running generate_until requests
[t=60.000] Running generate_until requests: 100%|##########| 3/3 [00:04<00:00, 0.7it/s]
[t=61.000] |xfer_xnli_en| 1 | acc | 0.34 |
[t=62.000] [xfer study] evaluate-causal-lm-k00-seed0: evaluated
[t=63.000] [xfer study] analysis encoder: xfer compare over 6 result folder(s)
[t=70.000] [xfer study] analysis causal-lm: xfer compare over 6 result folder(s)
[t=74.000] == encoder: scaling analysis ==
"""


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_demo_stages_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_stages_are_cut_from_the_study_log(bench):
    tl = bench.timeline(bench.stamped_lines(LOG))
    s = tl.seconds
    assert (tl.trainings, tl.evaluations) == (1, 2)
    assert s["training: optimizer steps"] == pytest.approx(8.0)  # the Trainer's train_runtime
    assert s["training: data, model load, save"] == pytest.approx(11.0 - 8.0)
    assert s["lm_eval start-up"] == pytest.approx((20.0 - 12.5) + (50.0 - 45.5))
    # inference phases take the progress bars' own elapsed times (output can arrive in bursts)
    assert s["embedding (encoder forward)"] == pytest.approx(20.0)
    assert s["LM inference (loglikelihood, generation)"] == pytest.approx(5.0 + 4.0)
    assert s["scoring (search, metrics, stderr, writing)"] == pytest.approx((45.0 - 40.0) + (62.0 - 60.0))
    assert s["analysis (xfer compare, plots)"] == pytest.approx(74.0 - 63.0)
    assert "lm_eval start-up" in bench.largest_overhead(tl)


def test_clock_stamps_and_unstamped_lines(bench):
    text = "20:48:30 [xfer study] train encoder k03-seed0\n{'train_runtime': '5'}\n20:48:40 [xfer study] train-encoder-k03-seed0: trained\n"
    lines = bench.stamped_lines(text)
    assert [t for t, _ in lines] == [74910, 74910, 74920]  # the dict inherits the previous stamp
    tl = bench.timeline(lines)
    assert tl.seconds["training: optimizer steps"] == 5 and tl.seconds["training: data, model load, save"] == 5
