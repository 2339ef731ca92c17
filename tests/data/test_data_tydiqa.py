"""TyDiQA-GoldP loader: the real per-language GoldP dev files and the other accepted layouts."""

from __future__ import annotations

import json

import pytest

from xfer_tasks.catalog import TYDIQA
from xfer_tasks.data import DataFormatError, DataMissingError, tydiqa

# GoldP v1.1 dev questions per language (official counts; 5077 in all)
DEV_COUNTS = {
    "ar": 921,
    "bn": 113,
    "en": 440,
    "fi": 782,
    "id": 565,
    "ko": 276,
    "ru": 812,
    "sw": 499,
    "te": 669,
}


def test_real_dev_files_every_language(shared_data):
    md = {"data_dir": str(shared_data)}
    for lang in TYDIQA.languages:
        rows = tydiqa.load_split(lang, "validation", md)
        assert len(rows) == DEV_COUNTS[lang], lang
        prefix = tydiqa.LANGUAGE_NAMES[lang] + "-"
        for row in rows:
            assert row["id"].startswith(prefix)
            texts, starts = row["answers"]["text"], row["answers"]["answer_start"]
            assert texts and len(texts) == len(starts)
            # every gold span is where the file says it is
            for text, start in zip(texts, starts, strict=True):
                assert row["context"][start : start + len(text)] == text


def test_task_data_without_train_file_is_zero_shot(shared_data):
    data = tydiqa.load_task_data("en", {"data_dir": str(shared_data)})
    assert data["eval"].num_rows == 440
    assert data["fewshot"].num_rows == 0


def _squad(questions):
    return {
        "version": "1.1",
        "data": [{"title": "T", "paragraphs": [{"context": "Helsinki is big.", "qas": questions}]}],
    }


def test_official_single_file_filtered_by_id_prefix(tmp_path):
    folder = tmp_path / "tydiqa_goldp"
    folder.mkdir()
    questions = [
        {"id": "finnish-1", "question": "Q1", "answers": [{"text": "Helsinki", "answer_start": 0}]},
        {"id": "english-2", "question": "Q2", "answers": [{"text": "big", "answer_start": 12}]},
    ]
    (folder / "tydiqa-goldp-v1.1-dev.json").write_text(
        json.dumps(_squad(questions)), encoding="utf-8"
    )
    rows = tydiqa.load_split("fi", "validation", {"data_dir": str(tmp_path)})
    assert [row["id"] for row in rows] == ["finnish-1"]
    assert rows[0]["answers"] == {"text": ["Helsinki"], "answer_start": [0]}


def test_blank_answers_are_refused(tmp_path):
    folder = tmp_path / "tydiqa_goldp"
    folder.mkdir()
    questions = [
        {"id": "swahili-9", "question": "Q", "answers": [{"text": "", "answer_start": -1}]}
    ]
    (folder / "tydiqa.goldp.sw.dev.json").write_text(
        json.dumps(_squad(questions)), encoding="utf-8"
    )
    with pytest.raises(DataFormatError, match="question swahili-9 has no gold answer"):
        tydiqa.load_split("sw", "validation", {"data_dir": str(tmp_path)})


def test_missing_language_file_names_every_path_tried(tmp_path):
    (tmp_path / "tydiqa_goldp").mkdir()
    with pytest.raises(DataMissingError) as info:
        tydiqa.load_task_data("te", {"data_dir": str(tmp_path)})
    message = str(info.value)
    assert "TyDiQA-GoldP" in message and "google-research-datasets/tydiqa" in message
    assert "telugu_tydiqa_dev.json" in message and "tydiqa-goldp-v1.1-dev.json" in message


def test_max_gen_toks_cuts_no_gold_answer_for_a_byte_level_tokenizer(shared_data):
    """Every dev gold answer, in UTF-8 bytes plus the leading space, fits in max_gen_toks
    (a byte-level tokenizer spends one token per byte; other tokenizers fewer)."""
    import yaml

    from xfer_tasks.paths import tasks_path

    longest = max(
        len(text.encode("utf-8"))
        for lang in TYDIQA.languages
        for row in tydiqa.load_split(lang, "validation", {"data_dir": str(shared_data)})
        for text in row["answers"]["text"]
    )
    assert longest == 808  # Finnish; the figure docs/tasks.md quotes
    template = (tasks_path() / "tydiqa" / "_template_yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(template.replace("!function ", ""))
    assert config["generation_kwargs"]["max_gen_toks"] == longest + 1
