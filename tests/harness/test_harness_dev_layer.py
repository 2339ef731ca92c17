"""``embed_layer: dev``: one DevLayerChoice per run, carried by the run's layer stores."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from xfer_tasks.harness.dev_layer import DevLayerChoice
from xfer_tasks.harness.vectors import LayerStore


class FakeBucc:
    """A BUCC task's part in the choice: its name and the sample F1 of every layer."""

    def __init__(self, name: str, f1s: list[float]):
        self.task_name, self.f1s, self.calls = name, f1s, 0

    def sample_f1_per_layer(self, items):
        self.calls += 1
        assert items == ["s1", "s2"]
        return self.f1s


def test_the_best_mean_sample_f1_wins_ties_to_the_lower_layer_computed_once():
    choice = DevLayerChoice()
    de, fr = FakeBucc("xfer_bucc_de", [0.1, 0.5, 0.3]), FakeBucc("xfer_bucc_fr", [0.3, 0.1, 0.3])
    for task in (de, fr):
        for item in ("s1", "s2"):
            choice.register(task, item)
    layer, means, tasks = choice.choose()
    assert means == pytest.approx([0.2, 0.3, 0.3]) and layer == 1  # 1 and 2 tie: the lower
    assert tasks == ["xfer_bucc_de", "xfer_bucc_fr"]
    assert choice.choose() == (layer, means, tasks) and de.calls == fr.calls == 1
    assert choice.chosen == (layer, means, tasks)


def test_a_run_without_bucc_samples_is_one_clear_error_and_runs_do_not_share():
    first = DevLayerChoice()
    first.register(FakeBucc("xfer_bucc_de", [0.0, 1.0]), "s1")
    with pytest.raises(ValueError, match="add an xfer_bucc_<l> task"):
        DevLayerChoice().choose()  # the next run starts empty: nothing left over in a module


def test_the_store_carries_the_runs_choice_but_a_pickled_copy_does_not(tmp_path):
    choice = DevLayerChoice()
    store = LayerStore(2, 3, directory=tmp_path, call_id="run1", dev_choice=choice)
    store.append([np.zeros((1, 3), np.float32), np.ones((1, 3), np.float32)])
    store.close()
    assert store.dev_choice is choice
    copy = pickle.loads(pickle.dumps(store))
    assert copy.call_id == "run1" and copy.dev_choice is None  # dev is single-process only
