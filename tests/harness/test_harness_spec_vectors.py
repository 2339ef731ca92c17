"""EmbedSpec parsing/validation and the Embedding box (pickling, no values in its text form)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from xfer_tasks.embed_spec import EmbedSpec, EmbedSpecError
from xfer_tasks.harness.vectors import Embedding


def test_spec_defaults_and_metadata_parsing():
    assert EmbedSpec.from_metadata({}) == EmbedSpec("auto", "mean", None, None, "auto")
    assert EmbedSpec.from_metadata({"embed_layer": " ALL "}).layer == "all"
    assert EmbedSpec.from_metadata({"embed_layer": "dev"}, task_kind="bucc").task_kind == "bucc"
    assert EmbedSpec.from_metadata({"embed_preset": "XTREME"}).preset == "xtreme"
    spec = EmbedSpec.from_metadata(
        {
            "embed_layer": "-4",
            "embed_pooling": "LAST",
            "embed_max_length": 128,
            "embed_batch_size": "16",
            "pretrained": "ignored",
            "data_dir": "ignored",
        }
    )
    assert spec == EmbedSpec(layer=-4, pooling="last", max_length=128, batch_size=16)
    assert EmbedSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"embed_pooling": "max"}, "embed_pooling: expected one of mean, mean_with_special, cls, last, got 'max'"),
        ({"embed_layer": "top"}, "embed_layer: expected an integer or one of auto, all, dev, got 'top'"),
        ({"embed_layer": 1.5}, "embed_layer: expected an integer"),
        ({"embed_preset": "laser"}, "embed_preset: expected one of xtreme, got 'laser'"),
        (
            {"embed_preset": "xtreme", "embed_layer": 3},
            "embed_preset='xtreme' sets the layer, pooling and max length itself; remove embed_layer",
        ),
        (
            {"embed_preset": "xtreme", "embed_pooling": "cls"},
            "remove embed_pooling (only embed_layer 'all'/'dev' combine with a preset)",
        ),
        ({"embed_max_length": 0}, "embed_max_length: expected a positive integer, got 0"),
        ({"embed_batch_size": -2}, "embed_batch_size: expected a positive integer, got -2"),
        ({"embed_precision": "fp8"}, "embed_precision: expected one of auto, model, bfloat16"),
    ],
)
def test_spec_rejects_bad_values_in_one_line(metadata, message):
    with pytest.raises(EmbedSpecError) as err:
        EmbedSpec.from_metadata(metadata)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_embedding_text_form_hides_values_and_pickles():
    vector = np.array([0.123456, -7.654321, 3.5], dtype=np.float32)
    emb = Embedding(vector, layer=-2, pooling="cls", max_length=64, precision="float32")
    text = repr(emb)
    assert text == str(emb) == "<embedding dim=3 layer=-2 pooling=cls>"
    # lm-eval's sample writer: sanitize_list(str) and json.dumps(default=str)
    from lm_eval.utils import handle_non_serializable, sanitize_list

    dumped = json.dumps(
        {"resps": sanitize_list([[emb]]), "m": emb}, default=handle_non_serializable
    )
    assert "0.123" not in dumped and "7.654" not in dumped and "<embedding dim=3" in dumped
    back = pickle.loads(pickle.dumps(emb))
    assert back == emb and back.describe() == {
        "dim": 3,
        "layer": -2,
        "pooling": "cls",
        "max_length": 64,
        "precision": "float32",
    }
    with pytest.raises(ValueError, match="1-D"):
        Embedding(np.zeros((2, 3)), layer=-1, pooling="mean", max_length=8)
