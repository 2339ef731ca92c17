"""The shared SQuAD-JSON walk: structure errors name the file and place, for every reader."""

from __future__ import annotations

import json

import pytest

from xfer_tasks.data import DataFormatError
from xfer_tasks.data.squad_format import iter_squad_questions
from xfer_tasks.data.tydiqa import read_squad_json


def _payload(paragraph: dict) -> dict:
    return {"data": [{"title": "T", "paragraphs": [paragraph]}]}


def test_questions_carry_title_context_and_place():
    paragraph = {"context": "ctx", "qas": [{"id": "q1", "question": "?", "answers": []}]}
    (question,) = iter_squad_questions(_payload(paragraph), "f.json")
    assert (question.title, question.context, question.qa["id"]) == ("T", "ctx", "q1")
    assert question.where == "f.json: data[0].paragraphs[0]"


@pytest.mark.parametrize(
    "payload, message",
    [
        ([{"paragraphs": []}], "top-level 'data' list"),
        (_payload({"qas": []}), r"data\[0\]\.paragraphs\[0\]: expected fields 'context' and 'qas'"),
        (_payload({"context": "c", "qas": [{"id": "q"}]}), "lacks 'question'"),
    ],
)
def test_structure_errors(payload, message):
    with pytest.raises(DataFormatError, match=message):
        list(iter_squad_questions(payload, "f.json"))


def test_training_reader_reports_a_malformed_paragraph(tmp_path):
    from xfer_tasks.train.sources import _read_squad

    path = tmp_path / "train-v1.1.json"
    path.write_text(json.dumps(_payload({"qas": []})), encoding="utf-8")
    with pytest.raises(DataFormatError, match="train-v1.1.json: data"):
        list(_read_squad(path))
    with pytest.raises(DataFormatError, match="train-v1.1.json: data"):
        read_squad_json(path)
