"""embed_layer all/auto/dev, the xtreme preset and BOS-free means (xfer_tasks.harness.layers).

The equality test runs lm-eval's evaluator: one ``embed_layer: "all"`` call against one
single-layer call per hidden state, on a tiny random BERT encoder and the tiny random Llama,
for Tatoeba and BUCC, and requires every ``<metric>_L<i>`` to equal the single-layer call's
metric exactly.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from harness_helpers import task_manager
from helpers import synthetic_sentences, write_bucc, write_tatoeba_pair

from xfer_tasks.catalog import layer_metric
from xfer_tasks.embed_spec import EmbedSpec, EmbedSpecError
from xfer_tasks.harness.hf_embed import embed_texts, special_prefix
from xfer_tasks.harness.layers import (
    AUTO_FAMILY_LAYERS,
    XTREME_PRESETS,
    is_decoder_only,
    model_family,
    resolve,
)
from xfer_tasks.harness.vectors import Embedding, LayerStore, stack_layer

lm_eval = pytest.importorskip("lm_eval")
TATOEBA_METRICS = ("acc_en2xx", "acc_xx2en", "f1_xx2en")
BUCC_METRICS = ("f1", "precision", "recall", "threshold")
TASKS = ["xfer_tatoeba_deu", "xfer_bucc_de"]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers-data")
    en = synthetic_sentences(30, seed=5)
    # the same words in another order, every third word taken from the next sentence: hard
    # enough that retrieval is imperfect and differs between layers (for both tiny models)
    xx = [
        " ".join(
            w if i % 3 else en[(n + 1) % len(en)].split()[i % 6]
            for i, w in enumerate(reversed(s.split()))
        )
        for n, s in enumerate(en)
    ]
    write_tatoeba_pair(root / "tatoeba", "deu", xx, en)
    write_bucc(root / "bucc2018", "de", n_src=30, n_trg=36, n_gold=10)
    return root


@pytest.fixture(scope="module")
def tiny_encoder_hflm(tiny_model, tmp_path_factory):
    """A random 2-layer BERT (bidirectional) with the tiny model's tokenizer, via HFLM."""
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoTokenizer, BertConfig, BertLMHeadModel

    folder = tmp_path_factory.mktemp("tiny-bert") / "model"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(1)
    BertLMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return HFLM(pretrained=str(folder), device="cpu", batch_size=8, dtype="float32")


def _run(lm, root, **metadata):
    return lm_eval.simple_evaluate(
        model=lm,
        tasks=TASKS,
        task_manager=task_manager(data_dir=str(root), **metadata),
        bootstrap_iters=0,
    )


@pytest.mark.parametrize("which", ["encoder", "causal"])
def test_all_layers_equal_single_layer_calls_exactly(
    which, tiny_encoder_hflm, tiny_hflm, data_root
):
    lm = tiny_encoder_hflm if which == "encoder" else tiny_hflm
    everything = _run(lm, data_root, embed_layer="all")
    config = everything["configs"]["xfer_tatoeba_deu"]
    n_states = config["embed_n_states"]
    assert n_states == 3  # embeddings + 2 blocks
    auto = config["embed_layer_used"]
    assert auto == (2 if which == "encoder" else 1)  # the auto rule, recorded
    for task, metrics in (("xfer_tatoeba_deu", TATOEBA_METRICS), ("xfer_bucc_de", BUCC_METRICS)):
        result = everything["results"][task]
        for metric in metrics:  # the headline metrics are the auto layer's
            assert result[f"{metric},none"] == result[f"{layer_metric(metric, auto)},none"]
            assert result[f"{layer_metric(metric, 0)}_stderr,none"] == "N/A"
    distinct: dict[str, set[tuple[float, ...]]] = {}
    for layer in range(n_states):
        single = _run(lm, data_root, embed_layer=layer)
        assert single["configs"]["xfer_bucc_de"]["embed_layer_used"] == layer
        for task, metrics in (
            ("xfer_tatoeba_deu", TATOEBA_METRICS),
            ("xfer_bucc_de", BUCC_METRICS),
        ):
            values = []
            for metric in metrics:
                got = everything["results"][task][f"{layer_metric(metric, layer)},none"]
                want = single["results"][task][f"{metric},none"]
                assert got == want, (task, metric, layer)
                values.append(got)
            distinct.setdefault(task, set()).add(tuple(values))
    # the layers score differently on each task, so equality above tells the layers apart
    assert {task: len(v) for task, v in distinct.items()} == {
        "xfer_tatoeba_deu": n_states,
        "xfer_bucc_de": n_states,
    }


def test_all_layer_sample_log_and_higher_is_better(tiny_hflm, data_root):
    from lm_eval.utils import handle_non_serializable, sanitize_list

    out = lm_eval.simple_evaluate(
        model=tiny_hflm,
        tasks=["xfer_tatoeba_deu"],
        task_manager=task_manager(data_dir=str(data_root), embed_layer="all"),
        bootstrap_iters=0,
        log_samples=True,
    )
    sample = out["samples"]["xfer_tatoeba_deu"][0]
    placeholder = "<embedding dim=64 layer=1 pooling=mean layers=0..2>"
    assert sanitize_list(sample["resps"]) == [[placeholder]] * 2
    assert "acc_en2xx_L2" in sample["metrics"]
    import json

    dumped = json.dumps(sample, default=handle_non_serializable)
    assert placeholder in dumped
    hib = out["higher_is_better"]["xfer_tatoeba_deu"]
    assert hib["acc_en2xx_L0"] is True and hib["f1_xx2en"] is True


def test_layer_store_roundtrip_and_pickled_copy(tmp_path, monkeypatch):
    import xfer_tasks.harness.vectors as vectors

    monkeypatch.setattr(vectors, "READ_CHUNK_ROWS", 2)  # reads cross chunk borders
    store = LayerStore(3, 4, directory=tmp_path, call_id="run1")
    first = store.append([np.full((2, 4), i, np.float32) + np.arange(2)[:, None] for i in range(3)])
    second = store.append([np.full((1, 4), 10 * i, np.float32) for i in range(3)])
    store.close()
    assert list(first) == [0, 1] and list(second) == [2]
    np.testing.assert_array_equal(store.read(2, [2, 0]), [[20] * 4, [2] * 4])
    np.testing.assert_array_equal(store.read(1, [1, 2, 1, 0])[:, 0], [2, 10, 2, 1])
    with pytest.raises(IndexError, match="rows outside 0..2"):
        store.read(0, [3])
    embs = [
        Embedding(np.zeros(4), layer=1, pooling="mean", max_length=8, store=store, row=r)
        for r in (1, 2)
    ]
    copy = pickle.loads(pickle.dumps(embs))
    assert repr(copy[0]) == "<embedding dim=4 layer=1 pooling=mean layers=0..2>"
    np.testing.assert_array_equal(stack_layer(copy, 1), [[2] * 4, [10] * 4])
    with pytest.raises(ValueError, match="one layer only"):
        stack_layer([Embedding(np.zeros(4), layer=1, pooling="mean", max_length=8)], 0)


def test_layer_store_gathers_scattered_rows_across_mapped_windows(tmp_path, monkeypatch):
    """Windows start past the first mmap allocation granule (offsets are re-aligned) and a
    scattered subset, duplicates included, comes back in the order asked, as a plain copy."""
    import xfer_tasks.harness.vectors as vectors

    monkeypatch.setattr(vectors, "READ_CHUNK_ROWS", 1000)  # 1000 rows x 16 bytes per window
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal((3001, 4)).astype(np.float32) for _ in range(2)]
    store = LayerStore(2, 4, directory=tmp_path)
    for start in range(0, 3001, 700):
        store.append([matrix[start : start + 700] for matrix in layers])
    store.close()
    rows = np.concatenate([rng.choice(3001, 400, replace=False), [3000, 0, 3000, 1999, 2000]])
    for layer in range(2):
        got = store.read(layer, rows)
        np.testing.assert_array_equal(got, layers[layer][rows])
        assert got.flags.owndata and got.flags.writeable
    assert store.read(1, []).shape == (0, 4)


_RANK_SCRIPT = """
import json, sys, time
from pathlib import Path

import numpy as np
import torch.distributed as dist

from xfer_tasks.harness.vectors import Embedding, LayerStore, stack_layer

rank, root = int(sys.argv[1]), Path(sys.argv[2])
dist.init_process_group("gloo", init_method=f"file://{root}/rendezvous", rank=rank, world_size=2)
store = LayerStore(2, 3, directory=root / "spill")
store.append([np.full((2, 3), 10 * rank + layer, np.float32) for layer in range(2)])
store.close()
items = [Embedding(np.zeros(3), layer=1, pooling="mean", max_length=8, store=store, row=r)
         for r in range(2)]
gathered = [None, None] if rank == 0 else None
dist.gather_object(items, gathered, dst=0)
if rank != 0:
    (root / "rank1-store").write_text(str(store.path))
    sys.exit(0)  # as lm-eval: ranks > 0 return right after the gather; rank 0 scores
while not (root / "rank1-exited").exists():
    time.sleep(0.1)
values = {r: stack_layer(gathered[r], 1)[:, 0].tolist() for r in range(2)}
(root / "values.json").write_text(json.dumps(values))
dist.destroy_process_group()
"""


def test_data_parallel_rank_zero_reads_the_other_ranks_stores_after_they_exit(tmp_path):
    """Two gloo processes: rank 1 gathers its all-layer items to rank 0 and exits at once (as
    in lm-eval); rank 0 still reads rank 1's store, and deletes it when it exits."""
    import subprocess
    import sys

    from helpers import subprocess_env

    script = tmp_path / "rank.py"
    script.write_text(_RANK_SCRIPT)
    env = subprocess_env()
    ranks = [
        subprocess.Popen([sys.executable, str(script), str(r), str(tmp_path)], env=env,
                         stderr=subprocess.PIPE, text=True)
        for r in (0, 1)
    ]  # fmt: skip
    assert ranks[1].wait(timeout=300) == 0, ranks[1].stderr.read()[-2000:]
    handed_over = Path((tmp_path / "rank1-store").read_text())
    assert handed_over.is_dir()  # rank 1 is gone; its folder now belongs to rank 0
    (tmp_path / "rank1-exited").touch()
    assert ranks[0].wait(timeout=300) == 0, ranks[0].stderr.read()[-2000:]
    assert json.loads((tmp_path / "values.json").read_text()) == {"0": [1, 1], "1": [11, 11]}
    assert not handed_over.exists() and not list((tmp_path / "spill").iterdir())


def test_layer_store_rejects_non_integer_rows(tmp_path):
    store = LayerStore(1, 2, directory=tmp_path)
    store.append([np.zeros((3, 2), np.float32)])
    with pytest.raises(TypeError, match="integer indexes"):
        store.read(0, [1.7])
    with pytest.raises(TypeError, match="integer indexes"):
        store.read(0, np.array([True, False, True]))


def test_layer_store_on_tmpfs_warns_once(tmp_path, monkeypatch, caplog):
    import xfer_tasks.harness.vectors as vectors

    monkeypatch.setattr(vectors, "filesystem_type", lambda path: "tmpfs")
    monkeypatch.setattr(vectors, "_WARNED_TMPFS", set())
    with caplog.at_level("WARNING", logger="xfer_tasks.harness.vectors"):
        LayerStore(1, 2, directory=tmp_path)
        LayerStore(1, 2, directory=tmp_path)
    warnings = [r.getMessage() for r in caplog.records if "tmpfs" in r.getMessage()]
    assert len(warnings) == 1 and vectors.SPILL_DIR_ENV in warnings[0]
    monkeypatch.undo()
    mounts = Path("/proc/mounts")
    if not mounts.is_file():
        pytest.skip("no /proc/mounts (not Linux): filesystem_type answers None here")
    table = [line.split() for line in mounts.read_text().splitlines()]
    shm = [fields[2] for fields in table if fields[1:2] == ["/dev/shm"]]
    if shm:
        assert vectors.filesystem_type(Path("/dev/shm")) == shm[-1]
    assert vectors.filesystem_type(tmp_path)  # the mount holding the test's folder


def test_pool_hash_is_memoised_on_the_items_and_follows_new_items(data_root):
    """Every metric's aggregation gets its own list of the same items: one hash per pool;
    a different pool (new item objects) is hashed again and scored on its own vectors."""
    from xfer_tasks.harness.tatoeba_task import TatoebaPair

    manager = task_manager(data_dir=str(data_root))
    task = manager.load_task_or_group(["xfer_tatoeba_deu"])["xfer_tatoeba_deu"]

    def pair(index, value):
        vec = np.full(4, value, np.float32)
        vec[index % 4] += 1.0
        emb = Embedding(vec, layer=1, pooling="mean", max_length=8)
        return TatoebaPair(index, emb, emb)

    items = [pair(i, 0.0) for i in range(4)]
    key = task._content_key(list(items))
    assert task._key_memo is not None and task._key_memo[1] == key
    assert task._content_key(list(items)) == key  # a new list of the same items: memo
    other = [pair(i, 0.5) for i in range(4)]  # same keys, other vectors
    assert task._content_key(other) != key
    assert task._content_key(items[:3]) != key


def test_layer_store_is_removed_with_its_creator(tmp_path):
    import gc

    store = LayerStore(1, 2, directory=tmp_path)
    store.append([np.zeros((1, 2), np.float32)])
    folder = store.path
    assert folder.exists()
    del store
    gc.collect()
    assert not folder.exists()


# ------------------------------------------------------------------ the auto rule and presets
def _config(model_type, layers, vocab=30000, **extra):
    return SimpleNamespace(
        model_type=model_type, num_hidden_layers=layers, vocab_size=vocab, **extra
    )


def _resolve(spec, config, decoder_only=False, prepends=False):
    return resolve(
        spec,
        config=config,
        n_states=config.num_hidden_layers + 1,
        decoder_only=decoder_only,
        prepends_tokens=prepends,
        model_max_length=512,
    )


def test_auto_rule_on_bert_style_and_decoder_only_configs():
    from transformers import BertConfig, GPT2Config, LlamaConfig, XLMRobertaConfig

    mbert = BertConfig(vocab_size=119547, num_hidden_layers=12)
    xlmr_large = XLMRobertaConfig(num_hidden_layers=24, hidden_size=1024)
    xlmr_base = XLMRobertaConfig(num_hidden_layers=12)
    assert [model_family(c) for c in (mbert, xlmr_large, xlmr_base)] == [
        "mbert",
        "xlm-roberta-large",
        "xlm-roberta-base",
    ]
    auto = EmbedSpec()
    assert _resolve(auto, mbert).layer == 8
    assert _resolve(auto, xlmr_large).layer == 14  # jiant / XTREME Tatoeba
    assert _resolve(auto, xlmr_base).layer == 8
    assert {f: AUTO_FAMILY_LAYERS[f][0] for f in AUTO_FAMILY_LAYERS} == {
        "mbert": 8,
        "xlm-roberta-large": 14,
        "xlm-roberta-base": 8,
    }
    # any other encoder: its last layer; pooling over every token (special ones included)
    minilm_like = BertConfig(vocab_size=30522, num_hidden_layers=6)
    assert model_family(minilm_like) is None
    got = _resolve(auto, minilm_like)
    assert (got.layer, got.pooling, got.reason) == (6, "mean", "auto: encoder, last layer 6")
    # decoder-only: the middle of the stack, BOS left out of the mean
    for config in (LlamaConfig(num_hidden_layers=32), GPT2Config(n_layer=12)):
        model = SimpleNamespace(config=config)
        assert is_decoder_only(model)
        layers = config.num_hidden_layers
        got = _resolve(auto, config, decoder_only=True, prepends=True)
        assert (got.layer, got.pooling) == (layers // 2, "mean_no_bos")
    assert not is_decoder_only(SimpleNamespace(config=mbert))
    assert not is_decoder_only(SimpleNamespace(config=BertConfig(is_decoder=False)))
    assert is_decoder_only(SimpleNamespace(config=BertConfig(is_decoder=True)))
    # integers keep working, negative from the end; out of range is one clear line
    assert _resolve(EmbedSpec(layer=-2), minilm_like).layer == 5
    with pytest.raises(EmbedSpecError, match=r"embed_layer=7 is out of range.*-7\.\.6"):
        _resolve(EmbedSpec(layer=7), minilm_like)
    # mean_with_special keeps BOS; no BOS to drop -> plain mean
    llama = LlamaConfig(num_hidden_layers=4)
    assert _resolve(EmbedSpec(pooling="mean_with_special"), llama, True, True).pooling == "mean"
    assert _resolve(auto, llama, decoder_only=True, prepends=False).pooling == "mean"


def test_xtreme_preset_follows_the_scripts_per_task_and_rejects_other_families():
    from transformers import BertConfig, LlamaConfig, XLMRobertaConfig

    xlmr_large = XLMRobertaConfig(num_hidden_layers=24, hidden_size=1024)
    mbert = BertConfig(vocab_size=119547, num_hidden_layers=12)
    cases = {
        ("tatoeba", "xlmr"): (xlmr_large, 14, "mean", 512),  # run_tatoeba.sh LAYER=13 of 24
        ("bucc", "xlmr"): (xlmr_large, 20, "cls", 512),  # run_bucc2018.sh layer 7 of last 12
        ("tatoeba", "mbert"): (mbert, 8, "mean", 512),
        ("bucc", "mbert"): (mbert, 8, "cls", 512),
    }
    for (kind, _), (config, layer, pooling, max_length) in cases.items():
        got = _resolve(EmbedSpec(preset="xtreme", task_kind=kind), config)
        assert (got.layer, got.pooling, got.max_length) == (layer, pooling, max_length)
    assert XTREME_PRESETS["xlm-roberta-large"]["bucc"] == (20, "cls", 512)
    # all layers + preset: the preset's layer is the headline
    got = _resolve(EmbedSpec(layer="all", preset="xtreme", task_kind="bucc"), xlmr_large)
    assert (got.layer, got.all_layers) == (20, True)
    with pytest.raises(EmbedSpecError, match="mBERT and XLM-R base/large only") as err:
        _resolve(EmbedSpec(preset="xtreme"), LlamaConfig(num_hidden_layers=4), True)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------ BOS left out of the mean
@pytest.fixture()
def bos_hflm(tiny_hflm, monkeypatch):
    """The tiny Llama whose tokenizer prepends BOS, as Llama's own tokenizer does."""
    from tokenizers.processors import TemplateProcessing

    tok = tiny_hflm.tokenizer
    original = tok.backend_tokenizer.post_processor
    tok.backend_tokenizer.post_processor = TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tok.bos_token_id)]
    )
    yield tiny_hflm
    tok.backend_tokenizer.post_processor = original


def test_decoder_only_mean_leaves_bos_out(bos_hflm):
    texts = ["Die Katze schläft.", "The dog barks loudly at the postman.", "猫"]
    tok = bos_hflm.tokenizer
    assert special_prefix(tok) == (tok.bos_token_id,)
    states = []
    with torch.inference_mode():
        for text in texts:
            ids = torch.tensor([tok(text)["input_ids"]])
            assert ids[0, 0].item() == tok.bos_token_id
            states.append(bos_hflm.model.model(ids, output_hidden_states=True).hidden_states)
    # why: under causal attention BOS's hidden state is the same for every sentence
    for layer in (1, 2):
        torch.testing.assert_close(states[0][layer][0, 0], states[1][layer][0, 0])
    for layer in (0, 1, 2):
        plain, info = embed_texts(bos_hflm, texts, EmbedSpec(layer=layer), progress=False)
        kept, kept_info = embed_texts(
            bos_hflm, texts, EmbedSpec(layer=layer, pooling="mean_with_special"), progress=False
        )
        assert (info["pooling"], kept_info["pooling"]) == ("mean_no_bos", "mean")
        for row, hidden in enumerate(states):
            want = hidden[layer if layer < 2 else -1][0]
            np.testing.assert_allclose(plain[row], want[1:].mean(0).numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(kept[row], want.mean(0).numpy(), rtol=1e-5, atol=1e-6)
    # a sentence that is only BOS keeps it (its mean stays defined)
    only_bos, _ = embed_texts(bos_hflm, [""], EmbedSpec(layer=1), progress=False)
    np.testing.assert_allclose(only_bos[0], states[0][1][0, 0].numpy(), rtol=1e-5, atol=1e-6)


def test_encoder_mean_keeps_cls_and_sep(minilm_hflm):
    text = ["Die Katze schläft auf der warmen Fensterbank."]
    enc = minilm_hflm.tokenizer(text, return_tensors="pt")
    assert enc["input_ids"][0, 0].item() == minilm_hflm.tokenizer.cls_token_id
    with torch.inference_mode():
        states = minilm_hflm.model.bert(**enc, output_hidden_states=True).hidden_states
    for pooling in ("mean", "mean_with_special"):
        got, info = embed_texts(
            minilm_hflm, text, EmbedSpec(layer=3, pooling=pooling), progress=False
        )
        assert info["pooling"] == "mean"
        np.testing.assert_allclose(got[0], states[3][0].mean(0).numpy(), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ dev: chosen on BUCC sample
def test_dev_picks_the_best_bucc_sample_layer_for_bucc_and_tatoeba(tiny_hflm, data_root):
    from xfer_tasks.data.bucc import load_bucc_split
    from xfer_tasks.retrieval import BitextSide, BuccSplit
    from xfer_tasks.retrieval.bucc import extract, mine_candidates, score_extraction, tune_threshold

    out = _run(tiny_hflm, data_root, embed_layer="dev")
    bucc, tatoeba = out["configs"]["xfer_bucc_de"], out["configs"]["xfer_tatoeba_deu"]
    recorded = bucc["embed_dev_sample_f1"]
    assert recorded == tatoeba["embed_dev_sample_f1"] and len(recorded) == 3
    # independent: each layer embedded on its own, the sample split mined, its own threshold
    src_ids, src, trg_ids, trg, gold = load_bucc_split(data_root / "bucc2018", "de", "sample")
    expected = []
    for layer in range(3):
        a, _ = embed_texts(tiny_hflm, src, EmbedSpec(layer=layer), progress=False)
        b, _ = embed_texts(tiny_hflm, trg, EmbedSpec(layer=layer), progress=False)
        split = BuccSplit(BitextSide(src_ids, src, a), BitextSide(trg_ids, trg, b), gold)
        candidates = mine_candidates(split)
        threshold = tune_threshold(candidates, gold)
        expected.append(score_extraction(extract(candidates, threshold), gold)["f1"])
    assert list(recorded.values()) == pytest.approx(expected, abs=0)
    chosen = max(range(3), key=lambda i: (expected[i], -i))
    assert bucc["embed_layer_used"] == tatoeba["embed_layer_used"] == chosen
    assert (
        "dev: best mean F1 on the BUCC sample split of xfer_bucc_de" in bucc["embed_layer_reason"]
    )
    for task, metrics in (("xfer_tatoeba_deu", TATOEBA_METRICS), ("xfer_bucc_de", BUCC_METRICS)):
        result = out["results"][task]
        for metric in metrics:
            assert result[f"{metric},none"] == result[f"{layer_metric(metric, chosen)},none"]


def test_dev_without_bucc_is_one_clear_error(tiny_hflm, data_root, monkeypatch):
    """Raised before any inference (issue 16: it used to come after every embedding)."""
    from xfer_tasks.harness import hf_embed

    def no_inference(*args, **kwargs):
        raise RuntimeError("embeddings were computed before the dev check")

    monkeypatch.setattr(hf_embed, "embed_texts", no_inference)
    with pytest.raises(ValueError, match="add an xfer_bucc_<l> task"):
        lm_eval.simple_evaluate(
            model=tiny_hflm,
            tasks=["xfer_tatoeba_deu"],
            task_manager=task_manager(data_dir=str(data_root), embed_layer="dev"),
            bootstrap_iters=0,
        )
