"""Every reader of user data: a UTF-8 byte-order mark is read as such, and a byte that is not
UTF-8 is one line naming the file and the line it is on (issue 16, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xfer_tasks import cli
from xfer_tasks.data import DataFormatError, m_mmlu, mmlu, mmmlu, tydiqa, xnli
from xfer_tasks.data.release_files import MMMLU_COLUMNS, write_mmmlu_csv
from xfer_tasks.data.text_files import read_lines

BOM = "\ufeff".encode()


def _with_bom(path: Path) -> Path:
    path.write_bytes(BOM + path.read_bytes())
    return path


def _xnli_dev(root: Path, lines: list[bytes]) -> Path:
    folder = root / "xnli"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dev-de.tsv"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _long_xnli_lines(n: int) -> list[bytes]:
    return [f"Prämisse Nummer {i} über etwas.\tHypothese {i}.\tneutral".encode() for i in range(n)]


def test_check_data_reads_an_xnli_tsv_with_a_byte_order_mark(tmp_path, capsys):
    _with_bom(_xnli_dev(tmp_path, _long_xnli_lines(3)))
    code = cli.main(
        ["check-data", "--tasks", "xfer_xnli_de", "--data-dir", str(tmp_path),
         "--metadata", '{"xnli_split": "validation"}']
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    rows = xnli.load_split("de", "validation", {"data_dir": str(tmp_path)})
    assert rows[0]["premise"] == "Prämisse Nummer 0 über etwas."  # no U+FEFF in front


def test_a_bad_byte_is_reported_at_its_own_line(tmp_path, capsys):
    """Line 1001 is ~45 KB into the file: several decoding chunks past the first."""
    lines = _long_xnli_lines(1200)
    lines[1000] = b"Pr\xe4misse in Latin-1.\tHypothese.\tneutral"
    path = _xnli_dev(tmp_path, lines)
    code = cli.main(
        ["check-data", "--tasks", "xfer_xnli_de", "--data-dir", str(tmp_path),
         "--metadata", '{"xnli_split": "validation"}']
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}: line 1001 is not valid UTF-8 (byte 0xe4 at byte 3 of the line" in err, err
    assert err.count("\n") == 1


def test_line_files_drop_the_mark_and_name_the_bad_line(tmp_path):
    path = tmp_path / "tatoeba.deu-eng.deu"
    path.write_bytes(BOM + "".join(f"Satz {i} – schön.\n" for i in range(2000)).encode())
    assert read_lines(path, "Tatoeba", "hub")[0] == "Satz 0 – schön."
    data = bytearray(path.read_bytes())
    data[data.index(b"Satz 1500 ") + 5] = 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match=r"deu: line 1501 is not valid UTF-8 \(byte 0xff"):
        read_lines(path, "Tatoeba", "hub")


def test_xnli_release_tsv_header_after_a_mark(tmp_path):
    path = tmp_path / "xnli.dev.tsv"
    path.write_bytes(
        BOM + b"language\tgold_label\tsentence1\tsentence2\nde\tneutral\tEin Satz.\tNoch einer.\n"
    )
    assert xnli.read_release_tsv(path, "de")[0]["premise"] == "Ein Satz."


def test_mmlu_csvs_with_a_mark(tmp_path):
    hendrycks = tmp_path / "anatomy_test.csv"
    hendrycks.write_bytes(BOM + b"What is it?,a,b,c,d,A\n")
    assert mmlu.read_hendrycks_csv(hendrycks, "anatomy")[0]["question"] == "What is it?"
    row = dict(
        zip(MMMLU_COLUMNS, ["Was ist das?", "a", "b", "c", "d", "A", "anatomy"], strict=True)
    )
    openai = _with_bom(write_mmmlu_csv(tmp_path / "mmmlu", "de_de", [row]))
    assert mmmlu.read_openai_csv(openai)[0]["question"] == "Was ist das?"


def test_json_files_with_a_mark_and_a_bad_byte(tmp_path):
    squad = {"data": [{"title": "t", "paragraphs": [{"context": "Ein Kontext.", "qas": [
        {"id": "q1", "question": "Was?", "answers": [{"text": "Kontext", "answer_start": 4}]}
    ]}]}]}  # fmt: skip
    path = tmp_path / "tydiqa-goldp-v1.1-dev.json"
    path.write_bytes(BOM + json.dumps(squad).encode())
    assert tydiqa.read_squad_json(path)[0]["question"] == "Was?"
    okapi = [{"id": "anatomy/test/0", "instruction": "Was?", "option_a": "a", "option_b": "b",
              "option_c": "c", "option_d": "d", "answer": "A"}]  # fmt: skip
    path = tmp_path / "de_test.json"
    path.write_bytes(BOM + json.dumps(okapi, indent=1).encode())
    assert m_mmlu.read_okapi_json(path)[0]["question"] == "Was?"
    path.write_bytes(path.read_bytes().replace(b'"Was?"', b'"Was\xff?"'))
    with pytest.raises(DataFormatError, match=r"de_test.json: line 4 is not valid UTF-8"):
        m_mmlu.read_okapi_json(path)


def test_a_bad_byte_in_a_file_with_cr_line_ends_is_reported_at_its_line(tmp_path):
    """Old Mac line ends (a lone CR) are lines to the readers (universal newlines), so the line
    of a bad byte counts them too."""
    from xfer_tasks.data.text_files import first_bad_utf8_line

    path = tmp_path / "cr.txt"
    path.write_bytes(b"a\rb\rc\xff\rd\r")
    assert first_bad_utf8_line(path)[0] == 3
    path.write_bytes(b"a\r\nb\r\nc\xff\r\nd\r\n")
    assert first_bad_utf8_line(path)[0] == 3


def test_a_damaged_compressed_release_is_one_error_naming_the_file(tmp_path):
    import bz2

    from xfer_tasks.data import DataFormatError
    from xfer_tasks.data.text_files import read_text

    whole = bz2.compress(b"a line of HellaSwag\n" * 5000)
    truncated = tmp_path / "hellaswag_val_full.txt.bz2"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataFormatError, match=r"hellaswag_val_full.txt.bz2: cannot be decompressed as .bz2"):
        read_text(truncated)
    not_gzip = tmp_path / "dump.jsonl.gz"
    not_gzip.write_text("plain text, not gzip")
    with pytest.raises(DataFormatError, match=r"dump.jsonl.gz: cannot be decompressed as .gz"):
        read_text(not_gzip)
