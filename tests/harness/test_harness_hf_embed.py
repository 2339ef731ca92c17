"""The embedding path on models HFLM loaded: pooling, layers, no LM head, batching, MiniLM = ST."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xfer_tasks.embed_spec import EmbedSpec, EmbedSpecError
from xfer_tasks.harness.hf_embed import (
    backbone_of,
    embed_texts,
    hflm_xfer_embed,
    pool,
    resolve_batch_size,
    resolve_max_length,
)
from xfer_tasks.harness.vectors import Embedding

TEXTS = [
    "Der Hund bellt.",
    "The dog barks loudly at the postman every single morning.",
    "猫在睡觉。",
    "Кошка спит на окне",
    "ok",
]


def test_pooling_by_hand():
    hidden = torch.tensor(
        [[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]]
    )
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(hidden, mask, "mean").tolist() == [[2.0, 3.0], [7.0, 8.0]]
    assert pool(hidden, mask, "cls").tolist() == [[1.0, 2.0], [5.0, 6.0]]
    assert pool(hidden, mask, "last").tolist() == [[3.0, 4.0], [9.0, 10.0]]
    left_padded = torch.tensor([[0, 1, 1], [1, 1, 1]])
    assert pool(hidden, left_padded, "cls").tolist() == [[3.0, 4.0], [5.0, 6.0]]


def test_backbone_skips_lm_head(tiny_hflm, minilm_hflm):
    assert type(tiny_hflm.model).__name__ == "LlamaForCausalLM"
    assert backbone_of(tiny_hflm.model) is tiny_hflm.model.model
    # HFLM loads a BERT checkpoint as BertLMHeadModel (bidirectional, head absent -> random)
    assert type(minilm_hflm.model).__name__ == "BertLMHeadModel"
    assert type(backbone_of(minilm_hflm.model)).__name__ == "BertModel"

    calls = []
    hook = tiny_hflm.model.lm_head.register_forward_hook(lambda *a: calls.append(1))
    try:
        embed_texts(tiny_hflm, TEXTS, EmbedSpec(), progress=False)
    finally:
        hook.remove()
    assert calls == []


def test_mean_last_layer_equals_manual_forward_and_is_batch_invariant(tiny_hflm):
    spec = EmbedSpec(layer=-1, batch_size=5)
    vectors, info = embed_texts(tiny_hflm, TEXTS, spec, progress=False)
    assert info == {
        "layer": 2,
        "pooling": "mean",
        "max_length": 512,
        "precision": "float32",
        "reason": "embed_layer",
    }
    one_by_one, _ = embed_texts(tiny_hflm, TEXTS, EmbedSpec(layer=-1, batch_size=1), progress=False)
    np.testing.assert_allclose(vectors, one_by_one, rtol=1e-5, atol=1e-6)
    with torch.inference_mode():
        for text, row in zip(TEXTS, vectors, strict=True):
            ids = torch.tensor([tiny_hflm.tokenizer(text)["input_ids"]])
            expected = tiny_hflm.model.model(ids).last_hidden_state[0].mean(0)
            np.testing.assert_allclose(row, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_layer_and_pooling_selection(tiny_hflm):
    text = ["Le chat dort sur la fenêtre."]
    ids = torch.tensor([tiny_hflm.tokenizer(text[0])["input_ids"]])
    with torch.inference_mode():
        states = tiny_hflm.model.model(ids, output_hidden_states=True).hidden_states
    assert len(states) == 3  # embeddings + 2 layers
    for layer in (0, 1, -2, -3):
        got, _ = embed_texts(tiny_hflm, text, EmbedSpec(layer=layer), progress=False)
        np.testing.assert_allclose(got[0], states[layer][0].mean(0).numpy(), rtol=1e-5, atol=1e-6)
    last, _ = embed_texts(tiny_hflm, text, EmbedSpec(layer=1, pooling="last"), progress=False)
    np.testing.assert_allclose(last[0], states[1][0, -1].numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(EmbedSpecError, match=r"embed_layer=5 is out of range.*-3\.\.2"):
        embed_texts(tiny_hflm, text, EmbedSpec(layer=5), progress=False)


def test_max_length_truncates(tiny_hflm):
    long_text = ["word " * 400]
    spec = EmbedSpec(layer=-1, max_length=7)
    assert resolve_max_length(tiny_hflm, spec) == 7
    got, info = embed_texts(tiny_hflm, long_text, spec, progress=False)
    ids = torch.tensor([tiny_hflm.tokenizer(long_text[0])["input_ids"][:7]])
    with torch.inference_mode():
        expected = tiny_hflm.model.model(ids).last_hidden_state[0].mean(0)
    assert info["max_length"] == 7
    np.testing.assert_allclose(got[0], expected.numpy(), rtol=1e-5, atol=1e-6)


def test_auto_batch_size_halves_on_out_of_memory(tiny_hflm, monkeypatch):
    many = [f"{text} ({i})" for i in range(4) for text in TEXTS]  # 20 distinct sentences
    reference, _ = embed_texts(tiny_hflm, many, EmbedSpec(batch_size=4), progress=False)
    monkeypatch.setattr(tiny_hflm, "batch_size_per_gpu", "auto")
    monkeypatch.setattr(tiny_hflm, "max_batch_size", 16)
    assert resolve_batch_size(tiny_hflm, EmbedSpec()) == (16, True)
    backbone = tiny_hflm.model.model
    original = backbone.forward
    seen = []

    def forward(*args, **kwargs):
        seen.append(kwargs["input_ids"].shape[0])
        if kwargs["input_ids"].shape[0] > 5:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return original(*args, **kwargs)

    monkeypatch.setattr(backbone, "forward", forward)
    got, _ = embed_texts(tiny_hflm, many, EmbedSpec(), progress=False)
    assert seen == [16, 8, 4, 4, 4, 4, 4]  # 16 and 8 fail, then 20 texts in batches of 4
    np.testing.assert_allclose(got, reference, rtol=1e-5, atol=1e-6)
    # a fixed batch size does not hide the error
    with pytest.raises(torch.OutOfMemoryError):
        embed_texts(tiny_hflm, many, EmbedSpec(batch_size=8), progress=False)


def test_requests_dedupe_and_keep_order(tiny_hflm):
    from lm_eval.api.instance import Instance

    spec = EmbedSpec().to_dict()
    other = EmbedSpec(layer=0).to_dict()
    texts = ["a b c", "x y", "a b c"]
    requests = [Instance("xfer_embed", {}, (t, spec), i) for i, t in enumerate(texts)]
    requests.append(Instance("xfer_embed", {}, ("x y", other), 3))
    out = hflm_xfer_embed(tiny_hflm, requests)
    assert all(isinstance(e, Embedding) for e in out)
    np.testing.assert_array_equal(out[0].vector, out[2].vector)
    assert out[3].layer == 0 and not np.allclose(out[3].vector, out[1].vector)


def test_minilm_mean_pooling_equals_sentence_transformers(minilm_hflm, minilm_path):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(minilm_path), device="cpu")
    ours, info = embed_texts(
        minilm_hflm, TEXTS, EmbedSpec(max_length=st.max_seq_length), progress=False
    )
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)  # ST's model ends with Normalize
    reference = st.encode(TEXTS, batch_size=2)
    np.testing.assert_allclose(ours, reference, atol=2e-6)
    assert info["precision"] == "float32"


def test_intermediate_layers_stop_early_and_match_hidden_states(tiny_hflm, minilm_hflm):
    from xfer_tasks.harness.hf_embed import LayerReader, transformer_blocks

    text = ["Die Katze schläft auf der warmen Fensterbank."]
    for lm, layers in ((tiny_hflm, (0, 1, 2, -1, -2, -3)), (minilm_hflm, (0, 3, 6, -2, -7))):
        backbone = backbone_of(lm.model)
        blocks = transformer_blocks(backbone)
        assert blocks is not None and len(blocks) == lm.model.config.num_hidden_layers
        enc = lm.tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            states = backbone(**enc, output_hidden_states=True).hidden_states
        for layer in layers:
            got, _ = embed_texts(lm, text, EmbedSpec(layer=layer), progress=False)
            np.testing.assert_allclose(
                got[0], states[layer][0].mean(0).numpy(), rtol=1e-5, atol=1e-5
            )
    # blocks after the requested one never run
    ran = []
    backbone = backbone_of(tiny_hflm.model)
    handles = [
        b.register_forward_hook(lambda m, a, o, i=i: ran.append(i))
        for i, b in enumerate(transformer_blocks(backbone))
    ]
    try:
        LayerReader(backbone, 1)(
            *[t for t in (torch.tensor([[5, 6, 7]]), torch.ones(1, 3, dtype=torch.long))]
        )
    finally:
        for h in handles:
            h.remove()
    assert ran == [0]


def test_bfloat16_autocast_is_recorded_and_close(tiny_hflm):
    reference, info32 = embed_texts(tiny_hflm, TEXTS, EmbedSpec(), progress=False)
    half, info16 = embed_texts(tiny_hflm, TEXTS, EmbedSpec(precision="bfloat16"), progress=False)
    assert (info32["precision"], info16["precision"]) == ("float32", "bfloat16-autocast")
    assert half.dtype == np.float32 and not np.array_equal(half, reference)
    cos = (
        np.sum(half * reference, 1)
        / np.linalg.norm(half, axis=1)
        / np.linalg.norm(reference, axis=1)
    )
    assert cos.min() > 0.99
    assert next(tiny_hflm.model.parameters()).dtype == torch.float32  # the model is not cast


def test_peft_adapter_is_kept_in_the_backbone(tiny_model):
    peft = pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    plain = backbone_of(base)
    ids = torch.tensor([[5, 60, 7, 80, 9]])
    with torch.inference_mode():
        before = plain(ids).last_hidden_state
    config = peft.LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    adapted = peft.get_peft_model(base, config)
    backbone = backbone_of(adapted)
    assert type(backbone).__name__ == "LlamaModel"
    with torch.inference_mode():
        via_backbone = backbone(ids).last_hidden_state
        via_full = adapted(ids, output_hidden_states=True).hidden_states[-1]
    torch.testing.assert_close(via_backbone, via_full)
    assert not torch.allclose(via_backbone, before)  # the adapter changes the embedding


def test_identically_tokenized_texts_get_identical_vectors(minilm_hflm):
    # MiniLM's English vocabulary maps these Kazakh words to [UNK]: same token ids
    a, b = "Өтінемін, көмектесінізші.", "Рақмет, жақсы."
    tok = minilm_hflm.tokenizer
    assert tok(a)["input_ids"] == tok(b)["input_ids"]
    filler = ["A much longer English sentence that sorts into the first batch alone."] * 3
    vectors, _ = embed_texts(minilm_hflm, [a, *filler, b], EmbedSpec(batch_size=2), progress=False)
    np.testing.assert_array_equal(vectors[0], vectors[4])  # an exact tie, not float noise


def test_hflm_wrapping_a_bare_automodel_embeds_the_same(minilm_hflm, minilm_path):
    """The Python route for encoders without a *ForCausalLM class (DistilBERT, MPNet, ...)."""
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModel

    bare = AutoModel.from_pretrained(minilm_path)
    lm = HFLM(pretrained=bare, tokenizer=minilm_hflm.tokenizer, batch_size=4)
    assert backbone_of(lm.model) is bare
    got, _ = embed_texts(lm, TEXTS, EmbedSpec(), progress=False)
    want, _ = embed_texts(minilm_hflm, TEXTS, EmbedSpec(), progress=False)
    # batch 4 here vs 32 in the fixture: other padded shapes, other float32 summation order
    # (differences up to ~1.4e-6 seen on 2-core CPUs), so atol is 1e-5, not bit equality
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
