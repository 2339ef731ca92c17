"""Bootstrap standard errors of the retrieval tasks reach lm-eval's results (not ``N/A``).

The tasks run through ``lm_eval.simple_evaluate`` on the tiny random causal LM with small
local files in the official layouts (written here); the stderr lm-eval writes must equal the
retrieval library's bootstrap of embeddings taken directly from the same model, and the group
rows must pool the members' stderrs as lm-eval pools any metric.
"""

from __future__ import annotations

import math

import pytest
from harness_helpers import embedded_bucc_splits, task_manager
from helpers import synthetic_sentences, write_tatoeba_pair

from xfer_tasks.catalog import TATOEBA
from xfer_tasks.data.tatoeba import load_tatoeba_pair
from xfer_tasks.embed_spec import EmbedSpec
from xfer_tasks.harness.hf_embed import embed_texts
from xfer_tasks.retrieval.bootstrap import (
    bucc_bootstrap_stderr,
    effective_iters,
    tatoeba_bootstrap_stderr,
)
from xfer_tasks.retrieval.bucc import bucc_extraction
from xfer_tasks.retrieval.tatoeba import tatoeba_predictions

lm_eval = pytest.importorskip("lm_eval")
N_PAIRS = 14
ITERS = 300


@pytest.fixture(scope="module")
def tatoeba_root(tmp_path_factory):
    """All 36 XTREME Tatoeba pairs, 14 lines each: 9 foreign lines are the English line
    verbatim (found), 5 are unrelated sentences (mostly missed), so accuracy is strictly
    between 0 and 1 and the bootstrap stderr is positive."""
    root = tmp_path_factory.mktemp("stderr-data")
    for n, code in enumerate(TATOEBA.languages):
        en = synthetic_sentences(N_PAIRS, seed=100 + n)
        other = synthetic_sentences(N_PAIRS + 5, seed=500 + n)[-5:]
        xx = en[:9] + other
        write_tatoeba_pair(root / "tatoeba", code, xx, en)
    return root


@pytest.fixture(scope="module")
def group_run(tiny_hflm, tatoeba_root):
    return lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_tatoeba"],
        task_manager=task_manager(data_dir=str(tatoeba_root)),
        bootstrap_iters=ITERS,
    )


def _library_tatoeba_stderr(tiny_hflm, root, code, iters):
    xx, en = load_tatoeba_pair(root / "tatoeba", code)
    xx_emb, _ = embed_texts(tiny_hflm, xx, EmbedSpec(), progress=False)
    en_emb, _ = embed_texts(tiny_hflm, en, EmbedSpec(), progress=False)
    predictions = tatoeba_predictions(xx_emb, en_emb)
    return tatoeba_bootstrap_stderr(predictions.en2xx, predictions.xx2en, iters)


def test_tatoeba_stderr_is_the_library_bootstrap(group_run, tiny_hflm, tatoeba_root):
    for code in ("deu", "cmn"):
        result = group_run["results"][f"xfer_tatoeba_{code}"]
        expected = _library_tatoeba_stderr(tiny_hflm, tatoeba_root, code, ITERS)
        for metric in TATOEBA.metrics:
            value = result[f"{metric}_stderr,none"]
            assert isinstance(value, float) and value > 0.0, (code, metric, value)
            assert value == pytest.approx(expected[metric], rel=1e-12)


def test_group_row_pools_the_member_stderrs(group_run):
    members = [f"xfer_tatoeba_{c}" for c in TATOEBA.languages]
    group = group_run["groups"]["xfer_tatoeba"]
    for metric in TATOEBA.metrics:
        stderrs = [group_run["results"][m][f"{metric}_stderr,none"] for m in members]
        assert all(isinstance(se, float) for se in stderrs)
        # lm-eval's unweighted_mean_stderr, the stderr of the unweighted mean over languages
        pooled = math.sqrt(sum(se**2 for se in stderrs)) / len(stderrs)
        assert group[f"{metric}_stderr,none"] == pytest.approx(pooled, rel=1e-12)
        assert group[f"{metric}_stderr,none"] > 0.0


def test_stderr_is_deterministic_and_capped(tiny_hflm, tatoeba_root, group_run):
    again = lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_tatoeba_deu"],
        task_manager=task_manager(data_dir=str(tatoeba_root)),
        bootstrap_iters=ITERS,
    )["results"]["xfer_tatoeba_deu"]
    first = group_run["results"]["xfer_tatoeba_deu"]
    for metric in TATOEBA.metrics:
        assert again[f"{metric}_stderr,none"] == first[f"{metric}_stderr,none"]
    # lm-eval's default 100000 replicates are capped: the same value as 1000
    capped = lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_tatoeba_deu"],
        task_manager=task_manager(data_dir=str(tatoeba_root)),
    )["results"]["xfer_tatoeba_deu"]
    assert effective_iters(100000) == 1000
    expected = _library_tatoeba_stderr(tiny_hflm, tatoeba_root, "deu", 1000)
    assert capped["acc_en2xx_stderr,none"] == pytest.approx(expected["acc_en2xx"], rel=1e-12)


def test_bootstrap_iters_zero_disables_it(tiny_hflm, tatoeba_root):
    out = lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_tatoeba_deu"],
        task_manager=task_manager(data_dir=str(tatoeba_root)),
        bootstrap_iters=0,
    )
    result = out["results"]["xfer_tatoeba_deu"]
    for metric in TATOEBA.metrics:
        assert result[f"{metric}_stderr,none"] == "N/A"


def test_bucc_stderr_is_the_library_bootstrap(tiny_hflm, bucc_root):
    out = lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_bucc_de"],
        task_manager=task_manager(data_dir=str(bucc_root)),
        bootstrap_iters=ITERS,
    )
    result = out["results"]["xfer_bucc_de"]
    splits = embedded_bucc_splits(tiny_hflm, bucc_root, "de")
    found = bucc_extraction(splits["sample"], splits["training"])
    expected = bucc_bootstrap_stderr(found.src_ids, found.extracted, found.gold, ITERS)
    for metric in ("f1", "precision", "recall"):
        value = result[f"{metric}_stderr,none"]
        assert isinstance(value, float)
        assert value == pytest.approx(expected[metric], rel=1e-12, abs=1e-15)
    assert result["threshold_stderr,none"] == "N/A"  # the tuned threshold gets no stderr


def test_other_aggregations_keep_lm_evals_stderr():
    from lm_eval import evaluator_utils
    from lm_eval.api.metrics import mean, mean_stderr

    import xfer_tasks.harness  # noqa: F401  (installs the hook)

    hook = evaluator_utils.stderr_for_metric
    assert getattr(hook, "xfer_hook", False)
    assert hook(mean, 1000) is mean_stderr
    assert hook(lambda items: 0.0, 1000) is None  # unknown aggregation: still N/A
