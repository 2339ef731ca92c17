"""Readers of the LASER Tatoeba and official BUCC 2018 layouts (xfer_tasks.data.tatoeba / .bucc):
good files and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from xfer_tasks.data import DataFormatError, DataMissingError
from xfer_tasks.data.bucc import load_bucc_split
from xfer_tasks.data.tatoeba import load_tatoeba_pair


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_bucc(folder: Path, lang="de", split="sample", src=None, trg=None, gold=None) -> Path:
    src = src if src is not None else "de-1\tHallo Welt\nde-2\tZwei  Leerzeichen \n"
    trg = trg if trg is not None else "en-1\tHello world\nen-2\tTwo spaces\nen-3\tExtra\n"
    gold = gold if gold is not None else "de-1\ten-1\nde-2\ten-2\n"
    write(folder / f"{lang}-en.{split}.{lang}", src)
    write(folder / f"{lang}-en.{split}.en", trg)
    write(folder / f"{lang}-en.{split}.gold", gold)
    return folder


def test_tatoeba_pair_round_trip(tmp_path):
    write(tmp_path / "tatoeba.deu-eng.deu", "Hallo.\nWie geht's?\nHallo.\n")
    write(tmp_path / "tatoeba.deu-eng.eng", "Hello.\nHow are you?\nHi.\n")
    xx, en = load_tatoeba_pair(tmp_path, "deu")
    assert xx == ["Hallo.", "Wie geht's?", "Hallo."]  # duplicates kept: gold is the index
    assert en == ["Hello.", "How are you?", "Hi."]


def test_tatoeba_real_pair(shared_data):
    xx, en = load_tatoeba_pair(shared_data / "tatoeba", "deu")
    assert len(xx) == len(en) == 1000
    assert all("\n" not in line for line in xx + en)


@pytest.mark.parametrize(
    ("xx", "en", "error", "message"),
    [
        ("a\nb\n", "a\n", DataFormatError, "2 lines but tatoeba.deu-eng.eng has 1"),
        ("", "", DataFormatError, "empty file"),
        (b"ok\n\xff\xfe bad\n", "a\nb\n", DataFormatError, "line 2 is not valid UTF-8"),
        (None, "a\n", DataMissingError, "tatoeba deu-eng: data not found"),
    ],
)
def test_tatoeba_bad_files(tmp_path, xx, en, error, message):
    if xx is not None:
        write(tmp_path / "tatoeba.deu-eng.deu", xx)
    write(tmp_path / "tatoeba.deu-eng.eng", en)
    with pytest.raises(error, match=message):
        load_tatoeba_pair(tmp_path, "deu")


@pytest.mark.parametrize("subfolder", [False, True])
def test_bucc_split_round_trip(tmp_path, subfolder):
    write_bucc(tmp_path / "de-en" if subfolder else tmp_path)
    src_ids, src_texts, trg_ids, trg_texts, gold = load_bucc_split(tmp_path, "de", "sample")
    assert src_ids == ["de-1", "de-2"]
    assert src_texts == ["Hallo Welt", "Zwei  Leerzeichen "]  # only the terminator is removed
    assert trg_ids == ["en-1", "en-2", "en-3"]
    assert gold == {("de-1", "en-1"), ("de-2", "en-2")}


def test_bucc_demo_data_loads():
    demo = Path(__file__).resolve().parents[2] / "xfer_tasks" / "demo_data" / "eval" / "bucc2018"
    if not demo.is_dir():
        pytest.skip(f"demo BUCC data not present at {demo}")
    for split in ("sample", "training"):
        src_ids, _, trg_ids, _, gold = load_bucc_split(demo, "de", split)
        assert gold and len(src_ids) > 0 and len(trg_ids) > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"src": "de-1 no tab\n"}, DataFormatError, r"de-en.sample.de: line 1 has no TAB"),
        ({"src": "\tHallo\n"}, DataFormatError, "line 1 has an empty id"),
        ({"src": "de-1\tA\nde-1\tB\n"}, DataFormatError, "line 2: id 'de-1' occurs more than once"),
        ({"trg": ""}, DataFormatError, r"de-en.sample.en: empty file"),
        ({"gold": "de-1\ten-1\tx\n"}, DataFormatError, r"gold: line 1 has 3 field\(s\)"),
        ({"gold": "de-1\n"}, DataFormatError, r"gold: line 1 has 1 field\(s\)"),
        ({"gold": "de-9\ten-1\n"}, DataFormatError, "src_id 'de-9' is not an id of de-en.sample.de"),
        ({"gold": "de-1\ten-9\n"}, DataFormatError, "trg_id 'en-9' is not an id of de-en.sample.en"),
        ({"src": b"de-1\t\xc3\x28\n"}, DataFormatError, "line 1 is not valid UTF-8"),
    ],
)
def test_bucc_bad_files(tmp_path, kwargs, error, message):
    write_bucc(tmp_path, **kwargs)
    with pytest.raises(error, match=message):
        load_bucc_split(tmp_path, "de", "sample")


def test_bucc_missing_file_and_bad_split(tmp_path):
    write_bucc(tmp_path)
    (tmp_path / "de-en.sample.gold").unlink()
    with pytest.raises(DataMissingError, match="bucc2018 de-en sample: data not found"):
        load_bucc_split(tmp_path, "de", "sample")
    with pytest.raises(ValueError, match="split must be one of"):
        load_bucc_split(tmp_path, "de", "dev")
