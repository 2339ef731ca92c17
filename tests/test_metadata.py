"""The metadata keys xfer reads: typos in our namespaces are errors, other keys pass."""

from __future__ import annotations

import importlib

import pytest

from xfer_tasks import metadata
from xfer_tasks.metadata import MetadataError, check_metadata


def test_valid_keys_come_from_spec_and_the_loaders():
    """One list: spec's embed_* keys (not copied) plus DATA_KEYS, which matches the loaders."""
    from xfer_tasks import embed_spec as spec

    assert set(spec.METADATA_KEYS) <= set(metadata.valid_keys())
    constants = {
        "xfer_tasks.data": "METADATA_KEY",
        "xfer_tasks.data.xnli": "SPLIT_KEY",
        "xfer_tasks.data.tydiqa": "SPLIT_KEY",
        "xfer_tasks.data.mmlu": "SPLIT_KEY",
        "xfer_tasks.data.mmlu:subjects": "SUBJECTS_KEY",
        "xfer_tasks.data.m_mmlu": "SPLIT_KEY",
        "xfer_tasks.data.global_mmlu": "SPLIT_KEY",
        "xfer_tasks.data.mmlu_common": "SUBJECT_SHOTS_KEY",
    }
    declared = {
        getattr(importlib.import_module(m.split(":")[0]), name) for m, name in constants.items()
    }
    assert declared | {"search_options"} == set(metadata.DATA_KEYS)


@pytest.mark.parametrize(
    "key", ["embed_layr", "Embed_Pooling", "xnli_splt", "mmlu_subject_shot", "m_mmlu_spilt", "datadir", "data-dir", "search_option"]
)
def test_a_typo_in_our_namespace_is_an_error_listing_valid_keys(key):
    with pytest.raises(MetadataError) as info:
        check_metadata({key: 1})
    message = str(info.value)
    assert repr(key) in message and "valid keys: " in message and "embed_layer" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "key", ["pretrained", "dtype", "max_length", "batch_size", "max_batch_size", "trust_remote_code", "version", "device_map"]
)
def test_model_args_and_lm_eval_keys_pass(key):
    check_metadata({key: "x"})


def test_values_of_the_retrieval_tasks_are_checked_only_for_them():
    check_metadata({"embed_pooling": "foo"})  # a non-retrieval task does not read it
    with pytest.raises(ValueError, match="embed_pooling: expected one of"):
        check_metadata({"embed_pooling": "foo"}, retrieval=True)
    with pytest.raises(MetadataError, match="search_options: expected a mapping"):
        check_metadata({"search_options": "ivf"}, retrieval=True)
    check_metadata({"embed_layer": "-2", "embed_pooling": "last", "search_options": {"index": "flat"}}, retrieval=True)
