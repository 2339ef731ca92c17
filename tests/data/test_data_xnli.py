"""XNLI loader: the real XTREME dev files, the XNLI-1.0 release layout, and its errors."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from xfer_tasks.catalog import XNLI
from xfer_tasks.data import DataFormatError, DataMissingError, xnli


def test_real_dev_files_every_language(shared_data):
    md = {"data_dir": str(shared_data), "xnli_split": "validation"}
    for lang in XNLI.languages:
        rows = xnli.load_split(lang, "validation", md)
        # XNLI-1.0 dev: 2490 pairs per language, 830 per label
        assert len(rows) == 2490, lang
        assert Counter(row["label"] for row in rows) == {0: 830, 1: 830, 2: 830}, lang


def test_rows_match_the_file_and_hub_label_order(shared_data):
    path = shared_data / "xnli" / "dev-fr.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        raw = list(csv.reader(handle, delimiter="\t"))
    rows = xnli.load_split("fr", "validation", {"data_dir": str(shared_data)})
    assert [(r["premise"], r["hypothesis"]) for r in rows] == [(p, h) for p, h, _ in raw]
    names = {0: "entailment", 1: "neutral", 2: "contradiction"}
    assert [names[r["label"]] for r in rows] == [label for _, _, label in raw]


def test_task_data_uses_selected_split_and_no_train_means_no_pool(shared_data):
    data = xnli.load_task_data("sw", {"data_dir": str(shared_data), "xnli_split": "dev"})
    assert set(data) == {"eval", "fewshot"}
    assert data["eval"].num_rows == 2490
    assert data["fewshot"].num_rows == 0  # no XNLI-MT train file: zero-shot only


def test_few_shot_pool_is_the_xnli_mt_train_file(tmp_path):
    """lm-eval's xnli_<lang> draws few-shot examples from the train split (XNLI-MT)."""
    folder = tmp_path / "xnli" / "XNLI-MT-1.0" / "multinli"
    folder.mkdir(parents=True)
    (folder / "multinli.train.de.tsv").write_text(
        'premise\thypo\tlabel\nEr sagt "ja".\tEr sagt etwas.\tentailment\n'
        "A\tB\tcontradictory\nC\tD\tneutral\n",
        encoding="utf-8",
    )
    (tmp_path / "xnli" / "dev-de.tsv").write_text("P\tH\tneutral\n", encoding="utf-8")
    data = xnli.load_task_data("de", {"data_dir": str(tmp_path), "xnli_split": "validation"})
    assert data["fewshot"].to_list() == [
        {"premise": 'Er sagt "ja".', "hypothesis": "Er sagt etwas.", "label": 0},
        {"premise": "A", "hypothesis": "B", "label": 2},
        {"premise": "C", "hypothesis": "D", "label": 1},
    ]
    (folder / "multinli.train.de.tsv").write_text("premise\tlabel\nA\tneutral\n", "utf-8")
    with pytest.raises(DataFormatError, match=r"multinli.train.de.tsv: header lacks column\(s\) hypo"):
        xnli.load_task_data("de", {"data_dir": str(tmp_path), "xnli_split": "validation"})


def test_default_test_split_missing_locally_names_paths_and_hint(shared_data):
    with pytest.raises(DataMissingError) as info:
        xnli.load_task_data("de", {"data_dir": str(shared_data)})
    message = str(info.value)
    assert "\n" not in message
    assert "XNLI" in message and "facebook/xnli" in message
    assert str(shared_data / "xnli" / "test-de.tsv") in message
    assert "xnli_split: validation" in message


def test_xtreme_test_file_without_labels_is_refused(tmp_path):
    folder = tmp_path / "xnli"
    folder.mkdir()
    (folder / "test-de.tsv").write_text("Ein Satz.\tNoch ein Satz.\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"test-de.tsv:1: no label column"):
        xnli.load_split("de", "test", {"data_dir": str(tmp_path)})


def test_xnli_release_tsv_filtered_by_language(tmp_path):
    folder = tmp_path / "xnli" / "XNLI-1.0"
    folder.mkdir(parents=True)
    header = [
        "language",
        "gold_label",
        "sentence1_binary_parse",
        "sentence1",
        "sentence2",
        "pairID",
    ]
    lines = [
        header,
        ["de", "neutral", "", "P1", "H1", "1"],
        ["fr", "entailment", "", "P2", "H2", "2"],
        ["de", "contradiction", "", 'P3 "quoted"', "H3", "3"],
    ]
    (folder / "xnli.test.tsv").write_text(
        "\n".join("\t".join(line) for line in lines) + "\n", encoding="utf-8"
    )
    rows = xnli.load_split("de", "test", {"data_dir": str(tmp_path)})
    assert rows == [
        {"premise": "P1", "hypothesis": "H1", "label": 1},
        {"premise": 'P3 "quoted"', "hypothesis": "H3", "label": 2},
    ]


def test_unknown_label_names_file_and_line(tmp_path):
    folder = tmp_path / "xnli"
    folder.mkdir()
    (folder / "dev-en.tsv").write_text("a\tb\tneutral\nc\td\tmaybe\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"dev-en.tsv:2: label 'maybe'"):
        xnli.load_split("en", "validation", {"data_dir": str(tmp_path)})


def test_bad_split_option_is_a_clear_error(shared_data):
    with pytest.raises(ValueError, match="xnli_split='train'"):
        xnli.load_task_data("de", {"data_dir": str(shared_data), "xnli_split": "train"})


def test_hub_failure_is_data_missing(monkeypatch, tmp_path):
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'facebook/xnli' on the Hub (offline)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    monkeypatch.delenv("XFER_DATA_DIR", raising=False)
    with pytest.raises(DataMissingError) as info:
        xnli.load_split("de", "test", {})
    assert "facebook/xnli" in str(info.value) and "no local folder set" in str(info.value)
    # a data root without an xnli/ folder: the Hub is tried, the path is named
    with pytest.raises(DataMissingError, match=str(tmp_path / "xnli")):
        xnli.load_split("de", "test", {"data_dir": str(tmp_path)})


def test_empty_file_is_a_format_error(tmp_path):
    folder = tmp_path / "xnli"
    folder.mkdir()
    (folder / "dev-en.tsv").write_text("", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"dev-en.tsv: no rows \(empty file\)"):
        xnli.load_task_data("en", {"data_dir": str(tmp_path), "xnli_split": "validation"})


def test_dev_row_without_hypothesis_does_not_blame_the_split(tmp_path):
    """A dev row missing its hypothesis used to say 'no label column ... use xnli_split:
    validation', though validation was already the split."""
    folder = tmp_path / "xnli"
    folder.mkdir()
    (folder / "dev-en.tsv").write_text("a\tb\tneutral\nonly a premise\tentailment\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        xnli.load_task_data("en", {"data_dir": str(tmp_path), "xnli_split": "validation"})
    message = str(info.value)
    assert "dev-en.tsv:2: expected 3 tab-separated fields" in message
    assert "a sentence is missing" in message and "xnli_split" not in message
    # the same row in a test file is the same mistake, not a stripped label
    (folder / "test-en.tsv").write_text("only a premise\tentailment\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"test-en.tsv:1: expected 3 tab-separated fields"):
        xnli.load_split("en", "test", {"data_dir": str(tmp_path)})


def test_empty_test_file_names_its_path(tmp_path):
    folder = tmp_path / "xnli"
    folder.mkdir()
    (folder / "test-de.tsv").write_text("", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"test-de.tsv: no rows \(empty file\)"):
        xnli.load_split("de", "test", {"data_dir": str(tmp_path)})
